"""The review screen's widgets, one per module. They draw what they are given and never touch files."""

from .document import DocView
from .keyline import KeyLine
from .panel import Panel
from .status import StatusBar
from .themes import ThemePanel

__all__ = ["DocView", "KeyLine", "Panel", "StatusBar", "ThemePanel"]
