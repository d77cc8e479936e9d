"""Adjudication: the tasks that two or more annotators answered, each annotator's version, the majority version
and what they agree on; storing one final version per task into a new (gold) dataset.

No UI here: the adjudication screen (:mod:`annotate.review.screens.adjudicate`) shows a :class:`Case` and lets the
adjudicator edit its majority version; ``--auto-accept-agreed`` stores the cases everyone agrees on without a
screen (:func:`store_agreed`).

Definitions (the docstrings of :class:`Case` say the same, with the edge cases):

* an annotator's **version** of a task is their latest decision on it: the answer (accept / reject / ignore),
  the spans they kept (``(start, end, label)``: a relabelled or resized span is another span) and the themes they
  accepted;
* the **voters** of a task are the annotators who accepted it (their spans and themes are the annotation); when
  nobody accepted it, every annotator is a voter;
* a span or a theme is in the **majority version** when more than half of the voters kept it. Two majority spans
  never overlap: each is kept by more than half of the voters, so some voter kept both, and no version keeps
  overlapping spans;
* a span or a theme is **agreed** when every voter made the same choice on it (all kept it, or none did), else it
  is **disputed**; a task is agreed when every annotator gave the same answer and, for an accepted task, kept the
  same spans and themes.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .db import Store
from .keys import STORE_KEYS, input_key
from .schema import DECISION_KEYS, span_accepted

SpanKey = tuple[int, int, str]  # (start, end, label)
# the span fields a merged span keeps from the version it was first seen in
_SPAN_FIELDS = ("start", "end", "label", "text", "token_start", "token_end", "source", "value")
META_KEY = "adjudication"  # task["meta"][META_KEY]: who the final version comes from


def span_key(span: dict[str, Any]) -> SpanKey:
    return int(span["start"]), int(span["end"]), str(span["label"])


@dataclass(frozen=True)
class Version:
    """One annotator's latest decision on a task."""

    annotator: str
    answer: str
    spans: frozenset[SpanKey]  # the spans this annotator kept
    themes: frozenset[str]  # the themes this annotator accepted
    decision_id: int


def _themes_of(decision: dict[str, Any], threshold: float) -> frozenset[str]:
    if isinstance(decision.get("accept"), list):
        return frozenset(str(t) for t in decision["accept"])
    cats = decision.get("cats") if isinstance(decision.get("cats"), dict) else {}
    return frozenset(k for k, v in cats.items() if isinstance(v, int | float) and v >= threshold)


