"""One visitor's process under ``annotate serve``: the review (or adjudication) screen over Textual's web driver.

Started by textual-serve (:mod:`.serve`) with ``TEXTUAL_DRIVER`` set to the web driver and ``ANNOTATE_ANNOTATOR``
set from the visitor's header; not meant to be run by hand. ``python -m annotate.review.serve_child --dataset NAME
--db PATH [--labels DIR] [--keymap FILE] [--adjudicate GOLD [--auto-accept-agreed]]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import AnnotateError, Errors
from ..store import Store
from .keymap import read_keymap
from .session import ReviewLabels, ReviewSession


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m annotate.review.serve_child")
    p.add_argument("--dataset", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--labels")
    p.add_argument("--keymap", type=Path)
    p.add_argument("--adjudicate")
    p.add_argument("--auto-accept-agreed", action="store_true")
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
                AdjudicationApp(session, keymap=keymap).run()
            else:
                from .app import ReviewApp

                ReviewApp(ReviewSession(store, a.dataset, annotator, labels), keymap=keymap).run()
    except AnnotateError as e:
        print(f"annotate: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
