"""Argilla 2: records in (nested or flattened), records and dataset settings out.

In (``db-in --format argilla``, or recognised by ``auto``), a JSON array or
JSONL of records as the Argilla 2 SDK writes them
(``dataset.records.to_json`` / ``Record.to_dict``)::

    {"id", "fields": {"text": "..."}, "metadata": {...},
     "suggestions": {"<question>": {"value", "score", "agent"}},
     "responses": {"<question>": [{"value", "user_id", "status"}]}}

or flattened (``to_list(flatten=True)``, the Hub export): ``"text"``,
``"<question>.responses"``, ``"<question>.responses.users"``,
``"<question>.responses.status"``, ``"<question>.suggestion"``,
``"<question>.suggestion.score"``, ``"<question>.suggestion.agent"``.

A question is read by the shape of its value: a list of ``{start, end,
label}`` is a span question, a list of strings (or one string) names themes.
Every user's responses make one decision: ``status`` submitted -> accept,
discarded -> reject, draft -> ignore (no status, as ``to_json`` writes them:
submitted). A record without responses becomes a task whose spans are the
span suggestion (``source`` = its ``agent``, ``score`` per span) and whose
``cats`` are the theme suggestion's scores. The text is ``fields.text`` (or the
only text field). Offsets are code points (Argilla is Python); a span that
does not fit the text is an error naming it.

Out (``export --format argilla``): :func:`example_record` and
:func:`pending_record` give records that ``rg.Record.from_dict`` reads, and
:func:`settings` the ``rg.Settings`` (``TextField`` text, ``SpanQuestion``
spans, ``MultiLabelQuestion`` themes) that ``rg.Settings.from_json`` reads.
User ids are UUIDs: an annotator's is ``uuid5(NAMESPACE_URL,
"annotate:" + name)``, and ``metadata.annotate`` (a JSON string) keeps the
name, this toolkit's ``meta`` and hashes, so the file imported again gives
back the same decisions.
"""

from __future__ import annotations

import hashlib

import json
import uuid
from typing import Any

from . import prodigy
from .native import BadRecord, RawRecord, ReadContext, Reader, as_int
from .offsets import check_span

TEXT_FIELD = "text"
SPANS_QUESTION = "spans"
THEMES_QUESTION = "themes"
ANSWERS = {"submitted": "accept", "discarded": "reject", "draft": "ignore"}
STATUSES = {v: k for k, v in ANSWERS.items()}
_FIX = "export the dataset with the Argilla 2 SDK (dataset.records.to_json) and import that file as it is"


