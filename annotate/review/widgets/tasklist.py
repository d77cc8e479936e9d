"""The task browser's list: a virtual list over a :class:`~annotate.store.browse.TaskBrowser`.

Only the rows on screen are drawn (Textual's Line API), and only their pages are read from the store (pages of
:data:`PAGE` rows, a few kept): opening the list on 100,000 tasks reads one count and one page.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...store.browse import TaskBrowser, TaskRow
from ..taskstate import visible_text

PAGE = 100
_KEEP_PAGES = 20
STATE_MARKS = {None: "·  pending", "accept": "✓  accepted", "reject": "✗  rejected", "ignore": "∅  ignored"}


def row_text(row: TaskRow, width: int) -> str:
    """One row: the task's row id, this annotator's answer, how many decisions it has and by whom, its labels,
    its text."""
    labels = ",".join(row.labels) or "-"
    who = ",".join(row.answered_by) or "-"
    who = who if len(who) <= 16 else who[:15] + "…"
    head = (f"{row.row_id:>7}  {STATE_MARKS.get(row.answer, row.answer or ''):<11} {row.annotators:>2} {who:<16}  "
            f"{labels[:24]:<24} ")
    text = visible_text(row.text.replace("\n", " ").replace("\t", " "))
    return (head + text)[:max(width, 1)]


class TaskList(ScrollView, can_focus=True):
    """Rows of tasks; ``↑``/``↓``, PgUp/PgDn, Home/End move, ``⏎`` (or a double click) opens one."""

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("down", "move(1)", "down", show=False, id="browser_down"),
        Binding("up", "move(-1)", "up", show=False, id="browser_up"),
        Binding("pagedown", "move_page(1)", "page down", show=False, id="browser_page_down"),
        Binding("pageup", "move_page(-1)", "page up", show=False, id="browser_page_up"),
        Binding("home", "move_to(0)", "first", show=False, id="browser_first"),
        Binding("end", "move_to(-1)", "last", show=False, id="browser_last"),
        Binding("enter", "open", "open", show=False, id="browser_open"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tasklist--cursor"}

    class Opened(Message):
        def __init__(self, row: TaskRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, browser: TaskBrowser, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cursor = 0
        self.browser = browser
        self._pages: OrderedDict[int, list[TaskRow]] = OrderedDict()
        self.count = browser.count()

    def set_browser(self, browser: TaskBrowser) -> None:
        """Show another filter's rows (from the first)."""
        self.browser = browser
        self._pages.clear()
        self.count = browser.count()
        self.cursor = 0
        self.virtual_size = Size(self.size.width, self.count)
        self.scroll_to(y=0, animate=False)
        self.refresh()

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, self.count)

    def row(self, i: int) -> TaskRow | None:
        if not 0 <= i < self.count:
            return None
        p = i // PAGE
        rows = self._pages.get(p)
        if rows is None:
            rows = self._pages[p] = self.browser.page(p * PAGE, PAGE)
            while len(self._pages) > _KEEP_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(p)
        k = i - p * PAGE
        return rows[k] if k < len(rows) else None

    @property
    def current(self) -> TaskRow | None:
        return self.row(self.cursor)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        i = self.scroll_offset.y + y
        if self.count == 0:
            return Strip([Segment("no task matches" if y == 0 else "")]).crop_extend(0, width, Style())
        row = self.row(i)
        if row is None:
            return Strip.blank(width)
        style = self.get_component_rich_style("tasklist--cursor") if i == self.cursor else Style()
        return Strip([Segment(row_text(row, width), style)]).crop_extend(0, width, style)

    def _go(self, i: int) -> None:
        if not self.count:
            return
        old, self.cursor = self.cursor, max(0, min(i, self.count - 1))
        height = self.scrollable_content_region.height or 1
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)
        width = self.size.width
        for r in (old, self.cursor):
            self.refresh(Region(0, r - self.scroll_offset.y, width, 1))
        self.refresh()

    def action_move(self, delta: int) -> None:
        self._go(self.cursor + delta)

    def action_move_page(self, delta: int) -> None:
        self._go(self.cursor + delta * max((self.scrollable_content_region.height or 2) - 1, 1))

    def action_move_to(self, where: int) -> None:
        self._go(0 if where == 0 else self.count - 1)

    def action_open(self) -> None:
        if (row := self.current) is not None:
            self.post_message(self.Opened(row))

    def on_click(self, event: events.Click) -> None:
        """A click selects the row under the mouse; a double click opens it."""
        off = event.get_content_offset(self)
        if off is None:
            return
        self._go(self.scroll_offset.y + off.y)
        if event.chain >= 2:
            self.action_open()
