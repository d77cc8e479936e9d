"""Quitting with unsaved edits on the task on screen asks first: ``y`` quits, ``n`` (or esc) goes back to it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmQuit(ModalScreen[bool]):
    """Dismissed with True (quit: the task's edits are dropped, every decision already saved) or False (stay:
    the task is on screen as it was, edits kept). Ctrl-C again also quits."""

    BINDINGS = [
        Binding("y,ctrl+c", "answer(True)", "quit", id="confirm_quit"),
        Binding("n,escape,q", "answer(False)", "stay", id="cancel_quit"),
    ]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(
                f"The task on screen has unsaved edits ({self.what}).\n"
                "Every answer is saved already; only these edits of this task are not (answer it to save them).\n\n"
                "Quit and drop them?   y quit   n stay", id="confirm-text")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
