"""Pre-annotation: records in, tasks out.

:func:`pre_annotate` streams records through the pipeline of each record's
language (detected, or given by ``lang`` / the record's ``lang`` field) and
yields tasks in input order. Consecutive records of one language go through
one ``nlp.pipe`` call, so a single-language stream is one pass. Documents
longer than the pipeline's ``max_length`` are processed in pieces and joined
back with exact offsets.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ..about import __version__
from ..errors import Errors
from ..io import Record, dumps_jsonl
from .lang import SUPPORTED, detect_lang
from .build import cached_pipeline, model_description
from ..tasks import doc_to_task, finish_task
from .workers import n_processes
from .reldates import check_ref_date, parse_ref_date, resolve_spans

_SENT_SPLITTERS: dict[str, Any] = {}


def record_ref_date(rec: Record, default: dt.date | None = None) -> dt.date | None:
    """The date a record's relative dates resolve against: its ``meta.date``, else ``default``
    (``--ref-date``), else None. E041 (naming file and line) when ``meta.date`` is not a date."""
    meta = rec.data.get("meta")
    given = meta.get("date") if isinstance(meta, dict) else None
    if given is None:
        return default
    try:
        return parse_ref_date(given)
    except ValueError as e:
        raise Errors.E041(reason=str(e), where=rec.source, line=rec.line) from None


def record_lang(rec: Record, forced: str | None) -> str:
    if forced:
        return forced
    given = rec.data.get("lang")
    if isinstance(given, str) and given.lower()[:2] in SUPPORTED:
        return given.lower()[:2]
    return detect_lang(rec.text)


# A job gains from --n-process only when each process gets several batches:
# below this many characters per extra process, starting the workers costs more
# than it saves (about one second of single-process work).
MIN_CHARS_PER_PROCESS = 60_000
# records per memory zone (single process): strings and lexemes of a chunk are
# freed when it has been turned into tasks, so memory stays flat on long runs
ZONE_RECORDS = 256
# spaCy's tokenizer neither caches nor keeps lexemes inside a memory zone, so
# every word would be split by the prefix/suffix/infix rules again in every
# zone (a third of the tokenizer's and a tenth of the whole job's time). The
# first chunks, up to this many characters in all, are therefore annotated
# outside a zone: the cache and lexemes of the input's frequent words are
# built once and kept. Memory stays flat: it grows by this budget at most.
WARM_CHARS = 250_000
_WARMED: dict[int, int] = {}  # id(nlp) -> characters annotated outside a zone


class PerformanceWarning(UserWarning):
    """A setting that cannot pay off for this job (e.g. --n-process on a small input)."""


def pre_annotate(
    records: Iterable[Record],
    *,
    model: str | None = None,
    labels: str | Path | None = None,
    encode: bool = False,
    on_warning: Callable[[str], None] | None = None,
    batch_size: int = 64,
    model_scores: bool = False,
    **options: Any,
) -> Iterator[Any]:
    """Yield one task per record (or per sentence with ``split="sentences"``): :func:`rules_pre_annotate`.

    ``model`` naming a folder written by ``annotate train`` (its meta.json has held-out scores), or a
    :class:`~.trained.TrainedModel`, adds that model's proposals to the rule tasks (:mod:`.trained`):
    in mode ``replace`` its NER runs inside the rules pipeline instead of the base NER, in mode
    ``beside`` after it. What it is and is not used for is told to ``on_warning``. ``model_scores``:
    each span the model proposed gets ``score`` (its NER beam probability; a second NER pass, so only
    when asked: ``annotate review --model``). Any other ``model`` is the French spaCy pipeline of the
    rules pipeline.
    """
    from .trained import trained_model

    trained = trained_model(model, labels)
    if trained is None:
        return rules_pre_annotate(records, model=model, labels=labels, encode=encode, on_warning=on_warning,
                                  batch_size=batch_size, **options)
    for note in trained.notes():
        if on_warning is not None:
            on_warning(note)
        else:
            warnings.warn(note, UserWarning, stacklevel=2)
    if trained.mode == "replace":
        options["ner"] = str(trained.path)
    inner = rules_pre_annotate(records, labels=labels, encode=False, on_warning=on_warning, batch_size=batch_size,
                               **options)
    return _with_model(inner, trained, encode, batch_size, model_scores)


def _with_model(inner: Iterator[Any], trained: Any, encode: bool, batch_size: int, scores: bool = False) -> Iterator[Any]:
    try:
        for task in trained.add_to(inner, batch_size, scores=scores):
            yield encode_task(task) if encode else task
    finally:
        inner.close()  # shuts a worker pool down


def rules_pre_annotate(
    records: Iterable[Record],
    *,
    lang: str | None = None,
    model: str | None = None,
    model_en: str | None = None,
    labels: str | Path | None = None,
    n_process: int = 1,
    batch_size: int = 64,
    split: str | None = None,
    max_length: int | None = None,
    on_record: Callable[[Record], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    encode: bool = False,
    ref_date: str | dt.date | None = None,
    ner: str | None = None,
) -> Iterator[Any]:
    """Yield one task per record (or per sentence with ``split="sentences"``).

    ``ner``: a folder from ``annotate train`` whose ``ner`` replaces the French model's
    (:func:`annotate.pipeline.build.swap_ner`; ``annotate pre --model`` in mode ``replace``).

    Relative DATE values (``hier``, ``next Monday``, ``il y a deux ans``) resolve
    against the record's ``meta.date``, else ``ref_date`` (``YYYY-MM-DD``), and
    stay unresolved without either (:mod:`annotate.pipeline.reldates`).

    ``encode=True`` yields :class:`Encoded` tasks instead of dicts: the JSONL
    line and the few counts a writer needs, made where the task was made (in
    the worker with ``n_process > 1``), so that the parent process only writes.

    ``n_process > 1`` annotates batches in worker processes (forked where the
    platform allows it, so the loaded pipelines are shared, else rebuilt in
    each worker); the workers return finished tasks, in input order. When the
    input is too small to gain from it, the job runs in this process and
    ``on_warning`` (default: :func:`warnings.warn` with
    :class:`PerformanceWarning`) is told why.
    """
    if lang is not None and lang not in SUPPORTED:
        raise Errors.E201(lang=lang)
    ref = check_ref_date(ref_date)
    n_process = n_processes(n_process)
    labels_s = str(Path(labels).resolve()) if labels is not None else None
    models = {"fr": (model, ner), "en": (model_en, None)}  # lang -> (spaCy pipeline, trained ner in its place)

    def tagged() -> Iterator[tuple[str, Record]]:
        for rec in records:
            record_ref_date(rec)  # a bad meta.date fails here, in this process, naming its line
            lg = record_lang(rec, lang)
            if split == "sentences":
                for piece in split_sentences(rec, lg):
                    yield lg, piece
            else:
                yield lg, rec

    stream: Iterator[tuple[str, Record]] = tagged()
    pool = None
    if n_process > 1:
        stream, big_enough, seen = _look_ahead(stream, MIN_CHARS_PER_PROCESS * n_process)
        if big_enough:
            pool = _Workers(n_process, {lg: models[lg] for lg in SUPPORTED}, labels_s, max_length, batch_size, ref)
        else:
            msg = (
                f"--n-process {n_process} ignored: the input ({seen:,} characters) is too small to gain from"
                f" more processes (at least {MIN_CHARS_PER_PROCESS * n_process:,} needed); running in one process"
            )
            if on_warning is not None:
                on_warning(msg)
            else:
                warnings.warn(msg, PerformanceWarning, stacklevel=2)
    try:
        if pool is not None:  # one window over every language: a change of language does not drain it
            for rec, task in pool.annotate_tagged(stream, encode):
                if on_record is not None:
                    on_record(rec)
                yield task
            return
        for lg, group in itertools.groupby(stream, key=lambda x: x[0]):
            recs = (r for _, r in group)
            nlp = _pipeline(lg, models, labels_s)
            tasks = _annotate_stream(nlp, lg, recs, max_length, batch_size, ref)
            if encode:
                tasks = ((rec, encode_task(task)) for rec, task in tasks)
            for rec, task in tasks:
                if on_record is not None:
                    on_record(rec)
                yield task
    finally:
        if pool is not None:
            pool.close()


class Encoded(NamedTuple):
    """A task as one JSONL line, with what a writer counts (tokens, span labels, theme scores)."""

    line: str
    words: int
    labels: tuple[str, ...]
    cats: dict[str, float]


def encode_task(task: dict[str, Any]) -> Encoded:
    return Encoded(dumps_jsonl(task), len(task["tokens"]), tuple(s["label"] for s in task["spans"]), task["cats"])


def _look_ahead(stream: Iterator[tuple[str, Record]], chars: int) -> tuple[Iterator[tuple[str, Record]], bool, int]:
    """Read ahead until ``chars`` characters of text are seen (or the input ends)."""
    head: list[tuple[str, Record]] = []
    seen = 0
    for item in stream:
        head.append(item)
        seen += len(item[1].text)
        if seen >= chars:
            return itertools.chain(head, stream), True, seen
    return iter(head), False, seen


def _memory_zone(nlp, recs: list[Record] | None = None):  # noqa: ANN001, ANN202
    """``nlp.memory_zone()``, or no zone while the warm-up budget (:data:`WARM_CHARS`) lasts."""
    zone = getattr(nlp, "memory_zone", None)
    if zone is None:
        return contextlib.nullcontext()
    warmed = _WARMED.get(id(nlp), 0)
    if recs is not None and warmed < WARM_CHARS:  # once the budget is spent, nothing to count
        chars = sum(len(r.text) for r in recs)
        if warmed + chars <= WARM_CHARS:
            _WARMED[id(nlp)] = warmed + chars
            return contextlib.nullcontext()
    return zone()


def _annotate_chunk(
    nlp, lg: str, recs: list[Record], limit: int | None, batch_size: int, ref: dt.date | None = None  # noqa: ANN001
) -> list[dict[str, Any]]:
    """Tasks of a list of records, in order, made inside one memory zone.

    Every Doc and every string made for them is freed when the zone closes, so
    the tasks (plain dicts) are built before it does. The first chunks of a
    run skip the zone (see :data:`WARM_CHARS`).
    """
    desc = model_description(nlp)
    limit = limit or nlp.max_length
    out: list[dict[str, Any]] = []
    with _memory_zone(nlp, recs):
        for rec, doc in _pipe(nlp, recs, limit, batch_size):
            meta = dict(rec.extra_meta)
            meta.update({"lang": lg, **desc, "annotate_version": __version__})
            day = record_ref_date(rec, ref)
            if day is not None:
                meta["ref_date"] = day.isoformat()
            if isinstance(doc, dict):  # a long document joined from pieces
                task = finish_task(rec.data, doc, meta)
            else:
                task = doc_to_task(doc, base=rec.data, meta=meta)
            if day is not None:  # values only: the hashes (offsets and labels) stay as they are
                resolve_spans(task["spans"], task["text"], lg, day)
            out.append(task)
    return out


def _annotate_stream(
    nlp, lg: str, recs: Iterator[Record], limit: int | None, batch_size: int, ref: dt.date | None = None  # noqa: ANN001
) -> Iterator[tuple[Record, dict[str, Any]]]:
    chunk_size = max(ZONE_RECORDS, batch_size)
    while True:
        chunk = list(itertools.islice(recs, chunk_size))
        if not chunk:
            return
        yield from zip(chunk, _annotate_chunk(nlp, lg, chunk, limit, batch_size, ref))


def _pipe(nlp, recs: list[Record], limit: int, batch_size: int):
    """nlp.pipe over records in order; over-long texts go through in pieces."""
    buffer: list[Record] = []

    def flush() -> Iterator[tuple[Record, Any]]:
        if not buffer:
            return
        items = [(r.text, r) for r in buffer]
        yield from ((r, d) for d, r in nlp.pipe(items, as_tuples=True, batch_size=batch_size))
        buffer.clear()

    for rec in recs:
        if len(rec.text) > limit:
            yield from flush()
            yield rec, _annotate_long(nlp, rec.text, limit)
            continue
        buffer.append(rec)
    yield from flush()


# ------------------------------------------------------------ worker processes

_WORKER: dict[str, Any] = {}


def _pipeline(lg: str, models: dict[str, Any], labels_s: str | None) -> Any:
    entry = models[lg]  # (model, ner), or a model name alone
    model, ner = entry if isinstance(entry, tuple) else (entry, None)
    return cached_pipeline(lg, model, labels_s, ner)


def _worker_init(
    models: dict[str, tuple[str | None, str | None]], labels_s: str | None, limit: int | None, batch_size: int, ref: dt.date | None = None
) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it terminates the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker must not inherit the CLI's SIGTERM handler
    _WORKER.update(models=models, labels=labels_s, limit=limit, batch_size=batch_size, ref=ref)


def _worker_run(job: tuple[str, list[Record], bool]) -> list[Any]:
    lg, recs, encode = job
    w = _WORKER
    nlp = _pipeline(lg, w["models"], w["labels"])  # inherited when forked, else built once
    tasks = _annotate_chunk(nlp, lg, recs, w["limit"], w["batch_size"], w["ref"])
    # encoding here moves the JSON work out of the parent, which would otherwise do it for every worker
    return [encode_task(t) for t in tasks] if encode else tasks


def _worker_run_runs(job: tuple[list[tuple[str, list[Record]]], bool]) -> list[Any]:
    """One batch made of runs of records of one language each, tasks in order: the records of each
    language go through its pipeline together (fr en fr en ... would otherwise be one ``nlp.pipe``
    of a record or two each)."""
    runs, encode = job
    by_lang: dict[str, list[int]] = {}
    flat: list[Record] = []
    for lg, recs in runs:
        by_lang.setdefault(lg, []).extend(range(len(flat), len(flat) + len(recs)))
        flat.extend(recs)
    out: list[Any] = [None] * len(flat)
    for lg, where in by_lang.items():
        for i, task in zip(where, _worker_run((lg, [flat[i] for i in where], encode))):
            out[i] = task
    return out


class _Workers:
    """A pool of processes that turn batches of records into tasks, results in input order.

    At most ``2 * n_process`` batches are in flight, so a long input is never
    read ahead into memory.
    """

    def __init__(
        self, n_process: int, models: dict[str, tuple[str | None, str | None]], labels_s: str | None, limit: int | None, batch_size: int,
        ref: dt.date | None = None,
    ) -> None:
        import multiprocessing as mp

        self.n = n_process
        self.models = models
        self.labels_s = labels_s
        self.batch_size = batch_size
        methods = mp.get_all_start_methods()
        # fork shares the pipelines already loaded here (copy on write); elsewhere each worker builds its own
        self.forked = "fork" in methods
        self._ctx = mp.get_context("fork" if self.forked else "spawn")
        self._init = (models, labels_s, limit, batch_size, ref)
        self._pool = None

    def prepare(self, lg: str) -> None:
        """Load the language's pipeline here first, so forked workers inherit it."""
        if self._pool is None:
            if self.forked:
                _pipeline(lg, self.models, self.labels_s)
            self._pool = self._ctx.Pool(self.n, initializer=_worker_init, initargs=self._init)

    def annotate(self, lg: str, recs: Iterator[Record], encode: bool = False) -> Iterator[tuple[Record, Any]]:
        """Tasks of records of one language, in order (see :meth:`annotate_tagged`)."""
        return self.annotate_tagged(((lg, r) for r in recs), encode)

    def annotate_tagged(self, stream: Iterator[tuple[str, Record]], encode: bool = False) -> Iterator[tuple[Record, Any]]:
        """Tasks of a stream of ``(lang, record)``, in order: batches of ``batch_size`` records (runs of
        one language each, annotated by that language's pipeline) in one window of ``2 * n_process``
        batches in flight.

        (With one window per run of records of one language, every change of language drained the
        window and sent the next run's first batch alone: on mixed-language short paragraphs, or
        French ones now and then detected as English, one worker idled most of the time.)
        """
        from collections import deque

        def batches() -> Iterator[list[tuple[str, list[Record]]]]:
            # batch_size records each, as runs of one language: a language change does not cut a batch
            # (one- or two-record batches would make the per-batch cost the job's)
            while chunk := list(itertools.islice(stream, self.batch_size)):
                yield [(lg, [r for _, r in run]) for lg, run in itertools.groupby(chunk, key=lambda x: x[0])]

        pending: deque[tuple[list[Record], Any]] = deque()
        window = 2 * self.n
        jobs = batches()
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                job = next(jobs, None)
                if job is None:
                    exhausted = True
                    break
                self.prepare(job[0][0])
                assert self._pool is not None
                batch = [r for _, recs in job for r in recs]
                pending.append((batch, self._pool.apply_async(_worker_run_runs, ((job, encode),))))
            if not pending:
                return
            batch, result = pending.popleft()
            yield from zip(batch, result.get())

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


