"""db-in's input files: JSONL or a JSON array, each record with the line where it starts."""

from __future__ import annotations

import json

import pytest

from annotate.formats.imports import import_records
from annotate.formats.sources import iter_records
from annotate.io import text_stream


def _items(tmp_path, body: bytes, name="in.json"):
    p = tmp_path / name
    p.write_bytes(body)
    return [(line, rec, problem) for _, line, rec, problem in iter_records([str(p)])]


def test_sources_json_array_records_carry_the_line_they_start_on(tmp_path):
    body = json.dumps([{"text": "un"}, {"text": "deux", "x": [1, 2]}], indent=2).encode()
    assert _items(tmp_path, b"\xef\xbb\xbf" + body) == [(2, {"text": "un"}, None), (5, {"text": "deux", "x": [1, 2]}, None)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'[{"text": "un"},\n {"text": ]', [(1, {"text": "un"}, None), (2, None, "invalid JSON (Expecting value); the rest of the array was not read")]),
        (b'[{"text": "un"}\n', [(1, {"text": "un"}, None), (2, None, "invalid JSON (the array is not closed with ])")]),
        (b'[{"text": "un"}]\n{"text": "deux"}\n', [(1, {"text": "un"}, None), (2, None, "invalid JSON (text after the closing ])")]),
        (b'[\n]\n', []),
        (b'[{"text": "caf\xe9"}]', [(1, None, "invalid UTF-8 at byte 14")]),
    ],
    ids=["bad-element", "not-closed", "trailing", "empty", "latin1"],
)
def test_sources_broken_json_array_names_the_line(tmp_path, body, expected):
    assert _items(tmp_path, body) == expected


def test_sources_jsonl_with_a_long_first_line_is_read_line_by_line(tmp_path):
    long = {"text": "x" * 10_000}
    body = (json.dumps(long) + "\n" + json.dumps({"text": "b"}) + "\n\n" + '{"text": ').encode()
    got = _items(tmp_path, body, "in.jsonl")
    assert [(line, problem) for line, _, problem in got] == [(1, None), (2, None), (4, "invalid JSON (Expecting value at column 10)")]
    assert got[0][1] == long


def test_sources_json_array_on_stdin(store):
    data = json.dumps([{"text": "un", "answer": "accept"}, {"text": "deux"}])
    report = import_records(store, "in", ["-"], strict=True, stdin=text_stream(data))
    assert (report.decisions, report.tasks) == (1, 1)


def test_sources_json_file_with_one_pretty_printed_object_is_one_record(tmp_path):
    task = {"data": {"text": "Orange recrute."}, "annotations": []}
    assert _items(tmp_path, b"\n" + json.dumps(task, indent=2).encode()) == [(2, task, None)]
    # JSONL under a .json name is still read line by line
    assert _items(tmp_path, b'{"text": "un"}\n{"text": "deux"}\n') == [(1, {"text": "un"}, None), (2, {"text": "deux"}, None)]
