"""The review app's screens besides the main one."""

from .help import HelpScreen

__all__ = ["HelpScreen"]
