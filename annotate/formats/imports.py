"""Data in: JSONL records of any registered format into the store (``annotate db-in``).

Formats are recognised per record, by the readers of :data:`READERS` in
order (the first whose ``detect`` matches reads the record):

* :mod:`.doccano`: doccano's sequence-labelling, entity and classification exports;
* :mod:`.prodigy`: Prodigy's task shape, which is also this toolkit's own JSONL (the fallback).

Adding a format is a module with a :class:`~.native.Reader` and an entry in
:data:`READERS`. Every record then goes through :func:`.native.finish_task`.

A record with an ``answer`` becomes a decision (its ``_annotator_id``,
``_session_id`` and ``_timestamp`` are kept when present, so that exported
data imported again exports to the same bytes); a record without one becomes
a task to review. Labels not in ``labels/`` are counted and reported;
``label_map`` renames labels (spans and themes) first.

Malformed lines are reported as ``path:line: what; fix``. By default they are
skipped and the rest is imported; ``strict=True`` imports in ONE transaction:
any error (a malformed line, a value the store refuses) stores nothing and
names the file and line.

An import is idempotent: a decision already stored (same task, annotator,
answer, timestamp when the record has one, and content: see
:func:`annotate.store.keys.decision_key`) is not stored again, and a task
already stored is not added again, so running an import twice, or again after
it was killed, ends with exactly the input's decisions and tasks.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import AnnotateError, Errors
from ..io import MAX_DEPTH, check_not_empty, loads_strict, open_binary
from . import doccano, prodigy
from .native import BadRecord, Reader, finish_task, start_task

_BATCH = 500

# format name -> reader, tried in this order; the last one (prodigy) reads any record with a text
READERS: dict[str, Reader] = {r.name: r for r in (doccano.READER, prodigy.READER)}


def detect_format(data: dict[str, Any]) -> Reader:
    """The reader of the first registered format that recognises ``data``."""
    for reader in READERS.values():
        if reader.detect(data):
            return reader
    raise BadRecord("record is in no known format", "write Prodigy, doccano or annotate JSONL")


def parse_label_map(items: Iterable[str]) -> dict[str, str]:
    """``["OLD=NEW", ...]`` -> ``{"OLD": "NEW"}``; a bad item is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise Errors.E420(item=item)
        out[old.strip()] = new.strip()
    return out


@dataclass
class Issue:
    where: str
    line: int | None
    message: str
    fix: str

    def render(self) -> str:
        place = self.where if self.line is None else f"{self.where}:{self.line}"
        return f"{place}: {self.message}; fix: {self.fix}"


@dataclass
class ImportReport:
    dataset: str
    sources: list[str] = field(default_factory=list)
    records: int = 0
    decisions: int = 0
    tasks: int = 0
    duplicates: int = 0
    already: int = 0  # decisions already stored (an import run again)
    formats: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    unknown_labels: dict[str, int] = field(default_factory=dict)
    unknown_themes: dict[str, int] = field(default_factory=dict)
    renamed: dict[str, int] = field(default_factory=dict)
    skipped: list[Issue] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self, *, known_labels: list[str] | None = None, known_themes: list[str] | None = None) -> list[str]:
        from ..labels import did_you_mean

        out = [
            f"db-in {self.dataset!r}: {self.records} record(s) read from {', '.join(self.sources)}: "
            f"{self.decisions} decision(s), {self.tasks} task(s) to review"
            + (f" ({self.duplicates} duplicate task(s) not added)" if self.duplicates else "")
            + (f" ({self.already} decision(s) already stored, not added again)" if self.already else "")
            + f" in {self.seconds:.1f}s"
        ]
        if self.formats:
            out.append("  formats: " + ", ".join(f"{k} {v}" for k, v in sorted(self.formats.items())))
        if self.answers:
            out.append("  answers: " + ", ".join(f"{k} {v}" for k, v in sorted(self.answers.items())))
        out.append("  spans per label: " + (", ".join(f"{k} {v}" for k, v in sorted(self.labels.items())) or "none"))
        if self.renamed:
            out.append("  renamed: " + ", ".join(f"{k} {v}" for k, v in sorted(self.renamed.items())))
        for name, n in sorted(self.unknown_labels.items()):
            hint = did_you_mean(name, known_labels) if known_labels else ""
            out.append(f"  unknown label {name!r} in {n} span(s), not in labels/: {hint} rename it with --label-map {name}=NEW")
        for name, n in sorted(self.unknown_themes.items()):
            hint = did_you_mean(name, known_themes) if known_themes else ""
            out.append(f"  unknown theme {name!r} in {n} record(s), not in labels/themes.toml: {hint} rename it with --label-map {name}=NEW")
        if self.skipped:
            out.append(f"  skipped {len(self.skipped)} malformed line(s):")
            out.extend(f"    {i.render()}" for i in self.skipped[:50])
            if len(self.skipped) > 50:
                out.append(f"    ... and {len(self.skipped) - 50} more")
        return out


