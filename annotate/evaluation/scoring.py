"""Scores: precision, recall and F1 per label, exact and overlap matching, error kinds.

Matching is one-to-one within a record and a label: each gold span is found
by at most one prediction and each prediction finds at most one gold span.

- **exact**: a prediction of the gold span's label whose start and end are
  the span's, or those of one of its ``alt``s. Taken greedily: first every
  gold span on its own offsets, then the spans still unmatched on their first
  ``alt``, then on their second, and so on (gold spans in text order).
- **overlap**: the exact pairs first, then any remaining prediction of the
  same label that shares at least one character with a remaining gold span
  (its own offsets or an ``alt``'s). The overlapping pairs are taken in order
  of decreasing shared characters (ties: the earlier gold span, then the
  earlier prediction). So overlap counts are never below exact counts.

Per record and label (see :mod:`annotate.evaluation.gold`): a label the
record scores completely gives true positives, false positives and false
negatives; a ``recall_only`` label gives true positives and false negatives
only; any other label is ignored (its predictions count nowhere, not even
among the errors).

Errors are those of exact matching. Each unmatched gold span is paired with
at most one unmatched prediction, in this order of preference: a prediction
of the same label that overlaps it (**boundary**), else one of another label
on the same offsets (**label**), else one of another label that overlaps it
(**label**); a gold span left unpaired is **missed**. Unmatched predictions of
a completely scored label left unpaired are **spurious**. Errors are grouped
under the gold span's label (missed, boundary, label) or the prediction's
(spurious). Themes are decisions per record with ``cats``: predicted when the
score is >= the taxonomy's threshold, gold when the gold value is >= 0.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..labels import Labels
from .gold import GoldFile, GoldRecord, GoldSpan

ERROR_KINDS = ("missed", "spurious", "boundary", "label")
MODES = ("exact", "overlap")

Pred = tuple[int, int, str]  # start, end, label


@dataclass
class PRF:
    """Counts for one label (or theme). ``recall_only``: precision and F1 are not defined (None)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    docs: int = 0  # records in which this label was scored
    recall_only: bool = False

    @property
    def precision(self) -> float | None:
        if self.recall_only:
            return None
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: PRF) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.docs += other.docs

    def as_dict(self) -> dict[str, Any]:
        def rnd(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "p": rnd(self.precision), "r": rnd(self.recall), "f1": rnd(self.f1),
            "tp": self.tp, "fp": None if self.recall_only else self.fp, "fn": self.fn, "docs": self.docs,
        }


def _sum(items: Iterable[PRF]) -> PRF:
    """Micro-averaged counts (``docs`` is left at 0: a record can score several labels)."""
    out = PRF()
    for p in items:
        out.tp += p.tp
        out.fp += p.fp
        out.fn += p.fn
    return out


def _micro_dict(prf: PRF) -> dict[str, Any]:
    out = prf.as_dict()
    del out["docs"]  # not a count of records: one record scores several labels
    return out


@dataclass
class Scores:
    """One matching mode: completely scored labels and recall-only labels."""

    labels: dict[str, PRF] = field(default_factory=dict)
    recall_only: dict[str, PRF] = field(default_factory=dict)

    @property
    def micro(self) -> PRF:
        return _sum(self.labels.values())

    def prf(self, label: str, mode: str) -> PRF:
        table = self.labels if mode == "full" else self.recall_only
        if label not in table:
            table[label] = PRF(recall_only=mode == "recall_only")
        return table[label]

    def add(self, other: Scores) -> None:
        for label, prf in other.labels.items():
            self.prf(label, "full").add(prf)
        for label, prf in other.recall_only.items():
            self.prf(label, "recall_only").add(prf)

    def ordered(self, order: Sequence[str]) -> None:
        """Put the labels in the label set's order."""
        rank = {n: i for i, n in enumerate(order)}
        self.labels = dict(sorted(self.labels.items(), key=lambda kv: rank.get(kv[0], len(rank))))
        self.recall_only = dict(sorted(self.recall_only.items(), key=lambda kv: rank.get(kv[0], len(rank))))

    def as_dict(self) -> dict[str, Any]:
        return {
            "entities": {k: v.as_dict() for k, v in self.labels.items()},
            "entities_micro": _micro_dict(self.micro),
            "recall_only": {k: v.as_dict() for k, v in self.recall_only.items()},
        }


@dataclass
class SpanError:
    doc: str
    kind: str  # missed | spurious | boundary | label
    gold: dict[str, Any] | None
    pred: dict[str, Any] | None
    file: str | None = None

    @property
    def label(self) -> str:
        """The label the error is grouped under: the gold span's, or the prediction's for a spurious one."""
        return (self.gold or self.pred or {}).get("label", "")

    def as_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "kind": self.kind, "gold": self.gold, "pred": self.pred, "file": self.file, "label": self.label}


