"""One visitor's process under ``annotate serve``: the review (or adjudication) screen over Textual's web driver.

Started by textual-serve (:mod:`.serve`) with ``TEXTUAL_DRIVER`` set to the web driver and ``ANNOTATE_ANNOTATOR``
set from the visitor's header; not meant to be run by hand. ``python -m annotate.review.serve_child --dataset NAME
--db PATH [--labels DIR] [--keymap FILE] [--adjudicate GOLD [--auto-accept-agreed]]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import AnnotateError, Errors
from ..store import Store
from .keymap import read_keymap
from .session import ReviewLabels, ReviewSession


def watch_parent(app: Any, interval: float = 1.0) -> threading.Thread:
    """When the server goes (this process's parent changes), close the screen; stop hard if it does not close.
    Every decision is already stored: only the edits of the task on screen, not yet answered, are lost."""
    parent = os.getppid()

    def run() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        with contextlib.suppress(Exception):
            app.call_from_thread(app.exit)
        time.sleep(5.0)
        os._exit(0)

    t = threading.Thread(target=run, name="watch-parent", daemon=True)
    t.start()
    return t


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m annotate.review.serve_child")
    p.add_argument("--dataset", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--labels")
    p.add_argument("--keymap", type=Path)
    p.add_argument("--adjudicate")
    p.add_argument("--auto-accept-agreed", action="store_true")
    p.add_argument("--overlap", type=int)
    p.add_argument("--overlap-share", type=float, default=1.0)
    a = p.parse_args(argv)
    try:
        annotator = os.environ.get("ANNOTATE_ANNOTATOR", "").strip()
        if not annotator:
            raise Errors.E320()
        labels = ReviewLabels.load(a.labels)
        keymap = read_keymap(a.keymap)
        with Store(a.db) as store:
            store.require_dataset(a.dataset)
            if a.adjudicate:
                from .adjudication import AdjudicationSession
                from .screens.adjudicate import AdjudicationApp

                session = AdjudicationSession(store, a.dataset, a.adjudicate, annotator, labels,
                                              auto_accept_agreed=a.auto_accept_agreed)
                app: Any = AdjudicationApp(session, keymap=keymap)
            else:
                from .app import ReviewApp

                session = ReviewSession(store, a.dataset, annotator, labels, overlap=a.overlap,
                                        overlap_share=a.overlap_share)
                app = ReviewApp(session, keymap=keymap)
            watch_parent(app)
            try:
                app.run()
            finally:
                if hasattr(session, "close"):
                    session.close()  # --overlap: the claimed tasks not answered go back to the others
    except AnnotateError as e:
        print(f"annotate: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
