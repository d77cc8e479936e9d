"""The help screen: every action with its (possibly remapped) keys, the label keys and the theme keys."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keymap import ACTIONS, key_display
from ..session import ReviewLabels

PLAIN = Style()  # no style: the default of the style arguments


def help_text(keys_of: dict[str, str], labels: ReviewLabels, key: Style = PLAIN, label: Style = PLAIN) -> Text:
    """``keys_of``: action id -> keys; ``key`` styles the keys, ``label`` a label name (on the label's colour)."""
    t = Text()
    t.append("annotate review — keys\n\n", style="bold")
    for a in ACTIONS:
        t.append(f"{key_display(keys_of[a.id]):>16}  ", style=key)
        t.append(f"{a.description}\n")
    t.append("\nLabels (relabel the current span; in add mode, create the span)\n", style="bold")
    for e in labels.entities:
        t.append(f"{e.key:>16}  ", style=key)
        t.append(f" {e.name} ", style=Style(bgcolor=e.color) + label)
        t.append("\n")
    t.append("\nThemes (toggle)\n", style="bold")
    for th in labels.themes:
        t.append(f"{th.key.upper():>16}  ", style=key)
        t.append(f"{th.name:<15} ", style="bold")
        t.append(f"{th.description}\n", style="dim")
    t.append(
        "\nAdding a span: n starts a token cursor at the current span; ←/→ move it; m marks the start, "
        "m again the end; a label key creates the span (without marks: the token under the cursor); "
        "esc cancels.\nAccepted spans never overlap (doc.ents); reject or delete one first.\n"
        "Keys can be remapped with --keymap FILE (TOML: action = \"keys\"; label_ORG = \"o\", theme_AI = \"ctrl+a\").\n",
        style="dim",
    )
    t.append("\nesc / q / ? closes this help.", style="italic")
    return t


class HelpScreen(ModalScreen[None]):
    """Every action with its keys (styles from ``review.tcss``: ``helpscreen--key``, ``helpscreen--label``)."""

    BINDINGS = [Binding("escape,q,question_mark,f12", "dismiss_help", "close", id="close_help")]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"helpscreen--key", "helpscreen--label"}

    def __init__(self, keys_of: dict[str, str], labels: ReviewLabels) -> None:
        super().__init__()
        self.keys_of = keys_of
        self.labels = labels
        self.text = help_text(keys_of, labels)  # unstyled until the screen is mounted

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text, id="help-text")

    def on_mount(self) -> None:  # component styles are known once the screen is mounted
        c = self.get_component_rich_style
        self.text = help_text(self.keys_of, self.labels, c("helpscreen--key", partial=True), c("helpscreen--label", partial=True))
        self.query_one("#help-text", Static).update(self.text)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