@dataclass
class Case:
    """A task answered by two or more annotators: their versions (sorted by annotator) and every span seen."""

    task_hash: int  # the 32-bit Prodigy-style hash (a field: two texts can share it)
    task: dict[str, Any]  # the stored task (else the first decision), without the decision keys
    versions: list[Version]
    spans: dict[SpanKey, dict[str, Any]] = field(default_factory=dict)  # every span of any version, in text order
    key: str = ""  # the task's 128-bit key (hex): what the versions are grouped on

    @property
    def gold_key(self) -> GoldKey:
        """How the final version is found in the gold dataset (:func:`gold_key`)."""
        return gold_key(self.task)

    @property
    def annotators(self) -> list[str]:
        return [v.annotator for v in self.versions]

    @property
    def voters(self) -> list[Version]:
        """The versions whose spans and themes count: those that accepted the task (all, when none did)."""
        accepted = [v for v in self.versions if v.answer == "accept"]
        return accepted or list(self.versions)

    def answer_votes(self) -> Counter[str]:
        return Counter(v.answer for v in self.versions)

    @property
    def majority_answer(self) -> str | None:
        """The answer of more than half of the annotators, else None (a tie: the adjudicator decides)."""
        answer, n = self.answer_votes().most_common(1)[0]
        return answer if 2 * n > len(self.versions) else None

    def span_votes(self, key: SpanKey) -> list[str]:
        """The voters who kept this span."""
        return [v.annotator for v in self.voters if key in v.spans]

    def theme_names(self, known: Iterable[str] = ()) -> list[str]:
        """``known`` themes first (in their order), then any other theme a version accepted."""
        names = list(dict.fromkeys(known))
        names += sorted({t for v in self.versions for t in v.themes} - set(names))
        return names

    def theme_votes(self, name: str) -> list[str]:
        """The voters who accepted this theme."""
        return [v.annotator for v in self.voters if name in v.themes]

    def _majority(self, votes: list[str]) -> bool:
        return 2 * len(votes) > len(self.voters)

    def _agreed(self, votes: list[str]) -> bool:
        return len(votes) in (0, len(self.voters))

    @property
    def majority_spans(self) -> set[SpanKey]:
        return {k for k in self.spans if self._majority(self.span_votes(k))}

    def majority_themes(self, known: Iterable[str] = ()) -> list[str]:
        return [t for t in self.theme_names(known) if self._majority(self.theme_votes(t))]

    def span_agreed(self, key: SpanKey) -> bool:
        return self._agreed(self.span_votes(key))

    def theme_agreed(self, name: str) -> bool:
        return self._agreed(self.theme_votes(name))

    def span_counts(self) -> tuple[int, int]:
        """(agreed, disputed) spans: every span any version has, kept or rejected."""
        agreed = sum(1 for k in self.spans if self.span_agreed(k))
        return agreed, len(self.spans) - agreed

    def theme_counts(self, known: Iterable[str] = ()) -> tuple[int, int]:
        names = self.theme_names(known)
        agreed = sum(1 for t in names if self.theme_agreed(t))
        return agreed, len(names) - agreed

    @property
    def agreed(self) -> bool:
        """Every annotator gave the same answer and, for an accepted task, kept the same spans and themes."""
        first = self.versions[0]
        if any(v.answer != first.answer for v in self.versions):
            return False
        if first.answer != "accept":
            return True
        return all(v.spans == first.spans and v.themes == first.themes for v in self.versions)

    def majority_task(self, known_themes: Iterable[str] = (), *, source: str = "", auto: bool = False) -> dict[str, Any]:
        """The task with the majority version: every span seen (majority spans accepted, the others rejected),
        the majority themes in ``accept``, and ``meta["adjudication"]`` naming the source dataset and annotators."""
        task = copy.deepcopy(self.task)
        majority = self.majority_spans
        task["spans"] = [dict(s, answer="accept" if k in majority else "reject") for k, s in self.spans.items()]
        task["accept"] = self.majority_themes(known_themes)
        meta = dict(task["meta"]) if isinstance(task.get("meta"), dict) else {}
        meta[META_KEY] = {
            "dataset": source,
            "annotators": self.annotators,
            "answers": {v.annotator: v.answer for v in self.versions},
            "agreed": self.agreed,
            "auto": auto,
        }
        task["meta"] = meta
        return task


def _clean(decision: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in decision.items() if k not in DECISION_KEYS and k not in STORE_KEYS}


GoldKey = tuple[str, int]  # (input key of the text, hex; the source task's 32-bit _task_hash)


def gold_key(task: dict[str, Any]) -> GoldKey:
    """A final version's identity in the gold dataset: its text (128-bit input key) and the source task's
    ``_task_hash`` (which tells apart tasks of one text). The gold task's spans are the merged ones, so its own task
    key is not the source's; the text keeps two texts whose 32-bit hashes collide apart."""
    try:
        th = int(task.get("_task_hash", 0))
    except (TypeError, ValueError):
        th = 0
    return input_key(task).hex(), th


