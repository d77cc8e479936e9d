"""Word-wrapping a task's text with its spans: the pure layout engine of the review screen (no Textual).

A laid-out line is a list of pieces ``(start, end, owner, is_tag)``: a slice of the text (``owner`` = index
of the span drawn there, or -1) or, with ``is_tag``, the label name drawn after span ``owner``. The geometry
only depends on the spans' offsets and labels and on the width; styles (current span, accepted or rejected,
token cursor) are applied when a visible line is drawn (:mod:`.widgets.document`), so most keys cost no
layout at all. :class:`Layout` keeps the lines of one task and re-wraps only the paragraphs, and within a
paragraph only the lines, that a span edit changed.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterable, Iterator
from itertools import accumulate
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from ..graphemes import is_boundary

if TYPE_CHECKING:
    from .session import TaskState

_OFFSETS_AND_LABEL = itemgetter(0, 1, 2)
_WORD_RE = re.compile(r"\n|[ \t\r]+|[^ \t\r\n]+")

# (start, end, owner, is_tag): see the module docstring
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
                while room > 1 and not is_boundary(text, a + room):  # never cut a joined emoji or an accent off
                    room -= 1
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
        text = state.display_text  # the text as drawn (control characters made visible, same offsets)
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

