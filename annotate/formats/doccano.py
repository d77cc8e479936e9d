"""doccano's JSONL exports.

* sequence labelling: ``{"text", "label": [[start, end, "LABEL"], ...]}``;
* newer exports: ``{"text", "entities": [{"start_offset", "end_offset", "label"}, ...]}``;
* text classification: ``{"text", "label": ["THEME", ...]}`` (the accepted themes).

The record's ``id`` is kept as ``meta.doccano_id``; ``meta.source`` and every
span's ``source`` are ``doccano``.
"""

from __future__ import annotations

from typing import Any

from .native import BadRecord, RawRecord, Reader, as_int


def detect(data: dict[str, Any]) -> bool:
    return "spans" not in data and (isinstance(data.get("label"), list) or isinstance(data.get("entities"), list))


def read(data: dict[str, Any], task: dict[str, Any]) -> RawRecord:
    raw = RawRecord()
    label = data.get("label")
    task.pop("label", None)
    task.pop("entities", None)
    if isinstance(label, list) and label and all(isinstance(x, str) for x in label):
        raw.themes = list(label)  # text classification export
    elif isinstance(label, list):
        for x in label:
            if not (isinstance(x, list) and len(x) == 3 and isinstance(x[2], str)):
                raise BadRecord(f"doccano label {x!r} is not [start, end, \"LABEL\"]", 'write doccano labels as [[start, end, "LABEL"], ...]')
            raw.spans.append((as_int(x[0], "label start"), as_int(x[1], "label end"), x[2], {}))
    ents = data.get("entities")
    if isinstance(ents, list):
        for x in ents:
            if not isinstance(x, dict) or not isinstance(x.get("label"), str):
                raise BadRecord(f"entity {x!r} has no label", 'give each entity "start_offset", "end_offset" and "label"')
            raw.spans.append((as_int(x.get("start_offset"), "start_offset"), as_int(x.get("end_offset"), "end_offset"), x["label"], {}))
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    meta = dict(meta)
    meta.setdefault("source", "doccano")
    if "id" in task:
        meta.setdefault("doccano_id", task.pop("id"))
    task["meta"] = meta
    return raw


def raw_labels(data: dict[str, Any]) -> list[str]:
    out = []
    label = data.get("label")
    if isinstance(label, list) and not all(isinstance(x, str) for x in label):
        out.extend(x[2] for x in label)
    if isinstance(data.get("entities"), list):
        out.extend(x["label"] for x in data["entities"])
    return out


READER = Reader("doccano", detect, read, raw_labels, span_source="doccano")
