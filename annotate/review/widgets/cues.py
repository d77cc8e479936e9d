"""Theme evidence in the text: the cue words (``task["cues"]``, stored by ``annotate pre``: each match with its
theme as ``label``) of the themes asked for, as character ranges, and the segments that highlight them."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

from rich.segment import Segment
from rich.style import Style


def cue_ranges(task: dict[str, Any], themes: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """The sorted, merged character ranges of the cues of ``themes`` in ``task`` (its ``cues``)."""
    wanted = set(themes)
    n = len(task.get("text", ""))
    raw = sorted(
        (int(c["start"]), int(c["end"])) for c in task.get("cues") or ()
        if isinstance(c, dict) and c.get("label") in wanted and 0 <= int(c.get("start", -1)) < int(c.get("end", -1)) <= n
    )
    merged: list[list[int]] = []
    for a, b in raw:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


def with_cues(segs: list[Segment], text: str, a: int, b: int, base: Style, ranges: tuple[tuple[int, int], ...],
              cue: Style) -> None:
    """Append ``text[a:b]`` in ``base``, the parts inside ``ranges`` in ``base + cue``."""
    k = max(bisect_right(ranges, (a, a)) - 1, 0)
    pos = a
    while k < len(ranges) and ranges[k][0] < b:
        s, e = max(ranges[k][0], pos), min(ranges[k][1], b)
        if s < e:
            if pos < s:
                segs.append(Segment(text[pos:s], base))
            segs.append(Segment(text[s:e], base + cue))
            pos = e
        k += 1
    if pos < b:
        segs.append(Segment(text[pos:b], base))


def piece_at(text: str, line: list[tuple[int, int, int, bool]], labels: dict[int, str], x: int) -> tuple[int | None, int]:
    """What cell ``x`` of a laid-out line shows: (character offset or None on a label tag, span index or -1)."""
    from rich.cells import cell_len

    from ...graphemes import is_boundary

    pos = 0
    for a, b, owner, is_tag in line:
        if is_tag:
            w = len(labels.get(owner, "")) + 1
            if pos <= x < pos + w:
                return None, owner
            pos += w
            continue
        i = a
        while i < b:  # cluster by cluster: a joined emoji is drawn as one character of its own width
            j = i + 1
            while j < b and not is_boundary(text, j):
                j += 1
            w = cell_len(text[i:j])
            if pos <= x < pos + max(w, 1):
                return i, owner
            pos += w
            i = j
    return None, -1
