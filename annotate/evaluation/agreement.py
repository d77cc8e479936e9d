"""Agreement between annotators of one dataset (issue #15): span F1, Krippendorff's alpha, Cohen's kappa.

**An annotator's version of a task** is their current decision on it (the
latest one, if an import stored several):

* answer ``accept``: the spans whose own ``answer`` is ``accept`` (no answer
  counts as accepted), as (start, end, label) in characters, and the themes
  in the task's ``accept`` list (no ``accept`` list: the themes were not
  reviewed, and this annotator's themes are missing for that task);
* answer ``reject``: the task is wrong as it stands: no span and no theme;
* answer ``ignore``: no version (the annotator did not annotate the task).

Tasks are grouped by text and ``_task_hash`` (the hash alone is shared by some texts). **Only tasks with a
version from two or more annotators count**; :attr:`Agreement.tasks` and
:attr:`Agreement.tasks_single` say how many did and did not.

**Figures**

* Span F1 between two annotators (symmetric, no gold side): ``2 m / (|A| + |B|)``
  where ``m`` is the number of matched spans. *Exact*: same start, end and
  label. *Overlap*: exact pairs first, then same-label spans sharing at least
  one character, one to one, by decreasing shared characters (the rule of
  ``annotate evaluate``). Counts are summed over tasks (micro) and over pairs
  for the per-label and overall figures. Two empty versions agree (F1 1.0).
* Krippendorff's alpha for spans **on token labels** (not by unitizing): every
  token of a counted task is a unit, each annotator's value is the label of
  their span that covers the token (``O`` for none), nominal metric. Per
  label: the same with the values "label L / not L". Computed by the
  ``krippendorff`` package (the optional extra ``teams``).
* Themes, per theme: Krippendorff's alpha (units: the counted tasks, values
  1/0, nominal) and Cohen's kappa for each pair of annotators (their shared
  tasks); the theme's kappa is the mean over pairs (Light's kappa).
* Per document: the mean over pairs of exact and overlap span F1 and of the
  themes' Jaccard index; the documents are listed lowest agreement first,
  by the lower of the span F1 and themes figures.

A figure that cannot be computed (no pair of values, a single value seen: alpha
is 0/0) is None.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import Errors

Span = tuple[int, int, str]
OUTSIDE = "O"


# ------------------------------------------------------------ versions


@dataclass(frozen=True)
class Version:
    """One annotator's answer to one task."""

    annotator: str
    answer: str
    spans: frozenset[Span]
    themes: frozenset[str] | None  # None: themes not reviewed


def version_of(decision: dict[str, Any]) -> Version | None:
    """The annotator's version in a stored decision (see the module docstring); None for ``ignore``."""
    answer = decision.get("answer")
    who = str(decision.get("_annotator_id"))
    if answer == "reject":
        return Version(who, "reject", frozenset(), frozenset())
    if answer != "accept":
        return None
    spans = frozenset(
        (int(s["start"]), int(s["end"]), str(s.get("label")))
        for s in decision.get("spans") or []
        if s.get("answer", "accept") == "accept"
    )
    acc = decision.get("accept")
    themes = frozenset(str(t) for t in acc) if isinstance(acc, list) else None
    return Version(who, "accept", spans, themes)


@dataclass
class TaskVersions:
    """A task and every annotator's version of it."""

    key: Any  # the task's _task_hash (reported; grouping is on the text and this hash)
    task: dict[str, Any]
    versions: dict[str, Version]


def collect_versions(decisions: Iterable[dict[str, Any]]) -> list[TaskVersions]:
    """Group decisions (``Store.iter_decisions``, in the order made) by task: the latest per annotator wins.

    A task is its text and its ``_task_hash`` (which tells apart tasks of one text): the 32-bit hash alone is
    shared by some different texts, which must not be compared as one task."""
    tasks: dict[Any, TaskVersions] = {}
    for d in decisions:
        text = d.get("text")
        key = (d.get("_task_hash"), text if isinstance(text, str) else None)
        tv = tasks.get(key)
        if tv is None:
            tv = tasks[key] = TaskVersions(key[0], d, {})
        v = version_of(d)
        who = str(d.get("_annotator_id"))
        if v is None:
            tv.versions.pop(who, None)  # a later ignore replaces an earlier answer
        else:
            tv.versions[who] = v
            tv.task = d
    return list(tasks.values())


# ------------------------------------------------------------ span matching