def _iter_lines(sources: list[str], stdin: IO[bytes] | None) -> Iterator[tuple[str, int, str | None, str | None]]:
    """(where, line number, text or None, decoding problem or None) for every non-empty line."""
    for src in sources:
        if src == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _lines_of(stream, "<stdin>")
            continue
        with open_binary(src) as f:
            yield from _lines_of(f, src)


def _lines_of(stream: IO[bytes], where: str) -> Iterator[tuple[str, int, str | None, str | None]]:
    for i, raw in enumerate(stream, start=1):
        if i == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield where, i, None, f"invalid UTF-8 at byte {e.start}"
            continue
        if line.strip():
            yield where, i, line, None


def normalize_record(
    data: Any, *, label_map: dict[str, str] | None = None, lang: str | None = None
) -> tuple[dict[str, Any], str | None, str]:
    """One input record -> (task, answer or None, format name). Raises :class:`BadRecord` when malformed."""
    task, text = start_task(data)
    reader = detect_format(data)
    raw = reader.read(data, task)
    task, answer = finish_task(data, task, text, raw, reader, label_map=label_map or {}, lang=lang)
    return task, answer, reader.name


def import_records(
    store: Any,
    dataset: str,
    sources: Iterable[str | Path],
    *,
    label_map: dict[str, str] | None = None,
    entity_labels: list[str] | None = None,
    theme_names: list[str] | None = None,
    strict: bool = False,
    lang: str | None = None,
    annotator: str = "import",
    session: str | None = None,
    stdin: IO[bytes] | None = None,
) -> ImportReport:
    """Import JSONL records into ``dataset``: decisions for records with an answer, tasks for the others."""
    t0 = time.perf_counter()
    srcs = check_not_empty(sources)
    for s in srcs:
        if s != "-" and not s.lower().endswith(".jsonl"):
            raise Errors.E421(where=s)
    label_map = label_map or {}
    session = session or f"{dataset}-import-{int(time.time())}"
    report = ImportReport(dataset=dataset, sources=["<stdin>" if s == "-" else s for s in srcs])

    if strict:
        # one transaction: a line the reader or the store refuses rolls back everything before it
        try:
            with store.transaction():
                _import_lines(store, dataset, srcs, stdin, report, label_map, lang, annotator, session,
                              entity_labels, theme_names, strict=True)
        except BadLine as e:
            raise Errors.E422(message=e.message, fix=e.fix, where=e.where, line=e.line) from None
    else:
        _import_lines(store, dataset, srcs, stdin, report, label_map, lang, annotator, session,
                      entity_labels, theme_names, strict=False)
    report.seconds = time.perf_counter() - t0
    return report


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _finite(text: str) -> float:
    v = float(text)
    if v - v != 0.0:  # inf or nan (1e400)
        raise ValueError(text)
    return v


