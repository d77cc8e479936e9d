"""Entry point: ``annotate`` (console script) and ``python -m annotate``.

``main(argv)`` is testable without a subprocess: it returns the exit code.
User errors (:class:`AnnotateError`) become one line on stderr, never a
traceback.
"""

from __future__ import annotations

import os
import signal
import sys

import typer
from typer.exceptions import TyperException

from ..errors import EXIT_USAGE, AnnotateError, StdoutClosed, Terminated
from .app import app

# Command modules register themselves on `app` when imported.
from . import pre as _pre  # noqa: E402,F401
from . import evaluate as _evaluate  # noqa: E402,F401
from . import export as _export  # noqa: E402,F401
from . import review as _review  # noqa: E402,F401
from . import db as _db  # noqa: E402,F401
from . import agreement as _agreement  # noqa: E402,F401
from . import serve as _serve  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        code = app(args=args, prog_name="annotate", standalone_mode=False)
    except AnnotateError as e:
        print(f"annotate: error: {e}", file=sys.stderr)
        return e.exit_code
    except typer.Abort:
        print("annotate: aborted", file=sys.stderr)
        return 1
    except TyperException as e:
        # usage errors (typer's bundled click): its own message and exit code 2
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            print(f"annotate: error: {e.format_message()}", file=sys.stderr)
        code = getattr(e, "exit_code", EXIT_USAGE)
        return code if code else EXIT_USAGE
    except typer.Exit as e:
        return e.exit_code
    except KeyboardInterrupt:
        print("annotate: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("annotate: terminated", file=sys.stderr)
        return 143
    except (StdoutClosed, BrokenPipeError):
        _quiet_stdout()
        return 0
    # outside standalone mode Typer returns the code of an Exit (130 for Ctrl-C) instead of raising it
    if code == 130:
        print("annotate: interrupted", file=sys.stderr)
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush into a closed pipe says nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def run() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    sys.exit(main())


if __name__ == "__main__":
    run()
