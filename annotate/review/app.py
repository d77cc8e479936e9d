"""The review screen: a keyboard-first Textual app over a :class:`ReviewSession`.

Widgets never touch files or the database: the app holds a session (the
controller) and asks it to change state; it redraws from the session's state.
Every action is a :class:`~textual.binding.Binding` with an ``id`` so keys can
be remapped (``ReviewApp(keymap={"next_span": "j"})``, or ``--keymap`` on the
command line). Relabel keys and theme keys come from ``labels/``.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Region, Size
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from ..errors import AnnotateError
from .session import ReviewSession, TaskState

# id, default keys, description (help), short label (key line)
ACTIONS: list[tuple[str, str, str, str]] = [
    ("next_span", "right,l", "next span (in add mode: next token)", "span"),
    ("prev_span", "left,h", "previous span (in add mode: previous token)", ""),
    ("toggle_span", "t,enter", "accept / reject the current span", "keep/drop"),
    ("widen_start", "left_square_bracket", "widen the span by a token at the start", "widen"),
    ("widen_end", "right_square_bracket", "widen the span by a token at the end", ""),
    ("shrink_start", "left_curly_bracket", "shrink the span by a token at the start", "shrink"),
    ("shrink_end", "right_curly_bracket", "shrink the span by a token at the end", ""),
    ("delete_span", "d,delete", "delete the current span", "delete"),
    ("add_span", "n", "add a span: start the token cursor (again: cancel)", "new"),
    ("mark", "m", "add mode: mark the start, then the end", "mark"),
    ("cancel", "escape", "cancel adding a span", ""),
    ("accept", "a", "accept the task (saves every span's state and the themes)", "ACCEPT"),
    ("reject", "x", "reject the task", "REJECT"),
    ("ignore", "space", "ignore the task", "ignore"),
    ("undo", "u,backspace", "undo the last decision (it comes back, editable)", "undo"),
    ("scroll_down", "down,j", "scroll the text down", ""),
    ("scroll_up", "up,k", "scroll the text up", ""),
    ("help", "question_mark,f12", "this help", "help"),
    ("quit", "q", "quit (every decision is already saved)", "quit"),
]

_KEY_NAMES = {
    "right": "→", "left": "←", "up": "↑", "down": "↓", "left_square_bracket": "[", "right_square_bracket": "]",
    "left_curly_bracket": "{", "right_curly_bracket": "}", "space": "space", "question_mark": "?",
    "escape": "esc", "enter": "⏎", "backspace": "⌫", "delete": "del",
}


def key_display(keys: str) -> str:
    return "/".join(_KEY_NAMES.get(k, k) for k in keys.split(","))


# ---------------------------------------------------------------- document layout

_OFFSETS_AND_LABEL = itemgetter(0, 1, 2)
_WORD_RE = re.compile(r"\n|[ \t\r]+|[^ \t\r\n]+")


@dataclass
class _Styles:
    plain: Style
    cursor: Style
    selection: Style
    marker: Style
    span: dict[str, Style]
    current: dict[str, Style]
    rejected: dict[str, Style]
    tag: dict[str, Style]
    current_tag: Style
    rejected_tag: Style


def make_styles(labels: Any) -> _Styles:
    span, current, rejected, tag = {}, {}, {}, {}
    for e in labels.entities:
        span[e.name] = Style(color="#000000", bgcolor=e.color)
        current[e.name] = Style(color="#000000", bgcolor=e.color, bold=True, underline=True)
        rejected[e.name] = Style(color=e.color, strike=True, dim=True)
        tag[e.name] = Style(color="#000000", bgcolor=e.color, bold=True, dim=True)
    return _Styles(
        plain=Style(),
        cursor=Style(color="#000000", bgcolor="#ffd75f", bold=True),
        selection=Style(color="#ffffff", bgcolor="#5f5fd7", underline=True),
        marker=Style(color="#ffd75f", bold=True),
        span=span, current=current, rejected=rejected, tag=tag,
        current_tag=Style(color="#000000", bgcolor="#ffd75f", bold=True),
        rejected_tag=Style(color="#808080", strike=True),
    )


def _fallback(d: dict[str, Style], label: str) -> Style:
    return d.get(label) or Style(color="#000000", bgcolor="#aaaaaa")


# A laid-out line is a list of pieces (start, end, owner, is_tag): a slice of the text (owner = index of
# the span drawn there, or -1) or, with is_tag, the label name drawn after span ``owner``. The geometry
# only depends on the spans' offsets and labels and on the width; styles (current span, accepted or
# rejected, token cursor) are applied when a visible line is drawn, so most keys cost no layout at all.
Piece = tuple[int, int, int, bool]


def _width(s: str) -> int:
    return len(s) if s.isascii() else cell_len(s)


def _iter_pieces(text: str, a: int, b: int, spans: list[tuple[int, int, str, int]]) -> Iterator[Piece]:
    pos = a
    for s0, s1, _label, i in spans:
        start, end = max(s0, a, pos), min(s1, b)
        if start >= end:
            continue
        if pos < start:
            yield (pos, start, -1, False)
        yield (start, end, i, False)
        pos = end
        if end == s1:
            yield (end, end, i, True)
    if pos < b:
        yield (pos, b, -1, False)


class _Resync(Exception):
    """Raised by :func:`_wrap` when a line starts at one of the ``resync`` offsets."""

    def __init__(self, offset: int) -> None:
        self.offset = offset


def wrap_paragraph(text: str, pieces: Iterable[Piece], labels: dict[int, str], width: int) -> list[list[Piece]]:
    """Word-wrap one paragraph's pieces to ``width`` cells."""
    return _wrap(text, pieces, labels, width)[0]


