"""The key line under the screen: the main actions with their (possibly remapped) keys, relabel and theme keys."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text

from ..keymap import ACTIONS, key_display
from ..session import ReviewLabels
from .panel import Panel

PLAIN = Style()  # no style: the default of the style arguments


# what a narrow key line leaves out first (help and quit always stay)
_DROP_ORDER = ("mark", "shrink", "widen", "ignore", "delete", "themes", "new", "undo", "relabel", "drop", "keep", "span")


def _fits(parts: list[tuple[str, str]], width: int, lines: int) -> bool:
    """The parts, packed greedily with two spaces between them, take at most ``lines`` lines of ``width``."""
    used, x = 1, 0
    for k, d in parts:
        w = len(k) + 1 + len(d)
        if x and x + 2 + w > width:
            used, x = used + 1, w
        else:
            x += (2 if x else 0) + w
    return used <= lines


def render_key_line(keys_of: dict[str, str], labels: ReviewLabels, key: Style = PLAIN, width: int | None = None,
                    lines: int = 2) -> Text:
    """``keys_of``: action id -> keys (:func:`~annotate.review.keymap.keys_of`); ``key`` styles the keys.
    ``width``: when the line does not fit in ``lines`` lines of it, only the first key of each action is shown,
    then the least used actions are left out (the help screen has them all); help and quit always stay."""
    t = Text()
    parts = [(key_display(keys_of[a.id]), a.short) for a in ACTIONS if a.short]
    parts.insert(2, ("/".join(e.key for e in labels.entities), "relabel"))
    if labels.themes:
        parts.insert(3, (f"{labels.themes[0].key.upper()}–{labels.themes[-1].key.upper()}", "themes"))
    if width is not None and not _fits(parts, width, lines):
        parts = [(k if d in ("relabel", "themes") else k.split("/")[0], d) for k, d in parts]
        for drop in _DROP_ORDER:
            if _fits(parts, width, lines):
                break
            parts = [p for p in parts if p[1] != drop]
    for i, (k, d) in enumerate(parts):
        if i:
            t.append("  ")
        t.append(k, style=key)
        t.append(f" {d}")
    return t


class KeyLine(Panel):
    """Styles from ``review.tcss``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyline--key"}

    _shown: tuple[dict[str, str], ReviewLabels] | None = None

    def text_for(self, keys_of: dict[str, str], labels: ReviewLabels) -> Text:
        width = self.content_region.width or None
        return render_key_line(keys_of, labels, self.component_style("keyline--key"), width, self.content_region.height or 2)

    def show(self, keys_of: dict[str, str], labels: ReviewLabels) -> None:
        self._shown = (keys_of, labels)
        self.set(self.text_for(keys_of, labels))

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)
