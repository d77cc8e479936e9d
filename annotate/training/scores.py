"""Per-label P/R/F1 on a held-out split: exact character offsets for spans, a 0.5 threshold for themes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int, str]


@dataclass
class Gold:
    """One held-out example: its text, tokens (words, spaces), spans and, when reviewed, its themes."""

    text: str
    words: list[str]
    spaces: list[bool]
    spans: set[Span]
    themes: set[str] | None  # None: themes not reviewed (not scored)


@dataclass
class Counts:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)

    def add(self, gold: Iterable[tuple[Any, ...]], pred: Iterable[tuple[Any, ...]], key: Any) -> None:
        g, p = set(gold), set(pred)
        for x in g & p:
            self.tp[key(x)] += 1
        for x in p - g:
            self.fp[key(x)] += 1
        for x in g - p:
            self.fn[key(x)] += 1

    def table(self, names: Iterable[str]) -> dict[str, dict[str, float]]:
        out = {}
        for n in sorted(names):
            tp, fp, fn = self.tp[n], self.fp[n], self.fn[n]
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            out[n] = {"p": round(p, 4), "r": round(r, 4), "f": round(f, 4), "n": tp + fn}
        return out


def score(
    golds: list[Gold], spans: list[Iterable[Span]], cats: list[dict[str, float]], labels: Iterable[str],
    themes: Iterable[str],
) -> dict[str, dict[str, dict[str, float]]]:
    """``{"labels": {L: {p, r, f, n}}, "themes": {T: ...}}`` of predictions against ``golds`` (same order).

    Only ``labels`` are scored (predicted spans of other labels are ignored); themes only on examples
    whose themes were reviewed, a theme predicted when its score is at least 0.5.
    """
    labels, themes = set(labels), set(themes)
    s, t = Counts(), Counts()
    for g, ps, cs in zip(golds, spans, cats, strict=True):
        s.add(g.spans, (x for x in ps if x[2] in labels), key=lambda x: x[2])
        if g.themes is not None:
            t.add(((x,) for x in g.themes & themes), ((k,) for k, v in cs.items() if k in themes and v >= 0.5),
                  key=lambda x: x[0])
    return {"labels": s.table(labels), "themes": t.table(themes)}


def task_spans(task: dict[str, Any]) -> set[Span]:
    return {(int(s["start"]), int(s["end"]), str(s["label"])) for s in task.get("spans") or []}


def format_table(heldout: dict[str, Any], columns: list[str]) -> list[str]:
    """The scores of ``columns`` (e.g. model, rules, combined) side by side, one line per label and theme."""
    head = f"  {'':<22}" + "".join(f"{c + ' P/R/F1':>22}" for c in columns) + f"{'n':>6}"
    out = [head]
    for kind in ("labels", "themes"):
        names = sorted(set().union(*[(heldout.get(c) or {}).get(kind, {}) for c in columns]))
        for n in names:
            row = f"  {kind[:-1] + ' ' + n:<22}"
            cells = [((heldout.get(c) or {}).get(kind) or {}).get(n) for c in columns]
            if kind == "themes" and not any(x and (x["n"] or x["f"]) for x in cells):
                continue  # a theme with no held-out positive that nobody scores: no line
            support = 0
            for x in cells:
                row += f"{x['p']:>8.2f}{x['r']:>6.2f}{x['f']:>6.2f}  " if x else f"{'-':>22}"
                support = x["n"] if x else support
            out.append(row + f"{support:>6}")
    return out
