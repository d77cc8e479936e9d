"""Offsets from other tools checked against the span's own text (annotate/formats/offsets.py)."""

from __future__ import annotations

import json

import pytest

from annotate.formats.imports import import_records
from annotate.formats.native import BadRecord
from annotate.formats.offsets import GRAPHEMES, UTF8, UTF16, check_span, convert_offsets, span_offsets

# an astral emoji (2 UTF-16 units, 4 UTF-8 bytes, 1 grapheme) and a decomposed accent (2 code points, 1 grapheme)
TEXT = "🚀 Re\u0301mi et Airbus livrent."


def _units(text: str, start: int, end: int, unit: str) -> tuple[int, int]:
    """Offsets of text[start:end] counted in ``unit`` (written independently of the module)."""
    if unit == UTF16:
        f = lambda i: len(text[:i].encode("utf-16-le")) // 2  # noqa: E731
    elif unit == UTF8:
        f = lambda i: len(text[:i].encode("utf-8"))  # noqa: E731
    else:  # graphemes of this text: every code point but the combining accent starts one
        f = lambda i: sum(1 for c in text[:i] if c != "\u0301")  # noqa: E731
    return f(start), f(end)


@pytest.mark.parametrize("unit", [UTF16, UTF8, GRAPHEMES])
@pytest.mark.parametrize("word", ["Airbus", "livrent"])
def test_offsets_other_units_are_converted_and_said(unit, word):
    s = TEXT.index(word)
    a, b = _units(TEXT, s, s + len(word), unit)
    assert (a, b) != (s, s + len(word))  # the counts really differ here
    got = span_offsets(TEXT, {"start": a, "end": b, "label": "ORG", "text": word})
    assert (got.start, got.end, got.unit, got.converted) == (s, s + len(word), unit, True)
    start, end, note = check_span(TEXT, {"start": a, "end": b, "label": "ORG", "text": word}, "in.json", 4)
    assert (start, end) == (s, s + len(word)) and note.startswith(f"in.json:4: span {a}-{b} ORG {word!r} had ")


def test_offsets_code_points_pass_unchanged():
    s = TEXT.index("Airbus")
    assert check_span(TEXT, {"start": s, "end": s + 6, "text": "Airbus"}) == (s, s + 6, None)


def test_offsets_mismatch_nothing_explains_names_the_span():
    with pytest.raises(BadRecord) as e:
        check_span(TEXT, {"start": 2, "end": 8, "label": "ORG", "text": "Boeing"}, "in.jsonl", 7)
    assert e.value.message.startswith("span 2-8 ORG 'Boeing' does not match the text at 2-8")


def test_offsets_convert_inside_a_character_is_none():
    assert convert_offsets(TEXT, 1, 3, UTF16) is None  # offset 1 is inside the emoji's surrogate pair


def test_offsets_import_converts_and_counts_utf16_spans(store, tmp_path):
    src = tmp_path / "in.jsonl"
    s = TEXT.index("Airbus")
    a, b = _units(TEXT, s, s + 6, UTF16)
    src.write_text(json.dumps({"text": TEXT, "spans": [{"start": a, "end": b, "label": "ORG", "text": "Airbus"}],
                               "answer": "accept"}) + "\n", encoding="utf-8")
    report = import_records(store, "o", [src])
    [d] = store.iter_decisions("o")
    assert [(x["start"], x["end"], x["text"]) for x in d["spans"]] == [(s, s + 6, "Airbus")]
    assert report.converted == {"utf16": 1}
    assert any("span offsets converted to code points: utf16 1" in line for line in report.lines())


def test_offsets_import_mismatch_is_skipped_with_file_line_and_span(store, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "Airbus vole.", "spans": [{"start": 0, "end": 6, "label": "ORG", "text": "Boeing"}],
                               "answer": "accept"}) + "\n", encoding="utf-8")
    report = import_records(store, "o", [src])
    [issue] = report.skipped
    assert issue.line == 1 and "'Boeing' does not match the text" in issue.message
    assert issue.render().startswith(f"{src}:1: span 0-6 ORG 'Boeing'")


def test_offsets_doccano_utf16_without_span_text_read_by_word_boundaries(store, tmp_path):
    """doccano's [start, end, label] carries no text: UTF-16 offsets after an emoji are told by the words."""
    text = "Bravo 🎉 Airbus a livré."
    s = text.index("Airbus")
    a, b = _units(text, s, s + 6, UTF16)
    assert text[a:b] == "bus a " or text[a:b] != "Airbus"
    src = tmp_path / "d.jsonl"
    src.write_text(json.dumps({"id": 1, "text": text, "label": [[a, b, "ORG"]]}) + "\n", encoding="utf-8")
    report = import_records(store, "d", [src])
    [d] = list(store.iter_decisions("d")) or list(store.iter_tasks("d"))
    assert [x["text"] for x in d["spans"]] == ["Airbus"] and report.converted == {"utf16": 1}


def test_offsets_plain_code_points_after_an_emoji_stay(store, tmp_path):
    text = "Bravo 🎉 Airbus a livré."
    s = text.index("Airbus")
    src = tmp_path / "d.jsonl"
    src.write_text(json.dumps({"id": 1, "text": text, "label": [[s, s + 6, "ORG"]]}) + "\n", encoding="utf-8")
    report = import_records(store, "d", [src])
    [d] = list(store.iter_decisions("d")) or list(store.iter_tasks("d"))
    assert [x["text"] for x in d["spans"]] == ["Airbus"] and report.converted == {}
