"""The files ``db-in`` reads, as a stream of records: JSONL, JSON arrays, CSV, CoNLL.

Every file gives :class:`Item` values: where (the path, or ``<stdin>``), the
line the record starts on, and the record (a JSON value) or what is wrong with
it (a :class:`~.native.BadRecord`). Which reader reads a file:

* ``.jsonl`` (and ``-``): one JSON value per line;
* ``.json``: a JSON array of records (doccano's and Label Studio's JSON
  exports; line numbers are those of each element's first character), or
  one object, or JSON lines;
* ``.csv``: doccano's text-classification CSV, a header with ``text`` and
  ``label`` (one row per label; the rows of one text make one record);
* ``.conll``, ``.conllu``, ``.iob``, ``.bio``, ``.tsv`` (or any file with
  ``--format conll``): token-per-line CoNLL/IOB, read by :mod:`.conll`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..errors import Errors
from ..io import open_binary
from .native import BadRecord

CONLL_SUFFIXES = (".conll", ".conllu", ".conll2003", ".iob", ".iob2", ".bio", ".bilou", ".tsv")
KINDS = ("jsonl", "json", "csv", "conll")
# what db-in reads (.txt only with --format conll)
IMPORT_SUFFIXES = (".jsonl", ".json", ".csv", ".txt", *CONLL_SUFFIXES)

_NOT_UTF8 = "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
_ONE_OBJECT = 'write one JSON object per line, e.g. {"text": "..."}'


@dataclass
class Item:
    where: str
    line: int
    data: Any = None
    error: BadRecord | None = None
    fmt: str | None = None  # the reader of the record, when the file's kind says it (CoNLL)


def file_kind(src: str, fmt: str) -> str:
    """How ``src`` is read (one of :data:`KINDS`) under ``--format fmt``; an unknown kind is E421."""
    low = src.lower()
    if fmt == "conll":
        return "conll"
    if src == "-" or low.endswith(".jsonl"):
        return "jsonl"
    if low.endswith(".json"):
        return "json"
    if low.endswith(".csv"):
        return "csv"
    if low.endswith(CONLL_SUFFIXES):
        return "conll"
    raise Errors.E421(where=src)


def iter_items(
    srcs: list[str], fmt: str, stdin: IO[bytes] | None, conll: Callable[[str, str], Iterator[Item]] | None = None
) -> Iterator[Item]:
    """Every record of every source, in order."""
    for src in srcs:
        kind = file_kind(src, fmt)
        where = "<stdin>" if src == "-" else src
        raw = _read(src, stdin) if kind != "jsonl" else None
        if kind == "jsonl":
            if src == "-":
                yield from _jsonl(stdin if stdin is not None else sys.stdin.buffer, where)
            else:
                with open_binary(src) as f:
                    yield from _jsonl(f, where)
            continue
        assert raw is not None
        text, problem = _decode(raw)
        if problem is not None:
            yield Item(where, problem[0], error=BadRecord(problem[1], _NOT_UTF8))
            continue
        if kind == "json":
            yield from _json(text, where)
        elif kind == "csv":
            yield from _csv(text, where)
        else:
            assert conll is not None
            yield from conll(text, where)


def _read(src: str, stdin: IO[bytes] | None) -> bytes:
    if src == "-":
        return (stdin if stdin is not None else sys.stdin.buffer).read()
    with open_binary(src) as f:
        return f.read()


def _decode(raw: bytes) -> tuple[str, tuple[int, str] | None]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return "", (raw.count(b"\n", 0, e.start) + 1, f"invalid UTF-8 at byte {e.start}")


def _jsonl(stream: IO[bytes], where: str) -> Iterator[Item]:
    for i, raw in enumerate(stream, start=1):
        if i == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield Item(where, i, error=BadRecord(f"invalid UTF-8 at byte {e.start}", _NOT_UTF8))
            continue
        if line.strip():
            yield _loads(line, where, i)


def _loads(line: str, where: str, i: int) -> Item:
    try:
        return Item(where, i, json.loads(line))
    except json.JSONDecodeError as e:
        return Item(where, i, error=BadRecord(f"invalid JSON ({e.msg} at column {e.colno})", _ONE_OBJECT))


def _json(text: str, where: str) -> Iterator[Item]:
    """A JSON array of records (line numbers of each element), one JSON object, or JSON lines."""
    start = len(text) - len(text.lstrip())
    if not text[start:start + 1] == "[":
        try:
            yield Item(where, text.count("\n", 0, start) + 1, json.loads(text))
            return
        except json.JSONDecodeError:
            pass
        for i, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield _loads(line, where, i)
        return
    dec = json.JSONDecoder()
    pos = start + 1
    n = len(text)
    first = True
    while True:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos < n and text[pos] == "]":
            return
        if not first:
            if pos < n and text[pos] == ",":
                pos += 1
                while pos < n and text[pos] in " \t\r\n":
                    pos += 1
            else:
                line = text.count("\n", 0, pos) + 1
                yield Item(where, line, error=BadRecord("invalid JSON array (expected ',' or ']')", "write a JSON array of objects"))
                return
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = dec.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            yield Item(where, e.lineno, error=BadRecord(f"invalid JSON ({e.msg} at column {e.colno})", "write a JSON array of objects"))
            return
        first = False
        yield Item(where, line, value)


def _csv(text: str, where: str) -> Iterator[Item]:
    """doccano's classification CSV: columns ``text`` and ``label`` (others kept in ``meta``); rows of one text merge."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    cols = [h.strip().lower() for h in header]
    if "text" not in cols:
        yield Item(where, 1, error=BadRecord(f"CSV header {header!r} has no 'text' column", "name the columns text,label (doccano's CSV)"))
        return
    ti = cols.index("text")
    li = cols.index("label") if "label" in cols else None
    records: dict[str, tuple[int, dict[str, Any]]] = {}
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) <= ti:
            yield Item(where, line, error=BadRecord("CSV row has no text column", "give every row a text"))
            continue
        text_ = row[ti]
        rec = records.get(text_)
        if rec is None:
            extra = {cols[k]: row[k] for k in range(len(row)) if k not in (ti, li) and k < len(cols) and cols[k]}
            head: dict[str, Any] = {"text": text_, "label": []}
            if "id" in extra:
                rid = extra.pop("id")
                head["id"] = int(rid) if rid.isdigit() else rid
            if extra:
                head["meta"] = extra
            rec = records[text_] = (line, head)
        if li is not None and li < len(row) and row[li].strip():
            labels = rec[1]["label"]
            if row[li].strip() not in labels:
                labels.append(row[li].strip())
    for line, rec in records.values():
        yield Item(where, line, rec)