def _wrap(
    text: str, pieces: Iterable[Piece], labels: dict[int, str], width: int, resync: Container[int] = (),
) -> tuple[list[list[Piece]], int | None]:
    """Word-wrap pieces; stop as soon as a word starting at an offset in ``resync`` would begin a new line.

    Returns the lines (without the line that word would begin) and that offset, or all lines and None.
    """
    width = max(width, 10)
    lines: list[list[Piece]] = [[]]
    x = 0
    word: list[tuple[Piece, int]] = []
    word_w = 0

    def place_word() -> None:
        nonlocal x, word_w
        if not word:
            return
        if x > 0 and x + word_w > width:
            lines.append([])
            x = 0
        if resync and x == 0 and len(lines) > 1 and not lines[-1] and word[0][0][0] in resync:
            raise _Resync(word[0][0][0])
        for piece, w in word:
            a, b, owner, is_tag = piece
            while x + w > width and not is_tag and b - a > 1:  # longer than a line: cut it
                room = max(width - x, 1)
                lines[-1].append((a, a + room, owner, False))
                lines.append([])
                x = 0
                a += room
                w = _width(text[a:b])
            lines[-1].append((a, b, owner, is_tag))
            x += w
        word.clear()
        word_w = 0

    try:
        for piece in pieces:
            a, b, owner, is_tag = piece
            if is_tag:
                w = len(labels[owner]) + 1
                word.append((piece, w))
                word_w += w
                continue
            for m in _WORD_RE.finditer(text, a, b):
                c0 = text[m.start()]
                if c0 in " \t\r":
                    place_word()
                    w = m.end() - m.start()
                    if x + w > width:
                        lines.append([])
                        x = 0
                    else:
                        lines[-1].append((m.start(), m.end(), owner, False))
                        x += w
                else:
                    w = _width(m.group())
                    word.append(((m.start(), m.end(), owner, False), w))
                    word_w += w
        place_word()
    except _Resync as r:
        return lines[:-1], r.offset
    return lines, None


_SPACE = " \t\r"
_BREAK_RE = re.compile(r"[ \t\r\n]")


def _line_width(text: str, line: list[Piece], labels: dict[int, str]) -> int:
    return sum(len(labels[o]) + 1 if t else _width(text[a:b]) for a, b, o, t in line)


