"""Merging: every decision on one input (the same ``text``) becomes one example.

Inputs are merged by their text, exactly (whitespace included), whatever
``_input_hash`` came with them: a Prodigy-hashed and an unhashed copy of one
text give one example (and one side of the train/dev split).

Manual decisions: only accepted ones give data; rejected and ignored ones are
left out. Binary decisions (Prodigy's accept/reject questions about one span
or one label, :mod:`.binary`) all give data, accepted and rejected, and are
merged with the text's other decisions. When the accepted manual decisions of one input disagree (different accepted spans,
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

from json.encoder import encode_basestring as _encode_str

from murmurhash.mrmr import hash as _mmh3

from ..errors import Errors
from ..store import span_accepted
from .binary import BINARY, THEMES, WINNER, Partial, is_binary


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
_ACCEPT, _REJECT, _IGNORE, _BINARY = 0, 1, 2, 3


def split_key(text: str) -> int:
    """The key of a text for the train/dev split: the 32-bit hash of ``{"text": text}``.

    It is the ``_input_hash`` this toolkit gives a text, computed from the
    text alone, so that copies of one text with other hashes split together.
    """
    # json.dumps({"text": text}, ensure_ascii=False, sort_keys=True), without its per-call setup
    return int(_mmh3('{"text": ' + _encode_str(text) + "}"))


@dataclass
class MergePlan:
    """The result of pass 1: which decisions make every input's example, and why others are left out.

    Inputs are keyed by (:func:`split_key` of the text, Python's 64-bit hash of
    the text). What is kept for pass 2 is sorted arrays of decision ids (where
    each example is yielded, and the earlier decisions that contribute to it:
    the themes' source, binary answers) and the split keys of the inputs that
    give an example: 8 bytes each, not a Python object per input.
    """

    resolve: str
    decisions: int = 0
    langs: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    examples: int = 0
    _left_out: dict[str, int] = field(default_factory=dict)
    binary: int = 0  # examples with binary decisions
    binary_conflicts: int = 0  # binary answers a later answer on the same span or label contradicts (set by pass 2)
    # decision ids of the decisions an example is yielded at (each input's last contributing one), sorted,
    # and the role that decision has in its example
    _emit: Any = field(default_factory=lambda: array("q"))
    _emit_role: Any = field(default_factory=lambda: array("b"))
    # (contributing decision id, the decision id its example is yielded at, its role), sorted by the first
    _from: Any = field(default_factory=lambda: array("q"))
    _to: Any = field(default_factory=lambda: array("q"))
    _role: Any = field(default_factory=lambda: array("b"))
    # the distinct split keys (split_key of the text) of the inputs that give an example, sorted (numpy int64)
    _input_hashes: Any = None

    def left_out(self) -> Counter[str]:
        return Counter(self._left_out)

    def is_winner(self, did: int) -> bool:
        return in_sorted(self._emit, did)

    def emit_role(self, did: int) -> int | None:
        """The role of decision ``did`` when its example is yielded at it, else None."""
        i = _index_sorted(self._emit, did)
        return self._emit_role[i] if i >= 0 else None

    def target(self, did: int) -> tuple[int, int] | None:
        """(the decision the example is yielded at, role) when decision ``did`` contributes to a later one."""
        i = _index_sorted(self._from, did)
        return (self._to[i], self._role[i]) if i >= 0 else None

    def input_hashes(self) -> Any:
        """The distinct split keys (:func:`split_key`) of the inputs that give an example (a sorted int64 array)."""
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
    """Pass 1: group decisions by text and find each input's winner, binary answers and conflicts.

    Decisions must come in the order made (the store's order); "latest" means
    the last accepted one. Each decision needs ``_decision_id`` (its position
    is used when it has none).

    Per input: it gives an example when it has an accepted manual decision or
    a binary answer (accept or reject); it is a conflict when it has both
    accepted and rejected manual decisions, or accepted ones with different
    accepted spans, or with different reviewed themes. The winner is the last
    accepted manual decision; its themes come from the last accepted decision
    that reviewed themes; every binary answer is merged in (:mod:`.binary`). Pass 1 keeps a few integers per
    decision in flat arrays and groups them by sorting, so its memory is about
    50 bytes per decision while it runs and 8 per example after.
    """
    plan = MergePlan(resolve=parse_resolve(resolve).value)
    keys, texts, dids = array("q"), array("q"), array("q")
    codes, span_sigs, theme_sigs, reviewed = array("b"), array("q"), array("q"), array("b")
    for pos, d in enumerate(decisions):
        did = _int64(d.get("_decision_id", pos), "_decision_id", d)
        text = d.get("text")
        ih = split_key(text) if isinstance(text, str) else _int64(d["_input_hash"], "_input_hash", d)
        th = hash(text)
        answer = d.get("answer")
        plan.answers[str(answer)] += 1
        ssig, tsig = 0, None
        if answer in ("accept", "reject") and is_binary(d):
            code = _BINARY
            meta = d.get("meta")
            if isinstance(meta, dict) and isinstance(meta.get("lang"), str):
                plan.langs[meta["lang"]] += 1
        elif answer == "accept":
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
    has_binary = np.logical_or.reduceat(code == _BINARY, starts)
    del starts
    conflict = has_accept & has_reject
    bin_rows = np.flatnonzero(code == _BINARY)
    bin_group = group[bin_rows]
    bin_rows = order[bin_rows]
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
        # row (position in the order made) of each input's last row among r (-1 where none)
        out = np.full(n_in, -1, dtype=np.int64)
        if len(g):
            is_last = np.ones(len(g), dtype=bool)
            np.not_equal(g[1:], g[:-1], out=is_last[:-1])
            out[g[is_last]] = r[is_last]
        return out

    def did_of(pos: Any) -> Any:
        return np.where(pos >= 0, dids[np.maximum(pos, 0)], -1)

    changes(acc_group, span_sigs[rows])
    winner_pos = last(acc_group, rows)
    themed = reviewed[rows] != 0
    acc_group, rows = acc_group[themed], rows[themed]
    del themed
    changes(acc_group, theme_sigs[rows])
    theme_pos = last(acc_group, rows)
    del acc_group, rows
    bin_last = last(bin_group, bin_rows)
    plan.conflicts = int(conflict.sum())
    left = conflict & (plan.resolve == "strict") & ~has_binary
    manual = has_accept & ~left  # the manual winner is part of the example
    exported = manual | has_binary
    plan.examples = int(exported.sum())
    plan.binary = int(has_binary.sum())
    # the left-out reasons in the order their first input was seen (as counted one input at a time)
    reasons = []
    no_data = ~has_accept & ~has_binary
    for name, mask in (("rejected", no_data & has_reject), ("ignored", no_data & ~has_reject),
                       ("conflict (--resolve strict)", has_accept & left)):
        if mask.any():
            reasons.append((int(first_seen[mask].min()), name, int(mask.sum())))
    plan._left_out = {name: count for _, name, count in sorted(reasons)}
    # where each example is yielded: its last contributing row
    winner_pos = np.where(manual, winner_pos, -1)
    emit_pos = np.maximum(winner_pos, bin_last)
    emit_role = np.where(emit_pos == winner_pos, WINNER, BINARY).astype(np.int8)
    emit = did_of(emit_pos)
    # the earlier rows contributing to an example: the winner (when a binary row comes after it), the themes'
    # source (when not the winner), every binary row but the last one of a binary-only example
    srcs, tos, roles = [], [], []
    w = exported & (winner_pos >= 0) & (winner_pos != emit_pos)
    srcs.append(did_of(winner_pos[w]))
    tos.append(emit[w])
    roles.append(np.full(int(w.sum()), WINNER, dtype=np.int8))
    t = manual & (theme_pos >= 0) & (theme_pos != winner_pos)
    srcs.append(did_of(theme_pos[t]))
    tos.append(emit[t])
    roles.append(np.full(int(t.sum()), THEMES, dtype=np.int8))
    b = bin_rows != emit_pos[bin_group]
    srcs.append(dids[bin_rows[b]])
    tos.append(emit[bin_group[b]])
    roles.append(np.full(int(b.sum()), BINARY, dtype=np.int8))
    src, to, role = np.concatenate(srcs), np.concatenate(tos), np.concatenate(roles)
    by_src = np.argsort(src, kind="stable")
    plan._from = array("q", src[by_src].astype(np.int64).tobytes())
    plan._to = array("q", to[by_src].astype(np.int64).tobytes())
    plan._role = array("b", role[by_src].tobytes())
    by_emit = np.argsort(emit[exported], kind="stable")
    plan._emit = array("q", emit[exported][by_emit].astype(np.int64).tobytes())
    plan._emit_role = array("b", emit_role[exported][by_emit].tobytes())
    plan._input_hashes = np.unique(keys[first_seen[exported]])


def merged_decisions(decisions: Iterable[dict[str, Any]], plan: MergePlan) -> Iterator[dict[str, Any]]:
    """Pass 2: every input's example, yielded at its last contributing decision, in the order made.

    An input with only manual decisions gives its winning decision; when the
    winner did not review themes but an earlier accepted decision did, the
    winner gets that decision's ``accept`` list. An input with binary answers
    gives them merged with its winner (:class:`.binary.Partial`). What is held
    meanwhile is the contributing decisions of examples not yet yielded.
    """
    stashed: dict[int, Partial] = {}
    plan.binary_conflicts = 0
    for pos, d in enumerate(decisions):
        did = int(d.get("_decision_id", pos))
        to = plan.target(did)
        if to is not None:
            stashed.setdefault(to[0], Partial()).add(d, to[1])
        role = plan.emit_role(did)
        if role is None:
            continue
        part = stashed.pop(did, None)
        if part is None and role == WINNER:
            yield d
            continue
        part = part or Partial()
        part.add(d, role)
        merged = part.merged()
        plan.binary_conflicts += part.conflicts
        yield merged