@dataclass
class EvalResult:
    """Scores of one gold file, or of several (then ``files`` holds one result per file)."""

    name: str = "total"
    n_docs: int = 0
    exact: Scores = field(default_factory=Scores)
    overlap: Scores = field(default_factory=Scores)
    themes: dict[str, PRF] = field(default_factory=dict)
    n_theme_docs: int = 0
    errors: list[SpanError] = field(default_factory=list)
    theme_errors: list[dict[str, Any]] = field(default_factory=list)
    files: list[EvalResult] = field(default_factory=list)

    # the names of the single-file, exact-only scorer
    @property
    def labels(self) -> dict[str, PRF]:
        return self.exact.labels

    @property
    def entities_micro(self) -> PRF:
        return self.exact.micro

    @property
    def themes_micro(self) -> PRF:
        return _sum(self.themes.values())

    def scores(self, mode: str) -> Scores:
        return self.exact if mode == "exact" else self.overlap

    def error_counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for e in self.errors:
            out.setdefault(e.label, dict.fromkeys(ERROR_KINDS, 0))[e.kind] += 1
        return out

    def add(self, other: EvalResult) -> None:
        self.n_docs += other.n_docs
        self.exact.add(other.exact)
        self.overlap.add(other.overlap)
        for theme, prf in other.themes.items():
            self.themes.setdefault(theme, PRF()).add(prf)
        self.n_theme_docs += other.n_theme_docs
        self.errors.extend(other.errors)
        self.theme_errors.extend(other.theme_errors)

    def as_dict(self, *, with_errors: bool = True) -> dict[str, Any]:
        exact = self.exact.as_dict()
        out: dict[str, Any] = {
            "n_docs": self.n_docs,
            **exact,
            "overlap": self.overlap.as_dict(),
            "themes": {k: v.as_dict() for k, v in self.themes.items()},
            "themes_micro": _micro_dict(self.themes_micro),
            "n_theme_docs": self.n_theme_docs,
            "error_counts": self.error_counts(),
        }
        if with_errors:
            out["errors"] = [e.as_dict() for e in self.errors]
            out["theme_errors"] = self.theme_errors
        if self.files:
            out["files"] = [{"file": f.name, **f.as_dict(with_errors=False)} for f in self.files]
        return out


# ---------------------------------------------------------------- matching


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _shared(g: GoldSpan, p: Pred) -> int:
    """Characters a prediction shares with a gold span (its best reading)."""
    return max(_overlap(o, (p[0], p[1])) for o in g.offsets)


def match_exact(gold: Sequence[GoldSpan], preds: Sequence[Pred]) -> dict[int, int]:
    """Gold index -> prediction index, one to one: own offsets first, then each ``alt`` in turn."""
    index = {p: j for j, p in enumerate(preds)}
    pairs: dict[int, int] = {}
    used: set[int] = set()
    order = sorted(range(len(gold)), key=lambda i: (gold[i].start, gold[i].end, gold[i].label))
    depth = max((len(g.offsets) for g in gold), default=0)
    for k in range(depth):
        for i in order:
            offs = gold[i].offsets
            if i in pairs or k >= len(offs):
                continue
            j = index.get((offs[k][0], offs[k][1], gold[i].label))
            if j is not None and j not in used:
                pairs[i] = j
                used.add(j)
    return pairs


def match_overlap(gold: Sequence[GoldSpan], preds: Sequence[Pred], exact: dict[int, int] | None = None) -> dict[int, int]:
    """The exact pairs, then same-label overlapping pairs by decreasing shared characters."""
    pairs = dict(match_exact(gold, preds) if exact is None else exact)
    used = set(pairs.values())
    cands = []
    for i, g in enumerate(gold):
        if i in pairs:
            continue
        for j, p in enumerate(preds):
            if j in used or p[2] != g.label:
                continue
            n = _shared(g, p)
            if n > 0:
                cands.append((-n, g.start, g.end, p[0], p[1], i, j))
    for *_, i, j in sorted(cands):
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs


