"""The task browser: every task of the dataset with this annotator's answer; filter by state, label and text;
open any task (answered ones too: answering it again replaces the stored answer).

The list is a :class:`~..widgets.tasklist.TaskList` over a :class:`~annotate.store.browse.TaskBrowser`: it reads
a count and the pages on screen, never the whole dataset.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ...store import Store
from ...store.browse import STATES, BrowseFilter, TaskBrowser, TaskRow
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
    ]

    def __init__(self, store: Store, dataset: str, annotator: str, labels: tuple[str, ...]) -> None:
        super().__init__()
        self.store, self.dataset, self.annotator = store, dataset, annotator
        self.labels = labels
        self.filter = BrowseFilter()
        self.browser = TaskBrowser(store, dataset, annotator, self.filter)

    def compose(self) -> ComposeResult:
        yield Static(id="browser-head")
        yield Input(placeholder="search the text (⏎ applies, esc back to the list)", id="browser-text")
        yield TaskList(self.browser, id="browser-list")
        yield Static("↑/↓ PgUp/PgDn Home/End move · ⏎ or double click: open · s state · l label · / search · esc/q back",
                     id="browser-keys")

    def on_mount(self) -> None:
        self._head()
        self.query_one(TaskList).focus()

    def _head(self) -> None:
        f = self.filter
        n = self.query_one(TaskList).count
        self.query_one("#browser-head", Static).update(
            f" Tasks of {self.dataset} for {self.annotator}: {n:,} shown   state: {STATE_NAMES[f.state]} (s)"
            f"   label: {f.label or 'any'} (l)   text: {f.text or '-'} (/)")

    def _apply(self, flt: BrowseFilter) -> None:
        self.filter = flt
        self.browser = TaskBrowser(self.store, self.dataset, self.annotator, flt)
        self.query_one(TaskList).set_browser(self.browser)
        self._head()

    def action_cycle_state(self) -> None:
        i = STATES.index(self.filter.state)
        self._apply(BrowseFilter(STATES[(i + 1) % len(STATES)], self.filter.label, self.filter.text))

    def action_cycle_label(self) -> None:
        order: list[str | None] = [None, *self.labels]
        i = order.index(self.filter.label) if self.filter.label in order else 0
        self._apply(BrowseFilter(self.filter.state, order[(i + 1) % len(order)], self.filter.text))

    def action_search(self) -> None:
        self.query_one("#browser-text", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._apply(BrowseFilter(self.filter.state, self.filter.label, event.value.strip()))
        self.query_one(TaskList).focus()

    def action_close(self) -> None:
        if self.focused is self.query_one("#browser-text", Input):
            self.query_one(TaskList).focus()
            return
        self.dismiss(None)

    def on_task_list_opened(self, event: TaskList.Opened) -> None:
        self.dismiss(event.row)
