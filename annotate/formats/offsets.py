"""Span offsets from other tools, checked against the text before they are stored.

Our offsets are Python code points. Tools written in JavaScript (older Label
Studio, doccano) count UTF-16 code units instead, which differ after every
character outside the Basic Multilingual Plane (emoji, some CJK): a span
stored as given would be shifted (``'bus a '`` for ``Airbus``).

:func:`check_span` compares a span's own ``text`` (when the tool wrote one)
with ``text[start:end]``:

* equal: the offsets are kept;
* equal once the offsets are read as UTF-16 code units: they are converted and
  a note says so (the importer reports it);
* anything else: :class:`~.native.BadRecord` naming the span, which the
  importer reports as ``file:line: span ...; fix: ...``.

A span without a ``text`` can only be checked against the text's length.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from .native import BadRecord


def _utf16_to_cp(text: str) -> list[int]:
    """``units[i]``: the UTF-16 offset of code point ``i`` (and of the end, at ``len(text)``)."""
    out = [0] * (len(text) + 1)
    pos = 0
    for i, ch in enumerate(text):
        out[i] = pos
        pos += 2 if ord(ch) > 0xFFFF else 1
    out[len(text)] = pos
    return out


def from_utf16(text: str, start: int, end: int) -> tuple[int, int] | None:
    """UTF-16 offsets ``start``/``end`` of ``text`` as code points, or None when one falls inside a character."""
    units = _utf16_to_cp(text)
    a, b = bisect_left(units, start), bisect_left(units, end)
    if a > len(text) or b > len(text) or units[a] != start or units[b] != end:
        return None
    return a, b


def check_span(
    text: str, span: dict[str, Any], where: str | None = None, line: int | None = None
) -> tuple[int, int, str | None]:
    """(start, end, note) of ``span`` (``start``, ``end``, optional ``text`` and ``label``) in ``text``.

    ``note`` is None when the offsets were right as given, else a one-line
    message saying they were converted from UTF-16 (``where``/``line`` name the
    place in it). A span whose ``text`` is not in the text at its offsets,
    however counted, raises :class:`~.native.BadRecord`.
    """
    start, end = span["start"], span["end"]
    label = span.get("label", "")
    given = span.get("text")
    what = f"span {start}-{end} {label} {given!r}" if isinstance(given, str) else f"span {start}-{end} {label}"
    fix = "correct the span's start/end (Python code points) or its text"
    if not isinstance(given, str):
        if not 0 <= start < end <= len(text):
            raise BadRecord(f"{what} falls outside the text (length {len(text)})", fix)
        return start, end, None
    if 0 <= start < end <= len(text) and text[start:end] == given:
        return start, end, None
    if len(text.encode("utf-16-le")) != 2 * len(text):  # some characters take two UTF-16 units
        conv = from_utf16(text, start, end)
        if conv is not None and text[conv[0]:conv[1]] == given:
            place = "" if where is None else (f"{where}:{line}: " if line is not None else f"{where}: ")
            return conv[0], conv[1], f"{place}{what} had UTF-16 offsets; converted to {conv[0]}-{conv[1]}"
    found = text[start:end] if 0 <= start < end <= len(text) else None
    if found is None:
        raise BadRecord(f"{what} falls outside the text (length {len(text)})", fix)
    raise BadRecord(f"{what} does not match the text at {start}-{end} ({found!r})", fix)
