"""The status bar: dataset, annotator, progress, answer counts, the task's timer and the pace (tasks per hour),
add mode, loading and bad lines."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text

from ..session import ReviewSession
from .panel import Panel


class StatusBar(Panel):
    """One line over the text; styles from ``review.tcss``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"statusbar--accepted", "statusbar--rejected", "statusbar--add-mode", "statusbar--bad-lines"}

    def text_for(self, s: ReviewSession, stored: int, bad_lines: int, mouse_released: str = "") -> Text:
        """``stored``: tasks the background loader stored so far; ``bad_lines``: input lines it could not load;
        ``mouse_released``: the key that takes the mouse back, while the terminal has it ("": the screen has it)."""
        c = self.component_style
        t = Text()
        t.append(f" {s.dataset} ", style="bold reverse")
        t.append(f"  {s.annotator}  ", style="bold")
        t.append(f"{s.done:,} / {s.total:,} done", style="bold")
        t.append("   ✓ ", style=c("statusbar--accepted"))
        t.append(f"{s.counts['accept']:,}")
        t.append("  ✗ ", style=c("statusbar--rejected"))
        t.append(f"{s.counts['reject']:,}")
        t.append("  ∅ ", style="dim")
        t.append(f"{s.counts['ignore']:,}")
        if s.item is not None:
            sec = int(s.task_seconds)
            t.append(f"   ⏱ {sec // 60}:{sec % 60:02d}", style="dim")
        rate = s.tasks_per_hour
        if rate is not None:
            t.append(f"  {rate:,.0f} tasks/h", style="dim")
        if s.state is not None and s.state.adding:
            t.append("   ADD MODE", style=c("statusbar--add-mode"))
        if s.loading:
            t.append(f"   loading… {stored:,} stored", style="italic")
        if bad_lines:
            t.append(f"   {bad_lines} bad line(s) not loaded", style=c("statusbar--bad-lines"))
        if mouse_released:
            t.append(f"   mouse released: select text with the terminal; press {mouse_released} again",
                     style=c("statusbar--add-mode"))
        return t

    def show(self, s: ReviewSession, stored: int, bad_lines: int, mouse_released: str = "") -> None:
        self.set(self.text_for(s, stored, bad_lines, mouse_released))
