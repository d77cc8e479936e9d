"""The key line under the screen: the main actions with their (possibly remapped) keys, relabel and theme keys."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text

from ..keymap import ACTIONS, key_display
from ..session import ReviewLabels
from .panel import Panel

PLAIN = Style()  # no style: the default of the style arguments


def render_key_line(keys_of: dict[str, str], labels: ReviewLabels, key: Style = PLAIN) -> Text:
    """``keys_of``: action id -> keys (:func:`~annotate.review.keymap.keys_of`); ``key`` styles the keys."""
    t = Text()
    parts = [(key_display(keys_of[a.id]), a.short) for a in ACTIONS if a.short]
    parts.insert(2, ("/".join(e.key for e in labels.entities), "relabel"))
    if labels.themes:
        parts.insert(3, (f"{labels.themes[0].key.upper()}–{labels.themes[-1].key.upper()}", "themes"))
    for i, (k, d) in enumerate(parts):
        if i:
            t.append("  ")
        t.append(k, style=key)
        t.append(f" {d}")
    return t


class KeyLine(Panel):
    """Styles from ``review.tcss``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyline--key"}

    def text_for(self, keys_of: dict[str, str], labels: ReviewLabels) -> Text:
        return render_key_line(keys_of, labels, self.component_style("keyline--key"))

    def show(self, keys_of: dict[str, str], labels: ReviewLabels) -> None:
        self.set(self.text_for(keys_of, labels))
