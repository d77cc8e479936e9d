"""The project's one error type.

Library code raises :class:`AnnotateError` for anything a user can fix (bad
input, bad labels, a missing path). The CLI prints ``str(error)`` as a single
line on stderr and exits with ``error.exit_code``; it never shows a traceback
for these. Messages say what went wrong, where (``path:line`` or a config
key) and how to fix it.
"""

from __future__ import annotations

from pathlib import Path

EXIT_DATA = 1  # bad data or failed checks
EXIT_USAGE = 2  # usage errors


class AnnotateError(Exception):
    """A user-facing error: one line, where, and the fix."""

    def __init__(
        self,
        message: str,
        *,
        where: str | Path | None = None,
        line: int | None = None,
        fix: str | None = None,
        code: str = "E000",
        exit_code: int = EXIT_DATA,
    ) -> None:
        self.message = message
        self.where = str(where) if where is not None else None
        self.line = line
        self.fix = fix
        self.code = code
        self.exit_code = exit_code
        super().__init__(self.render())

    def render(self) -> str:
        place = ""
        if self.where is not None:
            place = self.where if self.line is None else f"{self.where}:{self.line}"
            place += ": "
        text = f"[{self.code}] {place}{self.message}"
        if self.fix:
            text += f" Fix: {self.fix}"
        # one line, always
        return " ".join(text.split())