def classify_errors(gold: Sequence[GoldSpan], preds: Sequence[Pred], pairs: dict[int, int], spurious_ok: Iterable[int]) -> list[tuple[str, int | None, int | None]]:
    """(kind, gold index, prediction index) for every exact-match error.

    ``spurious_ok``: indexes of predictions that may be reported spurious (those
    of completely scored labels); the others only pair with missed spans.
    """
    used = set(pairs.values())
    missed = sorted((i for i in range(len(gold)) if i not in pairs), key=lambda i: (gold[i].start, gold[i].end))
    free = [j for j in range(len(preds)) if j not in used]
    paired: dict[int, tuple[str, int]] = {}

    def take(i: int, kind: str, ok) -> None:  # noqa: ANN001
        best = None
        for j in free:
            if j in used:
                continue
            n = _shared(gold[i], preds[j])
            if ok(gold[i], preds[j], n) and (best is None or n > best[0]):
                best = (n, j)
        if best is not None:
            paired[i] = (kind, best[1])
            used.add(best[1])

    passes = (
        ("boundary", lambda g, p, n: p[2] == g.label and n > 0),
        ("label", lambda g, p, n: p[2] != g.label and (p[0], p[1]) in g.offsets),
        ("label", lambda g, p, n: p[2] != g.label and n > 0),
    )
    for kind, ok in passes:
        for i in missed:
            if i not in paired:
                take(i, kind, ok)
    out: list[tuple[str, int | None, int | None]] = []
    for i in missed:
        kind, j = paired.get(i, ("missed", None))
        out.append((kind, i, j))
    ok_spurious = set(spurious_ok)
    out.extend(("spurious", None, j) for j in free if j not in used and j in ok_spurious)
    return out


# ---------------------------------------------------------------- scoring


def _slim(s: dict[str, Any]) -> dict[str, Any]:
    return {k: s[k] for k in ("start", "end", "label", "text") if k in s}


def score_record(rec: GoldRecord, pred_spans: Sequence[dict[str, Any]], result: EvalResult, *, threshold: float,
                 themes: Sequence[str], cats: dict[str, float] | None = None) -> None:
    """Add one record's counts and errors to ``result``."""
    result.n_docs += 1
    for label in rec.full:
        for mode in MODES:
            result.scores(mode).prf(label, "full").docs += 1
    for label in rec.recall_only:
        for mode in MODES:
            result.scores(mode).prf(label, "recall_only").docs += 1
    gold = rec.spans
    pred_dicts: dict[Pred, dict[str, Any]] = {}
    for s in pred_spans:
        key = (int(s["start"]), int(s["end"]), str(s["label"]))
        if rec.mode(key[2]) is not None and key not in pred_dicts:
            pred_dicts[key] = s
    preds = list(pred_dicts)
    exact = match_exact(gold, preds)
    for mode, pairs in (("exact", exact), ("overlap", match_overlap(gold, preds, exact))):
        sc = result.scores(mode)
        for i, g in enumerate(gold):
            prf = sc.prf(g.label, rec.mode(g.label) or "full")
            if i in pairs:
                prf.tp += 1
            else:
                prf.fn += 1
        matched = set(pairs.values())
        for j, p in enumerate(preds):
            if j not in matched and rec.mode(p[2]) == "full":
                sc.prf(p[2], "full").fp += 1
    full_preds = [j for j, p in enumerate(preds) if rec.mode(p[2]) == "full"]
    for kind, i, j in classify_errors(gold, preds, exact, full_preds):
        result.errors.append(SpanError(
            rec.doc_id, kind, None if i is None else gold[i].as_dict(), None if j is None else _slim(pred_dicts[preds[j]]),
            file=result.name,
        ))
    if rec.cats is None:
        return
    result.n_theme_docs += 1
    cats = cats or {}
    for theme in themes:
        prf = result.themes.setdefault(theme, PRF())
        prf.docs += 1
        g = rec.cats.get(theme, 0.0) >= 0.5
        score = cats.get(theme)
        p = float(score or 0.0) >= threshold
        if g and p:
            prf.tp += 1
        elif p:
            prf.fp += 1
            result.theme_errors.append({"doc": rec.doc_id, "theme": theme, "kind": "spurious", "score": score, "file": result.name})
        elif g:
            prf.fn += 1
            result.theme_errors.append({"doc": rec.doc_id, "theme": theme, "kind": "missed", "score": score, "file": result.name})


def score(files: Sequence[GoldFile], predictions: Sequence[dict[str, Any]], lab: Labels) -> EvalResult:
    """Score predicted tasks (``spans``, ``cats``; one per gold record, in file order) against the gold files.

    The result holds the totals; ``result.files`` one result per file.
    """
    threshold = lab.taxonomy.settings.threshold
    total = EvalResult(name="total")
    it = iter(predictions)
    for gf in files:
        fr = EvalResult(name=gf.path)
        for rec in gf.records:
            task = next(it)
            score_record(rec, task.get("spans") or [], fr, threshold=threshold, themes=lab.theme_names, cats=task.get("cats"))
        for sc in (fr.exact, fr.overlap):
            sc.ordered(lab.entity_names)
        total.add(fr)
        total.files.append(fr)
    for sc in (total.exact, total.overlap):
        sc.ordered(lab.entity_names)
    return total
