"""The document view: the task's text with its spans, drawn with Textual's Line API from a :class:`~..layout.Layout`.

Only visible lines are rendered, and after a key only the rows whose segments changed are repainted. The
span styles come from ``review.tcss`` (component classes ``docview--*``) and, for each label, its colour in
``labels/labels.toml``: an accepted span is ``docview--span`` on the label's colour, a rejected one the
label's colour under ``docview--rejected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..layout import Layout, Piece
from ..session import ReviewLabels, TaskState
from .cues import piece_at, with_cues


# the mark before a span's label (one cell: the layout counts the label plus one): the state of the span
# under the cursor is always marked; other kept spans have a blank
MARKS = {"kept": "✓", "rejected": "✗", "edited": "✎", "added": "+"}
CURRENT_REJECTED = Style(bold=True, underline=True)


@dataclass(frozen=True)
class SpanStyles:
    """Every style a document line is drawn with, resolved once (per stylesheet) for a label set."""

    plain: Style
    cursor: Style
    selection: Style
    placeholder: Style
    span: dict[str, Style]
    current: dict[str, Style]
    rejected: dict[str, Style]
    tag: dict[str, Style]
    current_tag: Style
    rejected_tag: Style
    unknown: Style  # any kind of span whose label is not in the label set
    cue: Style  # a theme's cue words, when asked for (state.highlight)

    @classmethod
    def build(cls, labels: ReviewLabels, component: Any) -> SpanStyles:
        """``component(name)``: the Rich style of component class ``docview--<name>``."""
        c = {name: component(f"docview--{name}") for name in (
            "span", "current", "rejected", "tag", "current-tag", "rejected-tag", "cursor", "selection", "placeholder",
            "unknown-label", "cue")}
        on_label = {e.name: Style(bgcolor=e.color) for e in labels.entities}
        return cls(
            plain=Style(), cursor=c["cursor"], selection=c["selection"], placeholder=c["placeholder"],
            span={n: bg + c["span"] for n, bg in on_label.items()},
            current={n: bg + c["current"] for n, bg in on_label.items()},
            rejected={e.name: Style(color=e.color) + c["rejected"] for e in labels.entities},
            tag={n: bg + c["tag"] for n, bg in on_label.items()},
            current_tag=c["current-tag"], rejected_tag=c["rejected-tag"], unknown=c["unknown-label"], cue=c["cue"],
        )


def piece_segments(state: TaskState, text: str, line: list[Piece], styles: SpanStyles) -> list[Segment]:
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
    highlight = state.highlight
    for a, b, owner, is_tag in line:
        if is_tag:
            s = spans[owner] if 0 <= owner < len(spans) else None
            if s is None:
                continue
            kind = state.span_state(s)
            if owner == state.current and not state.adding:  # the state under the cursor: a mark, not a colour
                segs.append(Segment(f"{MARKS[kind]}{s['label']}", styles.current_tag))
            elif kind != "rejected":
                mark = " " if kind == "kept" else MARKS[kind]
                segs.append(Segment(f"{mark}{s['label']}", styles.tag.get(s["label"]) or styles.unknown))
            else:
                segs.append(Segment(f"✗{s['label']}", styles.rejected_tag))
            continue
        if owner < 0 or owner >= len(spans):
            base = styles.plain
        else:
            s = spans[owner]
            if owner == state.current and not state.adding:
                if s["answer"] == "accept":
                    base = styles.current.get(s["label"]) or styles.unknown
                else:  # struck through as every rejected span, underlined as the current one
                    base = (styles.rejected.get(s["label"]) or styles.unknown) + CURRENT_REJECTED
            elif s["answer"] == "accept":
                base = styles.span.get(s["label"]) or styles.unknown
            else:
                base = styles.rejected.get(s["label"]) or styles.unknown
        if cut is None or b <= cut[0] or a >= cut[1]:
            if highlight:
                with_cues(segs, text, a, b, base, highlight, styles.cue)
            else:
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

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "docview--span", "docview--current", "docview--rejected", "docview--tag", "docview--current-tag",
        "docview--rejected-tag", "docview--cursor", "docview--selection", "docview--placeholder",
        "docview--unknown-label", "docview--cue",
    }

    def __init__(self, labels: ReviewLabels, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.labels = labels
        self._styles: SpanStyles | None = None
        self.state: TaskState | None = None
        self.placeholder = ""
        self.layout_ = Layout()
        self._key: tuple[Any, ...] = ()
        # what the visible rows showed when last refreshed: (scroll top, width, segments of each row)
        self._drawn: tuple[int, int, list[list[Segment]]] | None = None

    @property
    def styles_(self) -> SpanStyles:
        """The span styles, resolved from the stylesheet on first use and again after it changes."""
        if self._styles is None:
            self._styles = SpanStyles.build(self.labels, lambda name: self.get_component_rich_style(name, partial=True))
        return self._styles

    def notify_style_update(self) -> None:
        self._styles = None
        super().notify_style_update()

    @property
    def _lines(self) -> list[list[Segment]]:
        """The visible-or-not lines as segments (for tests and plain-text views)."""
        if self.state is None:
            return [[Segment(self.placeholder)]]
        return [piece_segments(self.state, self.state.display_text, line, self.styles_) for line in self.layout_.lines]

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
        rows = [piece_segments(st, st.display_text, lines[i], self.styles_) if i < len(lines) else []
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

    class Clicked(Message):
        """A click on the text: the character offset under the mouse (None on a label tag) and the span drawn
        there (-1: none)."""

        def __init__(self, offset: int | None, span: int) -> None:
            super().__init__()
            self.offset = offset
            self.span = span

    class Dragged(Message):
        """A drag over the text: the character offsets where the mouse went down and up (in either order)."""

        def __init__(self, start: int, end: int) -> None:
            super().__init__()
            self.start = start
            self.end = end

    # the mouse: Textual's own text selection is off (a drag makes a span; release_mouse gives the terminal
    # its selection back); a drag is tracked from mouse down to mouse up, and the click Textual sends after
    # the mouse up of a drag is not a click
    ALLOW_SELECT = False
    _down_at: int | None = None  # the character offset under the mouse down (None: no press on the text)
    _dragged = False  # the last press was a drag: the Click after its mouse up is ignored

    def _at(self, event: events.MouseEvent, clamp: bool = False) -> tuple[int | None, int] | None:
        """(character offset or None on a label tag, span index or -1) under the mouse; None off the text.

        ``clamp`` (the end of a drag): a point above or below the view counts as on its first or last line,
        a point past the end of a line as on its last character."""
        off = event.get_content_offset_capture(self) if clamp else event.get_content_offset(self)
        st = self.state
        if off is None or st is None:
            return None
        y = min(max(off.y, 0), max(self.scrollable_content_region.height - 1, 0)) if clamp else off.y
        idx = y + self.scroll_offset.y
        if clamp:
            idx = min(idx, len(self.layout_.lines) - 1)
        if not 0 <= idx < len(self.layout_.lines):
            return None
        labels = {i: s["label"] for i, s in enumerate(st.spans)}
        line = self.layout_.lines[idx]
        at = piece_at(st.display_text, line, labels, max(off.x, 0) + self.scroll_offset.x)
        if clamp and at == (None, -1):
            text_pieces = [p for p in line if not p[3] and p[1] > p[0]]
            if text_pieces:
                return text_pieces[-1][1] - 1, text_pieces[-1][2]
        return at

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """During a drag, the mouse above or below the text scrolls it a line a move."""
        if self._down_at is None:
            return
        y = event.get_content_offset_capture(self).y
        if y < 0:
            self.scroll_relative(y=-1, animate=False, immediate=True)
        elif y >= self.scrollable_content_region.height:
            self.scroll_relative(y=1, animate=False, immediate=True)

    def _offset_of(self, at: tuple[int | None, int] | None) -> int | None:
        """A character offset for a point of a drag: on a label tag, the last character of its span."""
        if at is None or self.state is None:
            return None
        offset, span = at
        if offset is None and 0 <= span < len(self.state.spans):
            return self.state.spans[span]["end"] - 1
        return offset

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._dragged = False
        self._down_at = self._offset_of(self._at(event)) if event.button == 1 else None
        if self._down_at is not None:
            self.capture_mouse()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        start, self._down_at = self._down_at, None
        self.capture_mouse(False)
        if start is None:
            return
        end = self._offset_of(self._at(event, clamp=True))
        st = self.state
        if end is None or st is None or st.token_at(start) == st.token_at(end):
            return  # a plain click (or a drag inside one token): the Click that follows does the rest
        self._dragged = True
        self.post_message(self.Dragged(start, end))

    def on_click(self, event: events.Click) -> None:
        if self._dragged:
            self._dragged = False
            return
        at = self._at(event)
        if at is not None:
            self.post_message(self.Clicked(*at))

    def render_line(self, y: int) -> Strip:
        idx = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if self.state is None:
            if idx == 0:
                return Strip([Segment(self.placeholder, self.styles_.placeholder)]).crop_extend(0, width, Style())
            return Strip.blank(width)
        lines = self.layout_.lines
        if 0 <= idx < len(lines):
            segs = piece_segments(self.state, self.state.display_text, lines[idx], self.styles_)
            return Strip(segs).crop_extend(0, width, Style())
        return Strip.blank(width)
