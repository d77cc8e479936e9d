"""Reading review input: checked tasks, raw text pre-annotated on the fly.

Records that have ``spans`` are tasks: their spans must lie inside the text,
use known labels, align with the tokens and not overlap (``doc.ents`` holds
no overlapping spans; a rejected span may overlap). Records without
``spans`` are raw input and go through :func:`annotate.pre.pre_annotate`.

A bad line is reported as one :class:`~annotate.errors.AnnotateError`
(``path:line``, what, fix) to ``on_error`` and skipped; with ``strict`` the
first bad line stops everything before anything is stored.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import AnnotateError, Errors
from ..io import Record, expand_sources, open_binary, parse_record, read_records
from ..labels import did_you_mean
from ..tasks import check_spans, set_hashes, tokens_of
from ..pipeline.workers import n_processes
from ..store.schema import MAX_TASK_BYTES
from .session import ReviewLabels

# a raw text longer than this is refused before it is pre-annotated: its task (tokens, spans) would be
# about 10x its size, past what the store takes (MAX_TASK_BYTES), after gigabytes of work
MAX_RAW_CHARS = MAX_TASK_BYTES // 16

OnError = Callable[[AnnotateError], None]
# The review screen stores (and so shows) its first tasks after this many, not
# after a full batch, and annotates raw records among them in this process:
# with --n-process the user does not wait for a pool to start.
FIRST_BATCH = 64


def _raise(e: AnnotateError) -> None:
    raise e


class _Tokenizers:
    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def get(self, lang: str) -> Any:
        if lang not in self._cache:
            import spacy

            from ..pipeline.rxcache import compiled_patterns

            with compiled_patterns():  # spaCy's French tokenizer exceptions: 2 s to compile, else
                try:
                    nlp = spacy.blank(lang)
                except Exception:
                    nlp = spacy.blank("xx")
            # only the tokenizer runs here: spaCy's 1,000,000-character limit is for the parser and NER
            nlp.max_length = 1 << 40
            self._cache[lang] = nlp
        return self._cache[lang]


def _lang_of(data: dict[str, Any]) -> str:
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    lang = meta.get("lang") or data.get("lang") or "xx"
    return str(lang)


def validate_task(
    data: dict[str, Any], labels: ReviewLabels, *, where: str = "<task>", line: int | None = None,
    tokenizers: _Tokenizers | None = None,
) -> dict[str, Any]:
    """Check one task for review and complete it (tokens, token indices, hashes)."""
    task = dict(data)
    if not isinstance(task.get("spans"), list):
        raise Errors.E330(where=where, line=line)
    check_spans(task, labels.entity_names, where=where, line=line)
    text = task["text"]
    tokens = task.get("tokens")
    if tokens:
        try:
            ok = all(text[t["start"]:t["end"]] == t["text"] for t in tokens) and all(
                a["end"] <= b["start"] for a, b in zip(tokens, tokens[1:])
            )
        except (KeyError, TypeError):
            ok = False
        if not ok:
            raise Errors.E331(where=where, line=line)
    else:
        nlp = (tokenizers or _Tokenizers()).get(_lang_of(task))
        tokens = tokens_of(nlp.make_doc(text))
        task["tokens"] = tokens
    starts = {t["start"]: i for i, t in enumerate(tokens)}
    ends = {t["end"]: i for i, t in enumerate(tokens)}
    spans = []
    for s in task["spans"]:
        s = dict(s)
        if s["start"] not in starts or s["end"] not in ends:
            raise Errors.E332(start=s['start'], end=s['end'], span_text=text[s['start']:s['end']], where=where, line=line)
        s["token_start"], s["token_end"] = starts[s["start"]], ends[s["end"]]
        s.setdefault("text", text[s["start"]:s["end"]])
        if "answer" in s and s["answer"] not in ("accept", "reject"):
            raise Errors.E333(answer=s['answer'], where=where, line=line)
        spans.append(s)
    kept = sorted((s for s in spans if s.get("answer", "accept") == "accept"), key=lambda s: (s["start"], s["end"]))
    for a, b in zip(kept, kept[1:]):
        if b["start"] < a["end"]:
            raise Errors.E334(start=a['start'], end=a['end'], label=a['label'], start2=b['start'], end2=b['end'], label2=b['label'], where=where, line=line)
    task["spans"] = spans
    cats = task.get("cats")
    if cats is not None:
        if not isinstance(cats, dict):
            raise Errors.E335(where=where, line=line)
        for k, v in cats.items():
            if k not in labels.theme_names:
                raise Errors.E336(k=k, fix=did_you_mean(k, labels.theme_names), where=where, line=line)
            if not isinstance(v, int | float) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
                raise Errors.E337(k=k, v=v, where=where, line=line)
    if "accept" in task and not isinstance(task["accept"], list):
        raise Errors.E338(where=where, line=line)
    return set_hashes(task)


def _records(paths: Iterable[str | Path], on_error: OnError) -> Iterator[Record]:
    for src in expand_sources(paths):
        if src == "-":
            raise Errors.E321(where='-')
        if not src.lower().endswith(".jsonl"):
            try:
                for rec in read_records([src]):
                    if len(rec.text) > MAX_RAW_CHARS:
                        on_error(Errors.E905(size=len(rec.text), limit=MAX_RAW_CHARS, where=rec.source, line=rec.line))
                        continue
                    yield rec
            except AnnotateError as e:
                on_error(e)
            continue
        with open_binary(src) as f:
            for i, raw in enumerate(f, start=1):
                if i == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    try:
                        line = raw.decode("utf-8").strip()
                    except UnicodeDecodeError as e:
                        raise Errors.E006(start=e.start, where=src, line=i) from None
                    if not line:
                        continue
                    if len(raw) > MAX_TASK_BYTES:  # refused before it is parsed (parsing alone takes GBs)
                        raise Errors.E905(size=len(raw), limit=MAX_TASK_BYTES, where=src, line=i)
                    rec = parse_record(line, src, i)
                    if "spans" not in rec.data and len(rec.text) > MAX_RAW_CHARS:
                        # raw text grows ~10x once tokenized and annotated: refused before the pipeline runs
                        raise Errors.E905(size=len(rec.text), limit=MAX_RAW_CHARS, where=src, line=i)
                    yield rec
                except AnnotateError as e:
                    on_error(e)


def _pre_annotate(records: Iterable[Record], first: Record, options: dict[str, Any]) -> Iterator[dict[str, Any]]:
    try:
        from ..pipeline.pre import pre_annotate
    except ImportError:
        raise Errors.E322(where=first.where) from None
    yield from pre_annotate(records, **options)


def _min_chars_per_process() -> int:
    try:
        from ..pipeline.pre import MIN_CHARS_PER_PROCESS
    except ImportError:  # no pipeline: raw input fails anyway (E322)
        return 60_000
    return MIN_CHARS_PER_PROCESS


def _take_head(recs: Iterator[Record], max_records: int, max_chars: int) -> tuple[list[Record], Iterator[Record]]:
    """The first records of ``recs`` up to ``max_records`` or ``max_chars`` characters (at least one), and the rest."""
    head: list[Record] = []
    chars = 0
    for rec in recs:
        if head and chars + len(rec.text) > max_chars:
            return head, itertools.chain([rec], recs)
        head.append(rec)
        chars += len(rec.text)
        if len(head) >= max_records or chars >= max_chars:
            break
    return head, recs


def iter_review_tasks(
    paths: Iterable[str | Path],
    labels: ReviewLabels,
    *,
    on_error: OnError = _raise,
    pre_options: dict[str, Any] | None = None,
    in_process_first: int = 0,
    on_warning: Callable[[str], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every valid task of the input, in order; raw records are pre-annotated on the fly.

    ``pre_options`` go to :func:`annotate.pre.pre_annotate`. With
    ``n_process`` > 1, each run of consecutive raw records goes through one
    worker pool, except the raw records among the first ``in_process_first``
    records of the input (at most about one second of work), which are
    annotated in this process: the review screen shows its first task without
    waiting for a pool to start. ``on_warning(msg)`` is told, once, when
    ``n_process`` cannot pay off (input too small, or no raw input at all).
    Close the generator to stop early: a running pool is shut down.
    """
    tokenizers = _Tokenizers()
    options = dict(pre_options or {})
    n_process = n_processes(int(options.pop("n_process", 1)))
    warned = False
    pooled = False  # some raw input went to pre_annotate with n_process > 1
    raw_chars = raw_records = 0  # raw text annotated in this process
    position = 0  # records of the input handled so far

    def warn(msg: str) -> None:
        nonlocal warned
        if not warned and on_warning is not None:
            warned = True
            on_warning(msg)

    def annotate(recs: Iterator[Record], first: Record, n: int, note: str = "") -> Iterator[dict[str, Any]]:
        nonlocal position
        current: list[Record] = [first]
        opts = dict(options, on_record=lambda r: current.__setitem__(0, r))
        if n > 1:
            opts.update(n_process=n, on_warning=lambda msg: warn(msg + note))
        with contextlib.closing(_pre_annotate(recs, first, opts)) as tasks:  # closing shuts a pool down
            for task in tasks:
                rec = current[0]
                position += 1
                try:
                    yield validate_task(task, labels, where=rec.source, line=rec.line, tokenizers=tokenizers)
                except AnnotateError as e:
                    on_error(e)

    for is_raw, group in itertools.groupby(_records(paths, on_error), key=lambda r: "spans" not in r.data):
        if not is_raw:
            for rec in group:
                position += 1
                try:
                    yield validate_task(rec.data, labels, where=rec.source, line=rec.line, tokenizers=tokenizers)
                except AnnotateError as e:
                    on_error(e)
            continue
        rest: Iterator[Record] = group
        head_done = 0
        if position < in_process_first:
            head, rest = _take_head(group, in_process_first - position, _min_chars_per_process())  # noqa: B031 (rest goes on with group)
            raw_chars += sum(len(r.text) for r in head)
            raw_records += len(head)
            head_done = len(head)
            yield from annotate(iter(head), head[0], 1)
        first = next(rest, None)
        if first is None:
            continue
        pooled = pooled or n_process > 1
        note = (f" (counted after the first {position:,} record(s), annotated in this process so that the first"
                " task shows at once)") if head_done else ""
        yield from annotate(itertools.chain([first], rest), first, n_process, note)
    if n_process > 1 and not pooled:
        need = _min_chars_per_process() * n_process
        if raw_records and raw_chars >= need:  # a few long documents: one process per document at most
            warn(f"--n-process {n_process} ignored: the raw input is only {raw_records:,} record(s), annotated in this"
                 " process with the first tasks")
        elif raw_records:
            warn(f"--n-process {n_process} ignored: the input ({raw_chars:,} characters of raw text) is too small to"
                 f" gain from more processes (at least {need:,} needed); running in one process")
        else:
            warn(f"--n-process {n_process} has no effect: the input has no raw text (every record is a task with"
                 " spans), and only raw text is pre-annotated")


