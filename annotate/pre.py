"""Pre-annotation: records in, tasks out.

:func:`pre_annotate` streams records through the pipeline of each record's
language (detected, or given by ``lang`` / the record's ``lang`` field) and
yields tasks in input order. Consecutive records of one language go through
one ``nlp.pipe`` call, so a single-language stream is one pass. Documents
longer than the pipeline's ``max_length`` are processed in pieces and joined
back with exact offsets.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .about import __version__
from .errors import AnnotateError
from .io import Record
from .lang import SUPPORTED, detect_lang
from .pipeline import cached_pipeline, model_description
from .tasks import doc_to_task, set_hashes

_SENT_SPLITTERS: dict[str, Any] = {}


def record_lang(rec: Record, forced: str | None) -> str:
    if forced:
        return forced
    given = rec.data.get("lang")
    if isinstance(given, str) and given.lower()[:2] in SUPPORTED:
        return given.lower()[:2]
    return detect_lang(rec.text)


def pre_annotate(
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
) -> Iterator[dict[str, Any]]:
    """Yield one task per record (or per sentence with ``split="sentences"``)."""
    if lang is not None and lang not in SUPPORTED:
        raise AnnotateError(f"unsupported language {lang!r}", fix="use --lang fr or --lang en", code="E201", exit_code=2)
    labels_s = str(Path(labels).resolve()) if labels is not None else None
    models = {"fr": model, "en": model_en}

    def tagged() -> Iterator[tuple[str, Record]]:
        for rec in records:
            lg = record_lang(rec, lang)
            if split == "sentences":
                for piece in split_sentences(rec, lg):
                    yield lg, piece
            else:
                yield lg, rec

    for lg, group in itertools.groupby(tagged(), key=lambda x: x[0]):
        nlp = cached_pipeline(lg, models[lg], labels_s)
        desc = model_description(nlp)
        limit = max_length or nlp.max_length
        recs = (r for _, r in group)
        for rec, doc in _pipe(nlp, recs, limit, n_process, batch_size):
            if on_record is not None:
                on_record(rec)
            meta = dict(rec.extra_meta)
            meta.update({"lang": lg, **desc, "annotate_version": __version__})
            if isinstance(doc, dict):  # a long document joined from pieces
                task = _finish_joined(doc, rec, meta)
            else:
                task = doc_to_task(doc, base=rec.data, meta=meta)
            yield task


def _pipe(nlp, recs: Iterator[Record], limit: int, n_process: int, batch_size: int):
    """nlp.pipe over records in order; over-long texts go through in pieces."""
    buffer: list[Record] = []

    def flush() -> Iterator[tuple[Record, Any]]:
        if not buffer:
            return
        items = [(r.text, r) for r in buffer]
        kwargs: dict[str, Any] = {"as_tuples": True, "batch_size": batch_size}
        if n_process > 1 and len(items) >= 2 * batch_size:
            kwargs["n_process"] = n_process
        yield from ((r, d) for d, r in nlp.pipe(items, **kwargs))
        buffer.clear()

    chunk = max(batch_size * max(n_process, 1) * 8, 256)
    for rec in recs:
        if len(rec.text) > limit:
            yield from flush()
            yield rec, _annotate_long(nlp, rec.text, limit)
            continue
        buffer.append(rec)
        if len(buffer) >= chunk:
            yield from flush()
    yield from flush()


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
    return {"text": text, "tokens": tokens, "spans": spans, "cues": cues, "cats": cats}


def _finish_joined(joined: dict[str, Any], rec: Record, meta: dict[str, Any]) -> dict[str, Any]:
    task = {k: v for k, v in rec.data.items() if k not in ("spans", "tokens", "cats", "_input_hash", "_task_hash")}
    task.update(joined)
    if not task.get("cues"):
        task.pop("cues", None)
    m = dict(task.get("meta") or {}) if isinstance(task.get("meta"), dict) else {}
    m.update(meta)
    task["meta"] = m
    return set_hashes(task, overwrite=True)


def split_sentences(rec: Record, lang: str) -> Iterator[Record]:
    """Cut a record into one record per sentence (rule-based sentencizer)."""
    import spacy

    nlp = _SENT_SPLITTERS.get(lang)
    if nlp is None:
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