def _page(store: Store, sql: str, ds: int) -> Iterable[tuple[Any, ...]]:
    """Rows of ``sql`` (first column the row id; params ds, after, limit) a page at a time."""
    last = 0
    while True:
        rows = store._run(lambda: store._c.execute(sql, (ds, last, 2000)).fetchall())
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def adjudication_cases(store: Store, dataset: str, *, threshold: float = 0.5, min_annotators: int = 2) -> list[Case]:
    """Every task of ``dataset`` with decisions from ``min_annotators`` or more annotators, in load order.

    An annotator's version is their latest decision on the task (a task answered twice by one annotator, through
    an import, counts once). ``threshold``: a decision without an ``accept`` list (imported) accepts the themes
    scored at or above it. Raises E313 when the dataset does not exist.
    """
    store.require_dataset(dataset)
    ds = store._run(store._dataset_id, dataset)
    # decisions are grouped on the task's 128-bit key (never the 32-bit _task_hash: two texts can share it)
    keys: dict[int, str] = {
        int(i): bytes(k).hex()
        for i, k in _page(store, "SELECT id, task_key FROM decision WHERE +dataset_id = ? AND id > ?"
                                 " AND task_key IS NOT NULL ORDER BY id LIMIT ?", ds)
    }
    latest: dict[str, dict[str, dict[str, Any]]] = {}
    first_seen: dict[str, int] = {}
    for d in store.iter_decisions(dataset):
        tk = keys.get(d["_decision_id"])
        if tk is None:
            continue
        first_seen.setdefault(tk, d["_decision_id"])
        latest.setdefault(tk, {})[d["_annotator_id"]] = d  # in id order: the last one wins
    keys.clear()
    multi = {tk: by for tk, by in latest.items() if len(by) >= min_annotators}
    if not multi:
        return []
    order: dict[str, int] = {}
    stored: dict[str, dict[str, Any]] = {}
    for i, (_, content, k) in enumerate(_page(
            store, "SELECT id, content, task_key FROM task WHERE +dataset_id = ? AND id > ? ORDER BY id LIMIT ?", ds)):
        tk = bytes(k).hex()
        if tk in multi:
            order[tk] = i
            stored[tk] = json.loads(content)
    cases = []
    for tk in sorted(multi, key=lambda h: (order.get(h, len(order)), first_seen[h])):
        by = multi[tk]
        versions: list[Version] = []
        spans: dict[SpanKey, dict[str, Any]] = {}
        for who in sorted(by):
            d = by[who]
            kept = []
            for s in d.get("spans") or []:
                try:
                    key = span_key(s)
                except (KeyError, TypeError, ValueError):
                    continue
                spans.setdefault(key, {k: s[k] for k in _SPAN_FIELDS if k in s})
                if span_accepted(s):
                    kept.append(key)
            versions.append(Version(who, d["answer"], frozenset(kept), _themes_of(d, threshold), d["_decision_id"]))
        base = stored.get(tk) or _clean(by[sorted(by)[0]])
        ordered = dict(sorted(spans.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])))
        task = _clean(base)
        try:
            th = int(task.get("_task_hash", 0))
        except (TypeError, ValueError):
            th = 0
        cases.append(Case(th, task, versions, ordered, key=tk))
    return cases


def decided_hashes(store: Store, gold: str) -> set[GoldKey]:
    """The tasks that already have a final version in ``gold`` (by any adjudicator), as :func:`gold_key` values."""
    ds = store._run(store._dataset_id, gold)
    if ds is None:
        return set()
    return {(bytes(ik).hex(), int(th)) for _, ik, th in _page(
        store, "SELECT id, input_key, task_hash FROM decision WHERE +dataset_id = ? AND id > ?"
               " AND input_key IS NOT NULL ORDER BY id LIMIT ?", ds)}


def final_by(store: Store, gold: str, task: dict[str, Any]) -> str | None:
    """The adjudicator who stored a final version of this task in ``gold`` (the first one), or None."""
    ds = store._run(store._dataset_id, gold)
    if ds is None:
        return None
    ik, th = gold_key(task)
    row = store._run(lambda: store._c.execute(
        "SELECT annotator FROM decision WHERE dataset_id = ? AND task_hash = ? AND input_key = ? ORDER BY id LIMIT 1",
        (ds, th, bytes.fromhex(ik))).fetchone())
    return None if row is None else str(row[0])


def store_final(store: Store, gold: str, task: dict[str, Any], *, answer: str, adjudicator: str, session: str,
                seconds: float = 0.0) -> int | None:
    """Store one final version: the task into ``gold`` (once) and the adjudicator's decision (None when this
    adjudicator already decided it, in another session)."""
    store.add_tasks(gold, [gold_task(task)])
    return store.add_decision(gold, task, answer=answer, annotator=adjudicator, session=session, seconds=seconds,
                              once=True)


def gold_task(task: dict[str, Any]) -> dict[str, Any]:
    """What the gold dataset stores as the task of a final version: the task, its spans without answers, no
    ``accept`` (its hashes are the source task's)."""
    out = {k: v for k, v in task.items() if k not in ("spans", "accept")}
    out["spans"] = [{k: v for k, v in s.items() if k != "answer"} for s in task.get("spans") or []]
    return out


@dataclass
class AutoAccepted:
    """What :func:`store_agreed` did: final versions stored, and the cases left for the screen."""

    stored: int = 0
    left: list[Case] = field(default_factory=list)


def store_agreed(store: Store, cases: Iterable[Case], gold: str, *, adjudicator: str, session: str, source: str,
                 known_themes: Iterable[str] = ()) -> AutoAccepted:
    """Store the agreed cases into ``gold`` as they are (the common answer and version); return the others."""
    known = list(known_themes)
    out = AutoAccepted()
    for case in cases:
        if not case.agreed:
            out.left.append(case)
            continue
        task = case.majority_task(known, source=source, auto=True)
        if store_final(store, gold, task, answer=case.versions[0].answer, adjudicator=adjudicator,
                       session=session) is not None:
            out.stored += 1
    return out
