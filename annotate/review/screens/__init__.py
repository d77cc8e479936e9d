"""The review app's screens besides the main one."""

from .confirm import ConfirmQuit
from .help import HelpScreen

__all__ = ["ConfirmQuit", "HelpScreen"]