def rewrap_paragraph(
    text: str, pos: int, end: int, old_lines: list[list[Piece]], old_spans: list[tuple[int, int, str, int]],
    new_spans: list[tuple[int, int, str, int]], labels: dict[int, str], width: int,
) -> list[list[Piece]] | None:
    """Re-wrap only the lines of a paragraph around the spans that changed; ``None``: wrap it all.

    Greedy wrapping restarts identically at a line that begins a word after whitespace (x = 0, no pending
    word), as long as everything up to the end of that word is unchanged. So the lines before such a
    restart line are kept, and the text is wrapped again from it only until the new wrap begins a line
    with the same word as an old line past the change (the wrap re-synchronizes, usually within a few
    lines): the old lines from there on are kept. Owners of kept pieces are remapped to the new span
    indices.
    """
    width = max(width, 10)
    # both lists are in drawing order: the spans that changed lie between a common head and a common tail
    # (compared by offsets and label); spans in the head and tail keep their place, maybe not their index
    n_old, n_new = len(old_spans), len(new_spans)
    m = min(n_old, n_new)
    head = 0
    while head < m and old_spans[head][:3] == new_spans[head][:3]:
        head += 1
    tail = 0
    while tail < m - head and old_spans[n_old - 1 - tail][:3] == new_spans[n_new - 1 - tail][:3]:
        tail += 1
    changed = old_spans[head:n_old - tail] + new_spans[head:n_new - tail]
    same = list(zip(old_spans[:head], new_spans[:head])) + list(zip(old_spans[n_old - tail:], new_spans[n_new - tail:]))
    identity = all(a[3] == b[3] for a, b in same)
    remap = {} if identity else {a[3]: b[3] for a, b in same}
    if not changed:
        return old_lines if identity else [[(a, b, remap.get(o, o), t) for a, b, o, t in ln] for ln in old_lines]
    c0 = min(x[0] for x in changed)
    c1 = max(x[1] for x in changed)
    ends = {x[1] for x in old_spans}
    ends.update(x[1] for x in changed)

    def safe(ln: list[Piece]) -> bool:
        if not ln:
            return False
        a, _b, _o, t = ln[0]
        return (not t and a > pos and text[a - 1] in _SPACE and text[a] not in _SPACE and a not in ends)

    starts = [ln[0][0] if ln else -1 for ln in old_lines]
    if not starts or min(starts) < 0:
        return None
    k0 = max(bisect_left(starts, c0 + 1) - 1, 0)
    # restart line: safe, and its first word ends before the change
    k = k0
    while k > 0:
        if safe(old_lines[k]):
            m = _BREAK_RE.search(text, starts[k], end)
            w = m.start() if m else end
            if w < c0:
                break
        k -= 1
    o = starts[k] if k > 0 else pos  # line 0: the paragraph's own start, always a clean restart

    def fix(lines: list[list[Piece]]) -> list[list[Piece]]:
        return lines if identity else [[(a, b, remap.get(ow, ow), t) for a, b, ow, t in ln] for ln in lines]

    # a later line that starts a word after whitespace, past the change: once the new wrap starts a line
    # with that same word, it goes on exactly as before, so the old lines from there on are kept
    resync: dict[int, int] = {}
    for j in range(max(bisect_left(starts, c1 + 1), k + 1), len(old_lines)):
        if safe(old_lines[j]):
            resync[starts[j]] = j
    fresh, stop = _wrap(text, _iter_pieces(text, o, end, new_spans), labels, width, resync)
    if stop is None:
        return fix(old_lines[:k]) + fresh
    return fix(old_lines[:k]) + fresh + fix(old_lines[resync[stop]:])