def _shared(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def match_count(a: Iterable[Span], b: Iterable[Span], *, overlap: bool) -> int:
    """Spans of ``a`` matched one to one with spans of ``b``: exact, then (``overlap``) same label overlapping."""
    left, right = set(a), set(b)
    exact = left & right
    if not overlap:
        return len(exact)
    left -= exact
    right -= exact
    cands = sorted(
        (-_shared(x, y), x, y) for x in left for y in right if x[2] == y[2] and _shared(x, y) > 0
    )
    used_l: set[Span] = set()
    used_r: set[Span] = set()
    for _, x, y in cands:
        if x not in used_l and y not in used_r:
            used_l.add(x)
            used_r.add(y)
    return len(exact) + len(used_l)


@dataclass
class PairCounts:
    """Span counts of two annotators over their shared tasks: matched (exact, overlap) and sizes."""

    exact: int = 0
    overlap: int = 0
    a: int = 0
    b: int = 0

    def add(self, x: PairCounts) -> None:
        self.exact += x.exact
        self.overlap += x.overlap
        self.a += x.a
        self.b += x.b

    @staticmethod
    def of(a: Iterable[Span], b: Iterable[Span]) -> PairCounts:
        a, b = set(a), set(b)
        return PairCounts(match_count(a, b, overlap=False), match_count(a, b, overlap=True), len(a), len(b))

    def f1(self, *, overlap: bool = False) -> float:
        """``2 m / (|A| + |B|)``; 1.0 when both sides are empty (nothing to disagree on)."""
        n = self.a + self.b
        m = self.overlap if overlap else self.exact
        return 1.0 if n == 0 else 2 * m / n


# ------------------------------------------------------------ statistics


def _alpha(rows: Sequence[Sequence[Any]]) -> float | None:
    """Krippendorff's alpha, nominal, of an annotators x units table (None: missing), by the ``krippendorff`` package."""
    try:
        import krippendorff
        import numpy as np
    except ImportError:
        raise Errors.E700() from None
    if not rows or not rows[0]:
        return None
    codes: dict[Any, int] = {}
    data = np.array(
        [[np.nan if v is None else codes.setdefault(v, len(codes)) for v in row] for row in rows], dtype=float
    )
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    data = data[:, pairable]
    if data.shape[1] == 0 or len(codes) < 2 or len(set(data[~np.isnan(data)].tolist())) < 2:
        return None  # alpha is 0/0 when a single value is seen
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Cohen's kappa of two raters over the same items: ``(po - pe) / (1 - pe)``.

    ``po`` is the share of items both rate alike, ``pe`` the agreement expected
    by chance from each rater's own share of each value. None when ``pe`` is 1
    (both raters always give the same single value: kappa is 0/0) or no item.
    """
    if len(a) != len(b):
        raise ValueError("the two raters must rate the same items")
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b)) / n
    pe = sum((list(a).count(v) / n) * (list(b).count(v) / n) for v in set(a) | set(b))
    if pe >= 1.0:
        return None
    return (po - pe) / (1 - pe)


def _tokens(task: dict[str, Any]) -> list[tuple[int, int]]:
    toks = task.get("tokens")
    if isinstance(toks, list) and toks:
        try:
            return [(int(t["start"]), int(t["end"])) for t in toks]
        except (KeyError, TypeError, ValueError):
            pass
    import re

    return [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", str(task.get("text") or ""))]


def token_labels(tokens: Sequence[tuple[int, int]], spans: Iterable[Span]) -> list[str]:
    """The label of the span covering each token (sharing a character with it), ``O`` for none."""
    out = [OUTSIDE] * len(tokens)
    for s, e, label in sorted(spans):
        for i, (ts, te) in enumerate(tokens):
            if ts < e and s < te:
                out[i] = label
    return out


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


# ------------------------------------------------------------ result


@dataclass
class Agreement:
    """Every figure of :func:`agreement` (``to_dict`` for JSON)."""

    dataset: str
    annotators: list[str]
    tasks: int  # tasks counted: versions from two annotators or more
    tasks_single: int  # tasks answered by one annotator only (not counted)
    tokens: int  # token units of the span alpha
    spans: dict[str, Any] = field(default_factory=dict)  # exact_f1, overlap_f1, alpha_tokens, counts
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    themes: dict[str, dict[str, Any]] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)  # lowest agreement first
    method: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


METHOD = {
    "spans_f1": "2 matched / (spans of A + spans of B), summed over shared tasks; exact: same start, end, label; "
                "overlap: same label, shared characters, one to one",
    "spans_alpha": "Krippendorff's alpha (nominal) on token labels: each token of a counted task is a unit, "
                   "its value the label of the annotator's span covering it, O for none (not unitizing alpha)",
    "themes": "per theme: Krippendorff's alpha (nominal, units: tasks, values 1/0); Cohen's kappa per pair, "
              "mean over pairs",
    "version": "accept: accepted spans and accepted themes; reject: no span, no theme; ignore: not counted",
    "counted": "tasks with versions from two or more annotators",
}


def agreement(decisions: Iterable[dict[str, Any]], *, dataset: str = "") -> Agreement:
    """Agreement figures of the decisions of one dataset (``Store.iter_decisions(dataset)``)."""
    grouped = collect_versions(decisions)
    shared = [tv for tv in grouped if len(tv.versions) >= 2]
    single = sum(1 for tv in grouped if len(tv.versions) == 1)
    annotators = sorted({a for tv in shared for a in tv.versions})
    res = Agreement(dataset=dataset, annotators=annotators, tasks=len(shared), tasks_single=single, tokens=0,
                    method=dict(METHOD))
    if not shared:
        return res
    # --- span F1: per pair, per label, per document
    pair_counts: dict[tuple[str, str], PairCounts] = defaultdict(PairCounts)
    pair_tasks: dict[tuple[str, str], int] = defaultdict(int)
    label_counts: dict[str, PairCounts] = defaultdict(PairCounts)
    total = PairCounts()
    labels = sorted({s[2] for tv in shared for v in tv.versions.values() for s in v.spans})
    docs = []
    for tv in shared:
        doc_exact, doc_overlap, doc_themes = [], [], []
        for a, b in itertools.combinations(sorted(tv.versions), 2):
            va, vb = tv.versions[a], tv.versions[b]
            pc = PairCounts.of(va.spans, vb.spans)
            pair_counts[(a, b)].add(pc)
            pair_tasks[(a, b)] += 1
            total.add(pc)
            for lab in labels:
                label_counts[lab].add(PairCounts.of({s for s in va.spans if s[2] == lab}, {s for s in vb.spans if s[2] == lab}))
            doc_exact.append(pc.f1())
            doc_overlap.append(pc.f1(overlap=True))
            if va.themes is not None and vb.themes is not None:
                doc_themes.append(_jaccard(va.themes, vb.themes))
        ex, ov, th = _mean(doc_exact), _mean(doc_overlap), _mean(doc_themes)
        low = min(x for x in (ex, th) if x is not None) if (ex is not None or th is not None) else None
        docs.append({
            "task_hash": tv.key, "text": str(tv.task.get("text") or "")[:80], "annotators": sorted(tv.versions),
            "answers": {a: v.answer for a, v in sorted(tv.versions.items())},
            "spans_exact_f1": ex, "spans_overlap_f1": ov, "themes_jaccard": th, "agreement": low,
        })
    docs.sort(key=lambda d: (d["agreement"] if d["agreement"] is not None else 2.0, str(d["task_hash"])))
    res.documents = docs
    # --- span alpha on token labels
    rows: dict[str, list[str | None]] = {a: [] for a in annotators}
    for tv in shared:
        toks = _tokens(tv.task)
        res.tokens += len(toks)
        for a in annotators:
            v = tv.versions.get(a)
            rows[a].extend(token_labels(toks, v.spans) if v is not None else [None] * len(toks))
    table = [rows[a] for a in annotators]
    res.spans = {"exact_f1": total.f1(), "overlap_f1": total.f1(overlap=True), "alpha_tokens": _alpha(table),
                 "matched_exact": total.exact, "matched_overlap": total.overlap, "spans": total.a + total.b}
    for lab in labels:
        c = label_counts[lab]
        binary = [[None if x is None else x == lab for x in row] for row in table]
        res.labels[lab] = {"exact_f1": c.f1(), "overlap_f1": c.f1(overlap=True), "alpha_tokens": _alpha(binary),
                           "spans": c.a + c.b}
    # --- themes
    theme_names = sorted({t for tv in shared for v in tv.versions.values() if v.themes for t in v.themes}
                         | {str(t) for tv in shared for t in (tv.task.get("cats") or {})})
    for t in theme_names:
        trows = [[None if (v := tv.versions.get(a)) is None or v.themes is None else int(t in v.themes) for tv in shared]
                 for a in annotators]
        kappas = []
        for i, j in itertools.combinations(range(len(annotators)), 2):
            both = [(x, y) for x, y in zip(trows[i], trows[j]) if x is not None and y is not None]
            if both:
                kappas.append(cohen_kappa([x for x, _ in both], [y for _, y in both]))
        res.themes[t] = {"alpha": _alpha(trows), "kappa": _mean(kappas),
                         "on": sum(x or 0 for row in trows for x in row)}
    # --- per pair
    for (a, b), c in sorted(pair_counts.items()):
        ia, ib = annotators.index(a), annotators.index(b)
        both_rows = [table[ia], table[ib]]
        theme_pairs = [(x, y) for t in theme_names for tv in shared
                       if (va := tv.versions.get(a)) is not None and (vb := tv.versions.get(b)) is not None
                       and va.themes is not None and vb.themes is not None
                       for x, y in [(int(t in va.themes), int(t in vb.themes))]]
        res.pairs.append({
            "annotators": [a, b], "tasks": pair_tasks[(a, b)], "exact_f1": c.f1(), "overlap_f1": c.f1(overlap=True),
            "alpha_tokens": _alpha(both_rows),
            "themes_kappa": cohen_kappa([x for x, _ in theme_pairs], [y for _, y in theme_pairs]) if theme_pairs else None,
            "spans": [c.a, c.b],
        })
    return res
