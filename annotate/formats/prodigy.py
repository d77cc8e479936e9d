"""Prodigy's task shape: ``{"text", "spans": [{"start", "end", "label", ...}], "tokens"?, "accept"?, ...}``.

This toolkit's own JSONL (``annotate pre`` tasks, ``annotate export`` and
``db-out`` records) is in this shape too and is read by this reader (counted
as ``prodigy`` in the import report). Spans may come with or without
``tokens`` / ``token_start`` / ``token_end``; ``accept`` is the list of
accepted themes (Prodigy's choice interface).
"""

from __future__ import annotations

from typing import Any

from .native import BadRecord, RawRecord, Reader, as_int


def detect(data: dict[str, Any]) -> bool:
    """Any record with a text (the fallback reader: the formats before it in the registry did not match)."""
    return True


def read(data: dict[str, Any], task: dict[str, Any]) -> RawRecord:
    raw = RawRecord()
    if "label" in data and not isinstance(data["label"], str | None):
        # Prodigy's "label" is one name; a list of objects is another tool's (Label Studio's JSON_MIN)
        raise BadRecord(f'"label" is {type(data["label"]).__name__}, not a label name: not Prodigy\'s task shape',
                        "name the format with --format (e.g. labelstudio for Label Studio's JSON_MIN export)")
    spans = data.get("spans", [])
    if spans is None:
        spans = []
    if not isinstance(spans, list):
        raise BadRecord('"spans" is not a list', 'write "spans" as a list of {"start", "end", "label"} objects')
    for s in spans:
        if not isinstance(s, dict) or "start" not in s or "end" not in s or not isinstance(s.get("label"), str):
            raise BadRecord(f"span {s!r} has no start, end and label", 'give each span "start", "end" and a "label" string')
        raw.spans.append((as_int(s["start"], "span start"), as_int(s["end"], "span end"), s["label"], s))
    if "accept" in data:
        acc = data["accept"]
        if not isinstance(acc, list) or not all(isinstance(a, str) and a.strip() for a in acc):
            # a number or null is not a theme (it used to be stored as "5" / "None")
            raise BadRecord('"accept" is not a list of theme names', 'write "accept" as a list of names such as ["FINANCE"]')
        raw.themes = list(acc)
    return raw


def raw_labels(data: dict[str, Any]) -> list[str]:
    return [s["label"] for s in data.get("spans") or []]


def describe(data: dict[str, Any]) -> str:
    """What the record looks like: Prodigy's task shape, and the kind of answer in it."""
    view = data.get("_view_id")
    what = []
    if isinstance(view, str):
        what.append(f"_view_id {view}")
    if isinstance(data.get("label"), str):
        what.append('binary "label"')
    if isinstance(data.get("spans"), list):
        what.append('"spans"')
    if isinstance(data.get("options"), list):
        what.append('"options"/"accept" choices')
    elif "accept" in data:
        what.append('"accept" themes')
    if not what:
        what.append('only "text"')
    return "Prodigy/annotate task shape: " + ", ".join(what)


READER = Reader("prodigy", detect, read, raw_labels, describe=describe)