def user_id(annotator: str) -> str:
    """The Argilla user id (a UUID) this toolkit gives an annotator name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "annotate:" + annotator))


# ---------------------------------------------------------------- in


def _is_flat(data: dict[str, Any]) -> bool:
    return any(isinstance(k, str) and (k.endswith(".responses") or k.endswith(".suggestion")) for k in data)


def detect(data: dict[str, Any]) -> bool:
    if "spans" in data:
        return False
    if isinstance(data.get("fields"), dict):
        return True
    return _is_flat(data)


def _unflatten(data: dict[str, Any]) -> dict[str, Any]:
    """A flattened record (``q.responses``, ``q.suggestion`` ...) in the nested shape."""
    fields: dict[str, Any] = {}
    responses: dict[str, list[dict[str, Any]]] = {}
    suggestions: dict[str, dict[str, Any]] = {}
    questions = {k.rsplit(".", 1)[0] for k in data if k.endswith((".responses", ".suggestion"))}
    used = set()
    for q in questions:
        values = data.get(f"{q}.responses")
        if isinstance(values, list):
            users = data.get(f"{q}.responses.users") or []
            status = data.get(f"{q}.responses.status") or []
            responses[q] = [
                {"value": v, "user_id": users[i] if i < len(users) else None, "status": status[i] if i < len(status) else None}
                for i, v in enumerate(values)
            ]
        if data.get(f"{q}.suggestion") is not None:
            suggestions[q] = {
                "value": data[f"{q}.suggestion"], "score": data.get(f"{q}.suggestion.score"),
                "agent": data.get(f"{q}.suggestion.agent"),
            }
        used |= {f"{q}.responses", f"{q}.responses.users", f"{q}.responses.status", f"{q}.suggestion",
                 f"{q}.suggestion.score", f"{q}.suggestion.agent"}
    for k, v in data.items():
        if k not in used and k not in ("id", "status", "_server_id", "metadata", "vectors"):
            fields[k] = v
    return {"id": data.get("id"), "fields": fields, "metadata": data.get("metadata") or {}, "responses": responses,
            "suggestions": suggestions}


def _text_of(fields: dict[str, Any]) -> str:
    if isinstance(fields.get(TEXT_FIELD), str):
        return fields[TEXT_FIELD]
    strings = [v for v in fields.values() if isinstance(v, str)]
    if len(strings) == 1:
        return strings[0]
    raise BadRecord('record has no "text" field', 'name the text field "text" (rg.TextField(name="text"))')


def _is_span_value(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) and "start" in x and "end" in x and "label" in x for x in v)


def _spans(value: list[dict[str, Any]], text: str, what: str) -> list[dict[str, Any]]:
    out = []
    for x in value:
        if not isinstance(x.get("label"), str):
            raise BadRecord(f"{what}: span {x!r} has no label string", _FIX)
        s, e = as_int(x["start"], "span start"), as_int(x["end"], "span end")
        a, b, _ = check_span(text, {"start": s, "end": e, "label": x["label"], "text": x.get("text")})
        out.append({"start": a, "end": b, "label": x["label"]})
    return out


def _themes(v: Any) -> list[str] | None:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v)
    return None


def _ours(meta: Any) -> dict[str, Any]:
    raw = meta.get("annotate") if isinstance(meta, dict) else None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    return raw if isinstance(raw, dict) else {}


def expand(data: dict[str, Any], ctx: ReadContext) -> list[dict[str, Any]]:
    if not isinstance(data.get("fields"), dict):
        data = _unflatten(data)
    text = _text_of(data["fields"])
    rid = data.get("id")
    what = f"record {rid}" if rid is not None else "record"
    meta_in = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    ours = _ours(meta_in)
    base: dict[str, Any] = {"text": text}
    if ours:
        if isinstance(ours.get("meta"), dict):
            base["meta"] = ours["meta"]
        for key in ("_input_hash", "_task_hash"):
            if isinstance(ours.get(key), int) and not isinstance(ours.get(key), bool):
                base[key] = ours[key]
    else:
        meta: dict[str, Any] = {"source": "argilla"}
        if rid is not None:
            meta["argilla_id"] = rid
        if meta_in:
            meta["argilla_metadata"] = meta_in
        base["meta"] = meta
    names = ours.get("annotators") if isinstance(ours.get("annotators"), dict) else {}
    responses = data.get("responses") or {}
    if not isinstance(responses, dict):
        raise BadRecord(f'{what}: "responses" is not an object of questions', _FIX)
    by_user: dict[str, dict[str, Any]] = {}
    for q, items in responses.items():
        if not isinstance(items, list):
            raise BadRecord(f"{what}: responses to {q!r} are not a list", _FIX)
        for r in items:
            if not isinstance(r, dict) or r.get("user_id") is None:
                raise BadRecord(f"{what}: a response to {q!r} has no user_id", _FIX)
            by_user.setdefault(str(r["user_id"]), {})[q] = r
    out = []
    for uid, answers in by_user.items():
        rec = dict(base, spans=[])
        statuses = {str(r.get("status") or "submitted") for r in answers.values()}
        status = "submitted" if statuses == {"submitted"} else ("discarded" if "discarded" in statuses else "draft")
        if not statuses <= set(ANSWERS):
            raise BadRecord(f"{what}: unknown response status {sorted(statuses - set(ANSWERS))}", "use submitted, discarded or draft")
        for q, r in answers.items():
            v = r.get("value")
            if v == [] and q == THEMES_QUESTION:
                rec["accept"] = rec.get("accept", [])  # reviewed: no theme applies
            elif _is_span_value(v):
                rec["spans"].extend(_spans(v, text, f"{what} response {q!r}"))
            elif _themes(v) is not None:
                rec["accept"] = rec.get("accept", []) + (_themes(v) or [])
            elif v is not None:
                ctx.notes.append(f"{what}: response to {q!r} left out (neither spans nor labels)")
        rec["answer"] = ANSWERS[status]
        rec["_annotator_id"] = names.get(uid, uid)
        out.append(rec)
    if out:
        return out
    suggestions = data.get("suggestions") or {}
    if not isinstance(suggestions, dict):
        raise BadRecord(f'{what}: "suggestions" is not an object of questions', _FIX)
    rec = dict(base, spans=[])
    span_sources = ours.get("span_sources") if isinstance(ours.get("span_sources"), list) else None
    for q, sug in suggestions.items():
        if not isinstance(sug, dict):
            raise BadRecord(f"{what}: suggestion for {q!r} is not an object", _FIX)
        v, score, agent = sug.get("value"), sug.get("score"), sug.get("agent")
        scores = score if isinstance(score, list) else None
        if v == [] and q == THEMES_QUESTION:
            continue
        if _is_span_value(v):
            for i, s in enumerate(_spans(v, text, f"{what} suggestion {q!r}")):
                s["source"] = (span_sources[i] if span_sources and i < len(span_sources) else None) or agent or "argilla"
                sc = scores[i] if scores and i < len(scores) else score
                if isinstance(sc, int | float) and not isinstance(sc, bool):
                    s["score"] = sc
                rec["spans"].append(s)
        elif _themes(v) is not None:
            cats = rec.setdefault("cats", {})
            for i, t in enumerate(_themes(v) or []):
                sc = scores[i] if scores and i < len(scores) else score
                cats[t] = float(sc) if isinstance(sc, int | float) and not isinstance(sc, bool) else 1.0
        else:
            ctx.notes.append(f"{what}: suggestion for {q!r} left out (neither spans nor labels)")
    return [rec]


def read(data: dict[str, Any], task: dict[str, Any]) -> RawRecord:
    return prodigy.read(data, task)


READER = Reader("argilla", detect, read, prodigy.raw_labels, expand=expand, default_accept=False)


# ---------------------------------------------------------------- out


def _metadata(rec: dict[str, Any], **more: Any) -> dict[str, Any]:
    ours: dict[str, Any] = {k: rec[k] for k in ("_input_hash", "_task_hash") if k in rec}
    if isinstance(rec.get("meta"), dict):
        ours["meta"] = rec["meta"]
    ours.update({k: v for k, v in more.items() if v is not None})
    out: dict[str, Any] = {"annotate": json.dumps(ours, ensure_ascii=False, sort_keys=True)}
    lang = rec.get("meta", {}).get("lang") if isinstance(rec.get("meta"), dict) else None
    if isinstance(lang, str):
        out["lang"] = lang
    return out


def _span_values(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"start": s["start"], "end": s["end"], "label": s["label"]} for s in spans]


def example_record(rec: dict[str, Any], *, answer: str = "accept") -> dict[str, Any]:
    """A reviewed example (an exported record) as an Argilla record with its annotator's responses.

    ``answer``: accept, reject or ignore (the responses' status submitted, discarded or draft).
    """
    who = str(rec.get("_annotator_id") or "annotate")
    uid = user_id(who)
    status = STATUSES[answer]
    responses: dict[str, list[dict[str, Any]]] = {
        SPANS_QUESTION: [{"value": _span_values(rec["spans"]), "user_id": uid, "status": status}]
    }
    if isinstance(rec.get("accept"), list):
        responses[THEMES_QUESTION] = [{"value": list(rec["accept"]), "user_id": uid, "status": status}]
    return {
        "id": record_id(rec),
        "fields": {TEXT_FIELD: rec["text"]},
        "metadata": _metadata(rec, annotators={uid: who}),
        "suggestions": {},
        "responses": responses,
        "vectors": {},
        "status": "pending" if answer == "ignore" else "completed",
    }


def record_id(rec: dict[str, Any]) -> str:
    """The Argilla record id of an exported example or task: a 128-bit digest of its text and 32-bit task hash.

    Argilla replaces a record logged with an id it has, so two different texts must never share one (their
    32-bit hashes alone can collide); the same text with other spans (another task) gets another id.
    """
    blob = json.dumps([rec.get("text"), rec.get("_task_hash", rec.get("_input_hash"))], ensure_ascii=False)
    return hashlib.blake2b(blob.encode("utf-8"), digest_size=16).hexdigest()


def pending_record(task: dict[str, Any], *, threshold: float) -> dict[str, Any]:
    """A task nobody answered as an Argilla record whose pre-annotations are suggestions."""
    spans = sorted(task.get("spans") or [], key=lambda x: (x["start"], x["end"], x["label"]))
    suggestions: dict[str, dict[str, Any]] = {}
    sources = [str(s.get("source") or "annotate") for s in spans]
    if spans:
        scores = [s.get("score") for s in spans]
        agent = sources[0] if len(set(sources)) == 1 else "annotate"
        suggestions[SPANS_QUESTION] = {
            "value": _span_values(spans),
            "score": [float(x) for x in scores] if all(isinstance(x, int | float) and not isinstance(x, bool) for x in scores) else None,
            "agent": agent,
        }
    cats = task.get("cats") if isinstance(task.get("cats"), dict) else {}
    chosen = [t for t, v in cats.items() if isinstance(v, int | float) and v >= threshold]
    if chosen:
        suggestions[THEMES_QUESTION] = {"value": chosen, "score": [float(cats[t]) for t in chosen], "agent": "annotate-themes"}
    return {
        "id": record_id(task),
        "fields": {TEXT_FIELD: task["text"]},
        "metadata": _metadata(task, span_sources=sources if len(set(sources)) > 1 else None),
        "suggestions": suggestions,
        "responses": {},
        "vectors": {},
        "status": "pending",
    }


def settings(labels: list[str], themes: list[str]) -> dict[str, Any]:
    """The dataset settings, in the shape ``rg.Settings.to_json`` writes and ``rg.Settings.from_json`` reads."""
    questions: list[dict[str, Any]] = [{
        "name": SPANS_QUESTION, "title": "Entities", "description": None, "required": False, "type": "span",
        "settings": {"type": "span", "field": TEXT_FIELD, "allow_overlapping": True, "visible_options": None,
                     "options": [{"text": x, "value": x} for x in labels]},
    }]
    if themes:
        questions.append({
            "name": THEMES_QUESTION, "title": "Themes", "description": None, "required": False,
            "type": "multi_label_selection",
            "settings": {"type": "multi_label_selection", "visible_options": None, "options_order": "natural",
                         "options": [{"text": x, "value": x} for x in themes]},
        })
    return {
        "guidelines": None,
        "questions": questions,
        "fields": [{"name": TEXT_FIELD, "title": TEXT_FIELD, "required": True, "description": None, "type": "text",
                    "settings": {"type": "text", "use_markdown": False}}],
        "vectors": [],
        "metadata": [],
        "allow_extra_metadata": True,
        "distribution": {"strategy": "overlap", "min_submitted": 1},
        "mapping": None,
    }
