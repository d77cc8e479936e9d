"""The review state, without any UI: what the review screen shows and changes.

* :class:`TaskState` (:mod:`.taskstate`) is one task being reviewed: its spans
  (each accepted or rejected), the current span, the token cursor used to add a
  span, and the themes. Every edit keeps the accepted spans free of overlaps, so
  the result always fits ``doc.ents``. The labels it needs are a
  :class:`ReviewLabels` (:mod:`.labelset`); both are importable from here.
* :class:`ReviewSession` is the controller the app talks to: it pulls
  pending tasks from the :class:`~annotate.store.Store`, stores each decision
  (committed before the next task is shown), undoes, and counts progress.

The Textual app only calls these methods and renders what they return.
"""

from __future__ import annotations

import getpass
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import Errors
from ..store import Store
from ..store.claims import check_overlap, check_share
from .labelset import EntityStyle, ReviewLabels, ThemeStyle
from .taskstate import ACCEPT, EDGE_PUNCT, REJECT, TaskState

__all__ = ["ACCEPT", "EDGE_PUNCT", "REJECT", "EntityStyle", "ReviewLabels", "ReviewSession", "TaskState", "ThemeStyle",
           "default_annotator"]


def default_annotator() -> str:
    env = os.environ.get("ANNOTATE_ANNOTATOR")
    if env:
        return env
    try:
        return getpass.getuser() or "default"
    except Exception:  # pragma: no cover - no user name on this system
        return "default"


CLAIM_AHEAD = 5  # --overlap: tasks a session claims ahead of the one on screen


@dataclass
class _Item:
    task: dict[str, Any]
    decision_id: int | None = None  # set when the task was already answered (after undo)
    state: TaskState | None = None
    seconds: float = 0.0
    answer: str | None = None