class Layout:
    """Wrapped lines of a task's text, re-wrapping only the paragraphs whose spans changed."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], tuple[list[list[Piece]], list[int]]] = {}
        self.lines: list[list[Piece]] = []
        self.line_starts: list[int] = []
        self._monotonic: list[int] = []
        self._first: dict[int, int] | None = {}
        self.wrapped = 0
        self._by_para: dict[tuple[int, int, int], tuple[list[list[Piece]], list[tuple[int, int, str, int]]]] = {}

    def update(self, state: TaskState, width: int) -> None:
        text = state.text
        all_spans = state.spans
        keyed = [(s["start"], -s["end"], i) for i, s in enumerate(all_spans)]
        keyed.sort()  # by start, longest first, then index: the order spans are drawn in
        spans = [(a, -b, all_spans[i]["label"], i) for a, b, i in keyed]
        span_starts = [x[0] for x in spans]
        labels = {i: s["label"] for i, s in enumerate(all_spans)}
        cache: dict[tuple[Any, ...], tuple[list[list[Piece]], list[int]]] = {}
        by_para: dict[tuple[int, int, int], tuple[list[list[Piece]], list[tuple[int, int, str, int]]]] = {}
        lines: list[list[Piece]] = []
        pos, n, j = 0, len(text), 0
        carried: list[tuple[int, int, str, int]] = []
        while True:
            nl = text.find("\n", pos)
            end = n if nl < 0 else nl
            para = [x for x in carried if x[1] > pos]
            j1 = bisect_right(span_starts, end, j)
            para.extend(spans[j:j1])
            j = j1
            para = [x for x in para if x[0] < end or (x[0] == end and x[1] == end)]
            carried = [x for x in para if x[1] > end]
            key = (pos, end, width, tuple(map(_OFFSETS_AND_LABEL, para)))
            ids = [x[3] for x in para]
            hit = self._cache.get(key)
            if hit is None:
                self.wrapped += 1
                prev = self._by_para.get((pos, end, width))
                wrapped = None
                if prev is not None:
                    wrapped = rewrap_paragraph(text, pos, end, prev[0], prev[1], para, labels, width)
                if wrapped is None:
                    wrapped = wrap_paragraph(text, _iter_pieces(text, pos, end, para), labels, width)
            else:
                old_wrapped, old_ids = hit
                if old_ids == ids:
                    wrapped = old_wrapped
                else:
                    remap = dict(zip(old_ids, ids))
                    wrapped = [[(a, b, remap.get(o, o), t) for a, b, o, t in line] for line in old_wrapped]
            cache[key] = (wrapped, ids)
            by_para[(pos, end, width)] = (wrapped, para)
            lines.extend(wrapped)
            if nl < 0:
                break
            pos = nl + 1
        self._cache = cache
        self._by_para = by_para
        self.lines = lines
        self._first = None
        self.line_starts = [line[0][0] if line else -1 for line in lines]
        self._monotonic = list(accumulate(self.line_starts, max, initial=-1))[1:]  # empty lines: the start before

    @property
    def first_line(self) -> dict[int, int]:
        """The first line each span is drawn on (a span drawn nowhere, inside another, is left out)."""
        if self._first is None:
            first: dict[int, int] = {}
            for k in range(len(self.lines) - 1, -1, -1):  # going backwards, the earliest line is set last
                for _a, _b, o, _t in self.lines[k]:
                    if o >= 0:
                        first[o] = k
            self._first = first
        return self._first

    def first_line_of(self, i: int, start: int, end: int) -> int | None:
        """``first_line.get(i)`` for span ``i`` at ``start``..``end``, looking only at the lines around it."""
        mono = self._monotonic
        k = max(bisect_left(mono, start) - 1, 0)  # lines before it end before ``start``: no piece of the span
        lines = self.lines
        while k < len(lines) and mono[k] <= end:
            for piece in lines[k]:
                if piece[2] == i:
                    return k
            k += 1
        return None

    def line_of(self, offset: int) -> int:
        """The last non-empty line starting at or before ``offset`` (0 if none)."""
        k = bisect_right(self._monotonic, offset) - 1
        while k > 0 and self.line_starts[k] < 0:
            k -= 1
        return max(k, 0)


def piece_segments(state: TaskState, text: str, line: list[Piece], styles: _Styles) -> list[Segment]:
    """Segments of one laid-out line, styled from the current state."""
    segs: list[Segment] = []
    sel = state.selection
    cut: tuple[int, int] | None = None
    cur: tuple[int, int] | None = None
    if sel is not None and state.tokens:
        cut = (state.tokens[sel[0]]["start"], state.tokens[sel[1]]["end"])
        tok = state.tokens[state.cursor]
        cur = (tok["start"], tok["end"])
    spans = state.spans
    for a, b, owner, is_tag in line:
        if is_tag:
            s = spans[owner] if 0 <= owner < len(spans) else None
            if s is None:
                continue
            if owner == state.current and not state.adding:
                segs.append(Segment(f" {s['label']}", styles.current_tag))
            elif s["answer"] == "accept":
                segs.append(Segment(f" {s['label']}", _fallback(styles.tag, s["label"])))
            else:
                segs.append(Segment(f"✗{s['label']}", styles.rejected_tag))
            continue
        if owner < 0 or owner >= len(spans):
            base = styles.plain
        else:
            s = spans[owner]
            if owner == state.current and not state.adding:
                base = _fallback(styles.current, s["label"])
            elif s["answer"] == "accept":
                base = _fallback(styles.span, s["label"])
            else:
                base = _fallback(styles.rejected, s["label"])
        if cut is None or b <= cut[0] or a >= cut[1]:
            segs.append(Segment(text[a:b], base))
            continue
        points = sorted({a, b, *(p for p in (*cut, *cur) if a < p < b)})  # type: ignore[misc]
        for p, q in zip(points, points[1:]):
            if cur[0] <= p and q <= cur[1]:  # type: ignore[index]
                style = styles.cursor
            elif cut[0] <= p and q <= cut[1]:
                style = styles.selection
            else:
                style = base
            segs.append(Segment(text[p:q], style))
    return segs


class DocView(ScrollView, can_focus=False, inherit_bindings=False):
    """The task's text with its spans, drawn with the Line API (only visible lines are rendered)."""

    DEFAULT_CSS = """
    DocView { border: round $primary; padding: 0 1; }
    """

    def __init__(self, styles: _Styles, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.styles_ = styles
        self.state: TaskState | None = None
        self.placeholder = ""
        self.layout_ = Layout()
        self._key: tuple[Any, ...] = ()
        self._state_key: tuple[Any, ...] = ()
        # what the visible rows showed when last refreshed: (scroll top, width, segments of each row)
        self._drawn: tuple[int, int, list[list[Segment]]] | None = None

    @property
    def _lines(self) -> list[list[Segment]]:
        """The visible-or-not lines as segments (for tests and plain-text views)."""
        if self.state is None:
            return [[Segment(self.placeholder)]]
        return [piece_segments(self.state, self.state.text, line, self.styles_) for line in self.layout_.lines]

    def show(self, state: TaskState | None, placeholder: str = "") -> None:
        self.state = state
        self.placeholder = placeholder
        self.relayout()

    def relayout(self) -> None:
        width = self.scrollable_content_region.width or self.size.width or 80
        st = self.state
        if st is None:
            self.layout_ = Layout()
            self.virtual_size = Size(width, 1)
            self._drawn = None
            self.refresh()
            return
        geom = (id(st), width, tuple((s["start"], s["end"], s["label"]) for s in st.spans))
        if geom != self._key:
            if self._key and self._key[0] != id(st):
                self.layout_ = Layout()
            self._key = geom
            self.layout_.update(st, width)
            self.virtual_size = Size(width, len(self.layout_.lines))
        if st.adding and st.tokens:
            focus = self.layout_.line_of(st.tokens[st.cursor]["start"])
        else:
            cur = st.spans[st.current] if st.current is not None else None
            focus = (self.layout_.first_line_of(st.current, cur["start"], cur["end"]) or 0) if cur is not None else 0
        self._keep_visible(focus)
        self._refresh_changed_rows()

    def _refresh_changed_rows(self) -> None:
        """Repaint only the visible rows whose segments changed since the last refresh.

        Most keys change one or two rows (the span that was current and the new one), and a repaint costs
        Textual about as much per row as it costs the app, so repainting all ~40 rows on every key would
        dominate a key press. When the view scrolled or changed size, everything is repainted.
        """
        st = self.state
        top = self.scroll_offset.y
        region = self.scrollable_content_region
        lines = self.layout_.lines
        if st is None:
            self._drawn = None
            self.refresh()
            return
        rows = [piece_segments(st, st.text, lines[i], self.styles_) if i < len(lines) else []
                for i in range(top, top + region.height)]
        drawn = self._drawn
        self._drawn = (top, region.width, rows)
        if drawn is None or drawn[0] != top or drawn[1] != region.width or len(drawn[2]) != len(rows):
            self.refresh()
            return
        old = drawn[2]
        y = 0
        while y < len(rows):
            if rows[y] == old[y]:
                y += 1
                continue
            y1 = y + 1
            while y1 < len(rows) and rows[y1] != old[y1]:
                y1 += 1
            self.refresh_lines(top + y, y1 - y)
            y = y1

    def _keep_visible(self, line: int) -> None:
        height = self.scrollable_content_region.height or self.size.height or 10
        top = self.scroll_offset.y
        if line < top + 1 or line > top + height - 2:
            self.scroll_to(y=max(line - height // 3, 0), animate=False, immediate=True, force=True)

    def on_resize(self) -> None:
        self.relayout()

    def render_line(self, y: int) -> Strip:
        idx = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if self.state is None:
            if idx == 0:
                return Strip([Segment(self.placeholder, Style(italic=True))]).crop_extend(0, width, Style())
            return Strip.blank(width)
        lines = self.layout_.lines
        if 0 <= idx < len(lines):
            segs = piece_segments(self.state, self.state.text, lines[idx], self.styles_)
            return Strip(segs).crop_extend(0, width, Style())
        return Strip.blank(width)


def render_themes(state: TaskState | None, session: ReviewSession) -> Text:
    t = Text()
    t.append("Themes", style="bold")
    t.append("  key · on · score\n", style="dim")
    if state is None:
        return t
    threshold = session.labels.threshold
    for theme in session.labels.themes:
        on = state.themes[theme.name]
        score = state.scores.get(theme.name, 0.0)
        t.append(f"{theme.key.upper():>4} ", style="bold #ffd75f")
        t.append("✓ " if on else "· ", style="bold green" if on else "dim")
        t.append(f"{theme.name:<15}", style="bold" if on else "")
        bar = "█" * int(round(score * 6))
        t.append(f"{score:4.2f} ", style="yellow" if score >= threshold else "dim")
        t.append(f"{bar:<6}\n", style="yellow" if score >= threshold else "dim")
    acc, rej = state.counts()
    t.append(f"\nSpans: {acc} kept, {rej} rejected\n", style="")
    return t


class Panel(Widget):
    """A fixed-size text panel: updating it repaints it without a layout pass, and only the lines that changed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.content: Text | str = ""

    def set(self, content: Text | str) -> None:
        old, self.content = self.content, content
        width, height = self.size
        if isinstance(old, Text) and isinstance(content, Text) and width and old.style == content.style:
            before, after = old.split("\n", allow_blank=True), content.split("\n", allow_blank=True)
            # same line count, nothing wrapped or cut: line y of the text is row y of the panel
            if len(before) == len(after) <= height and all(cell_len(line.plain) <= width for line in after):
                for y, (a, b) in enumerate(zip(before, after)):
                    if a != b:
                        self.refresh(Region(0, y, width, 1))
                return
        self.refresh()

    def render(self) -> Text | str:
        return self.content


class HelpScreen(ModalScreen[None]):
    """Every action with its keys."""

    BINDINGS = [Binding("escape,q,question_mark,f12", "dismiss_help", "close", id="close_help")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 86; height: 90%; border: thick $accent; background: $surface; padding: 1 2; }
    """

    def __init__(self, text: Text) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text, id="help-text")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class ReviewApp(App[int]):
    """Review tasks one by one; every decision is stored before the next task shows."""

    TITLE = "annotate review"
    CSS = """
    Screen { layout: vertical; }
    #status { height: 1; background: $boost; color: $text; padding: 0 1; }
    #main { height: 1fr; }
    #side { width: 40; border: round $secondary; padding: 0 1; }
    #message { height: 1; padding: 0 1; color: $warning; }
    #keys { height: 2; padding: 0 1; background: $boost; color: $text-muted; }
    """
    BINDINGS = [Binding(keys, action, desc, id=action, show=False) for action, keys, desc, _ in ACTIONS]

    def __init__(
        self,
        session: ReviewSession,
        *,
        loader: Callable[[Callable[[int, int], None], Callable[[AnnotateError], None], Callable[[], bool]], None] | None = None,
        keymap: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.loader = loader
        self.keymap_overrides = dict(keymap or {})
        self.keys_of = {action: keys for action, keys, _, _ in ACTIONS}
        self.keys_of.update(self.keymap_overrides)
        self.bad_lines: list[AnnotateError] = []
        self.loaded = (0, 0)
        self.loader_error: AnnotateError | None = None
        self._stopping = False
        self._shown: dict[str, Text | str] = {}
        self._status_text = Text()
        self.styles_ = make_styles(session.labels)
        for e in session.labels.entities:
            self.bind(e.key, f"relabel('{e.name}')", description=f"label {e.name}", show=False)
        for th in session.labels.themes:
            self.bind(th.key, f"toggle_theme('{th.name}')", description=f"theme {th.name}", show=False)

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Panel(id="status")
        with Horizontal(id="main"):
            yield DocView(self.styles_, id="doc")
            yield Panel(id="side")
        yield Panel(id="message")
        yield Panel(id="keys")

    def on_mount(self) -> None:
        if self.keymap_overrides:
            self.set_keymap(self.keymap_overrides)
        self.query_one("#keys", Panel).set(self.key_line())
        self.redraw()
        if self.loader is not None:
            self.session.loading = True
            self.run_worker(self._load, thread=True, exclusive=True, name="loader")

    def _load(self) -> None:
        assert self.loader is not None

        def progress(added: int, dups: int) -> None:
            self.call_from_thread(self._on_loaded, added, dups)

        def bad(err: AnnotateError) -> None:
            self.call_from_thread(self._on_bad_line, err)

        try:
            self.loader(progress, bad, lambda: self._stopping)
        except AnnotateError as e:
            self.call_from_thread(self._on_loader_failed, e)
        finally:
            if not self._stopping:
                self.call_from_thread(self._on_loader_done)

    def _on_loaded(self, added: int, dups: int) -> None:
        self.loaded = (added, dups)
        self.session.tasks_added()
        self.redraw()

    def _on_bad_line(self, err: AnnotateError) -> None:
        self.bad_lines.append(err)
        self.session.rejected_lines = len(self.bad_lines)
        if len(self.bad_lines) <= 3:
            self.notify(str(err), title="line not loaded", severity="warning", timeout=8)
        self.redraw_status()

    def _on_loader_failed(self, err: AnnotateError) -> None:
        self.loader_error = err
        self.notify(str(err), title="loading stopped", severity="error", timeout=15)

    def _on_loader_done(self) -> None:
        self.session.loading = False
        self.session.tasks_added()
        self.redraw()

    def key_line(self) -> Text:
        t = Text()
        parts = [(key_display(self.keys_of[a]), short) for a, _, _, short in ACTIONS if short]
        labels = self.session.labels
        parts.insert(2, ("/".join(e.key for e in labels.entities), "relabel"))
        if labels.themes:
            parts.insert(3, (f"{labels.themes[0].key.upper()}–{labels.themes[-1].key.upper()}", "themes"))
        for i, (k, d) in enumerate(parts):
            if i:
                t.append("  ")
            t.append(k, style="bold #ffd75f")
            t.append(f" {d}")
        return t

    def help_text(self) -> Text:
        t = Text()
        t.append("annotate review — keys\n\n", style="bold")
        for action, _, desc, _ in ACTIONS:
            t.append(f"{key_display(self.keys_of[action]):>16}  ", style="bold #ffd75f")
            t.append(f"{desc}\n")
        t.append("\nLabels (relabel the current span; in add mode, create the span)\n", style="bold")
        for e in self.session.labels.entities:
            t.append(f"{e.key:>16}  ", style="bold #ffd75f")
            t.append(f" {e.name} ", style=Style(color="#000000", bgcolor=e.color, bold=True))
            t.append("\n")
        t.append("\nThemes (toggle)\n", style="bold")
        for th in self.session.labels.themes:
            t.append(f"{th.key.upper():>16}  ", style="bold #ffd75f")
            t.append(f"{th.name:<15} ", style="bold")
            t.append(f"{th.description}\n", style="dim")
        t.append(
            "\nAdding a span: n starts a token cursor at the current span; ←/→ move it; m marks the start, "
            "m again the end; a label key creates the span (without marks: the token under the cursor); "
            "esc cancels.\nAccepted spans never overlap (doc.ents); reject or delete one first.\n"
            "Keys can be remapped with --keymap FILE (TOML: action = \"keys\"), labels' keys in labels/.\n",
            style="dim",
        )
        t.append("\nesc / q / ? closes this help.", style="italic")
        return t

    # ------------------------------------------------------------ drawing

    def visible_text(self) -> str:
        """What the screen shows, as plain text (status, visible text lines, themes, message, keys)."""
        doc = self.query_one(DocView)
        top = doc.scroll_offset.y
        height = doc.scrollable_content_region.height or 20
        parts = [self._status_text.plain]
        parts += ["".join(seg.text for seg in line) for line in doc._lines[top:top + height]]
        s = self.session
        parts += [render_themes(s.state, s).plain, s.state.message if s.state else "", self.key_line().plain]
        return "\n".join(parts)

    def redraw(self) -> None:
        s = self.session
        doc = self.query_one(DocView)
        if s.state is None:
            if s.loading:
                placeholder = f"Loading tasks… ({self.loaded[0]:,} stored so far)"
            elif s.done:
                placeholder = "All tasks of this dataset are reviewed. u brings back the last one, q quits."
            else:
                placeholder = "No task to review. q quits."
            doc.show(None, placeholder)
        else:
            doc.show(s.state)
        self._set("#side", render_themes(s.state, s))
        self._set("#message", s.state.message if s.state else "")
        self.redraw_status()
        # Move what is alive now (spaCy, Textual, the task and its layout) out of the collector's reach:
        # otherwise a full collection, triggered by the allocations of ordinary key presses, rescans it
        # all and stalls a redraw for ~80 ms. Objects stay freed by reference counting; this only spares
        # the periodic scan of long-lived objects.
        gc.freeze()

    def redraw_status(self) -> None:
        s = self.session
        t = Text()
        t.append(f" {s.dataset} ", style="bold reverse")
        t.append(f"  {s.annotator}  ", style="bold")
        t.append(f"{s.done:,} / {s.total:,} done", style="bold")
        t.append("   ✓ ", style="green")
        t.append(f"{s.counts['accept']:,}")
        t.append("  ✗ ", style="red")
        t.append(f"{s.counts['reject']:,}")
        t.append("  ∅ ", style="dim")
        t.append(f"{s.counts['ignore']:,}")
        if s.state is not None and s.state.adding:
            t.append("   ADD MODE", style="bold black on #ffd75f")
        if s.loading:
            t.append(f"   loading… {self.loaded[0]:,} stored", style="italic")
        if self.bad_lines:
            t.append(f"   {len(self.bad_lines)} bad line(s) not loaded", style="bold red")
        self._status_text = t
        self._set("#status", t)

    def _set(self, selector: str, content: Text | str) -> None:
        """Update a Static only when its content changed (a no-op update still costs a layout pass)."""
        if self._shown.get(selector) == content:
            return
        self._shown[selector] = content
        self.query_one(selector, Panel).set(content)

    def _after(self, changed: bool = True) -> None:
        s = self.session.state
        if s is None:
            return
        self.query_one(DocView).relayout()
        self._set("#side", render_themes(s, self.session))
        self._set("#message", s.message)
        self.redraw_status()

    # ------------------------------------------------------------ actions

    def _state(self) -> TaskState | None:
        return self.session.state

    def action_next_span(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.next_span())

    def action_prev_span(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.prev_span())

    def action_toggle_span(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.toggle_span())

    def action_relabel(self, label: str) -> None:
        if (st := self._state()) is not None:
            self._after(st.relabel(label))

    def action_widen_start(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.widen_start())

    def action_widen_end(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.widen_end())

    def action_shrink_start(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.shrink_start())

    def action_shrink_end(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.shrink_end())

    def action_delete_span(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.delete_span())

    def action_add_span(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.start_add())

    def action_mark(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.mark())

    def action_cancel(self) -> None:
        if (st := self._state()) is not None:
            self._after(st.cancel_add())

    def action_toggle_theme(self, name: str) -> None:
        if (st := self._state()) is not None:
            self._after(st.toggle_theme(name))

    def _decide(self, answer: str) -> None:
        if self.session.state is None:
            return
        try:
            self.session.answer(answer)
        except AnnotateError as e:
            # nothing is lost: the task stays on screen, answer again when the database is free
            self.notify(str(e), title="not saved", severity="error", timeout=10)
            return
        self.redraw()

    def action_accept(self) -> None:
        self._decide("accept")

    def action_reject(self) -> None:
        self._decide("reject")

    def action_ignore(self) -> None:
        self._decide("ignore")

    def action_undo(self) -> None:
        if self.session.undo():
            self.redraw()
        elif self.session.state is not None:
            self._after()

    def action_scroll_down(self) -> None:
        self.query_one(DocView).scroll_relative(y=3, animate=False)

    def action_scroll_up(self) -> None:
        self.query_one(DocView).scroll_relative(y=-3, animate=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_text()))

    def action_quit(self) -> None:  # type: ignore[override]
        self._stopping = True
        self.exit(self.session.saved)
