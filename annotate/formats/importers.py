"""Data in: this toolkit's JSONL, Prodigy's JSONL and doccano's JSONL into the store.

Formats are recognised per record:

* **ours / Prodigy**: ``{"text", "spans": [{"start", "end", "label", ...}],
  "tokens"?, "accept"?, "cats"?, "answer"?, "meta"?, ...}``. Spans may come
  with or without ``tokens`` / ``token_start`` / ``token_end``.
* **doccano**: ``{"text", "label": [[start, end, "LABEL"], ...]}`` (sequence
  labelling), ``{"text", "entities": [{"start_offset", "end_offset",
  "label"}]}`` (newer exports) or ``{"text", "label": ["THEME", ...]}``
  (text classification: the accepted themes).

A record with an ``answer`` becomes a decision (its ``_annotator_id``,
``_session_id`` and ``_timestamp`` are kept when present, so that exported
data imported again exports to the same bytes); a record without one becomes
a task to review. Labels not in ``labels/`` are counted and reported;
``label_map`` renames labels (spans and themes) first.

Malformed lines are reported as ``path:line: what; fix``. By default they are
skipped and the rest is imported; ``strict=True`` checks the whole input first
and imports nothing when any line is malformed.
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

from ..errors import EXIT_USAGE, AnnotateError
from ..io import check_not_empty, open_binary
from ..store import ANSWERS
from ..tasks import set_hashes

_BATCH = 500
_DECISION_META = ("answer", "_annotator_id", "_session_id", "_timestamp", "_seconds", "_decision_id")


def parse_label_map(items: Iterable[str]) -> dict[str, str]:
    """``["OLD=NEW", ...]`` -> ``{"OLD": "NEW"}``; a bad item is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise AnnotateError(
                f"bad --label-map {item!r}", fix="write OLD=NEW, e.g. --label-map PER=ORG", code="E420",
                exit_code=EXIT_USAGE,
            )
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


class _Bad(Exception):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


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


