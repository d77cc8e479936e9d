"""Score the pre-annotator against gold JSONL (``text``, ``spans``, ``cats``).

Spans count only on an exact match of start, end and label. Themes are
scored as multi-label decisions: predicted when the score is >= the
taxonomy's threshold, gold when the gold value is >= 0.5.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AnnotateError
from .io import empty_input, read_records
from .tasks import check_spans
from .labels import load_labels
from .pipeline.pre import pre_annotate


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "p": round(self.precision, 4), "r": round(self.recall, 4), "f1": round(self.f1, 4),
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
        }


@dataclass
class SpanError:
    doc: str
    kind: str  # missed | spurious | boundary | label
    gold: dict[str, Any] | None
    pred: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "kind": self.kind, "gold": self.gold, "pred": self.pred}


@dataclass
class EvalResult:
    n_docs: int = 0
    labels: dict[str, PRF] = field(default_factory=dict)
    themes: dict[str, PRF] = field(default_factory=dict)
    errors: list[SpanError] = field(default_factory=list)
    theme_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def entities_micro(self) -> PRF:
        return _sum(self.labels.values())

    @property
    def themes_micro(self) -> PRF:
        return _sum(self.themes.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_docs": self.n_docs,
            "entities": {k: v.as_dict() for k, v in self.labels.items()},
            "entities_micro": self.entities_micro.as_dict(),
            "themes": {k: v.as_dict() for k, v in self.themes.items()},
            "themes_micro": self.themes_micro.as_dict(),
            "errors": [e.as_dict() for e in self.errors],
            "theme_errors": self.theme_errors,
        }


def _sum(items: Iterable[PRF]) -> PRF:
    out = PRF()
    for p in items:
        out.tp += p.tp
        out.fp += p.fp
        out.fn += p.fn
    return out


def _key(s: dict[str, Any]) -> tuple[int, int, str]:
    return (int(s["start"]), int(s["end"]), str(s["label"]))


def evaluate(
    gold_path: str | Path,
    *,
    lang: str | None = None,
    model: str | None = None,
    model_en: str | None = None,
    labels: str | Path | None = None,
) -> EvalResult:
    lab = load_labels(labels)
    threshold = lab.taxonomy.settings.threshold
    result = EvalResult(labels={n: PRF() for n in lab.entity_names}, themes={n: PRF() for n in lab.theme_names})
    records = list(read_records([gold_path]))
    if not records:
        raise empty_input(str(gold_path))
    for rec in records:  # a typo in the gold data must not silently change the scores
        if not isinstance(rec.data.get("spans", []), list):
            raise AnnotateError('"spans" is not a list', where=rec.source, line=rec.line, fix='write "spans" as a JSON list', code="E036")
        check_spans(rec.data, lab.entity_names, where=rec.source, line=rec.line)
        cats = rec.data.get("cats") or {}
        if not isinstance(cats, dict):
            raise AnnotateError('"cats" is not an object', where=rec.source, line=rec.line, fix='write "cats" as {"THEME": 1}', code="E037")
        for k in cats:
            if k not in lab.theme_names:
                from .labels import did_you_mean

                raise AnnotateError(f"unknown theme {k!r} in cats", where=rec.source, line=rec.line, fix=did_you_mean(k, lab.theme_names), code="E038")
    tasks = pre_annotate(records, lang=lang, model=model, model_en=model_en, labels=labels)
    for i, (rec, task) in enumerate(zip(records, tasks)):
        doc_id = str(rec.data.get("id", f"{rec.where}"))
        result.n_docs += 1
        gold = {_key(s): s for s in rec.data.get("spans", []) or [] if s.get("label") in result.labels}
        pred = {_key(s): s for s in task["spans"] if s["label"] in result.labels}
        for k in gold.keys() & pred.keys():
            result.labels[k[2]].tp += 1
        missed = [gold[k] for k in gold.keys() - pred.keys()]
        spurious = [pred[k] for k in pred.keys() - gold.keys()]
        for k in gold.keys() - pred.keys():
            result.labels[k[2]].fn += 1
        for k in pred.keys() - gold.keys():
            result.labels[k[2]].fp += 1
        result.errors.extend(_classify(doc_id, missed, spurious))
        gcats = rec.data.get("cats") or {}
        for theme in result.themes:
            g = float(gcats.get(theme, 0.0)) >= 0.5
            p = float(task["cats"].get(theme, 0.0)) >= threshold
            if g and p:
                result.themes[theme].tp += 1
            elif p:
                result.themes[theme].fp += 1
                result.theme_errors.append({"doc": doc_id, "theme": theme, "kind": "spurious", "score": task["cats"].get(theme)})
            elif g:
                result.themes[theme].fn += 1
                result.theme_errors.append({"doc": doc_id, "theme": theme, "kind": "missed", "score": task["cats"].get(theme)})
    return result


def _slim(s: dict[str, Any]) -> dict[str, Any]:
    return {k: s[k] for k in ("start", "end", "label", "text") if k in s}


def _classify(doc_id: str, missed: list[dict[str, Any]], spurious: list[dict[str, Any]]) -> list[SpanError]:
    """Pair a missed and a spurious span that overlap into one boundary or label error."""
    out: list[SpanError] = []
    used: set[int] = set()
    for g in missed:
        match = None
        for j, p in enumerate(spurious):
            if j in used:
                continue
            if p["start"] < g["end"] and g["start"] < p["end"]:
                match = j
                break
        if match is None:
            out.append(SpanError(doc_id, "missed", _slim(g), None))
        else:
            used.add(match)
            p = spurious[match]
            kind = "label" if (p["start"], p["end"]) == (g["start"], g["end"]) else "boundary"
            out.append(SpanError(doc_id, kind, _slim(g), _slim(p)))
    for j, p in enumerate(spurious):
        if j not in used:
            out.append(SpanError(doc_id, "spurious", None, _slim(p)))
    return out