def check_review_input(paths: Iterable[str | Path], labels: ReviewLabels) -> int:
    """``--strict``: read everything, raise on the first bad line; return the number of records."""
    tokenizers = _Tokenizers()
    n = 0
    for rec in _records(paths, _raise):
        n += 1
        if "spans" in rec.data:
            validate_task(rec.data, labels, where=rec.source, line=rec.line, tokenizers=tokenizers)
    return n


def load_tasks(
    store: Any,
    dataset: str,
    tasks: Iterable[dict[str, Any]],
    *,
    batch: int = 500,
    first_batch: int | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[int, int]:
    """Store tasks in batches; ``on_batch(added, duplicates)`` after each batch (totals so far).

    ``first_batch``: a smaller first batch, so the first tasks can be shown sooner.
    """
    added = dups = 0
    buf: list[dict[str, Any]] = []
    size = first_batch or batch
    for task in tasks:
        buf.append(task)
        if len(buf) >= size:
            a, d = store.add_tasks(dataset, buf)
            added, dups = added + a, dups + d
            buf.clear()
            size = batch
            if on_batch:
                on_batch(added, dups)
            if should_stop and should_stop():
                return added, dups
    if buf:
        a, d = store.add_tasks(dataset, buf)
        added, dups = added + a, dups + d
    if on_batch:
        on_batch(added, dups)
    return added, dups
