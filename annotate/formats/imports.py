"""Data in: records of any registered format into the store (``annotate db-in``).

Files are read by :mod:`.sources` (JSONL, JSON arrays, doccano's CSV,
CoNLL). With ``--format auto`` the format is recognised per record, by the
readers of :data:`READERS` in order (the first whose ``detect`` matches reads
the record), and the report says per file what was found and why:

* :mod:`.conll`: the sentences of a CoNLL/IOB file (by its suffix or ``--format conll``);
* :mod:`.labelstudio`: Label Studio's JSON export (tasks with annotations and predictions) and JSON_MIN;
* :mod:`.argilla`: Argilla 2 records (fields, responses per user, suggestions), nested or flattened;
* :mod:`.doccano`: doccano's sequence-labelling, relation, intent, classification and 1.0 exports;
* :mod:`.prodigy`: Prodigy's task shape, which is also this toolkit's own JSONL (the fallback).

Adding a format is a module with a :class:`~.native.Reader` and an entry in
:data:`READERS`. Every record then goes through :func:`.native.finish_task`
(offsets checked by :mod:`.offsets`); a reader with ``expand`` first turns
its record into several records of our own shape (one per decision or task).

Every Prodigy, doccano, CoNLL or annotate record becomes a decision: its
``answer``, or ``accept`` when it has none (Prodigy's ``db-in`` default;
``as_tasks`` keeps those as tasks to review). Label Studio and Argilla
records say themselves what is a decision and what a task to review. Its ``_annotator_id``, ``_session_id`` and ``_timestamp`` are kept
when present, so that exported data imported again exports to the same
bytes. An import whose records hold no annotation at all is an error (E840).
Labels not in ``labels/`` are counted and reported; ``label_map`` renames
labels (spans and themes) first. Prodigy choice/NEL answers whose options are
not themes are kept as ``choice_accept``.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import AnnotateError, Errors
from ..io import check_not_empty
from . import argilla, conll, doccano, labelstudio, prodigy
from .native import BadRecord, ReadContext, Reader, finish_task, start_task
from .sources import IMPORT_SUFFIXES, Item, file_kind, iter_items

_BATCH = 500

# format name -> reader, tried in this order; the last one (prodigy) reads any record with a text
READERS: dict[str, Reader] = {
    r.name: r for r in (conll.READER, labelstudio.READER, argilla.READER, doccano.READER, prodigy.READER)
}
AUTO = "auto"
# other names of a reader for --format
ALIASES = {"annotate": "prodigy"}
MAX_NOTES = 20


def import_formats() -> tuple[str, ...]:
    """The names ``--format`` takes on import: ``auto``, the aliases and every registered reader."""
    return (AUTO, *ALIASES, *READERS)


def reader_for(fmt: str | None) -> Reader | None:
    """The reader named ``fmt`` (None for ``auto``); an unknown name is a usage error (E800)."""
    if fmt is None or fmt == AUTO:
        return None
    name = ALIASES.get(fmt, fmt)
    if name not in READERS:
        raise Errors.E800(fmt=fmt, formats=", ".join(import_formats()))
    return READERS[name]


def conll_reader(lang: str | None) -> Callable[[str, str], Iterator[Item]]:
    """The CoNLL file reader (:mod:`.conll`), spacing the text for ``lang``."""
    def read(text: str, where: str) -> Iterator[Item]:
        return conll.conll_items(text, where, lang=lang)

    return read


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
    converted: dict[str, int] = field(default_factory=dict)
    accepted_by_default: int = 0
    auto: bool = True  # formats recognised per record (--format auto)
    # source -> format -> records; and what was recognised, per (source, format)
    found: dict[str, dict[str, int]] = field(default_factory=dict)
    why: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # converted offsets, parts of records left out
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
        if self.auto:
            for src, found in self.found.items():
                out.append(f"  --format auto found in {src}: " + ", ".join(
                    f"{k} ({v} record(s)" + (f": {self.why[(src, k)]}" if self.why.get((src, k)) else "") + ")"
                    for k, v in sorted(found.items())))
        if self.notes:
            out.extend(f"  {n}" for n in self.notes[:MAX_NOTES])
            if len(self.notes) > MAX_NOTES:
                out.append(f"  ... and {len(self.notes) - MAX_NOTES} more note(s)")
        if self.accepted_by_default:
            out.append(f"  records without an answer accepted (Prodigy's db-in default; --as-tasks keeps them as tasks to review): "
                       f"{self.accepted_by_default}")
        if self.answers:
            out.append("  answers: " + ", ".join(f"{k} {v}" for k, v in sorted(self.answers.items())))
        out.append("  spans per label: " + (", ".join(f"{k} {v}" for k, v in sorted(self.labels.items())) or "none"))
        if self.converted:
            out.append("  span offsets converted to code points: " + ", ".join(f"{k} {v}" for k, v in sorted(self.converted.items()))
                       + " (their text matched there, not at the offsets as given)")
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
    reader: Reader | None = None, context: ReadContext | None = None, converted: Counter[str] | None = None,
) -> tuple[str, list[tuple[dict[str, Any], dict[str, Any], str | None]]]:
    """One input record -> (format name, [(record read, task, answer or None), ...]).

    ``reader``: the format to read it as (None: recognise it). A format with
    ``expand`` gives several tasks or decisions for one record; the others one.
    ``converted`` (when given) counts the spans whose offsets were converted to
    code points, per unit they came in (:mod:`.offsets`). The answer of a record
    without one is the format's own (``Reader.answer``), else None. Raises
    :class:`BadRecord` when malformed.
    """
    reader = reader or detect_format(data)
    if reader.expand is None:
        recs = [data]
    else:
        if not isinstance(data, dict):
            raise BadRecord(f"expected a JSON object, got {type(data).__name__}", "give the file as the tool exported it")
        recs = reader.expand(data, context or ReadContext(label_map=label_map or {}))
    out = []
    for rec in recs:
        task, text = start_task(rec)
        raw = reader.read(rec, task)
        task, answer = finish_task(rec, task, text, raw, reader, label_map=label_map or {}, lang=lang)
        if converted is not None:
            converted.update(raw.converted)
        if answer is None and reader.answer is not None:
            answer = reader.answer(rec)
        out.append((rec, task, answer))
    return reader.name, out


def normalize_record(
    data: Any, *, label_map: dict[str, str] | None = None, lang: str | None = None, fmt: str | None = None,
    converted: Counter[str] | None = None,
) -> tuple[dict[str, Any], str | None, str]:
    """One input record -> (task, answer or None, format name) (the first, for formats that give several)."""
    name, items = normalize_records(data, label_map=label_map, lang=lang, reader=reader_for(fmt), converted=converted)
    if not items:
        raise BadRecord("record gives no task", "give it a text")
    _, task, answer = items[0]
    return task, answer, name


def import_records(
    store: Any,
    dataset: str,
    sources: Iterable[str | Path],
    *,
    fmt: str | None = AUTO,
    as_tasks: bool = False,
    label_map: dict[str, str] | None = None,
    entity_labels: list[str] | None = None,
    theme_names: list[str] | None = None,
    strict: bool = False,
    lang: str | None = None,
    annotator: str = "import",
    session: str | None = None,
    stdin: IO[bytes] | None = None,
) -> ImportReport:
    """Import records into ``dataset``: decisions for records with an answer, and for those without one
    (accepted, Prodigy's ``db-in`` default) unless ``as_tasks``, which keeps them as tasks to review.

    ``fmt``: ``auto`` (each record's format is recognised, the report says
    what was found) or one of :func:`import_formats`. An import whose records
    hold no annotation at all (no answer, span, label or theme) is an error
    (E840), unless ``as_tasks``: nothing is written.
    """
    t0 = time.perf_counter()
    forced = reader_for(fmt)
    fmt = AUTO if forced is None else forced.name
    # named files of any kind reach file_kind (E421 for a kind db-in cannot read); folders give the readable ones
    srcs = check_not_empty(sources, suffixes=IMPORT_SUFFIXES)
    for s in srcs:
        file_kind(s, fmt)  # an unreadable kind of file fails before anything is read
    label_map = label_map or {}
    session = session or f"{dataset}-import-{int(time.time())}"
    report = ImportReport(dataset=dataset, sources=["<stdin>" if s == "-" else s for s in srcs], auto=forced is None)
    known_l = set(entity_labels) if entity_labels is not None else None
    known_t = set(theme_names) if theme_names is not None else None
    ctx = ReadContext(theme_names=frozenset(known_t) if known_t is not None else None, label_map=label_map)

    def items() -> Iterator[Item]:
        return iter_items(srcs, fmt, stdin, conll=conll_reader(lang))

    buffered: list[Item] | None = None
    if strict:
        # check everything first; stdin is read once, so keep its records
        buffered = list(items()) if "-" in srcs else None
        for it in buffered if buffered is not None else items():
            try:
                _normalize(it, forced, label_map, lang, Counter(), known_t,
                           ReadContext(theme_names=ctx.theme_names, label_map=label_map))
            except BadRecord as e:
                raise Errors.E422(message=e.message, fix=e.fix, where=it.where, line=it.line) from None

    c = _Counts()
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
            # decisions by their identity: an import run again, or after it was killed, stores each once
            try:
                added, dups = store.add_decisions(dataset, decisions)
            except AnnotateError as e:
                if strict and e.code != "E902":
                    (w0, l0), (_, l1) = where_of[0], where_of[-1]
                    raise Errors.E422(message=f"{e.message} (in lines {l0}-{l1})", fix=e.fix or "correct the record",
                                      where=w0, line=l0) from None
                raise
            report.decisions += added
            report.already += dups
            decisions.clear()
            where_of.clear()

    def write(data: dict[str, Any], task: dict[str, Any], answer: str | None, where: str, line: int) -> None:
        if answer is None:
            batch.append(task)
        else:
            c.answers[answer] += 1
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
            where_of.append((where, line))
        if len(batch) >= _BATCH or len(decisions) >= _BATCH:
            flush()

    def run() -> None:
        # records holding no annotation wait until one that does comes (an import of only those is E840)
        waiting: list[tuple[dict[str, Any], dict[str, Any], str | None, str, int]] | None = None if as_tasks else []
        for it in buffered if buffered is not None else items():
            ctx.notes = []
            try:
                reader, recs = _normalize(it, forced, label_map, lang, c.converted, known_t, ctx)
            except BadRecord as e:
                report.skipped.append(Issue(it.where, it.line, e.message, e.fix))
                continue
            report.notes.extend(f"{it.where}:{it.line}: {n}" for n in ctx.notes)
            report.records += 1
            c.found(it.where, it.data, reader)
            for data, task, answer in recs:
                c.count(data, task, reader, known_l, known_t)
                if answer is None and not as_tasks and reader.default_accept:
                    answer = "accept"
                    report.accepted_by_default += 1
                if waiting is not None:
                    if reader.default_accept and not _annotated(data, task):
                        waiting.append((data, task, answer, it.where, it.line))
                        continue
                    for w in waiting:
                        write(*w)
                    waiting = None
                write(data, task, answer, it.where, it.line)
        if waiting:
            raise Errors.E840(n=len(waiting), keys=", ".join(sorted(c.keys)) or "text", where=report.sources[0])
        flush()

    if strict:
        with store.transaction():  # all or nothing: a value the store refuses after the check rolls back everything
            run()
    else:
        run()
    c.fill(report)
    report.seconds = time.perf_counter() - t0
    return report


def _annotated(data: dict[str, Any], task: dict[str, Any]) -> bool:
    """Whether an input record holds an annotation: an answer, spans, a label, themes or scores."""
    return bool(
        "answer" in data or task.get("spans") or "spans" in data or isinstance(task.get("label"), str)
        or "accept" in task or "choice_accept" in task or task.get("cats")
        or any(k in data for k in ("label", "entities", "annotations", "cats"))
    )


@dataclass
class _Counts:
    formats: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    unknown_labels: Counter[str] = field(default_factory=Counter)
    unknown_themes: Counter[str] = field(default_factory=Counter)
    renamed: Counter[str] = field(default_factory=Counter)
    converted: Counter[str] = field(default_factory=Counter)
    sniffed: dict[str, Counter[str]] = field(default_factory=dict)
    why: dict[tuple[str, str], str] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)

    def found(self, where: str, data: Any, reader: Reader) -> None:
        """One input record of ``where`` read as ``reader`` (and, the first time, what was recognised in it)."""
        self.formats[reader.name] += 1
        self.sniffed.setdefault(where, Counter())[reader.name] += 1
        if (where, reader.name) not in self.why and reader.describe is not None and isinstance(data, dict):
            self.why[(where, reader.name)] = reader.describe(data)

    def count(self, data: dict[str, Any], task: dict[str, Any], reader: Reader,
              known_l: set[str] | None, known_t: set[str] | None) -> None:
        if len(self.keys) < 20:
            self.keys.update(k for k in data if isinstance(k, str) and not k.startswith("_"))
        for s, raw in zip(task["spans"], reader.raw_labels(data), strict=False):
            self.labels[s["label"]] += 1
            if raw != s["label"]:
                self.renamed[f"{raw}->{s['label']}"] += 1
            if known_l is not None and s["label"] not in known_l:
                self.unknown_labels[s["label"]] += 1
        themes = list(task.get("accept") or [])
        if isinstance(task.get("label"), str):
            themes.append(task["label"])
        for t in themes:
            if known_t is not None and t not in known_t:
                self.unknown_themes[t] += 1

    def fill(self, report: ImportReport) -> None:
        report.formats = dict(self.formats)
        report.answers = dict(self.answers)
        report.labels = dict(self.labels)
        report.unknown_labels = dict(self.unknown_labels)
        report.unknown_themes = dict(self.unknown_themes)
        report.renamed = dict(self.renamed)
        report.converted = dict(self.converted)
        report.found = {where: dict(counts) for where, counts in self.sniffed.items()}
        report.why = dict(self.why)


def _normalize(
    it: Item, forced: Reader | None, label_map: dict[str, str], lang: str | None, converted: Counter[str],
    known_t: set[str] | None, ctx: ReadContext,
) -> tuple[Reader, list[tuple[dict[str, Any], dict[str, Any], str | None]]]:
    if it.error is not None:
        raise it.error
    reader = forced if forced is not None else READERS[it.fmt] if it.fmt else detect_format(it.data)
    name, recs = normalize_records(it.data, label_map=label_map, lang=lang, reader=reader, context=ctx, converted=converted)
    for data, task, _ in recs:
        choice_ids(data, task, known_t)
    return reader, recs


def choice_ids(data: dict[str, Any], task: dict[str, Any], known_t: set[str] | None) -> None:
    """Prodigy choice/NEL answers (``options`` + ``accept`` ids) that are not themes move to ``choice_accept``.

    They are themes when one of the options is a theme of the taxonomy;
    otherwise (entity ids such as ``Q90``, answer options) they are kept under
    ``choice_accept`` and never read as themes.
    """
    opts = data.get("options")
    acc = task.get("accept")
    if not isinstance(opts, list) or not isinstance(acc, list) or known_t is None:
        return
    ids = {str(o.get("id")) for o in opts if isinstance(o, dict) and "id" in o}
    if ids & known_t:
        return
    task["choice_accept"] = task.pop("accept")
