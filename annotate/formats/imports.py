"""Data in: JSONL records of any registered format into the store (``annotate db-in``).

Files are JSONL or JSON arrays (:mod:`.sources`). With ``fmt="auto"`` (the
default) formats are recognised per record, by the readers of :data:`READERS`
in order (the first whose ``detect`` matches reads the record), and the report
says what was found in each file; ``fmt=NAME`` reads every record as NAME:

* :mod:`.labelstudio`: Label Studio's JSON export (tasks with annotations and predictions) and JSON_MIN;
* :mod:`.argilla`: Argilla 2 records (fields, responses per user, suggestions), nested or flattened;
* :mod:`.doccano`: doccano's sequence-labelling, entity and classification exports;
* :mod:`.prodigy`: Prodigy's task shape, which is also this toolkit's own JSONL (the fallback).

Adding a format is a module with a :class:`~.native.Reader` and an entry in
:data:`READERS`. Every record then goes through :func:`.native.finish_task`;
a reader with ``expand`` first turns its record into several records of our
own shape (one per decision or task).

A record with an ``answer`` becomes a decision (its ``_annotator_id``,
``_session_id`` and ``_timestamp`` are kept when present, so that exported
data imported again exports to the same bytes); a record without one becomes
a task to review. Labels not in ``labels/`` are counted and reported;
``label_map`` renames labels (spans and themes) first.

Malformed lines are reported as ``path:line: what; fix``. By default they are
skipped and the rest is imported; ``strict=True`` checks the whole input first
and then imports in ONE transaction: any error (a malformed line, a value the
store refuses) stores nothing and names the file and line.

An import is idempotent: a decision already stored (same task, annotator,
answer, timestamp when the record has one, and content: see
:func:`annotate.store.keys.decision_key`) is not stored again, and a task
already stored is not added again, so running an import twice, or again after
it was killed, ends with exactly the input's decisions and tasks.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import AnnotateError, Errors
from ..io import INPUT_SUFFIXES, check_not_empty
from . import argilla, doccano, labelstudio, prodigy
from .native import BadRecord, ReadContext, Reader, finish_task, start_task
from .sources import iter_records

_BATCH = 500

# format name -> reader, tried in this order; the last one (prodigy) reads any record with a text
READERS: dict[str, Reader] = {
    r.name: r for r in (labelstudio.READER, argilla.READER, doccano.READER, prodigy.READER)
}
# other names of a reader for --format
ALIASES = {"annotate": "prodigy"}
MAX_NOTES = 20


def import_formats() -> tuple[str, ...]:
    """The names ``--format`` takes on import: ``auto``, the aliases and every registered reader."""
    return ("auto", *ALIASES, *READERS)


def reader_for(fmt: str | None) -> Reader | None:
    """The reader named ``fmt`` (None for ``auto``); an unknown name is a usage error (E800)."""
    if fmt is None or fmt == "auto":
        return None
    name = ALIASES.get(fmt, fmt)
    if name not in READERS:
        raise Errors.E800(fmt=fmt, formats=", ".join(import_formats()))
    return READERS[name]


def detect_format(data: dict[str, Any]) -> Reader:
    """The reader of the first registered format that recognises ``data``."""
    if not isinstance(data, dict):
        raise BadRecord(f"expected a JSON object, got {type(data).__name__}", 'write one JSON object per line, e.g. {"text": "..."}')
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
    already: int = 0  # decisions already stored (an import run again), not stored twice
    formats: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    unknown_labels: dict[str, int] = field(default_factory=dict)
    unknown_themes: dict[str, int] = field(default_factory=dict)
    renamed: dict[str, int] = field(default_factory=dict)
    skipped: list[Issue] = field(default_factory=list)
    seconds: float = 0.0
    auto: bool = True  # formats recognised per record (--format auto)
    found: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> format -> records
    notes: list[str] = field(default_factory=list)  # converted offsets, parts of records left out

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
        if self.auto:
            for src, found in self.found.items():
                out.append(f"  --format auto found in {src}: " + ", ".join(f"{k} ({v} record(s))" for k, v in sorted(found.items())))
        if self.notes:
            out.extend(f"  {n}" for n in self.notes[:MAX_NOTES])
            if len(self.notes) > MAX_NOTES:
                out.append(f"  ... and {len(self.notes) - MAX_NOTES} more note(s)")
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


def normalize_records(
    data: Any, *, label_map: dict[str, str] | None = None, lang: str | None = None,
    reader: Reader | None = None, context: ReadContext | None = None,
) -> tuple[str, list[tuple[dict[str, Any], dict[str, Any], str | None]]]:
    """One input record -> (format name, [(record read, task, answer or None), ...]).

    ``reader``: the format to read it as (None: recognise it). A format with
    ``expand`` gives several tasks or decisions for one record; the others one.
    Raises :class:`BadRecord` when malformed.
    """
    reader = reader or detect_format(data)
    if reader.expand is None:
        task, text = start_task(data)
        raw = reader.read(data, task)
        task, answer = finish_task(data, task, text, raw, reader, label_map=label_map or {}, lang=lang)
        return reader.name, [(data, task, answer)]
    if not isinstance(data, dict):
        raise BadRecord(f"expected a JSON object, got {type(data).__name__}", "give the file as the tool exported it")
    ctx = context or ReadContext(label_map=label_map or {})
    out = []
    for rec in reader.expand(data, ctx):
        task, text = start_task(rec)
        raw = reader.read(rec, task)
        task, answer = finish_task(rec, task, text, raw, reader, label_map=label_map or {}, lang=lang)
        out.append((rec, task, answer))
    return reader.name, out


def normalize_record(
    data: Any, *, label_map: dict[str, str] | None = None, lang: str | None = None, fmt: str | None = None
) -> tuple[dict[str, Any], str | None, str]:
    """One input record -> (task, answer or None, format name) (the first, for formats that give several)."""
    name, items = normalize_records(data, label_map=label_map, lang=lang, reader=reader_for(fmt))
    if not items:
        raise BadRecord("record gives no task", "give it a text")
    _, task, answer = items[0]
    return task, answer, name


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
    fmt: str | None = "auto",
) -> ImportReport:
    """Import JSONL or JSON-array records into ``dataset``: decisions for records with an answer, tasks for the others.

    ``fmt``: the format of every record (``auto``: recognised per record).
    """
    t0 = time.perf_counter()
    forced = reader_for(fmt)
    srcs = check_not_empty(sources, suffixes=(*INPUT_SUFFIXES, ".json"))
    for s in srcs:
        if s != "-" and not s.lower().endswith((".jsonl", ".json")):
            raise Errors.E421(where=s)
    label_map = label_map or {}
    session = session or f"{dataset}-import-{int(time.time())}"
    report = ImportReport(dataset=dataset, sources=["<stdin>" if s == "-" else s for s in srcs], auto=forced is None)
    ctx = ReadContext(theme_names=frozenset(theme_names) if theme_names is not None else None, label_map=label_map)

    buffered: list[Any] | None = None
    if strict:
        # check everything first; stdin is read once, so keep its lines
        buffered = list(iter_records(srcs, stdin)) if "-" in srcs else None
        lines = buffered if buffered is not None else iter_records(srcs, stdin)
        for where, i, line, problem in lines:
            try:
                _parse(line, problem, label_map, lang, forced, ReadContext(theme_names=ctx.theme_names, label_map=label_map))
            except BadRecord as e:
                raise Errors.E422(message=e.message, fix=e.fix, where=where, line=i) from None

    tally = _Tally(
        known_l=set(entity_labels) if entity_labels is not None else None,
        known_t=set(theme_names) if theme_names is not None else None,
    )
    if strict:
        # and one transaction: a value the store refuses after the check rolls back everything
        try:
            with store.transaction():
                _import_lines(store, dataset, srcs, stdin, buffered, report, tally, label_map, lang, forced, ctx,
                              annotator, session, strict=True)
        except _BadLine as e:
            raise Errors.E422(message=e.message, fix=e.fix, where=e.where, line=e.line) from None
    else:
        _import_lines(store, dataset, srcs, stdin, buffered, report, tally, label_map, lang, forced, ctx,
                      annotator, session, strict=False)
    report.formats = dict(tally.formats)
    report.found = {k: dict(v) for k, v in tally.found.items()}
    report.answers = dict(tally.answers)
    report.labels = dict(tally.labels)
    report.unknown_labels = dict(tally.unknown_labels)
    report.unknown_themes = dict(tally.unknown_themes)
    report.renamed = dict(tally.renamed)
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class _Tally:
    known_l: set[str] | None
    known_t: set[str] | None
    formats: Counter[str] = field(default_factory=Counter)
    found: dict[str, Counter[str]] = field(default_factory=dict)
    answers: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    unknown_labels: Counter[str] = field(default_factory=Counter)
    unknown_themes: Counter[str] = field(default_factory=Counter)
    renamed: Counter[str] = field(default_factory=Counter)

    def count(self, data: dict[str, Any], task: dict[str, Any], reader: Reader) -> None:
        for s, raw in zip(task["spans"], reader.raw_labels(data), strict=False):
            self.labels[s["label"]] += 1
            if raw != s["label"]:
                self.renamed[f"{raw}->{s['label']}"] += 1
            if self.known_l is not None and s["label"] not in self.known_l:
                self.unknown_labels[s["label"]] += 1
        for t in task.get("accept") or []:
            if self.known_t is not None and t not in self.known_t:
                self.unknown_themes[t] += 1


def _parse(
    data: Any, problem: str | None, label_map: dict[str, str], lang: str | None, reader: Reader | None, ctx: ReadContext
) -> tuple[str, list[tuple[dict[str, Any], dict[str, Any], str | None]]]:
    if problem is not None:
        fix = ("re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)" if "UTF-8" in problem
               else 'write one JSON object per line, e.g. {"text": "..."}, or one JSON array of objects')
        raise BadRecord(problem, fix)
    return normalize_records(data, label_map=label_map, lang=lang, reader=reader, context=ctx)


class _BadLine(Exception):
    def __init__(self, where: str, line: int, message: str, fix: str) -> None:
        super().__init__(message)
        self.where, self.line, self.message, self.fix = where, line, message, fix


def _import_lines(
    store: Any, dataset: str, srcs: list[str], stdin: IO[bytes] | None, buffered: list[Any] | None,
    report: ImportReport, tally: _Tally, label_map: dict[str, str], lang: str | None, forced: Reader | None,
    ctx: ReadContext, annotator: str, session: str, *, strict: bool,
) -> None:
    """The import proper: tasks and decisions stored in batches (decisions by their identity: an import run
    again, or after it was killed, stores each decision once)."""
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
                    (w0, l0), (_, l1) = where_of[0], where_of[-1]
                    raise _BadLine(w0, l0, f"{e.message} (in lines {l0}-{l1})", e.fix or "correct the record") from None
                raise
            report.decisions += added
            report.already += dups
            decisions.clear()
            where_of.clear()

    lines = buffered if buffered is not None else iter_records(srcs, stdin)
    for where, i, line, problem in lines:
        ctx.notes = []
        try:
            name, items = _parse(line, problem, label_map, lang, forced, ctx)
        except BadRecord as e:
            if strict:
                raise _BadLine(where, i, e.message, e.fix) from None
            report.skipped.append(Issue(where, i, e.message, e.fix))
            continue
        report.notes.extend(f"{where}:{i}: {n}" for n in ctx.notes)
        report.records += 1
        tally.formats[name] += 1
        tally.found.setdefault(where, Counter())[name] += 1
        for data, task, answer in items:
            tally.count(data, task, READERS[name])
            if answer is None:
                batch.append(task)
            else:
                tally.answers[answer] += 1
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