def _int(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v:
        raise _Bad(f"{what} is {v!r}, not an integer", "give character offsets as integers (Python code points)")
    return int(v)


def normalize_record(
    data: Any, *, label_map: dict[str, str] | None = None, lang: str | None = None
) -> tuple[dict[str, Any], str | None, str]:
    """One input record -> (task, answer or None, format name). Raises ``_Bad`` when malformed."""
    label_map = label_map or {}
    if not isinstance(data, dict):
        raise _Bad(f"expected a JSON object, got {type(data).__name__}", 'write one JSON object per line, e.g. {"text": "..."}')
    text = data.get("text")
    if not isinstance(text, str):
        raise _Bad('record has no "text" string', 'add a "text" string to the record')
    if "\x00" in text:
        raise _Bad('NUL character in "text"', "remove the NUL characters")
    task: dict[str, Any] = {k: v for k, v in data.items() if k not in _DECISION_META}
    raw_spans: list[tuple[int, int, str, dict[str, Any]]] = []
    themes: list[str] | None = None
    label = data.get("label")
    doccano = "spans" not in data and (isinstance(label, list) or isinstance(data.get("entities"), list))
    if not doccano:
        fmt = "prodigy"
        spans = data.get("spans", [])
        if spans is None:
            spans = []
        if not isinstance(spans, list):
            raise _Bad('"spans" is not a list', 'write "spans" as a list of {"start", "end", "label"} objects')
        for s in spans:
            if not isinstance(s, dict) or "start" not in s or "end" not in s or not isinstance(s.get("label"), str):
                raise _Bad(f"span {s!r} has no start, end and label", 'give each span "start", "end" and a "label" string')
            raw_spans.append((_int(s["start"], "span start"), _int(s["end"], "span end"), s["label"], s))
        if "accept" in data:
            acc = data["accept"]
            if not isinstance(acc, list) or not all(isinstance(a, str | int) and not isinstance(a, bool) for a in acc):
                raise _Bad('"accept" is not a list of theme names', 'write "accept" as a list such as ["FINANCE"]')
            themes = [str(a) for a in acc]
    else:
        fmt = "doccano"
        task.pop("label", None)
        task.pop("entities", None)
        if isinstance(label, list) and label and all(isinstance(x, str) for x in label):
            themes = list(label)  # text classification export
        elif isinstance(label, list):
            for x in label:
                if not (isinstance(x, list) and len(x) == 3 and isinstance(x[2], str)):
                    raise _Bad(f"doccano label {x!r} is not [start, end, \"LABEL\"]", 'write doccano labels as [[start, end, "LABEL"], ...]')
                raw_spans.append((_int(x[0], "label start"), _int(x[1], "label end"), x[2], {}))
        ents = data.get("entities")
        if isinstance(ents, list):
            for x in ents:
                if not isinstance(x, dict) or not isinstance(x.get("label"), str):
                    raise _Bad(f"entity {x!r} has no label", 'give each entity "start_offset", "end_offset" and "label"')
                raw_spans.append((_int(x.get("start_offset"), "start_offset"), _int(x.get("end_offset"), "end_offset"), x["label"], {}))
        meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
        meta = dict(meta)
        meta.setdefault("source", "doccano")
        if "id" in task:
            meta.setdefault("doccano_id", task.pop("id"))
        task["meta"] = meta
    if "meta" in task and not isinstance(task["meta"], dict):
        raise _Bad('"meta" is not an object', 'write "meta" as a JSON object or leave it out')
    if lang and not (isinstance(task.get("meta"), dict) and task["meta"].get("lang")):
        task["meta"] = dict(task.get("meta") or {}, lang=lang)
    # tokens, when given, must match the text
    tokens = task.get("tokens")
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    if tokens is not None:
        if not isinstance(tokens, list):
            raise _Bad('"tokens" is not a list', 'drop "tokens" to let annotate tokenize the text')
        for i, t in enumerate(tokens):
            try:
                ts, te, tt = int(t["start"]), int(t["end"]), t["text"]
            except (KeyError, TypeError, ValueError):
                raise _Bad(f"token {i} has no start, end and text", 'drop "tokens" to let annotate tokenize the text') from None
            if text[ts:te] != tt:
                raise _Bad(f"token {i} {tt!r} does not match the text at {ts}-{te}", 'correct the tokens or drop "tokens"')
            starts[ts] = i
            ends[te] = i
    out_spans = []
    for start, end, lab, s in raw_spans:
        if not 0 <= start < end <= len(text):
            raise _Bad(f"span {start}-{end} falls outside the text (length {len(text)})", "correct the offsets (Python code points)")
        span = {k: v for k, v in s.items()}
        span["start"], span["end"] = start, end
        span["label"] = label_map.get(lab, lab)
        span["text"] = text[start:end]
        if fmt == "doccano":
            span["source"] = "doccano"
        if tokens is not None and ("token_start" not in span or "token_end" not in span):
            if start in starts and end in ends:
                span["token_start"], span["token_end"] = starts[start], ends[end]
        out_spans.append(span)
    task["spans"] = out_spans
    if themes is not None:
        task["accept"] = [label_map.get(t, t) for t in themes]
    cats = task.get("cats")
    if cats is not None:
        if not isinstance(cats, dict) or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in cats.values()):
            raise _Bad('"cats" is not an object of theme scores', 'write "cats" as {"THEME": 0.0..1.0} or leave it out')
        task["cats"] = {label_map.get(k, k): v for k, v in cats.items()}
    answer = data.get("answer")
    if answer is not None and answer not in ANSWERS:
        raise _Bad(f"unknown answer {answer!r}", "use accept, reject or ignore, or leave the answer out")
    for key in ("_input_hash", "_task_hash"):
        if key in task and (isinstance(task[key], bool) or not isinstance(task[key], int)):
            raise _Bad(f"{key} is {task[key]!r}, not an integer", f"remove {key} so it is computed again")
    set_hashes(task)
    return task, answer, fmt


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
            raise AnnotateError(
                "db-in reads JSONL only", where=s, fix="give .jsonl files (Prodigy, doccano or annotate JSONL)",
                code="E421", exit_code=EXIT_USAGE,
            )
    label_map = label_map or {}
    session = session or f"{dataset}-import-{int(time.time())}"
    report = ImportReport(dataset=dataset, sources=["<stdin>" if s == "-" else s for s in srcs])

    buffered: list[tuple[str, int, str | None, str | None]] | None = None
    if strict:
        # check everything first; stdin is read once, so keep its lines
        buffered = list(_iter_lines(srcs, stdin)) if "-" in srcs else None
        lines = buffered if buffered is not None else _iter_lines(srcs, stdin)
        for where, i, line, problem in lines:
            try:
                _parse(line, problem, label_map, lang)
            except _Bad as e:
                raise AnnotateError(
                    f"{e.message} (--strict: nothing was imported)", where=where, line=i, fix=e.fix, code="E422"
                ) from None

    formats: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    unknown_labels: Counter[str] = Counter()
    unknown_themes: Counter[str] = Counter()
    renamed: Counter[str] = Counter()
    known_l = set(entity_labels) if entity_labels is not None else None
    known_t = set(theme_names) if theme_names is not None else None
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if batch:
            added, dups = store.add_tasks(dataset, batch)
            report.tasks += added
            report.duplicates += dups
            batch.clear()

    lines = buffered if buffered is not None else _iter_lines(srcs, stdin)
    for where, i, line, problem in lines:
        try:
            data, task, answer, fmt = _parse(line, problem, label_map, lang)
        except _Bad as e:
            report.skipped.append(Issue(where, i, e.message, e.fix))
            continue
        report.records += 1
        formats[fmt] += 1
        for s, raw in zip(task["spans"], _raw_labels(data, fmt), strict=False):
            labels[s["label"]] += 1
            if raw != s["label"]:
                renamed[f"{raw}->{s['label']}"] += 1
            if known_l is not None and s["label"] not in known_l:
                unknown_labels[s["label"]] += 1
        for t in task.get("accept") or []:
            if known_t is not None and t not in known_t:
                unknown_themes[t] += 1
        if answer is None:
            batch.append(task)
            if len(batch) >= _BATCH:
                flush()
            continue
        answers[answer] += 1
        seconds = data.get("_seconds", 0.0)
        ts = data.get("_timestamp")
        store.add_decision(
            dataset,
            task,
            answer=answer,
            annotator=str(data.get("_annotator_id") or annotator),
            session=str(data.get("_session_id") or session),
            seconds=float(seconds) if isinstance(seconds, int | float) else 0.0,
            timestamp=float(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else None,
        )
        report.decisions += 1
    flush()
    report.formats = dict(formats)
    report.answers = dict(answers)
    report.labels = dict(labels)
    report.unknown_labels = dict(unknown_labels)
    report.unknown_themes = dict(unknown_themes)
    report.renamed = dict(renamed)
    report.seconds = time.perf_counter() - t0
    return report


def _parse(line: str | None, problem: str | None, label_map: dict[str, str], lang: str | None) -> tuple[Any, dict[str, Any], str | None, str]:
    if problem is not None or line is None:
        raise _Bad(problem or "unreadable line", "re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as e:
        raise _Bad(f"invalid JSON ({e.msg} at column {e.colno})", 'write one JSON object per line, e.g. {"text": "..."}') from None
    task, answer, fmt = normalize_record(data, label_map=label_map, lang=lang)
    return data, task, answer, fmt


def _raw_labels(data: dict[str, Any], fmt: str) -> list[str]:
    if fmt == "prodigy":
        return [s["label"] for s in data.get("spans") or []]
    out = []
    label = data.get("label")
    if isinstance(label, list) and not all(isinstance(x, str) for x in label):
        out.extend(x[2] for x in label)
    if isinstance(data.get("entities"), list):
        out.extend(x["label"] for x in data["entities"])
    return out
