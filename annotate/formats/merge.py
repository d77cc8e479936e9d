"""Merging: every decision on one input (same ``_input_hash``) becomes one example.

Only accepted decisions give data; rejected and ignored ones are left out.
When the accepted decisions of one input disagree (different accepted spans,
different accepted themes, or an accept next to a reject) it is a
*conflict*: ``resolve="latest"`` keeps the latest accepted decision,
``resolve="strict"`` leaves the example out. Both count it.

Memory: the decisions are streamed twice from the store. Pass 1
(:func:`plan_merge`) keeps a few integers per decision in flat arrays (about
50 bytes each, not a Python object per input) and groups them by sorting;
what is kept for pass 2 (:func:`merged_decisions`) is 8 bytes per example
(the winners' decision ids, sorted) and, for a DocBin export, the dev split as
a sorted array.
"""

from __future__ import annotations

import bisect
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import Errors
from ..store import span_accepted


class Resolve(StrEnum):
    """How disagreeing decisions on one input are merged (``--resolve``)."""

    latest = "latest"  # keep the latest accepted decision
    strict = "strict"  # leave the example out


RESOLVE_MODES = tuple(m.value for m in Resolve)

Decisions = Callable[[], Iterable[dict[str, Any]]]
"""A callable returning a fresh iterator over a dataset's decisions in the order made (called twice)."""


def parse_resolve(resolve: str) -> Resolve:
    """``resolve`` as a :class:`Resolve`; an unknown mode is a usage error (E400)."""
    try:
        return Resolve(resolve)
    except ValueError:
        raise Errors.E400(resolve=resolve, fix='use one of ' + ', '.join(RESOLVE_MODES)) from None


def accepted_spans(task: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in task.get("spans") or [] if isinstance(s, dict) and span_accepted(s)]


def _span_sig(task: dict[str, Any]) -> int:
    keys = sorted((int(s["start"]), int(s["end"]), str(s["label"])) for s in accepted_spans(task))
    return hash(tuple(keys))


def reviewed_themes(task: dict[str, Any]) -> list[str] | None:
    """The accepted themes, or None when the task's themes were not reviewed."""
    acc = task.get("accept")
    if not isinstance(acc, list):
        return None
    return [str(t) for t in acc]


def _theme_sig(task: dict[str, Any]) -> int | None:
    themes = reviewed_themes(task)
    return None if themes is None else hash(tuple(sorted(set(themes))))


_INT64 = (-(1 << 63), (1 << 63) - 1)
_ACCEPT, _REJECT, _IGNORE = 0, 1, 2


@dataclass
class MergePlan:
    """The result of pass 1: which decision wins for every input, and why others are left out.

    Inputs are keyed by (``_input_hash``, hash of the text): two texts whose
    32-bit input hashes collide (about one pair per 100,000 inputs) are not
    merged. What is kept for pass 2 is two sorted arrays of decision ids (the
    winners, and the earlier decisions some winners take their themes from)
    and the input hashes that give an example (for the dev split): 8 bytes
    each, not a Python object per input.
    """

    resolve: str
    decisions: int = 0
    langs: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    examples: int = 0
    _left_out: dict[str, int] = field(default_factory=dict)
    # decision ids of the winners, sorted
    _winners: Any = field(default_factory=lambda: array("q"))
    # (theme source decision id, its winner's decision id), sorted by the first
    _theme_from: Any = field(default_factory=lambda: array("q"))
    _theme_to: Any = field(default_factory=lambda: array("q"))
    # the distinct _input_hash values of the inputs that give an example, sorted (numpy int64)
    _input_hashes: Any = None

    def left_out(self) -> Counter[str]:
        return Counter(self._left_out)

    def is_winner(self, did: int) -> bool:
        return in_sorted(self._winners, did)

    def theme_target(self, did: int) -> int | None:
        """The winner that takes its themes from decision ``did``, if any."""
        i = _index_sorted(self._theme_from, did)
        return self._theme_to[i] if i >= 0 else None

    def input_hashes(self) -> Any:
        """The distinct ``_input_hash`` of the inputs that give an example (a sorted int64 array)."""
        import numpy

        return self._input_hashes if self._input_hashes is not None else numpy.zeros(0, dtype=numpy.int64)

    @property
    def lang(self) -> str | None:
        return self.langs.most_common(1)[0][0] if self.langs else None


def _index_sorted(a: Any, x: int) -> int:
    """Where ``x`` is in the sorted array ``a``, or -1."""
    i = bisect.bisect_left(a, x)
    return i if i < len(a) and a[i] == x else -1


def in_sorted(a: Any, x: int) -> bool:
    return _index_sorted(a, x) >= 0


def _int64(value: Any, what: str, d: dict[str, Any]) -> int:
    v = int(value)
    if not _INT64[0] <= v <= _INT64[1]:
        raise Errors.E411(get=d.get('_decision_id'), what=what, v=v)
    return v