class ReviewSession:
    """Feeds tasks to the screen and stores decisions. Pure Python; the app calls it."""

    def __init__(
        self,
        store: Store,
        dataset: str,
        annotator: str,
        labels: ReviewLabels,
        *,
        session_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        loading: bool = False,
        overlap: int | None = None,
        overlap_share: float = 1.0,
        order: list[int] | None = None,
    ) -> None:
        if not annotator or not annotator.strip():
            raise Errors.E320()
        # --overlap K: claim tasks a few at a time so that each goes to K annotators (store/claims.py);
        # None: every pending task, as before
        self.overlap = check_overlap(overlap) if overlap is not None else None
        self.overlap_share = check_share(overlap_share)  # --overlap-share: the share of tasks going to K, the rest to 1
        self.routed_away = 0  # tasks whose claim expired and that went to K other annotators meanwhile
        self.store = store
        self.dataset = dataset
        self.annotator = annotator
        self.labels = labels
        self.session_id = session_id or f"{dataset}-{annotator}-{time.strftime('%Y%m%dT%H%M%S')}"
        self.clock = clock
        self.loading = loading  # True while a loader is still adding tasks
        self.rejected_lines = 0
        self.queue: deque[_Item] = deque()
        self.history: list[_Item] = []
        self._queued: set[Any] = set()  # --overlap only: the claimed tasks already queued (claim_page skips them)
        self._last_task_id = 0
        # review --order on a stored dataset: the pending tasks' row ids in review order (a task answered
        # meanwhile, in another session, is skipped when its turn comes); None: load order
        self._order: deque[int] | None = deque(order) if order is not None else None
        counts = store.answer_counts(dataset, annotator)
        self.counts = dict(counts)
        self.total = store.count_tasks(dataset)
        self.item: _Item | None = None
        self.state: TaskState | None = None
        self._shown_at = clock()
        self.saved = 0  # new decisions stored by this session (what the store gained)
        self.replaced = 0  # decisions of earlier sessions answered again after an undo (replaced in place, not new)
        self._created: set[int] = set()
        self.answered = 0  # answers given in this session (new or replacing), for the pace
        self.started = clock()
        self._replaced_ids: set[int] = set()
        self.answered_elsewhere = 0  # tasks answered meanwhile by this annotator in another session
        self.refill()
        self.advance()

    # ------------------------------------------------------------ queue

    def refill(self, low: int = 50) -> int:
        """Pull more pending tasks from the store when the queue runs low."""
        if self.overlap is not None:
            return self._claim_more()
        if len(self.queue) >= low:
            return 0
        if self._order is not None:
            got = 0
            while self._order and len(self.queue) < low:
                ids = [self._order.popleft() for _ in range(min(200, len(self._order)))]
                for _, task in self.store.pending_rows(self.dataset, self.annotator, ids):
                    self.queue.append(_Item(task))
                    got += 1
            return got
        rows = self.store.pending_page(self.dataset, self.annotator, after=self._last_task_id, limit=200)
        for row_id, task in rows:
            # rows come once each (after the last row id) and the store keys them uniquely: no set of
            # seen tasks to keep (memory stays flat on any number of tasks)
            self._last_task_id = row_id
            self.queue.append(_Item(task))
        return len(rows)

    def _claim_more(self) -> int:
        """--overlap: hold at most CLAIM_AHEAD queued tasks, claimed in the store (the others' queues stay full)."""
        want = CLAIM_AHEAD - len(self.queue)
        if want <= 0:
            return 0
        rows = self.store.claim_page(self.dataset, self.annotator, self.session_id, overlap=self.overlap,
                                     share=self.overlap_share, limit=want, skip=self._queued)
        for _, task in rows:
            self._queued.add(task.get("_task_key"))
            self.queue.append(_Item(task))
        return len(rows)

    def close(self) -> None:
        """The session ends: release the tasks it claimed and did not answer (--overlap)."""
        if self.overlap is not None:
            self.store.release_claims(self.dataset, self.annotator, self.session_id)

    def tasks_added(self) -> None:
        """The loader stored more tasks: update the total and show a task if none is on screen."""
        self.total = self.store.count_tasks(self.dataset)
        if self.item is None:
            self.refill()
            self.advance()

    def advance(self) -> None:
        self.refill()
        if self.queue:
            self.item = self.queue.popleft()
            if self.item.state is None:
                self.item.state = TaskState(self.item.task, self.labels)
            self.state = self.item.state
        else:
            self.item = None
            self.state = None
        self._shown_at = self.clock()

    @property
    def task_seconds(self) -> float:
        """Seconds spent on the task on screen (with the time before an undo brought it back)."""
        if self.item is None:
            return 0.0
        return self.item.seconds + (self.clock() - self._shown_at)

    @property
    def tasks_per_hour(self) -> float | None:
        """Answers of this session per hour of it (None before the first answer)."""
        elapsed = self.clock() - self.started
        if not self.answered or elapsed <= 0:
            return None
        return self.answered * 3600.0 / elapsed

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> bool:
        return self.item is None and not self.loading

    # ------------------------------------------------------------ decisions

    def answer(self, answer: str) -> int | None:
        """Store the current task with this answer (committed), then show the next task."""
        if self.item is None or self.state is None:
            return None
        item, state = self.item, self.state
        if state.adding:
            state.cancel_add()
        task = state.to_task()
        seconds = round(item.seconds + (self.clock() - self._shown_at), 3)
        if item.decision_id is None and self.overlap is not None and not self.store.renew_claim(
            self.dataset, task.get("_task_key"), self.annotator, self.session_id, overlap=self.overlap,
            share=self.overlap_share,
        ):
            # the claim expired and the task went to K other annotators meanwhile: K answers are enough
            self.routed_away += 1
            self.advance()
            if self.state is not None:
                self.state.message = "the previous task went to other annotators meanwhile (--overlap): not saved"
            return None
        if item.decision_id is None:
            dec_id = self.store.add_decision(
                self.dataset, task, answer=answer, annotator=self.annotator, session=self.session_id, seconds=seconds,
                once=True,
            )
            if dec_id is None:
                # this annotator answered it meanwhile in another session (a second terminal): keep that answer
                self.answered_elsewhere += 1
                self.advance()
                if self.state is not None:
                    self.state.message = "the previous task was already answered in another session: kept that answer"
                return None
            item.decision_id = dec_id
            self.saved += 1
            self._created.add(dec_id)
        else:
            self.store.replace_decision(item.decision_id, task, answer=answer, seconds=seconds)
            if item.answer is not None:
                self.counts[item.answer] -= 1
            if item.decision_id not in self._created and item.decision_id not in self._replaced_ids:
                self._replaced_ids.add(item.decision_id)
                self.replaced += 1
        self.counts[answer] += 1
        self.answered += 1
        item.answer = answer
        item.seconds = seconds
        self.history.append(item)
        self.advance()
        return item.decision_id

    def undo(self) -> bool:
        """Bring the last decision back on screen, editable; answering it again replaces it."""
        if self.history:
            last = self.history.pop()
        else:
            last = self._stored_decision()
            if last is None:
                if self.state is not None:
                    self.state.message = "nothing to undo"
                    self.state.version += 1
                return False
        if self.item is not None:
            # the task on screen goes back to the front of the queue, edits kept
            self.item.seconds += self.clock() - self._shown_at
            self.queue.appendleft(self.item)
        self.item = last
        self.state = last.state
        assert self.state is not None
        self.state.message = f"undo: this task was {last.answer}ed; answer it again to replace that"
        if last.answer == "ignore":
            self.state.message = "undo: this task was ignored; answer it again to replace that"
        self.state.version += 1
        self._shown_at = self.clock()
        return True

    def _stored_decision(self) -> _Item | None:
        """Nothing to undo in this session: this annotator's latest stored decision (of an earlier session)
        not yet brought back, as an item whose next answer replaces it."""
        on_screen = self.item.decision_id if self.item is not None else None
        ids = [i.decision_id for i in self.queue if i.decision_id is not None]
        ids += [x for x in (on_screen,) if x is not None]
        d = self.store.last_decision(self.dataset, self.annotator, before=min(ids) if ids else None)
        if d is None:
            return None
        answer = d["answer"]
        seconds = d["_seconds"]
        dec_id = d["_decision_id"]
        for k in ("answer", "_annotator_id", "_session_id", "_timestamp", "_seconds", "_decision_id"):
            d.pop(k, None)
        item = _Item(d, decision_id=dec_id, seconds=seconds, answer=answer)
        item.state = TaskState(d, self.labels)
        return item

    # ------------------------------------------------------------ task browser, reset (issue #12)

    def open_task(self, task: dict[str, Any], decision: dict[str, Any] | None = None) -> None:
        """Show ``task`` now (from the task browser), editable; ``decision``: this annotator's stored decision
        for it, which the next answer replaces. The task on screen goes back to the front of the queue, edits
        kept; a queued task is taken from the queue with its edits."""
        # the task's identity is its 128-bit key (the 32-bit _task_hash of two texts can be the same)
        th = task.get("_task_key")
        if th is not None and self.item is not None and self.item.task.get("_task_key") == th:
            return
        item = next((i for i in self.queue if i.task.get("_task_key") == th), None) if th is not None else None
        if item is not None:
            self.queue.remove(item)
        elif decision is not None:
            d = dict(decision)
            meta = {k: d.pop(k, None) for k in ("answer", "_annotator_id", "_session_id", "_timestamp", "_seconds",
                                                "_decision_id")}
            if th is not None:
                d.setdefault("_task_key", th)
            item = _Item(d, decision_id=meta["_decision_id"], seconds=meta["_seconds"] or 0.0, answer=meta["answer"])
        else:
            item = _Item(task)
        self._queued.add(th)
        if item.state is None:
            item.state = TaskState(item.task, self.labels)
        if self.item is not None:
            self.item.seconds += self.clock() - self._shown_at
            self.queue.appendleft(self.item)
        self.item, self.state = item, item.state
        if item.answer is not None:
            self.state.message = f"opened from the browser: it was {item.answer}; answer it again to replace that"
            self.state.version += 1
        self._shown_at = self.clock()

    def pre_annotated(self) -> TaskState:
        """The task on screen as it was pre-annotated (as stored in the task table)."""
        assert self.item is not None
        task = self.item.task
        if self.item.decision_id is not None:
            from ..store.browse import task_of_decision

            task = task_of_decision(self.store, self.item.decision_id) or task
        return TaskState(task, self.labels)

    def accept_all(self, *, batch: int = 500) -> int:
        """Store every pending task as accepted, as it is (no screen).

        Memory stays flat on any number of tasks: nothing answered is kept (there
        is no undo without a screen), and the tasks come from the store a page at
        a time. Decisions are committed ``batch`` at a time (one transaction
        each); a killed run loses at most the last batch, which the next run
        answers again (they are still pending).
        """
        n = 0
        while self.item is not None:
            with self.store.transaction():
                for _ in range(batch):
                    if self.item is None:
                        break
                    if self.answer("accept") is not None:
                        n += 1
                    self.history.clear()
                    self._created.clear()
        return n
