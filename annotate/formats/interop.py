"""Export to other annotation tools (Label Studio, Argilla): reviewed examples and pending pre-annotations.

Both writers merge the decisions into examples as every export does
(:mod:`.merge`, :class:`~.examples.ExampleBuilder`: accepted decisions, one
example per input, spans checked against the tokens), and add the tasks that
nobody answered yet, so that the pre-annotations can be reviewed in that
tool (Label Studio ``predictions``, Argilla ``suggestions``). The output is a
JSON array (``.json``, or ``-`` for stdout) or JSONL (``.jsonl``), written
atomically; beside a file go the settings the tool needs to load it (Label
Studio's labeling config ``<stem>.config.xml``, Argilla's
``<stem>.settings.json``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..errors import Errors
from ..io import atomic_output
from . import argilla, labelstudio
from .examples import Align, ExampleBuilder
from .merge import Decisions, Resolve, merged_decisions, plan_merge
from .report import ExportReport, check_target_file, fill_report, nothing_to_export

Tasks = Callable[[], Iterable[dict[str, Any]]]


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, allow_nan=False)


def _target(out: str | Path, fmt: str) -> tuple[bool, Path | None]:
    """(JSONL?, the settings file beside it or None) for the output ``out``."""
    s = str(out)
    if s == "-":
        return False, None
    low = s.lower()
    if not low.endswith((".json", ".jsonl")):
        raise Errors.E801(fmt=fmt, output=s)
    p = Path(s)
    stem = p.name.rsplit(".", 1)[0]
    suffix = ".config.xml" if fmt == "labelstudio" else ".settings.json"
    return low.endswith(".jsonl"), p.with_name(stem + suffix)


def export_tool(
    fmt: str,
    decisions: Decisions,
    out: str | Path,
    *,
    dataset: str = "",
    themes: list[str],
    entity_labels: list[tuple[str, str | None]] | None = None,
    threshold: float = 0.5,
    pending: Tasks | None = None,
    lang: str | None = None,
    resolve: Resolve | str = Resolve.latest,
    align: Align | str = Align.strict,
    force: bool = False,
) -> ExportReport:
    """Write ``dataset`` for ``fmt`` (``labelstudio`` or ``argilla``) to ``out`` and its settings beside it."""
    t0 = time.perf_counter()
    jsonl, side = _target(out, fmt)
    check_target_file(out, force)
    if side is not None:
        check_target_file(side, force)
    plan = plan_merge(decisions(), resolve=resolve)
    the_lang = lang or plan.lang or "en"
    builder = ExampleBuilder(lang=the_lang, themes=themes, align=align)
    items: list[dict[str, Any]] = []
    decided: set[int] = set()
    accepted: set[int] = set()
    others: dict[int, dict[str, Any]] = {}  # input -> its latest reject/ignore decision
    for d in decisions():
        ih = d.get("_input_hash")
        if not isinstance(ih, int):
            continue
        decided.add(ih)
        if d.get("answer") == "accept":
            accepted.add(ih)
            others.pop(ih, None)
        elif ih not in accepted:
            others[ih] = d
    for d in merged_decisions(decisions(), plan):
        ex = builder.build(d)
        if ex is None:
            continue
        rec = ex.record
        if fmt == "labelstudio":
            items.append(labelstudio.example_task(rec, float(d.get("_seconds") or 0.0)))
        else:
            items.append(argilla.example_record(rec))
    builder.check()  # nothing is written when a span does not align
    examples = len(items)
    for d in others.values():  # inputs nobody accepted: their latest answer, as the tool's skip / discard
        rec = {k: v for k, v in d.items() if k not in ("_decision_id", "_seconds", "answer")}
        rec["spans"] = [s for s in d.get("spans") or [] if isinstance(s, dict) and "start" in s and "end" in s]
        if fmt == "labelstudio":
            items.append(labelstudio.example_task(rec, float(d.get("_seconds") or 0.0), answer=d["answer"]))
        else:
            items.append(argilla.example_record(rec, answer=d["answer"]))
    answered = len(items) - examples
    seen: set[int] = set()
    labels_seen: set[str] = set()
    for item in items:
        labels_seen |= _labels_of(fmt, item)
    for task in pending() if pending is not None else ():
        ih, th = task.get("_input_hash"), task.get("_task_hash")
        if not isinstance(task.get("text"), str) or ih in decided or th in seen:
            continue
        seen.add(th)
        item = (labelstudio.pending_task(task, threshold=threshold) if fmt == "labelstudio"
                else argilla.pending_record(task, threshold=threshold))
        labels_seen |= _labels_of(fmt, item)
        items.append(item)
    if not items:
        raise nothing_to_export(dataset, plan)
    known = list(entity_labels or [])
    names = [n for n, _ in known]
    known += [(x, None) for x in sorted(labels_seen - set(names))]
    themes_seen: set[str] = set()
    for item in items:
        themes_seen |= _themes_of(fmt, item)
    all_themes = list(themes) + sorted(themes_seen - set(themes))
    with atomic_output(out, force=force) as f:
        if jsonl:
            for item in items:
                f.write(_dump(item) + "\n")
        else:
            f.write("[\n" + ",\n".join(_dump(item) for item in items) + "\n]\n")
    report = ExportReport(dataset=dataset, format=fmt, lang=the_lang)
    fill_report(report, plan, builder)
    report.examples = examples
    where = "<stdout>" if str(out) == "-" else str(out)
    report.files = {where: examples}
    pending_n = len(items) - examples - answered
    tool = "predictions" if fmt == "labelstudio" else "suggestions"
    how = "cancelled annotations" if fmt == "labelstudio" else "discarded (reject) or draft (ignore) responses"
    report.notes.append(f"{answered} input(s) rejected or ignored, never accepted, written as {how}")
    report.notes.append(f"{pending_n} task(s) nobody answered yet written with their pre-annotations as {tool}")
    if str(out) != "-":
        report.outputs = [str(out)]
    if side is not None:
        with atomic_output(side, force=force) as f:
            if fmt == "labelstudio":
                f.write(labelstudio.labeling_config(known, all_themes))
            else:
                f.write(json.dumps(argilla.settings([n for n, _ in known], all_themes), indent=2) + "\n")
        report.outputs.append(str(side))
        if fmt == "labelstudio":
            report.notes.append(f"paste {side} in the project's Settings > Labeling Interface > Code, then import {out}")
        else:
            report.notes.append(
                f"load with: rg.Dataset(name=..., settings=rg.Settings.from_json({str(side)!r})).create(), "
                f"then dataset.records.log([rg.Record.from_dict(r) for r in json.load(open({str(out)!r}))])"
            )
    else:
        report.notes.append(f"no {'labeling config' if fmt == 'labelstudio' else 'settings'} written for stdout: "
                            "export to a .json file to get it beside the tasks")
    report.seconds = time.perf_counter() - t0
    return report


def _labels_of(fmt: str, item: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    if fmt == "labelstudio":
        for part in item.get("annotations", []) + item.get("predictions", []):
            for r in part["result"]:
                if r["type"] == "labels":
                    out.update(r["value"]["labels"])
        return out
    for group in (item["responses"].get(argilla.SPANS_QUESTION, []),
                  [item["suggestions"][argilla.SPANS_QUESTION]] if argilla.SPANS_QUESTION in item["suggestions"] else []):
        for r in group:
            out.update(s["label"] for s in r["value"])
    return out


def _themes_of(fmt: str, item: dict[str, Any]) -> set[str]:
    """The themes an exported task or record names (so that the config or settings offer each)."""
    out: set[str] = set()
    if fmt == "labelstudio":
        for part in item.get("annotations", []) + item.get("predictions", []):
            for r in part["result"]:
                if r["type"] == "choices":
                    out.update(r["value"]["choices"])
        return out
    for r in item["responses"].get(argilla.THEMES_QUESTION, []):
        out.update(r["value"] or [])
    if argilla.THEMES_QUESTION in item["suggestions"]:
        out.update(item["suggestions"][argilla.THEMES_QUESTION]["value"])
    return out
