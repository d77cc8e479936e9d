"""The side panel: the task's themes (key, on/off, score against the taxonomy's threshold), span counts and the
current span (label, text, state, source, normalized value)."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.strip import Strip

from ..session import ReviewLabels, TaskState
from ..taskstate import visible_text
from .panel import Panel

PLAIN = Style()  # no style: the default of the style arguments


def render_themes(state: TaskState | None, labels: ReviewLabels, key: Style = PLAIN, on: Style = PLAIN,
                  above: Style = PLAIN, width: int = 36) -> Text:
    """The panel's text; ``key``, ``on`` and ``above`` style the theme keys, themes switched on and scores at or
    above the threshold. ``width``: the panel's; under 33 columns the score bars are left out."""
    bars = width >= 33
    t = Text()
    t.append("Themes", style="bold")
    t.append("  key · on · score\n", style="dim")
    if state is None:
        return t
    threshold = labels.threshold
    for theme in labels.themes:
        is_on = state.themes[theme.name]
        score = state.scores.get(theme.name, 0.0)
        t.append(f"{theme.key.upper():>4} ", style=key)
        t.append("✓ " if is_on else "· ", style=on if is_on else "dim")
        t.append(f"{theme.name:<15}", style="bold" if is_on else "")
        bar = "█" * int(round(score * 6))
        t.append(f"{score:4.2f}", style=above if score >= threshold else "dim")
        t.append(f" {bar:<6}\n" if bars else "\n", style=above if score >= threshold else "dim")
    acc, rej = state.counts()
    t.append(f"\nSpans: {acc} kept, {rej} rejected\n", style="")
    span = state.span
    # always three lines here (the current span, the span being added, or blank): the panel keeps its line
    # count, so entering or leaving add mode repaints the lines that changed, not the whole panel
    if state.adding:
        sel = state.selection
        t.append("▸ adding a span\n", style="bold")
        if sel is not None and state.tokens:
            a, b = state.tokens[sel[0]]["start"], state.tokens[sel[1]]["end"]
            t.append(f"  {_short(state.display_text[a:b], max(width - 2, 8))}\n")
        else:
            t.append("\n")
        t.append("  m marks, a label key creates it\n", style="dim")
    elif span is not None:
        shown = _short(state.display_text[span["start"]:span["end"]], max(width - 2, 8))
        t.append(f"▸ {span['label']} ", style="bold")
        t.append(f"{SPAN_STATES[state.span_state(span)]}\n")
        t.append(f"  {shown}\n")
        t.append(f"  source {span.get('source') or 'unknown'}", style="dim")
        if "value" in span:
            value = span["value"]
            t.append(f" · {_short(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), 18)}")
        score = span.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool):
            t.append(f" · score {float(score):.2f}", style="dim")
        t.append("\n")
    else:
        t.append("\n\n\n")
    t.append(_short(record_line(state.original), max(width, 8)) + "\n", style="dim")
    return t


def record_line(task: dict) -> str:
    """Where the task on screen comes from: its id, source file and line, and language (what the task records)."""
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    parts = []
    rid = task.get("id", meta.get("id"))
    if rid is not None:
        parts.append(f"id {rid}")
    src = meta.get("source")
    if src is not None:
        line = meta.get("line")
        parts.append(f"{src}:{line}" if line is not None else str(src))
    lang = meta.get("lang", task.get("lang"))
    if lang is not None:
        parts.append(str(lang))
    return " · ".join(parts) if parts else "no source recorded"


SPAN_STATES = {"kept": "✓ kept", "rejected": "✗ rejected", "edited": "✎ edited (kept)", "added": "+ added (kept)"}


def _short(s: str, n: int = 28) -> str:
    s = visible_text(s.replace("\n", " "))
    return s if len(s) <= n else s[: n - 1] + "…"


class ThemePanel(Panel):
    """Themes of the task on screen; styles from ``review.tcss``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"themepanel--key", "themepanel--on", "themepanel--above"}

    _shown: tuple[TaskState | None, ReviewLabels] | None = None

    def text_for(self, state: TaskState | None, labels: ReviewLabels) -> Text:
        c = self.component_style
        return render_themes(state, labels, c("themepanel--key"), c("themepanel--on"), c("themepanel--above"),
                             self.content_region.width or 36)

    def show(self, state: TaskState | None, labels: ReviewLabels) -> None:
        self._shown = (state, labels)
        self.set(self.text_for(state, labels))

    _split: tuple[Text | str, list[Text]] | None = None

    def render_line(self, y: int) -> Strip:
        """One line of the panel (Textual's Line API): a key that changes one line (the current span's) renders
        that line, not the whole panel (~5 ms a key on this machine, the edition-2 key press regression)."""
        content = self.content
        if self._split is None or self._split[0] is not content:
            text = content if isinstance(content, Text) else Text(content)
            self._split = (content, text.split("\n", allow_blank=True))
        lines = self._split[1]
        base = self.visual_style.rich_style
        if y >= len(lines):
            return Strip.blank(self.content_region.width, base)
        return Strip(list(lines[y].render(self.app.console, end=""))).apply_style(base)

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    class Clicked(Message):
        """A click on a theme's row: toggle it."""

        def __init__(self, theme: str) -> None:
            super().__init__()
            self.theme = theme

    def on_click(self, event: events.Click) -> None:
        off = event.get_content_offset(self)
        if off is None or self._shown is None or self._shown[0] is None:
            return
        themes = self._shown[1].themes
        if 1 <= off.y <= len(themes):  # row 0 is the heading, then one row a theme
            self.post_message(self.Clicked(themes[off.y - 1].name))


def side_width(screen_width: int) -> int:
    """The side panel's width (border and padding included) for a screen this wide: the text keeps the rest."""
    if screen_width >= 140:
        return 44
    if screen_width >= 100:
        return 40
    return 32