_BREAK = re.compile(r"\n\s*\n|\n|(?<=[.!?])\s+")


def cut_points(text: str, limit: int) -> list[int]:
    """Offsets that cut ``text`` into pieces of at most ``limit`` characters, at paragraph,
    line or sentence ends where possible."""
    cuts = [0]
    pos = 0
    n = len(text)
    while n - pos > limit:
        window = text[pos : pos + limit]
        best = None
        for m in _BREAK.finditer(window):
            if m.end() > limit // 4:
                best = m.end()
        if best is None:
            sp = window.rfind(" ")
            best = sp + 1 if sp > limit // 4 else limit
        pos += best
        cuts.append(pos)
    cuts.append(n)
    return cuts


def _annotate_long(nlp, text: str, limit: int) -> dict[str, Any]:
    cuts = cut_points(text, limit)
    tokens: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    cues: list[dict[str, Any]] = []
    cats: dict[str, float] = {}
    pieces = [text[a:b] for a, b in zip(cuts, cuts[1:])]
    for (a, _b), doc in zip(zip(cuts, cuts[1:]), nlp.pipe(pieces)):
        part = doc_to_task(doc)
        t0 = len(tokens)
        for t in part["tokens"]:
            tokens.append({**t, "start": t["start"] + a, "end": t["end"] + a, "id": t["id"] + t0})
        for s in part["spans"]:
            spans.append({**s, "start": s["start"] + a, "end": s["end"] + a, "token_start": s["token_start"] + t0, "token_end": s["token_end"] + t0})
        for c in part.get("cues", []):
            cues.append({**c, "start": c["start"] + a, "end": c["end"] + a})
        for k, v in part["cats"].items():
            cats[k] = max(cats.get(k, 0.0), v)
    joined = {"text": text, "tokens": tokens, "spans": spans, "cats": cats}
    if cues:
        joined["cues"] = cues
    return joined


def split_sentences(rec: Record, lang: str) -> Iterator[Record]:
    """Cut a record into one record per sentence (rule-based sentencizer)."""
    import spacy

    nlp = _SENT_SPLITTERS.get(lang)
    if nlp is None:
        from .rxcache import compiled_patterns

        with compiled_patterns():  # spaCy's French tokenizer exceptions: 2 s to compile, else
            nlp = spacy.blank(lang)
        nlp.add_pipe("sentencizer")
        _SENT_SPLITTERS[lang] = nlp
    base_offset = int(rec.extra_meta.get("offset", 0))
    part = 0
    for sent in nlp(rec.text).sents:
        text = sent.text.strip()
        if not text:
            continue
        lead = len(sent.text) - len(sent.text.lstrip())
        data = {k: v for k, v in rec.data.items() if k not in ("text", "spans", "tokens", "_input_hash", "_task_hash")}
        data["text"] = text
        meta = dict(rec.extra_meta)
        meta.update({"sentence": part, "offset": base_offset + sent.start_char + lead})
        part += 1
        yield Record(data=data, source=rec.source, line=rec.line, extra_meta=meta)
