"""This toolkit's task shape: what every import format is turned into before it goes into the store.

A reader (:mod:`.prodigy`, :mod:`.doccano`, ...) is a :class:`Reader`: it
recognises its records (``detect``) and takes out their spans and accepted
themes (``read``); :func:`finish_task` then checks and completes the task the
same way for every format: ``meta``, ``tokens`` against the text, span
offsets, token indices and texts, label renaming, ``cats``, the answer and the
hashes. A malformed record raises :class:`BadRecord` (the importer reports it
as ``path:line: what; fix``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..store import ANSWERS
from ..tasks import set_hashes

# keys of an input record that belong to a decision, not to the task
DECISION_META = ("answer", "_annotator_id", "_session_id", "_timestamp", "_seconds", "_decision_id")


class BadRecord(Exception):
    """A malformed input record: what is wrong and how to fix it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass
class RawRecord:
    """What a reader takes out of one record: spans as (start, end, label, extra keys), accepted themes."""

    spans: list[tuple[int, int, str, dict[str, Any]]] = field(default_factory=list)
    themes: list[str] | None = None
    # spans whose offsets were converted to code points, per unit they came in (filled by finish_task)
    converted: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reader:
    """One import format.

    ``detect(record)``: whether a JSON object is in this format. ``read(record,
    task)``: its spans and themes (``task`` is the record without the decision
    keys; ``read`` removes or rewrites the format's own keys in it).
    ``raw_labels(record)``: the labels of the spans as written, in the order of
    ``read`` (to count renamed labels). ``span_source``: the ``source`` given to
    every span read (None: as given).

    ``expand(record, context)`` (formats whose one record holds several
    answers, such as a Label Studio task with its annotations and predictions,
    or an Argilla record with a response per user): the record as a list of
    records in this toolkit's own shape (``text``, ``spans``, ``accept``,
    ``meta``, and ``answer`` / ``_annotator_id`` / ``_timestamp`` /
    ``_seconds`` for a decision), each then read by ``read`` like an
    annotate record. ``context`` gives the known themes and takes notes for
    the import report (converted offsets, parts left out).

    ``describe(record)``: what was recognised in it, for the import report
    (``--format auto`` says what it found). ``answer(record)``: the answer a
    record without ``"answer"`` carries in the format's own terms (doccano's
    approved records), or None. ``default_accept``: whether a record of this
    format without any answer is accepted (Prodigy's ``db-in`` default; not
    for formats whose records say themselves what is answered and what is not).
    """

    name: str
    detect: Callable[[dict[str, Any]], bool]
    read: Callable[[dict[str, Any], dict[str, Any]], RawRecord]
    raw_labels: Callable[[dict[str, Any]], list[str]]
    span_source: str | None = None
    describe: Callable[[dict[str, Any]], str] | None = None
    answer: Callable[[dict[str, Any]], str | None] | None = None
    default_accept: bool = True
    expand: Callable[[dict[str, Any], ReadContext], list[dict[str, Any]]] | None = None


@dataclass
class ReadContext:
    """What an ``expand`` reader may know and report: the themes of labels/ (None: unknown) and notes."""

    theme_names: frozenset[str] | None = None
    label_map: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def as_int(v: Any, what: str) -> int:
    """``v`` as an integer offset, or :class:`BadRecord`."""
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v:
        raise BadRecord(f"{what} is {v!r}, not an integer", "give character offsets as integers (Python code points)")
    return int(v)


def start_task(data: Any) -> tuple[dict[str, Any], str]:
    """The task of an input record (the record without the decision keys) and its text; checks the text."""
    if not isinstance(data, dict):
        raise BadRecord(f"expected a JSON object, got {type(data).__name__}", 'write one JSON object per line, e.g. {"text": "..."}')
    text = data.get("text")
    if not isinstance(text, str):
        raise BadRecord('record has no "text" string', 'add a "text" string to the record')
    if "\x00" in text:
        raise BadRecord('NUL character in "text"', "remove the NUL characters")
    return {k: v for k, v in data.items() if k not in DECISION_META}, text


