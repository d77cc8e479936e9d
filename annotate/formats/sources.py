"""Input files of ``db-in``: JSONL, JSON arrays, doccano's CSV, CoNLL.

:func:`iter_records` yields ``(where, line, record, problem)`` for every
record of JSON files: ``record`` is the parsed JSON value (None when
``problem`` says why the line could not be read). In a JSON array, ``line`` is
the line where the element starts, so an error names the place in the file a
user can open. A file whose first character is ``[`` is read as an array,
anything else line by line; a ``.json`` file holding a single object is one
record.

:func:`iter_items` reads every kind of file ``db-in`` takes, as
:class:`Item` values (:func:`file_kind` says which reader reads a file):

* ``.jsonl``, ``.json`` (and ``-``): as above;
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

from ..errors import AnnotateError, Errors
from ..io import MAX_DEPTH, loads_strict, open_binary
from .native import BadRecord


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    v = float(text)
    if v - v != 0.0:  # inf or nan (1e400)
        raise ValueError(f"{text} does not fit in a 64-bit float")
    return v


def _strict_problem(line: str) -> str | None:
    """What the strict reader (no NaN/Infinity, no lone surrogate, bounded nesting) finds wrong, or None."""
    try:
        loads_strict(line, "", None)
    except AnnotateError as e:
        return e.message
    return None

Row = tuple[str, int, Any, str | None]

_FIX_JSON = 'write one JSON object per line, e.g. {"text": "..."}, or one JSON array of objects'


def iter_records(sources: list[str], stdin: IO[bytes] | None = None) -> Iterator[Row]:
    for src in sources:
        if src == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _records_of(stream, "<stdin>")
            continue
        with open_binary(src) as f:
            yield from _records_of(f, src)


def _first_char(stream: IO[bytes]) -> tuple[bytes, bytes]:
    """(first non-blank byte or b'', the bytes read to find it) without losing them."""
    head = b""
    while True:
        chunk = stream.read(4096)
        if not chunk:
            return b"", head
        head += chunk
        body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
        stripped = body.lstrip()
        if stripped:
            return stripped[:1], head


def _records_of(stream: IO[bytes], where: str) -> Iterator[Row]:
    first, head = _first_char(stream)
    if first == b"[":
        yield from _array_of(head + stream.read(), where)
        return
    if first == b"{" and where.lower().endswith(".json"):
        # one (pretty-printed) object, or JSONL under a .json name
        raw = head + stream.read()
        try:
            obj = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            yield from _lines_of(raw.splitlines(keepends=True), where)
            return
        yield where, _line_of_first(raw), obj, None
        return
    yield from _lines_of(_Chain(head, stream), where)


def _line_of_first(raw: bytes) -> int:
    """The line of the first ``{`` in ``raw``."""
    return raw.count(b"\n", 0, raw.index(b"{")) + 1


class _Chain:
    """The bytes already read, then the rest of the stream, line by line."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head = head
        self.stream = stream

    def __iter__(self) -> Iterator[bytes]:
        if not self.head:
            yield from self.stream
            return
        lines = self.head.splitlines(keepends=True)
        last = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        yield from lines
        rest = iter(self.stream)
        if last:
            yield last + next(rest, b"")
        yield from rest


def _lines_of(stream: Any, where: str) -> Iterator[Row]:
    for i, raw in enumerate(stream, start=1):
        if i == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield where, i, None, f"invalid UTF-8 at byte {e.start}"
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_constant=_no_constant, parse_float=_finite)
        except json.JSONDecodeError as e:
            yield where, i, None, f"invalid JSON ({e.msg} at column {e.colno})"
            continue
        except (ValueError, RecursionError):  # NaN/Infinity/1e400, or nested past Python's limit
            obj = None
        if obj is None or "\\u" in line or line.count("[") + line.count("{") > MAX_DEPTH:
            # the rare line with NaN, a \u escape or deep nesting: the strict reader says what is wrong
            problem = _strict_problem(line)
            if problem is not None:
                yield where, i, None, problem
                continue
        yield where, i, obj, None


def _array_of(raw: bytes, where: str) -> Iterator[Row]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        yield where, raw.count(b"\n", 0, e.start) + 1, None, f"invalid UTF-8 at byte {e.start}"
        return
    dec = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)
    pos = text.index("[") + 1
    line, counted = 1, 0

    def at(p: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, p)
        counted = p
        return line

    n = len(text)
    expect_value = True
    while True:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            yield where, at(pos), None, "invalid JSON (the array is not closed with ])"
            return
        ch = text[pos]
        if ch == "]":
            rest = text[pos + 1:]
            if rest.strip():
                yield where, at(pos + 1 + (len(rest) - len(rest.lstrip()))), None, "invalid JSON (text after the closing ])"
            return
        if ch == "," and not expect_value:
            pos += 1
            expect_value = True
            continue
        try:
            value, end = dec.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            yield where, at(e.pos), None, f"invalid JSON ({e.msg}); the rest of the array was not read"
            return
        except (ValueError, RecursionError) as e:
            yield where, at(pos), None, f"not standard JSON ({e}); the rest of the array was not read"
            return
        yield where, at(pos), value, None
        pos = end
        expect_value = False


CONLL_SUFFIXES = (".conll", ".conllu", ".conll2003", ".iob", ".iob2", ".bio", ".bilou", ".tsv")
KINDS = ("jsonl", "json", "csv", "conll")
# what db-in reads (.txt only with --format conll)
IMPORT_SUFFIXES = (".jsonl", ".json", ".csv", ".txt", *CONLL_SUFFIXES)

_NOT_UTF8 = "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"


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
        if kind in ("jsonl", "json"):
            for w, line, data, problem in iter_records([src], stdin):
                if problem is None:
                    yield Item(w, line, data)
                else:
                    yield Item(w, line, error=BadRecord(problem, _NOT_UTF8 if "UTF-8" in problem else _FIX_JSON))
            continue
        text, bad = _decode(_read(src, stdin))
        if bad is not None:
            yield Item(where, bad[0], error=BadRecord(bad[1], _NOT_UTF8))
            continue
        if kind == "csv":
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
