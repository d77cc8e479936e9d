"""The task format: Prodigy's JSONL task shape plus spaCy's ``cats``.

A task is a dict::

    {
      "text": "...",
      "tokens": [{"text", "start", "end", "id", "ws"}],
      "spans": [{"start", "end", "token_start", "token_end", "label",
                 "source", "text", "value"?, "answer"?}],
      "cats": {"AI": 0.83, ...},          # every theme, score in [0, 1]
      "cues": [{"start", "end", "label", "text"}],   # theme evidence
      "meta": {...},
      "_input_hash": int, "_task_hash": int,
      ...                                  # any other input field, unchanged
    }

Offsets are Python code points. ``token_end`` is inclusive (Prodigy).
Hashes are 32-bit signed MurmurHash3 values, like Prodigy's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from murmurhash.mrmr import hash as _mmh3

if TYPE_CHECKING:  # spaCy is imported lazily: the store and the CLI start fast without it
    from spacy.tokens import Doc, Span

from .errors import Errors

INPUT_KEYS = ("text",)
TASK_KEYS = ("spans",)
SPANS_KEY = "annotate_candidates"  # every candidate span, overlaps too
CUES_KEY = "annotate_theme_cues"  # theme cue matches, label = theme


def _h(s: str) -> int:
    return int(_mmh3(s))


def input_hash(task: dict[str, Any]) -> int:
    return _h(json.dumps({k: task.get(k) for k in INPUT_KEYS}, ensure_ascii=False, sort_keys=True))


def task_hash(task: dict[str, Any], in_hash: int | None = None) -> int:
    ih = input_hash(task) if in_hash is None else in_hash
    spans = [(s["start"], s["end"], s["label"]) for s in task.get("spans", [])]
    return _h(json.dumps([ih, sorted(spans)], sort_keys=True))


def set_hashes(task: dict[str, Any], *, overwrite: bool = False) -> dict[str, Any]:
    if overwrite or "_input_hash" not in task:
        task["_input_hash"] = input_hash(task)
    if overwrite or "_task_hash" not in task:
        task["_task_hash"] = task_hash(task, task["_input_hash"])
    return task


def tokens_of(doc: Doc) -> list[dict[str, Any]]:
    """Prodigy's token list, read from the token arrays (no Token objects: this runs for every task)."""
    from spacy.attrs import IDX, ORTH, SPACY

    if len(doc) == 0:
        return []
    arr = doc.to_array([ORTH, IDX, SPACY]).tolist()
    strings = doc.vocab.strings
    out = []
    for i, (orth, idx, ws) in enumerate(arr):
        text = strings[orth]
        out.append({"text": text, "start": idx, "end": idx + len(text), "id": i, "ws": bool(ws)})
    return out


def span_value(span: Span) -> Any:
    """The normalized value stored in ``span.kb_id_`` (JSON), or None."""
    raw = span.kb_id_
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def span_to_dict(span: Span, *, offset: int = 0, text: str | None = None) -> dict[str, Any]:
    start, end = span.start_char, span.end_char
    d: dict[str, Any] = {
        "start": start + offset,
        "end": end + offset,
        "token_start": span.start,
        "token_end": span.end - 1,
        "label": span.label_,
        "text": text[start:end] if text is not None else span.text,
        "source": span.id_ or "unknown",
    }
    value = span_value(span)
    if value is not None:
        d["value"] = value
    return d


# fields of an input record that annotation recomputes (every other field is kept as it is)
DERIVED_KEYS = ("spans", "tokens", "cats", "_input_hash", "_task_hash")


def finish_task(base: dict[str, Any] | None, fields: dict[str, Any], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A task from an input record's own fields, the annotation ``fields`` and our ``meta``
    (merged into the record's meta), with fresh hashes."""
    task: dict[str, Any] = {k: v for k, v in (base or {}).items() if k not in DERIVED_KEYS}
    task.update(fields)
    merged_meta = dict(task.get("meta") or {}) if isinstance(task.get("meta"), dict) else {}
    if meta:
        merged_meta.update(meta)
    task["meta"] = merged_meta
    return set_hashes(task, overwrite=True)


def doc_to_task(doc: Doc, base: dict[str, Any] | None = None, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A task from an annotated Doc: ``doc.ents`` become spans, ``doc.cats`` the themes."""
    tokens = tokens_of(doc)
    # doc.text rebuilt from the tokens we already have (doc.text walks every Token again)
    text = "".join(t["text"] + " " if t["ws"] else t["text"] for t in tokens)
    fields: dict[str, Any] = {
        "text": text,
        "tokens": tokens,
        "spans": [span_to_dict(e, text=text) for e in doc.ents],
        "cats": {k: round(float(v), 4) for k, v in doc.cats.items()},
    }
    if CUES_KEY in doc.spans:
        fields["cues"] = [
            {"start": s.start_char, "end": s.end_char, "label": s.label_, "text": text[s.start_char : s.end_char]}
            for s in doc.spans[CUES_KEY]
        ]
    return finish_task(base, fields, meta)


def check_spans(task: dict[str, Any], labels: Iterable[str] | None = None, *, where: str = "<task>", line: int | None = None) -> None:
    """Raise AnnotateError when a task's spans fall outside its text or use unknown labels."""
    text = task.get("text", "")
    known = list(labels) if labels is not None else None
    for s in task.get("spans", []) or []:
        try:
            start, end, label = int(s["start"]), int(s["end"]), s["label"]
        except (KeyError, TypeError, ValueError):
            raise Errors.E030(where=where, line=line) from None
        if not (0 <= start < end <= len(text)):
            raise Errors.E031(start=start, end=end, n_text=len(text), where=where, line=line)
        if known is not None and label not in known:
            from .labels import did_you_mean

            raise Errors.E032(label=label, fix=did_you_mean(label, known), where=where, line=line)


def task_to_doc(vocab_or_nlp: Any, task: dict[str, Any], *, alignment_mode: str = "strict", spans_key: str = "sc") -> Doc:
    """Rebuild a Doc from a task: tokens when present, spans into ``doc.ents`` and ``doc.spans[spans_key]``.

    Raises AnnotateError when a span does not align with the tokens (in strict mode).
    """
    from spacy.tokens import Doc

    vocab = getattr(vocab_or_nlp, "vocab", vocab_or_nlp)
    text = task["text"]
    tokens = task.get("tokens")
    if tokens:
        words = [t["text"] for t in tokens]
        spaces = [bool(t.get("ws", True)) for t in tokens]
        doc = Doc(vocab, words=words, spaces=spaces)
        if doc.text != text:
            raise Errors.E033()
    elif hasattr(vocab_or_nlp, "make_doc"):
        doc = vocab_or_nlp.make_doc(text)
    else:
        raise Errors.E034()
    spans: list[Span] = []
    for s in task.get("spans", []) or []:
        span = doc.char_span(s["start"], s["end"], label=s["label"], alignment_mode=alignment_mode)
        if span is None:
            raise Errors.E035(start=s['start'], end=s['end'], span_text=text[s['start']:s['end']])
        if "value" in s:
            span.kb_id_ = json.dumps(s["value"], sort_keys=True, ensure_ascii=False)
        if s.get("source"):
            span.id_ = str(s["source"])
        spans.append(span)
    doc.spans[spans_key] = spans
    doc.set_ents(_non_overlapping(spans))
    cats = task.get("cats")
    if isinstance(cats, dict):
        doc.cats = {k: float(v) for k, v in cats.items()}
    return doc


def _non_overlapping(spans: list[Span]) -> list[Span]:
    from spacy.util import filter_spans

    return filter_spans(spans)
