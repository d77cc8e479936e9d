"""The task browser: every task of the dataset with this annotator's answer and who answered it; filter by state,
label, text and annotator (the tasks another annotator answered);
open any task (answered ones too: answering it again replaces the stored answer).

The list is a :class:`~..widgets.tasklist.TaskList` over a :class:`~annotate.store.browse.TaskBrowser`: it reads
a count and the pages on screen, never the whole dataset.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ...store import Store
from ...store.browse import STATES, BrowseFilter, TaskBrowser, TaskRow, annotators
from ..widgets.tasklist import TaskList

STATE_NAMES = {"all": "all", "pending": "pending", "answered": "answered", "accept": "accepted",
               "reject": "rejected", "ignore": "ignored"}


class BrowserScreen(ModalScreen[TaskRow | None]):
    """Dismissed with the row to open, or None (esc, q). Modal: the review screen's keys do nothing under it."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("escape,q", "close", "back", id="browser_close"),
        Binding("s", "cycle_state", "state filter", id="browser_state"),
        Binding("l", "cycle_label", "label filter", id="browser_label"),
        Binding("slash", "search", "search the text", id="browser_search"),
        Binding("a", "cycle_annotator", "annotator filter", id="browser_annotator"),
    ]

    def __init__(self, store: Store, dataset: str, annotator: str, labels: tuple[str, ...]) -> None:
        super().__init__()
        self.store, self.dataset, self.annotator = store, dataset, annotator
        self.labels = labels
        self.annotators: list[str] | None = None  # who answered in the dataset (read on the first press of a)
        self.filter = BrowseFilter()
        self.browser = TaskBrowser(store, dataset, annotator, self.filter)

    def compose(self) -> ComposeResult:
        yield Static(id="browser-head")
        yield Input(placeholder="search the text (⏎ applies, esc back to the list)", id="browser-text")
        yield TaskList(self.browser, id="browser-list")
        yield Static("↑/↓ PgUp/PgDn Home/End move · ⏎ or double click: open · s state · l label · a annotator · / search · esc/q back",
                     id="browser-keys")

    def on_mount(self) -> None:
        self._head()
        self.query_one(TaskList).focus()

    def _head(self) -> None:
        f = self.filter
        n = self.query_one(TaskList).count
        self.query_one("#browser-head", Static).update(
            f" Tasks of {self.dataset} for {self.annotator}: {n:,} shown   state: {STATE_NAMES[f.state]} (s)"
            f"   label: {f.label or 'any'} (l)   answered by: {f.answered_by or 'anyone'} (a)   text: {f.text or '-'} (/)")

    def _apply(self, flt: BrowseFilter) -> None:
        self.filter = flt
        self.browser = TaskBrowser(self.store, self.dataset, self.annotator, flt)
        self.query_one(TaskList).set_browser(self.browser)
        self._head()

    def action_cycle_state(self) -> None:
        i = STATES.index(self.filter.state)
        self._apply(dataclasses.replace(self.filter, state=STATES[(i + 1) % len(STATES)]))

    def action_cycle_label(self) -> None:
        order: list[str | None] = [None, *self.labels]
        i = order.index(self.filter.label) if self.filter.label in order else 0
        self._apply(dataclasses.replace(self.filter, label=order[(i + 1) % len(order)]))

    def action_cycle_annotator(self) -> None:
        """Anyone, then each annotator who answered in the dataset (sorted), then anyone again."""
        if self.annotators is None:
            self.annotators = annotators(self.store, self.dataset)
        order: list[str | None] = [None, *self.annotators]
        i = order.index(self.filter.answered_by) if self.filter.answered_by in order else 0
        self._apply(dataclasses.replace(self.filter, answered_by=order[(i + 1) % len(order)]))

    def action_search(self) -> None:
        self.query_one("#browser-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._apply(dataclasses.replace(self.filter, text=event.value.strip()))
        self.query_one(TaskList).focus()

    def action_close(self) -> None:
        if self.focused is self.query_one("#browser-text", Input):
            self.query_one(TaskList).focus()
            return
        self.dismiss(None)

    def on_task_list_opened(self, event: TaskList.Opened) -> None:
        self.dismiss(event.row)
