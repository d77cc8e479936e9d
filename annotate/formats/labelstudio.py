"""Label Studio: its JSON exports in, tasks in its import shape out, and a labeling config for them.

In (``db-in --format labelstudio``, or recognised by ``auto``):

* the **JSON** export: a JSON array of tasks ``{"id", "data": {"text"},
  "annotations": [{"completed_by", "result", "was_cancelled", "created_at",
  "updated_at", "lead_time"}], "predictions": [{"model_version", "score",
  "result"}], "meta"}``. Results of type ``labels`` (``value.start/end/text/labels``)
  are spans (one per label), results of type ``choices`` the accepted themes;
  other result types are left out and noted. The latest non-cancelled
  annotation (by ``updated_at``, else ``created_at``, else order) becomes a
  decision ``accept`` (annotator: the ``completed_by`` e-mail or id; time from
  ``updated_at``/``created_at``; seconds from ``lead_time``); when every
  annotation was cancelled (skipped), the latest one is an ``ignore`` (a
  ``reject`` when this toolkit exported it as one, see below). A task
  without annotations becomes a task to review whose spans are its
  ``predictions`` (``source`` = the prediction's ``model_version``, ``score``
  = the region's or the prediction's score; predicted choices become
  ``cats`` of 1.0); ``meta.predictions`` keeps every model_version and score.
* the **JSON_MIN** export: one flat object per annotation ``{"text", "id",
  "<labels name>": [{"start", "end", "text", "labels"}], "<choices name>":
  "THEME" or {"choices": [...]}, "annotator", "annotation_id", "created_at",
  "updated_at", "lead_time"}``: a decision ``accept`` each (a task when it
  carries no annotation). A bare string is a theme only when it names a theme
  of labels/ (else it is a data field, kept in ``meta.labelstudio_data``).

Every region's ``text`` is checked against the task text
(:func:`.offsets.check_span`): UTF-16 offsets (older Label Studio) are
converted and noted, anything else is an error naming the span.

Out (``export --format labelstudio``): :func:`example_task` and
:func:`pending_task` give the tasks of a JSON array (or JSONL) ``{"data":
{"text", "annotate": {...}}, "annotations": [...]}`` (no ``id``: Label Studio
reserves it) for the reviewed examples and ``{"predictions": [...]}``
(one prediction per span ``source``, themes as a ``choices`` prediction) for
the tasks nobody answered yet (an input whose decisions are all reject or
ignore is a cancelled annotation), plus :func:`labeling_config`, the XML to paste
in the project's Labeling Interface. ``data.annotate`` keeps this toolkit's
``meta``, hashes, annotator, answer and whether the themes were reviewed, so
that the file imported again (as JSON or JSON_MIN) gives back the same
decisions; it is in ``data`` because Label Studio keeps a task's data but
drops its ``meta`` on import. The annotator Label Studio records
(``completed_by``) wins over ours when the task was annotated there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from . import prodigy
from .native import BadRecord, RawRecord, ReadContext, Reader, as_int
from .offsets import check_span

LABELS_NAME = "label"  # <Labels name="label" toName="text">
THEMES_NAME = "theme"  # <Choices name="theme" toName="text">
TEXT_NAME = "text"  # <Text name="text" value="$text">
OURS = "annotate"  # data.annotate: what this toolkit needs back (Label Studio drops a task's "meta" on import)
MIN_KEYS = ("annotation_id", "annotator", "lead_time", "created_at", "updated_at", "agreement", "id")
_FIX = "export the project from Label Studio as JSON (or JSON_MIN) and import that file as it is"


# ---------------------------------------------------------------- in


def _is_region_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(
        isinstance(x, dict) and "start" in x and "end" in x and isinstance(x.get("labels"), list) for x in v
    )


def detect(data: dict[str, Any]) -> bool:
    if "spans" in data:
        return False
    if isinstance(data.get("data"), dict) and "text" not in data:
        return True  # the JSON export (a task)
    if not isinstance(data.get("text"), str):
        return False
    return "annotation_id" in data or "lead_time" in data or any(_is_region_list(v) for v in data.values())


def _text_of(d: dict[str, Any]) -> str:
    text = d.get(TEXT_NAME)
    if isinstance(text, str):
        return text
    strings = [v for v in d.values() if isinstance(v, str)]
    if len(strings) == 1:
        return strings[0]
    raise BadRecord('task "data" has no "text" string', 'name the text field "text" ($text in the labeling config)')


def _time(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str) and v:
        try:
            t = datetime.fromisoformat(v)
        except ValueError:
            return None
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        return t.timestamp()
    return None


def _annotator(v: Any) -> str | None:
    if isinstance(v, dict):
        v = v.get("email") or v.get("id")
    if v is None or v == "" or isinstance(v, bool):
        return None
    return str(v)


def _regions(result: Any, text: str, ctx: ReadContext, what: str, *, score: Any = None) -> tuple[list[dict[str, Any]], list[str] | None]:
    """The spans and chosen themes of a result list (``score``: the prediction's, for regions without one)."""
    if result is None:
        return [], None
    if not isinstance(result, list):
        raise BadRecord(f'{what}: "result" is not a list', _FIX)
    spans: list[dict[str, Any]] = []
    themes: list[str] | None = None
    for r in result:
        if not isinstance(r, dict):
            raise BadRecord(f"{what}: result item {r!r} is not an object", _FIX)
        kind = str(r.get("type", "")).lower()
        v = r.get("value")
        if kind == "labels":
            if not isinstance(v, dict) or "start" not in v or "end" not in v or not isinstance(v.get("labels"), list):
                raise BadRecord(f"{what}: region {r.get('id')!r} has no value.start, value.end and value.labels", _FIX)
            s_score = r.get("score", score)
            for span in _value_spans(v, text, ctx, what):
                if isinstance(s_score, int | float) and not isinstance(s_score, bool):
                    span["score"] = s_score
                spans.append(span)
        elif kind == "choices":
            choices = v.get("choices") if isinstance(v, dict) else None
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                raise BadRecord(f"{what}: choices region {r.get('id')!r} has no value.choices list", _FIX)
            themes = (themes or []) + list(choices)
        else:
            ctx.notes.append(f"{what}: result of type {kind or '?'!r} left out (only labels and choices are read)")
    return spans, themes


def _value_spans(v: dict[str, Any], text: str, ctx: ReadContext, what: str) -> list[dict[str, Any]]:
    """One span per label of a region value ``{start, end, text?, labels}``, its offsets checked."""
    start, end = as_int(v["start"], "region start"), as_int(v["end"], "region end")
    out = []
    for lab in v["labels"]:
        if not isinstance(lab, str):
            raise BadRecord(f"{what}: region {start}-{end} has a label {lab!r} that is not a string", _FIX)
        try:
            a, b, note = check_span(text, {"start": start, "end": end, "text": v.get("text"), "label": lab})
        except BadRecord as e:
            raise BadRecord(f"{what}: {e.message}", e.fix) from None
        if note and not out:
            ctx.notes.append(note)
        out.append({"start": a, "end": b, "label": lab})
    return out


def _ours(fields: dict[str, Any]) -> dict[str, Any]:
    """``data.annotate`` of a task this toolkit exported ({} for others; in JSON_MIN the record itself holds it)."""
    ours = fields.get(OURS)
    return ours if isinstance(ours, dict) else {}


def _restore(rec: dict[str, Any], ours: dict[str, Any]) -> None:
    """Our meta and hashes back from ``data.annotate``."""
    if isinstance(ours.get("meta"), dict):
        rec["meta"] = dict(ours["meta"])
    for key in ("_input_hash", "_task_hash"):
        if isinstance(ours.get(key), int) and not isinstance(ours.get(key), bool):
            rec[key] = ours[key]


def _base(data: dict[str, Any], text: str, ours: dict[str, Any]) -> dict[str, Any]:
    rec: dict[str, Any] = {"text": text}
    if ours:
        _restore(rec, ours)
        return rec
    meta: dict[str, Any] = {"source": "labelstudio"}
    if "id" in data:
        meta["labelstudio_id"] = data["id"]
    extra = {k: v for k, v in data["data"].items() if v is not text and k != TEXT_NAME and k != OURS}
    if extra:
        meta["labelstudio_data"] = extra
    ls_meta = data.get("meta")
    if isinstance(ls_meta, dict) and ls_meta:
        meta["labelstudio_meta"] = ls_meta
    rec["meta"] = meta
    return rec


def _cancelled(a: dict[str, Any]) -> bool:
    return bool(a.get("was_cancelled") or a.get("skipped"))


def _expand_task(data: dict[str, Any], ctx: ReadContext) -> list[dict[str, Any]]:
    text = _text_of({k: v for k, v in data["data"].items() if k != OURS})
    ours = _ours(data["data"])
    rec = _base(data, text, ours)
    tid = data.get("id")
    anns = data.get("annotations", data.get("completions")) or []
    if not isinstance(anns, list) or not all(isinstance(a, dict) for a in anns):
        raise BadRecord(f"task {tid}: \"annotations\" is not a list of objects", _FIX)
    if anns:
        live = [a for a in anns if not _cancelled(a)]
        pool = live or anns
        order = {id(a): i for i, a in enumerate(pool)}
        best = max(pool, key=lambda a: (_time(a.get("updated_at")) or _time(a.get("created_at")) or 0.0, order[id(a)]))
        what = f"task {tid} annotation {best.get('id')}" if tid is not None else f"annotation {best.get('id')}"
        spans, themes = _regions(best.get("result"), text, ctx, what)
        rec["spans"] = spans
        if themes is not None:
            rec["accept"] = themes
        elif ours.get("themes_reviewed"):
            rec["accept"] = []
        rec["answer"] = "accept" if live else ("reject" if ours.get("answer") == "reject" else "ignore")
        _decision_fields(rec, best, best.get("completed_by"), ours)
        if len(anns) > 1:
            ctx.notes.append(f"task {tid}: {len(anns) - 1} other annotation(s) left out (the latest non-cancelled one is kept)")
        return [rec]
    preds = data.get("predictions") or []
    if not isinstance(preds, list):
        raise BadRecord(f"task {tid}: \"predictions\" is not a list", _FIX)
    if not all(isinstance(p, dict) for p in preds):
        # some Label Studio versions export predictions as their ids only
        ctx.notes.append(f"task {tid}: predictions given as ids, not results; left out")
        preds = [p for p in preds if isinstance(p, dict)]
    spans = []
    cats: dict[str, float] = {}
    seen = set()
    for i, p in enumerate(preds):
        source = str(p.get("model_version") or "labelstudio")
        found, themes = _regions(p.get("result"), text, ctx, f"task {tid} prediction {i}", score=p.get("score"))
        for s in found:
            key = (s["start"], s["end"], s["label"])
            if key in seen:
                continue
            seen.add(key)
            spans.append(dict(s, source=source))
        for t in themes or []:
            cats[t] = 1.0
    rec["spans"] = spans
    if cats:
        rec["cats"] = cats
    if preds and not ours:
        rec["meta"]["predictions"] = [{"model_version": p.get("model_version"), "score": p.get("score")} for p in preds]
    return [rec]


def _expand_min(data: dict[str, Any], ctx: ReadContext) -> list[dict[str, Any]]:
    text = data["text"]
    spans: list[dict[str, Any]] = []
    themes: list[str] | None = None
    extra: dict[str, Any] = {}
    known = ctx.theme_names or frozenset()
    ours = _ours(data)
    for k, v in data.items():
        if k == "text" or k in MIN_KEYS or k == OURS:
            continue
        if _is_region_list(v):
            for region in v:
                spans.extend(_value_spans(region, text, ctx, f"record {data.get('id')}"))
        elif isinstance(v, dict) and isinstance(v.get("choices"), list) and all(isinstance(c, str) for c in v["choices"]):
            themes = (themes or []) + v["choices"]
        elif isinstance(v, str) and ctx.label_map.get(v, v) in known:
            themes = (themes or []) + [v]
        else:
            extra[k] = v
    meta: dict[str, Any] = {"source": "labelstudio"}
    if "id" in data:
        meta["labelstudio_id"] = data["id"]
    if data.get("annotation_id") is not None:
        meta["labelstudio_annotation_id"] = data["annotation_id"]
    if extra:
        meta["labelstudio_data"] = extra
    rec: dict[str, Any] = {"text": text, "meta": meta, "spans": spans}
    if ours:
        rec.pop("meta")
        _restore(rec, ours)
    if themes is not None:
        rec["accept"] = themes
    elif ours.get("themes_reviewed"):
        rec["accept"] = []
    if data.get("annotation_id") is None and not spans and themes is None:
        return [rec]  # a task without annotation
    rec["answer"] = "accept"
    _decision_fields(rec, data, data.get("annotator"), ours)
    return [rec]


def _decision_fields(rec: dict[str, Any], ann: dict[str, Any], who: Any, ours: dict[str, Any]) -> None:
    """The annotator, time and seconds of a Label Studio annotation (``ann``: an annotation of the JSON export,
    or a JSON_MIN record; ``who``: its annotator field) onto the decision ``rec``; our own bookkeeping
    (``data.annotate``) names the annotator when Label Studio does not."""
    name = _annotator(who) or (ours.get("annotator") if isinstance(ours.get("annotator"), str) else None)
    if name:
        rec["_annotator_id"] = name
    ts = _time(ann.get("updated_at")) or _time(ann.get("created_at"))
    if ts is not None:
        rec["_timestamp"] = ts
    lead = ann.get("lead_time")
    if isinstance(lead, int | float) and not isinstance(lead, bool):
        rec["_seconds"] = float(lead)


def expand(data: dict[str, Any], ctx: ReadContext) -> list[dict[str, Any]]:
    if isinstance(data.get("data"), dict) and "text" not in data:
        return _expand_task(data, ctx)
    if not isinstance(data.get("text"), str):
        raise BadRecord('record has neither "data" (JSON export) nor "text" (JSON_MIN export)', _FIX)
    return _expand_min(data, ctx)


def read(data: dict[str, Any], task: dict[str, Any]) -> RawRecord:
    return prodigy.read(data, task)


READER = Reader("labelstudio", detect, read, prodigy.raw_labels, expand=expand, default_accept=False)


# ---------------------------------------------------------------- out


def _iso(ts: Any) -> str | None:
    if not isinstance(ts, int | float) or isinstance(ts, bool):
        return None
    return datetime.fromtimestamp(float(ts), UTC).isoformat().replace("+00:00", "Z")


def _span_result(i: int, s: dict[str, Any], text: str, *, with_score: bool) -> dict[str, Any]:
    r: dict[str, Any] = {
        "id": f"s{i}", "from_name": LABELS_NAME, "to_name": TEXT_NAME, "type": "labels",
        "value": {"start": s["start"], "end": s["end"], "text": text[s["start"]:s["end"]], "labels": [s["label"]]},
    }
    score = s.get("score")
    if with_score and isinstance(score, int | float) and not isinstance(score, bool) and 0.0 <= score <= 1.0:
        r["score"] = float(score)
    return r


def _themes_result(themes: list[str]) -> dict[str, Any]:
    return {"id": "themes", "from_name": THEMES_NAME, "to_name": TEXT_NAME, "type": "choices", "value": {"choices": list(themes)}}


def _task_data(rec: dict[str, Any], **more: Any) -> dict[str, Any]:
    """The task's ``data``: the text, and ``annotate`` (our meta, hashes and ``more``)."""
    ours: dict[str, Any] = {k: rec[k] for k in ("_input_hash", "_task_hash") if k in rec}
    if isinstance(rec.get("meta"), dict):
        ours["meta"] = rec["meta"]
    ours.update({k: v for k, v in more.items() if v is not None})
    return {TEXT_NAME: rec["text"], OURS: ours}


def example_task(rec: dict[str, Any], seconds: float, *, answer: str = "accept") -> dict[str, Any]:
    """A reviewed example (an exported record) as a Label Studio task with one annotation.

    ``answer`` reject or ignore: the annotation is cancelled (Label Studio's
    skip), and ``meta.annotate.answer`` tells a reject from an ignore.
    """
    text = rec["text"]
    result = [_span_result(i, s, text, with_score=False) for i, s in enumerate(rec["spans"])]
    reviewed = isinstance(rec.get("accept"), list)
    if reviewed:
        result.append(_themes_result(rec["accept"]))
    ann: dict[str, Any] = {
        "result": result, "was_cancelled": answer != "accept", "ground_truth": False, "lead_time": float(seconds or 0.0),
    }
    when = _iso(rec.get("_timestamp"))
    if when:
        ann["created_at"] = ann["updated_at"] = when
    return {
        "data": _task_data(rec, annotator=rec.get("_annotator_id"), themes_reviewed=reviewed,
                           answer=None if answer == "accept" else answer),
        "annotations": [ann],
    }


def pending_task(task: dict[str, Any], *, threshold: float) -> dict[str, Any]:
    """A task nobody answered as a Label Studio task whose pre-annotations are predictions (one per span source)."""
    text = task["text"]
    by_source: dict[str, list[dict[str, Any]]] = {}
    for s in task.get("spans") or []:
        by_source.setdefault(str(s.get("source") or "annotate"), []).append(s)
    preds = []
    i = 0
    for source, spans in by_source.items():
        result = []
        for s in sorted(spans, key=lambda x: (x["start"], x["end"], x["label"])):
            result.append(_span_result(i, s, text, with_score=True))
            i += 1
        preds.append({"model_version": source, "result": result})
    cats = task.get("cats") if isinstance(task.get("cats"), dict) else {}
    chosen = [t for t, v in cats.items() if isinstance(v, int | float) and v >= threshold]
    if chosen:
        preds.append({"model_version": "themes", "score": float(max(cats[t] for t in chosen)), "result": [_themes_result(chosen)]})
    return {"data": _task_data(task), "predictions": preds}


def labeling_config(labels: Iterable[tuple[str, str | None]], themes: Iterable[str]) -> str:
    """The labeling config XML for the exported tasks: ``Labels`` (with colours) on ``$text``, ``Choices`` for themes."""
    lines = ["<View>", f'  <Labels name="{LABELS_NAME}" toName="{TEXT_NAME}">']
    for name, color in labels:
        bg = f" background={quoteattr(color)}" if color else ""
        lines.append(f"    <Label value={quoteattr(name)}{bg}/>")
    lines += ["  </Labels>", f'  <Text name="{TEXT_NAME}" value="${TEXT_NAME}"/>']
    themes = list(themes)
    if themes:
        lines.append(f'  <Choices name="{THEMES_NAME}" toName="{TEXT_NAME}" choice="multiple" showInline="true">')
        lines += [f"    <Choice value={quoteattr(t)}/>" for t in themes]
        lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"
