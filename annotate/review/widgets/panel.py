"""A fixed-size text panel that repaints only the lines that changed, and the component-style cache widgets share."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget


class ComponentStyles(Widget):
    """A widget whose ``COMPONENT_CLASSES`` (styled in ``review.tcss``) are read as Rich styles, cached.

    Textual clears its own cache on every repaint; a key press draws with these styles many times, so they
    are resolved once and again only when the stylesheet changes (``notify_style_update``: a theme switch).
    Only the component's own rules count (``partial``): the widget's background is not blended in.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._component_cache: dict[str, Style] = {}

    def component_style(self, name: str) -> Style:
        style = self._component_cache.get(name)
        if style is None:
            style = self._component_cache[name] = self.get_component_rich_style(name, partial=True)
        return style

    def notify_style_update(self) -> None:
        self._component_cache.clear()
        super().notify_style_update()


class Panel(ComponentStyles):
    """A fixed-size text panel: updating it repaints it without a layout pass, and only the lines that changed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.content: Text | str = ""
        self._set_once = False

    def set(self, content: Text | str) -> None:
        """Show ``content``; nothing happens when it is what the panel shows (a no-op update still costs a repaint)."""
        if self._set_once and content == self.content:
            return
        self._set_once = True
        old, self.content = self.content, content
        width, height = self.size
        if isinstance(old, Text) and isinstance(content, Text) and width and old.style == content.style:
            before, after = old.split("\n", allow_blank=True), content.split("\n", allow_blank=True)
            # same line count, nothing wrapped or cut: line y of the text is row y of the panel
            if len(before) == len(after) <= height and all(cell_len(line.plain) <= width for line in after):
                for y, (a, b) in enumerate(zip(before, after)):
                    if a != b:
                        self.refresh(Region(0, y, width, 1))
                return
        self.refresh()

    def render(self) -> Text | str:
        return self.content
