"""The review app's screens besides the main one."""

from .browser import BrowserScreen
from .confirm import ConfirmQuit
from .help import HelpScreen

__all__ = ["BrowserScreen", "ConfirmQuit", "HelpScreen"]
