"""The adjudication session, without any UI: the cases of a dataset (tasks answered by two or more annotators,
:mod:`annotate.store.adjudicate`) shown one by one with their majority version pre-selected; the adjudicator's
answer stores the final version into the gold dataset.

It is a :class:`~.session.ReviewSession` whose queue is the cases not decided yet and whose dataset is the gold
one, so undo, the timer, the counts and every edit of :class:`~.taskstate.TaskState` work as in a review.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Errors
from ..store import Store
from ..store.adjudicate import (
    Case, GoldKey, SpanKey, adjudication_cases, decided_hashes, final_by, gold_key, gold_task, span_key, store_agreed,
)
from .keymap import check_keys
from .session import ReviewLabels, ReviewSession, _Item, default_annotator
from .taskstate import TaskState


class AdjudicationState(TaskState):
    """The task on screen with the case it comes from (every annotator's version)."""

    def __init__(self, task: dict[str, Any], labels: ReviewLabels, case: Case) -> None:
        super().__init__(task, labels)
        self.case = case

    def final_spans(self) -> set[SpanKey]:
        """The spans the final version keeps (as the adjudicator has it now)."""
        return {span_key(s) for s in self.spans if s["answer"] == "accept"}


class AdjudicationSession(ReviewSession):
    """Feeds the cases of ``source`` to the screen; every answer stores a final version into ``gold``."""

    def __init__(
        self,
        store: Store,
        source: str,
        gold: str,
        adjudicator: str,
        labels: ReviewLabels,
        *,
        auto_accept_agreed: bool = False,
        session_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if gold == source:
            raise Errors.E731(gold=gold)
        if not adjudicator or not adjudicator.strip():
            raise Errors.E320()
        self.source = source
        self.gold = gold
        cases = adjudication_cases(store, source, threshold=labels.threshold)
        self.cases: dict[GoldKey, Case] = {c.gold_key: c for c in cases}
        self.case_count = len(cases)
        session_id = session_id or f"{gold}-{adjudicator}-{time.strftime('%Y%m%dT%H%M%S')}"
        done = decided_hashes(store, gold) if store.has_dataset(gold) else set()
        pending = [c for c in cases if c.gold_key not in done]
        self.already = len(cases) - len(pending)  # decided before this session
        self.auto_accepted = 0
        if auto_accept_agreed:
            auto = store_agreed(store, pending, gold, adjudicator=adjudicator, session=session_id, source=source,
                                known_themes=labels.theme_names)
            self.auto_accepted, pending = auto.stored, auto.left
        self._pending = deque(pending)
        super().__init__(store, gold, adjudicator, labels, session_id=session_id, clock=clock)
        self.total = self.case_count

    # ------------------------------------------------------------ queue

    def _state(self, task: dict[str, Any], case: Case) -> AdjudicationState:
        return AdjudicationState(task, self.labels, case)

    def refill(self, low: int = 50) -> int:
        n = 0
        while self._pending and len(self.queue) < low:
            case = self._pending.popleft()
            task = case.majority_task(self.labels.theme_names, source=self.source)
            self.queue.append(_Item(task, state=self._state(task, case)))
            n += 1
        return n

    def tasks_added(self) -> None:  # nothing loads tasks while adjudicating
        return None

    def answer(self, answer: str) -> int | None:
        """Store the final version (the task on screen) into the gold dataset, then show the next case."""
        if self.item is not None and self.item.decision_id is None:
            other = final_by(self.store, self.gold, self.item.task)
            if other is not None and other != self.annotator:
                # another adjudicator (another terminal or browser) decided it meanwhile: keep that version
                self.answered_elsewhere += 1
                self.advance()
                if self.state is not None:
                    self.state.message = f"{other} stored a final version of the previous task meanwhile: kept theirs"
                return None
            self.store.add_tasks(self.gold, [gold_task(self.item.task)])  # once: the task of the gold decision
        return super().answer(answer)

    def _stored_decision(self) -> _Item | None:
        item = super()._stored_decision()
        if item is None:
            return None
        case = self.cases.get(gold_key(item.task))
        if case is not None:
            item.state = self._state(item.task, case)
        return item


@dataclass
class AdjudicationResult:
    """What an adjudication run did."""

    cases: int = 0  # tasks answered by two or more annotators
    already: int = 0  # of them, decided in the gold dataset before this run
    auto_accepted: int = 0  # agreed cases stored without the screen (--auto-accept-agreed)
    saved: int = 0  # final versions stored on the screen
    left: int = 0  # cases still without a final version


def run_adjudication(
    dataset: str,
    gold: str,
    *,
    adjudicator: str | None = None,
    db: str | Path | None = None,
    labels_path: str | None = None,
    auto_accept_agreed: bool = False,
    keymap: dict[str, str] | None = None,
    keymap_path: str | Path | None = None,
) -> AdjudicationResult:
    """``annotate review -d DATASET --adjudicate -o GOLD``: store agreed cases (``auto_accept_agreed``), then show the
    others on the adjudication screen. No screen when nothing is left to adjudicate.

    Raises AnnotateError: E313 (no dataset), E731 (gold is the dataset), E737 (no terminal; raised before anything
    is stored), keymap errors.
    """
    labels = ReviewLabels.load(labels_path)
    check_keys(keymap or {}, labels, keymap_path=keymap_path, labels_path=labels_path)
    who = adjudicator or default_annotator()
    if gold == dataset:
        raise Errors.E731(gold=gold)
    with Store(db) as store:
        store.require_dataset(dataset)
        if not sys.stdin.isatty() or not sys.stdout.isatty():  # no terminal: fail before storing anything
            done = decided_hashes(store, gold) if store.has_dataset(gold) else set()
            cases = [c for c in adjudication_cases(store, dataset, threshold=labels.threshold)
                     if c.gold_key not in done]
            shown = sum(1 for c in cases if not (auto_accept_agreed and c.agreed))
            if shown:
                raise Errors.E737(n=shown)
        session = AdjudicationSession(store, dataset, gold, who, labels, auto_accept_agreed=auto_accept_agreed)
        result = AdjudicationResult(cases=session.case_count, already=session.already,
                                    auto_accepted=session.auto_accepted)
        if session.state is not None:
            from .screens.adjudicate import AdjudicationApp  # Textual only for the screen

            AdjudicationApp(session, keymap=keymap).run()
        result.saved = session.saved
        done = decided_hashes(store, gold) if store.has_dataset(gold) else set()
        result.left = sum(1 for th in session.cases if th not in done)
    return result