def _parse(line: str | None, problem: str | None, label_map: dict[str, str], lang: str | None) -> tuple[Any, dict[str, Any], str | None, str]:
    if problem is not None or line is None:
        raise BadRecord(problem or "unreadable line", "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")
    try:
        data = json.loads(line, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as e:
        raise BadRecord(f"invalid JSON ({e.msg} at column {e.colno})", 'write one JSON object per line, e.g. {"text": "..."}') from None
    except (ValueError, RecursionError):  # NaN/Infinity, or nested past Python's limit
        data = None
    if data is None or "\\u" in line or line.count("[") + line.count("{") > MAX_DEPTH:
        # the rare line with NaN, a \u escape or deep nesting: the strict reader says exactly what is wrong
        try:
            data = loads_strict(line, "", None)
        except AnnotateError as e:
            raise BadRecord(e.message, e.fix or "write standard JSON") from None
    task, answer, fmt = normalize_record(data, label_map=label_map, lang=lang)
    return data, task, answer, fmt


class BadLine(Exception):
    def __init__(self, where: str, line: int, message: str, fix: str) -> None:
        super().__init__(message)
        self.where, self.line, self.message, self.fix = where, line, message, fix


def _import_lines(
    store: Any, dataset: str, srcs: list[str], stdin: IO[bytes] | None, report: ImportReport,
    label_map: dict[str, str], lang: str | None, annotator: str, session: str,
    entity_labels: list[str] | None, theme_names: list[str] | None, *, strict: bool,
) -> None:
    formats, answers, labels = report.formats, report.answers, report.labels
    unknown_labels, unknown_themes, renamed = report.unknown_labels, report.unknown_themes, report.renamed
    known_l = set(entity_labels) if entity_labels is not None else None
    known_t = set(theme_names) if theme_names is not None else None
    batch: list[dict[str, Any]] = []
    decisions: list[tuple[dict[str, Any], str, str, str, float, float | None]] = []
    where_of: list[tuple[str, int]] = []

    def flush() -> None:
        if batch:
            added, dups = store.add_tasks(dataset, batch)
            report.tasks += added
            report.duplicates += dups
            batch.clear()
        if decisions:
            try:
                added, dups = store.add_decisions(dataset, decisions)
            except AnnotateError as e:
                if strict and e.code != "E902":
                    first = where_of[0]
                    raise BadLine(first[0], first[1], f"{e.message} (in lines {first[1]}-{where_of[-1][1]})",
                                  e.fix or "correct the record") from None
                raise
            report.decisions += added
            report.already += dups
            decisions.clear()
            where_of.clear()

    for where, i, line, problem in _iter_lines(srcs, stdin):
        try:
            data, task, answer, fmt = _parse(line, problem, label_map, lang)
        except BadRecord as e:
            if strict:
                raise BadLine(where, i, e.message, e.fix) from None
            report.skipped.append(Issue(where, i, e.message, e.fix))
            continue
        report.records += 1
        _bump(formats, fmt)
        for s, raw in zip(task["spans"], READERS[fmt].raw_labels(data), strict=False):
            _bump(labels, s["label"])
            if raw != s["label"]:
                _bump(renamed, f"{raw}->{s['label']}")
            if known_l is not None and s["label"] not in known_l:
                _bump(unknown_labels, s["label"])
        for t in task.get("accept") or []:
            if known_t is not None and t not in known_t:
                _bump(unknown_themes, t)
        if answer is None:
            batch.append(task)
        else:
            _bump(answers, answer)
            seconds = data.get("_seconds", 0.0)
            ts = data.get("_timestamp")
            decisions.append((
                task,
                answer,
                str(data.get("_annotator_id") or annotator),
                str(data.get("_session_id") or session),
                float(seconds) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else 0.0,
                float(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else None,
            ))
            where_of.append((where, i))
        if len(batch) >= _BATCH or len(decisions) >= _BATCH:
            flush()
    flush()


def _bump(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1