def plan_merge(decisions: Iterable[dict[str, Any]], *, resolve: Resolve | str = Resolve.latest) -> MergePlan:
    """Pass 1: group decisions by ``_input_hash`` and find each input's winner and conflicts.

    Decisions must come in the order made (the store's order); "latest" means
    the last accepted one. Each decision needs ``_decision_id`` (its position
    is used when it has none).

    Per input: it gives an example when it has an accepted decision; it is a
    conflict when it has both accepted and rejected decisions, or accepted
    decisions with different accepted spans, or with different reviewed themes.
    The winner is the last accepted decision; its themes come from the last
    accepted decision that reviewed themes. Pass 1 keeps a few integers per
    decision in flat arrays and groups them by sorting, so its memory is about
    50 bytes per decision while it runs and 8 per example after.
    """
    plan = MergePlan(resolve=parse_resolve(resolve).value)
    keys, texts, dids = array("q"), array("q"), array("q")
    codes, span_sigs, theme_sigs, reviewed = array("b"), array("q"), array("q"), array("b")
    for pos, d in enumerate(decisions):
        did = _int64(d.get("_decision_id", pos), "_decision_id", d)
        ih = _int64(d["_input_hash"], "_input_hash", d)
        th = hash(d.get("text"))
        answer = d.get("answer")
        plan.answers[str(answer)] += 1
        ssig, tsig = 0, None
        if answer == "accept":
            code = _ACCEPT
            meta = d.get("meta")
            lg = meta.get("lang") if isinstance(meta, dict) else None
            lg = lg if isinstance(lg, str) else d.get("lang")  # a record's own top-level "lang" (imported gold)
            if isinstance(lg, str):
                plan.langs[lg] += 1
            ssig = _span_sig(d)
            tsig = _theme_sig(d)
        else:
            code = _REJECT if answer == "reject" else _IGNORE
        keys.append(ih)
        texts.append(th)
        dids.append(did)
        codes.append(code)
        span_sigs.append(ssig)
        theme_sigs.append(0 if tsig is None else tsig)
        reviewed.append(tsig is not None)
    plan.decisions = len(dids)
    if plan.decisions:
        _group(plan, keys, texts, dids, codes, span_sigs, theme_sigs, reviewed)
    return plan


def _group(plan: MergePlan, *cols: Any) -> None:
    """The per-input part of :func:`plan_merge`, on its arrays (one row per decision, in the order made).

    Sorting by input (stably: the rows of one input stay in the order made)
    puts each input's rows together; every step after is on whole arrays.
    Temporaries are dropped as soon as they are used: they are what sets the
    peak memory of a large export.
    """
    import numpy as np

    keys, texts, dids, codes, span_sigs, theme_sigs, reviewed = (np.frombuffer(c, dtype=c.typecode) for c in cols)
    n = len(dids)
    order = np.lexsort((texts, keys))  # a stable sort
    new = np.empty(n, dtype=bool)
    new[0] = True
    sorted_col = keys[order]
    np.not_equal(sorted_col[1:], sorted_col[:-1], out=new[1:])
    sorted_col = texts[order]
    new[1:] |= sorted_col[1:] != sorted_col[:-1]
    del sorted_col
    starts = np.flatnonzero(new)
    group = np.cumsum(new, dtype=np.int32)
    group -= 1
    del new
    n_in = len(starts)
    first_seen = order[starts]  # each input's first row: its rows are in the order made
    code = codes[order]
    has_accept = np.logical_or.reduceat(code == _ACCEPT, starts)
    has_reject = np.logical_or.reduceat(code == _REJECT, starts)
    del starts
    conflict = has_accept & has_reject
    rows = np.flatnonzero(code == _ACCEPT)
    del code
    acc_group = group[rows]  # the accepted rows: their input, and (below) their row in the arrays
    rows = order[rows]
    del group, order

    def changes(g: Any, sigs: Any) -> None:
        # an input whose consecutive accepted rows differ in sigs is a conflict
        differ = g[1:] == g[:-1]
        differ &= sigs[1:] != sigs[:-1]
        conflict[g[1:][differ]] = True

    def last(g: Any, r: Any) -> Any:
        # decision id of each input's last row among r (-1 where none)
        out = np.full(n_in, -1, dtype=np.int64)
        is_last = np.ones(len(g), dtype=bool)
        np.not_equal(g[1:], g[:-1], out=is_last[:-1])
        out[g[is_last]] = dids[r[is_last]]
        return out

    changes(acc_group, span_sigs[rows])
    winner = last(acc_group, rows)
    themed = reviewed[rows] != 0
    acc_group, rows = acc_group[themed], rows[themed]
    del themed
    changes(acc_group, theme_sigs[rows])
    theme_from = last(acc_group, rows)
    del acc_group, rows
    plan.conflicts = int(conflict.sum())
    left = conflict & (plan.resolve == "strict")
    exported = has_accept & ~left
    plan.examples = int(exported.sum())
    # the left-out reasons in the order their first input was seen (as counted one input at a time)
    reasons = []
    for name, mask in (("rejected", ~has_accept & has_reject), ("ignored", ~has_accept & ~has_reject),
                       ("conflict (--resolve strict)", has_accept & left)):
        if mask.any():
            reasons.append((int(first_seen[mask].min()), name, int(mask.sum())))
    plan._left_out = {name: count for _, name, count in sorted(reasons)}
    plan._winners = array("q", np.sort(winner[exported]).tobytes())
    src = exported & (theme_from != -1) & (theme_from != winner)
    by_src = np.argsort(theme_from[src], kind="stable")
    plan._theme_from = array("q", theme_from[src][by_src].tobytes())
    plan._theme_to = array("q", winner[src][by_src].tobytes())
    plan._input_hashes = np.unique(keys[first_seen[exported]])


def merged_decisions(decisions: Iterable[dict[str, Any]], plan: MergePlan) -> Iterator[dict[str, Any]]:
    """Pass 2: the winning decision of every input, in the order the winners were made.

    When the winner did not review themes but an earlier accepted decision
    did, the winner gets that decision's ``accept`` list.
    """
    stashed: dict[int, list[str]] = {}
    for pos, d in enumerate(decisions):
        did = int(d.get("_decision_id", pos))
        to = plan.theme_target(did)
        if to is not None:
            stashed[to] = reviewed_themes(d) or []
        if not plan.is_winner(did):
            continue
        if did in stashed:
            d = dict(d)
            d["accept"] = stashed.pop(did)
        yield d
