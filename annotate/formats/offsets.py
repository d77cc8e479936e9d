"""Span offsets from other tools, checked against the text they claim to cover.

Offsets in this toolkit are Python code points. Other tools count otherwise:
tools written in JavaScript (doccano, older Label Studio) count UTF-16 code
units, some tools UTF-8 bytes, some user-perceived characters (grapheme
clusters). The counts agree on ASCII and Latin text and part ways after the
first emoji or combining accent, which is how a span ``"Airbus"`` gets stored
as ``"bus a "``.

:func:`check_span` compares a span's own ``text`` (when the tool wrote one)
with ``text[start:end]``:

* equal: the offsets are kept;
* equal once the offsets are read as UTF-16 units, grapheme clusters or
  UTF-8 bytes: they are converted and a note says so (the importer counts
  and reports it);
* anything else: :class:`~.native.BadRecord` naming the span, which the
  importer reports as ``file:line: span ...; fix: ...``.

The span's ``text`` is checked, never overwritten. A span without a ``text``
can only be checked against the text's length; :func:`guess_unit` tells
UTF-16 offsets of such spans (doccano's ``[start, end, label]``) by where
they fall on the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..graphemes import extends as _extends
from ..graphemes import is_regional_indicator
from .native import BadRecord

CODEPOINTS = "codepoints"
UTF16 = "utf16"
UTF8 = "utf8"
GRAPHEMES = "graphemes"
# tried in this order when the offsets do not match in code points
UNITS = (UTF16, GRAPHEMES, UTF8)


@dataclass(frozen=True)
class SpanOffsets:
    """A checked span: code-point offsets, and the unit the input offsets were in."""

    start: int
    end: int
    unit: str = CODEPOINTS

    @property
    def converted(self) -> bool:
        return self.unit != CODEPOINTS


def _utf16_units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _boundaries(text: str, unit: str) -> list[int]:
    """``b[i]``: the offset, in ``unit``, of code point ``i`` (and ``b[len(text)]`` the length).

    For graphemes the offset of a code point inside a cluster is that of its cluster.
    """
    out = [0] * (len(text) + 1)
    pos = 0
    ri_run = 0  # regional indicators pair up into flags
    prev = ""
    for i, ch in enumerate(text):
        if unit == UTF16:
            out[i] = pos
            pos += _utf16_units(ch)
        elif unit == UTF8:
            out[i] = pos
            pos += len(ch.encode("utf-8", "surrogatepass"))
        else:
            is_ri = is_regional_indicator(ch)
            joins = i > 0 and (_extends(prev, ch) or (is_ri and ri_run % 2 == 1))
            if not joins:
                pos += 1 if i > 0 else 0
            out[i] = pos
            ri_run = ri_run + 1 if is_ri else 0
            prev = ch
    if unit == GRAPHEMES:
        out[len(text)] = pos + 1 if text else 0
    else:
        out[len(text)] = pos
    return out


def _to_codepoints(text: str, start: int, end: int, unit: str) -> tuple[int, int] | None:
    """``start``/``end`` counted in ``unit`` as code points, or None when they fall inside a character."""
    if unit == CODEPOINTS:
        return start, end
    b = _boundaries(text, unit)
    index: dict[int, int] = {}
    for i, off in enumerate(b):
        index.setdefault(off, i)  # a grapheme offset maps to its cluster's first code point
    # an end offset k is where character k starts (the end of the text for the last)
    s, e = index.get(start), index.get(end)
    if s is None or e is None:
        return None
    return s, e


def convert_offsets(text: str, start: int, end: int, unit: str) -> tuple[int, int] | None:
    """Offsets counted in ``unit`` (``utf16``, ``utf8``, ``graphemes`` or ``codepoints``) as code points."""
    if unit not in (CODEPOINTS, *UNITS):
        raise ValueError(f"unknown offset unit {unit!r}")
    return _to_codepoints(text, start, end, unit)


def needs_conversion(text: str) -> bool:
    """Whether any other count can differ from code points on ``text`` (not on ASCII)."""
    return not text.isascii()


def span_offsets(text: str, span: dict[str, Any]) -> SpanOffsets:
    """The code-point offsets of ``span`` (``start``, ``end``, optional ``text`` and ``label``) and the unit
    they were counted in; :class:`~.native.BadRecord` when its text is at its offsets in no count."""
    start, end = span.get("start"), span.get("end")
    label = span.get("label", "")
    given = span.get("text")
    what = f"span {start}-{end} {label} {given!r}" if isinstance(given, str) else f"span {start}-{end} {label}"
    fix = "correct the span's start/end (Python code points) or its text"
    if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
        raise BadRecord(f"{what}: start and end are not integers", "give character offsets as integers")
    if not isinstance(given, str):
        if 0 <= start < end <= len(text):
            return SpanOffsets(start, end)
        # past the end in code points: UTF-16 units (astral characters before it) may explain it
        if any(ord(c) > 0xFFFF for c in text):
            conv = _to_codepoints(text, start, end, UTF16)
            if conv is not None and conv[0] < conv[1]:
                return SpanOffsets(conv[0], conv[1], UTF16)
        raise BadRecord(f"{what} falls outside the text (length {len(text)})", fix)
    if 0 <= start < end <= len(text) and text[start:end] == given:
        return SpanOffsets(start, end)
    if needs_conversion(text):
        for unit in UNITS:
            conv = _to_codepoints(text, start, end, unit)
            if conv is not None and text[conv[0]:conv[1]] == given:
                return SpanOffsets(conv[0], conv[1], unit)
    if not 0 <= start < end <= len(text):
        raise BadRecord(f"{what} falls outside the text (length {len(text)})", fix)
    raise BadRecord(f"{what} does not match the text at {start}-{end} ({text[start:end]!r})", fix)


_UNIT_NAMES = {UTF16: "UTF-16", GRAPHEMES: "grapheme", UTF8: "UTF-8 byte"}


def check_span(
    text: str, span: dict[str, Any], where: str | None = None, line: int | None = None
) -> tuple[int, int, str | None]:
    """(start, end, note) of ``span`` (``start``, ``end``, optional ``text`` and ``label``) in ``text``.

    ``note`` is None when the offsets were right as given, else a one-line
    message saying what they were converted from (``where``/``line`` name the
    place in it). A span whose ``text`` is not in the text at its offsets,
    however counted, raises :class:`~.native.BadRecord`.
    """
    got = span_offsets(text, span)
    if not got.converted:
        return got.start, got.end, None
    given = span.get("text")
    what = f"span {span['start']}-{span['end']} {span.get('label', '')}" + (f" {given!r}" if isinstance(given, str) else "")
    place = "" if where is None else (f"{where}:{line}: " if line is not None else f"{where}: ")
    return got.start, got.end, f"{place}{what} had {_UNIT_NAMES[got.unit]} offsets; converted to {got.start}-{got.end}"


def from_utf16(text: str, start: int, end: int) -> tuple[int, int] | None:
    """UTF-16 offsets ``start``/``end`` of ``text`` as code points, or None when one falls inside a character."""
    return _to_codepoints(text, start, end, UTF16)


def _edges_ok(text: str, start: int, end: int) -> int:
    """How many of a span's two edges fall on word boundaries, without whitespace inside the edge."""
    if not 0 <= start < end <= len(text):
        return -1
    ok = 0
    if (start == 0 or not text[start - 1].isalnum() or not text[start].isalnum()) and not text[start].isspace():
        ok += 1
    if (end == len(text) or not text[end].isalnum() or not text[end - 1].isalnum()) and not text[end - 1].isspace():
        ok += 1
    return ok


def guess_unit(text: str, spans: list[tuple[int, int]]) -> str:
    """The unit the offsets of spans *without* a text are most likely counted in: ``utf16`` or ``codepoints``.

    The two differ only after an astral character (an emoji, say). Then the
    offsets are read in UTF-16 units when that puts strictly more span edges on
    word boundaries than code points do (``"Airbus"``, not ``"bus a "``).
    """
    if not spans or all(ord(c) <= 0xFFFF for c in text):
        return CODEPOINTS
    cp = sum(_edges_ok(text, s, e) for s, e in spans)
    u16 = 0
    for s, e in spans:
        conv = _to_codepoints(text, s, e, UTF16)
        u16 += -1 if conv is None else _edges_ok(text, *conv)
    return UTF16 if u16 > cp else CODEPOINTS
