"""The adjudication panel: every annotator's version of the task side by side (one column each) against the
final version being edited, span by span and theme by theme, with the agreement marked.

A row per span that any version has or the final version keeps: ``=`` agreed (every voter made the same choice),
``≠`` disputed, ``+`` only in the final version (added or resized by the adjudicator); ``✓`` kept by that
annotator, ``·`` not kept, ``-`` not counted (the annotator did not accept the task: not a voter); the votes
(kept by / voters) and the final choice. Then a row per theme that a version or the final version has on.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text

from ...store.adjudicate import span_key
from ..labelset import ReviewLabels
from ..taskstate import visible_text
from .panel import Panel
from .status import StatusBar

PLAIN = Style()


def _short(s: str, n: int) -> str:
    s = visible_text(s.replace("\n", " "))
    return s if len(s) <= n else s[: max(n - 1, 0)] + "…"


def render_versions(state: Any, labels: ReviewLabels, *, width: int = 100, height: int = 12,
                    agreed: Style = PLAIN, disputed: Style = PLAIN, current: Style = PLAIN) -> Text:
    """``state``: an :class:`~annotate.review.adjudication.AdjudicationState` (None: nothing on screen).
    At most ``height`` lines: when the rows do not fit, the window around the current span is shown."""
    t = Text()
    if state is None:
        return t
    case = state.case
    voters = {v.annotator for v in case.voters}
    majority = case.majority_answer
    t.append("Versions ", style="bold")
    t.append(" · ".join(f"{v.annotator} {v.answer}" for v in case.versions))
    t.append(f"  → majority {majority}" if majority else "  → no majority answer: you decide", style="bold")
    sa, sd = case.span_counts()
    ta, td = case.theme_counts(labels.theme_names)
    line = Text()
    line.append(f"spans {sa} agreed, ", style=agreed)
    line.append(f"{sd} disputed", style=disputed if sd else agreed)
    line.append(f" · themes {ta} agreed, ", style=agreed)
    line.append(f"{td} disputed", style=disputed if td else agreed)
    legend = "  (= agreed ≠ disputed + yours only · ✓ kept · not kept - no vote)"
    legend_shown = line.cell_len + len(legend) <= width
    if legend_shown:
        line.append(legend, style="dim")
    t.append("\n")
    t.append_text(line)
    t.append("\n")
    cols = [max(len(a), 3) for a in case.annotators]
    text_w = max(width - 4 - 10 - sum(c + 1 for c in cols) - 14, 8)
    head = Text(f"  {'':<10}{'':<{text_w}} ")
    for a, w in zip(case.annotators, cols):
        head.append(f"{a:^{w}} ", style="bold")
    head.append("│ final votes", style="bold")
    rows: list[Text] = []
    current_row = 0
    final = {span_key(s): s for s in state.spans}
    keys = list(dict.fromkeys([*case.spans, *sorted(final)]))
    cur_key = span_key(state.span) if state.span is not None and not state.adding else None
    for key in sorted(keys):
        in_case = key in case.spans
        votes = case.span_votes(key) if in_case else []
        mark = ("=" if case.span_agreed(key) else "≠") if in_case else "+"
        span = case.spans.get(key) or final[key]
        row = Text()
        is_cur = key == cur_key
        if is_cur:
            current_row = len(rows)
        row.append("▸" if is_cur else " ", style="bold")
        row.append(mark + " ", style=agreed if mark == "=" else disputed)
        row.append(f"{key[2]:<9} ", style="bold")
        row.append(f"{_short(state.text[key[0]:key[1]], text_w):<{text_w}} ")
        for v, w in zip(case.versions, cols):
            cell = "-" if v.annotator not in voters else ("✓" if key in v.spans else "·")
            row.append(f"{cell:^{w}} ", style="dim" if cell == "-" else "")
        f = final.get(key)
        row.append("│ " + ("  ✓  " if f is not None and f["answer"] == "accept" else "  ✗  " if f is not None else "  ·  "))
        row.append(f" {len(votes)}/{len(voters)}" if in_case else "  new")
        if is_cur:
            row.stylize(current)
        rows.append(row)
    on = {th for th, is_on in state.themes.items() if is_on} | set(state._extra_accept)
    for name in case.theme_names(labels.theme_names):
        votes = case.theme_votes(name)
        if not votes and name not in on:
            continue
        ok = case.theme_agreed(name)
        row = Text(" ")
        row.append(("=" if ok else "≠") + " ", style=agreed if ok else disputed)
        row.append(f"{'theme':<9} ", style="dim")
        row.append(f"{_short(name, text_w):<{text_w}} ")
        for v, w in zip(case.versions, cols):
            cell = "-" if v.annotator not in voters else ("✓" if name in v.themes else "·")
            row.append(f"{cell:^{w}} ", style="dim" if cell == "-" else "")
        row.append("│ " + ("  ✓  " if name in on else "  ·  "))
        row.append(f" {len(votes)}/{len(voters)}")
        rows.append(row)
    room = max(height - 3, 1)
    if len(rows) > room:
        top = min(max(current_row - room // 3, 0), len(rows) - room)
        rows = rows[top:top + room]
    t.append_text(head)
    for r in rows:
        t.append("\n")
        t.append_text(r)
    if not legend_shown and len(rows) + 4 <= height:  # the legend under the table when it has room there
        t.append("\n" + legend.strip()[1:-1], style="dim")
    return t


class VersionsPanel(Panel):
    """Each annotator's version of the task on screen; styles from ``review.tcss``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"versionspanel--agreed", "versionspanel--disputed", "versionspanel--current"}

    _shown: tuple[Any, ReviewLabels] | None = None

    def text_for(self, state: Any, labels: ReviewLabels) -> Text:
        c = self.component_style
        return render_versions(state, labels, width=self.content_region.width or 100,
                               height=self.content_region.height or 12, agreed=c("versionspanel--agreed"),
                               disputed=c("versionspanel--disputed"), current=c("versionspanel--current"))

    def show(self, state: Any, labels: ReviewLabels) -> None:
        self._shown = (state, labels)
        self.set(self.text_for(state, labels))

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)


class AdjudicationStatus(StatusBar):
    """The status bar, saying what is adjudicated into what and how many cases were merged without the screen."""

    def text_for(self, s: Any, stored: int, bad_lines: int, mouse_released: str = "") -> Text:
        t = Text()
        t.append(" adjudicating ", style="bold reverse")
        t.append(f" {s.source} → ", style="bold")
        t.append_text(super().text_for(s, stored, bad_lines, mouse_released))
        if s.auto_accepted:
            t.append(f"   {s.auto_accepted:,} agreed merged", style="dim")
        return t