def finish_task(
    data: dict[str, Any], task: dict[str, Any], text: str, raw: RawRecord, reader: Reader, *,
    label_map: dict[str, str], lang: str | None,
) -> tuple[dict[str, Any], str | None]:
    """Check and complete ``task`` from what ``reader`` read; (task, answer or None)."""
    if "meta" in task and not isinstance(task["meta"], dict):
        raise BadRecord('"meta" is not an object', 'write "meta" as a JSON object or leave it out')
    own = task.get("lang") if isinstance(task.get("lang"), str) and task.get("lang") else None
    if (own or lang) and not (isinstance(task.get("meta"), dict) and task["meta"].get("lang")):
        task["meta"] = dict(task.get("meta") or {}, lang=own or lang)  # the record's own "lang" first
    # tokens, when given, must match the text
    tokens = task.get("tokens")
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    if tokens is not None:
        if not isinstance(tokens, list):
            raise BadRecord('"tokens" is not a list', 'drop "tokens" to let annotate tokenize the text')
        for i, t in enumerate(tokens):
            try:
                ts, te, tt = int(t["start"]), int(t["end"]), t["text"]
            except (KeyError, TypeError, ValueError):
                raise BadRecord(f"token {i} has no start, end and text", 'drop "tokens" to let annotate tokenize the text') from None
            if text[ts:te] != tt:
                raise BadRecord(f"token {i} {tt!r} does not match the text at {ts}-{te}", 'correct the tokens or drop "tokens"')
            starts[ts] = i
            ends[te] = i
    from .offsets import UTF16, convert_offsets, guess_unit, span_offsets  # offsets imports BadRecord from here

    out_spans = []
    # spans without their own text: only their places on the words betray offsets in UTF-16 units
    bare = [(a, b) for a, b, _, s in raw.spans if not isinstance(s.get("text"), str)]
    bare_utf16 = guess_unit(text, bare) == UTF16
    for start, end, lab, s in raw.spans:
        if bare_utf16 and not isinstance(s.get("text"), str):
            conv = convert_offsets(text, start, end, UTF16)
            if conv is not None:
                start, end = conv
                raw.converted[UTF16] = raw.converted.get(UTF16, 0) + 1
        checked = span_offsets(text, {"start": start, "end": end, "label": lab, "text": s.get("text")})
        if checked.converted:
            raw.converted[checked.unit] = raw.converted.get(checked.unit, 0) + 1
            start, end = checked.start, checked.end
        if not 0 <= start < end <= len(text):
            raise BadRecord(f"span {start}-{end} falls outside the text (length {len(text)})", "correct the offsets (Python code points)")
        span = {k: v for k, v in s.items()}
        span["start"], span["end"] = start, end
        span["label"] = label_map.get(lab, lab)
        span["text"] = text[start:end]
        if reader.span_source is not None:
            span["source"] = reader.span_source
        if tokens is not None and ("token_start" not in span or "token_end" not in span):
            if start in starts and end in ends:
                span["token_start"], span["token_end"] = starts[start], ends[end]
        out_spans.append(span)
    task["spans"] = out_spans
    if raw.themes is not None:
        task["accept"] = [label_map.get(t, t) for t in raw.themes]
    cats = task.get("cats")
    if cats is not None:
        if not isinstance(cats, dict) or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in cats.values()):
            raise BadRecord('"cats" is not an object of theme scores', 'write "cats" as {"THEME": 0.0..1.0} or leave it out')
        task["cats"] = {label_map.get(k, k): v for k, v in cats.items()}
        if "accept" not in task and cats and all(v in (0, 1) for v in cats.values()):
            # gold records: every theme 0 or 1 is a reviewed answer, not a model's scores
            task["accept"] = [k for k, v in task["cats"].items() if v == 1]
    answer = data.get("answer")
    if answer is not None and answer not in ANSWERS:
        raise BadRecord(f"unknown answer {answer!r}", "use accept, reject or ignore, or leave the answer out")
    for key in ("_input_hash", "_task_hash"):
        if key in task and (isinstance(task[key], bool) or not isinstance(task[key], int)):
            raise BadRecord(f"{key} is {task[key]!r}, not an integer", f"remove {key} so it is computed again")
    from .validate import check_decision_fields, check_task

    check_decision_fields(data)
    check_task(task)
    set_hashes(task)
    return task, answer
