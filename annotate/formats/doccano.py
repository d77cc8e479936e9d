"""doccano's exports (JSONL, and the same records in a ``.json`` array or doccano's CSV).

* sequence labelling: ``{"text", "label": [[start, end, "LABEL"], ...]}`` (``"labels"`` in older versions);
* relation extraction: ``{"text", "entities": [{"id", "start_offset", "end_offset", "label"}],
  "relations": [{"id", "from_id", "to_id", "type"}]}``: each span keeps its entity id (``doccano_id``)
  and the relations go into ``meta.doccano_relations`` with those ids;
* intent detection and slot filling: ``{"text", "entities": [[start, end, "SLOT"], ...], "cats": ["INTENT"]}``;
* text classification: ``{"text", "label": ["THEME", ...]}`` (the accepted themes);
* doccano 1.0's ``{"text", "annotations": [{"label", "start_offset", "end_offset", "user", ...}],
  "annotation_approver"}`` (label ids as doccano wrote them: rename them with ``--label-map 3=ORG``).

The record's ``id`` is kept as ``meta.doccano_id``; ``meta.source`` and every
span's ``source`` are ``doccano``. A record a reviewer approved
(``annotation_approver``) is an accepted decision by that reviewer, at the
time of its latest annotation. A doccano 1.0 record annotated by several users
(collaborative projects export every user's annotations, each with the
``user`` who made it: doccano 1.0 writes the user's id, some versions the
name) is one accepted decision per user (:func:`expand`): annotator that user
(as doccano wrote it, e.g. ``"2"``), their own spans and labels, at the time
of their latest annotation; the approver stays in
``meta.doccano_annotation_approver``. Offsets are checked by :mod:`.offsets`
(doccano counts UTF-16 units in some versions).
"""

from __future__ import annotations

import datetime
from typing import Any

from .native import BadRecord, RawRecord, Reader, as_int

_SPAN_LISTS = ("label", "labels")


def _is_triples(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, list) for x in v)


def detect(data: dict[str, Any]) -> bool:
    if "spans" in data:
        return False
    if isinstance(data.get("entities"), list) or isinstance(data.get("annotations"), list):
        return True
    # "label": [[start, end, "LABEL"], ...] or ["THEME", ...]; a list of objects is not doccano's (Label Studio's JSON_MIN)
    return any(
        isinstance(data.get(k), list) and all(isinstance(x, list | str) for x in data[k]) for k in _SPAN_LISTS
    ) and not isinstance(data.get("answer"), str)


def describe(data: dict[str, Any]) -> str:
    if isinstance(data.get("annotations"), list):
        return 'doccano 1.0 "annotations" with start_offset/end_offset'
    if isinstance(data.get("entities"), list):
        if isinstance(data.get("cats"), list):
            return 'intent detection: "entities" and "cats"'
        return '"entities"' + (' and "relations"' if isinstance(data.get("relations"), list) else "")
    for k in _SPAN_LISTS:
        v = data.get(k)
        if _is_triples(v):
            return f'"{k}" holds [start, end, label] lists'
        if isinstance(v, list):
            return f'"{k}" holds class names (text classification)'
    return ""


def _triple(x: Any, what: str) -> tuple[int, int, str]:
    if not (isinstance(x, list) and len(x) == 3 and isinstance(x[2], str | int) and not isinstance(x[2], bool)):
        raise BadRecord(f"doccano {what} {x!r} is not [start, end, \"LABEL\"]", 'write doccano labels as [[start, end, "LABEL"], ...]')
    return as_int(x[0], f"{what} start"), as_int(x[1], f"{what} end"), str(x[2])


def _label_name(v: Any, what: str) -> str:
    if isinstance(v, str) and v:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)  # doccano 1.0 label ids
    raise BadRecord(f"{what} has no label", f'give each {what} a "label"')


def read(data: dict[str, Any], task: dict[str, Any]) -> RawRecord:
    raw = RawRecord()
    themes: list[str] = []
    has_themes = False
    for key in _SPAN_LISTS:
        value = data.get(key)
        task.pop(key, None)
        if not isinstance(value, list):
            continue
        if value and all(isinstance(x, str) for x in value):
            themes.extend(value)  # text classification export
            has_themes = True
        else:
            for x in value:
                a, b, lab = _triple(x, "label")
                raw.spans.append((a, b, lab, {}))
    ents = data.get("entities")
    task.pop("entities", None)
    if isinstance(ents, list):
        for x in ents:
            if isinstance(x, list):
                a, b, lab = _triple(x, "entity")
                raw.spans.append((a, b, lab, {}))
                continue
            if not isinstance(x, dict):
                raise BadRecord(f"entity {x!r} is not an object", 'give each entity "start_offset", "end_offset" and "label"')
            extra = {"doccano_id": x["id"]} if "id" in x else {}
            raw.spans.append((as_int(x.get("start_offset"), "start_offset"), as_int(x.get("end_offset"), "end_offset"),
                              _label_name(x.get("label"), "entity"), extra))
    cats = data.get("cats")
    if isinstance(cats, list):  # intent detection: the intents
        task.pop("cats", None)
        if not all(isinstance(c, str) for c in cats):
            raise BadRecord('"cats" is not a list of names', 'write doccano intents as "cats": ["INTENT"]')
        themes.extend(cats)
        has_themes = True
    anns = data.get("annotations")
    task.pop("annotations", None)
    if isinstance(anns, list):  # doccano 1.0
        for x in anns:
            if not isinstance(x, dict):
                raise BadRecord(f"annotation {x!r} is not an object", 'give each annotation "label" (and offsets for spans)')
            lab = _label_name(x.get("label"), "annotation")
            if "start_offset" in x or "end_offset" in x:
                raw.spans.append((as_int(x.get("start_offset"), "start_offset"), as_int(x.get("end_offset"), "end_offset"), lab, {}))
            else:
                themes.append(lab)
                has_themes = True
    if has_themes:
        raw.themes = list(dict.fromkeys(themes))
    meta = dict(task.get("meta") if isinstance(task.get("meta"), dict) else {})
    meta.setdefault("source", "doccano")
    if "id" in task:
        meta.setdefault("doccano_id", task.pop("id"))
    rels = task.pop("relations", None)
    if isinstance(rels, list) and rels:
        meta["doccano_relations"] = rels
    for key in ("annotation_approver", "Comments", "comments"):
        if key in task:
            v = task.pop(key)
            if v not in (None, []):
                meta[f"doccano_{key.lower()}"] = v
    task["meta"] = meta
    return raw


def answer(data: dict[str, Any]) -> str | None:
    """An approved record is accepted by its approver, at its latest annotation's time (set on ``data``)."""
    approver = data.get("annotation_approver")
    if not isinstance(approver, str) or not approver:
        return None
    data.setdefault("_annotator_id", approver)
    stamp = _latest(data.get("annotations") or [])
    if stamp is not None:
        data.setdefault("_timestamp", stamp)
    return "accept"


def _user_of(a: dict[str, Any]) -> str | None:
    u = a.get("user")
    if isinstance(u, bool) or u is None or not isinstance(u, str | int):
        return None
    return str(u) if str(u).strip() else None


def expand(data: dict[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """A doccano 1.0 record whose annotations come from two or more users: one record per user (their
    annotations, answer accept, annotator the user, time their latest annotation); any other record as it is.
    Annotations without a ``user`` in such a record go to the approver (else the importing user)."""
    anns = data.get("annotations")
    if not isinstance(anns, list):
        return [data]
    users = list(dict.fromkeys(_user_of(a) for a in anns if isinstance(a, dict)))
    if len([u for u in users if u is not None]) < 2:
        return [data]
    approver = data.get("annotation_approver")
    out = []
    for user in users:
        mine = [a for a in anns if isinstance(a, dict) and _user_of(a) == user]
        rec = {k: v for k, v in data.items() if k not in ("annotations", "answer", "_annotator_id", "_timestamp")}
        rec["annotations"] = mine
        rec["answer"] = "accept"
        who = user if user is not None else (approver if isinstance(approver, str) and approver else None)
        if who is not None:
            rec["_annotator_id"] = who
        stamp = _latest(mine)
        if stamp is not None:
            rec["_timestamp"] = stamp
        out.append(rec)
    return out


def _latest(anns: list[Any]) -> int | None:
    times = [a.get("updated_at") or a.get("created_at") for a in anns if isinstance(a, dict)]
    stamps = [s for s in (_epoch(t) for t in times if isinstance(t, str)) if s is not None]
    return max(stamps) if stamps else None


def _epoch(iso: str) -> int | None:
    try:
        dt = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.UTC)
    return int(dt.timestamp())


def raw_labels(data: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key in _SPAN_LISTS:
        v = data.get(key)
        if isinstance(v, list) and not all(isinstance(x, str) for x in v):
            out.extend(str(x[2]) for x in v)
    for x in data.get("entities") or []:
        out.append(str(x[2]) if isinstance(x, list) else str(x.get("label")))
    for x in data.get("annotations") or []:
        if isinstance(x, dict) and ("start_offset" in x or "end_offset" in x):
            out.append(str(x.get("label")))
    return out


def to_doccano(example: dict[str, Any]) -> dict[str, Any]:
    """An exported example in doccano's import shape: ``text``, ``label`` ([start, end, label] for each
    accepted span) and ``cats`` (the accepted themes; binary answers: the labels accepted)."""
    out: dict[str, Any] = {"text": example["text"], "label": [[s["start"], s["end"], s["label"]] for s in example["spans"]]}
    cats = example.get("cats")
    if isinstance(cats, dict) and ("accept" in example or "binary" in example):
        out["cats"] = [t for t, v in cats.items() if v >= 0.5]
    meta = example.get("meta")
    if isinstance(meta, dict) and "doccano_id" in meta:
        out["id"] = meta["doccano_id"]
    return out


READER = Reader("doccano", detect, read, raw_labels, span_source="doccano", describe=describe, answer=answer,
                expand=expand)
