"""Review as a library function: load the input into the store, then review it on the screen or accept it all.

:func:`run_review` is what ``annotate review`` runs; the command only reads its options and prints the result.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnotateError, Errors
from ..io import check_not_empty
from ..pipeline.workers import n_processes
from ..store import Store
from ..store.claims import check_overlap, check_share
from .keymap import check_keys
from .loader import FIRST_BATCH, check_review_input, iter_review_tasks, load_tasks
from .session import ReviewLabels, ReviewSession, default_annotator


@dataclass
class ReviewResult:
    """What a review run did: tasks stored (new and already there), decisions saved, lines skipped, warnings."""

    added: int = 0
    duplicates: int = 0
    saved: int = 0  # new decisions (what the store gained); answering again after an undo replaces one
    replaced: int = 0  # decisions of earlier sessions replaced (undo, then answered again)
    bad_lines: list[str] = field(default_factory=list)  # one "path:line: message Fix: ..." per skipped line
    warnings: list[str] = field(default_factory=list)

    @property
    def bad(self) -> int:
        return len(self.bad_lines)


def run_review(
    inputs: list[str],
    *,
    dataset: str,
    annotator: str | None = None,
    db: str | Path | None = None,
    labels_path: str | None = None,
    strict: bool = False,
    accept_all: bool = False,
    keymap: dict[str, str] | None = None,
    keymap_path: str | Path | None = None,
    lang: str | None = None,
    n_process: int = 1,
    on_bad_line: Callable[[AnnotateError], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    overlap: int | None = None,
    overlap_share: float = 1.0,
    reorder: Callable[[Any], Any] | None = None,
    model: str | None = None,
) -> ReviewResult:
    """Load ``inputs`` into the store as dataset ``dataset`` and review it on the screen (or, with
    ``accept_all``, store every task as accepted). Returns the counts.

    ``inputs``: task JSONL from ``annotate pre`` or raw input (pre-annotated on the way, ``lang`` and
    ``labels_path`` as for ``annotate pre``); empty: resume the dataset. ``strict``: check every line
    before storing anything. ``keymap``: action id -> keys (:func:`.keymap.read_keymap` of ``keymap_path``),
    checked with the label and theme keys (:func:`.keymap.check_keys`: E327, E328) before anything is loaded.
    ``n_process`` processes pre-annotate raw input (-1: one per core). Why it cannot pay off (a small
    input) is in ``warnings`` of the result, and told to ``on_warning`` with ``accept_all`` or to the
    screen's notifications. Lines that are not valid tasks are skipped, told to ``on_bad_line`` with
    ``accept_all`` and listed in ``bad_lines`` of the result. ``reorder``: takes the input's tasks and
    returns them in the order to store and review them (``--order``, :mod:`annotate.training.ordering`).

    ``overlap`` K: each task goes to K annotators and no more (claimed in the store a few at a time, see
    :mod:`annotate.store.claims`); None: this annotator sees every task they have not answered.
    ``overlap_share`` P (with ``overlap``): only a stable draw of P of the tasks goes to K annotators, the rest once.

    Raises AnnotateError: E701 (``overlap`` below 1), E705/E706 (a bad ``overlap_share``, or one without
    ``overlap``), E321 (``-`` as input), E325 (no terminal for the screen), and the input,
    label and store errors.
    """
    if overlap is not None:
        check_overlap(overlap)
    check_share(overlap_share)
    if overlap is None and overlap_share != 1.0:
        raise Errors.E706()
    n_process = n_processes(n_process)
    if any(str(p) == "-" for p in inputs):
        raise Errors.E321(where='-')
    if inputs:
        check_not_empty(inputs)  # path errors and empty input before anything else
    labels = ReviewLabels.load(labels_path)
    if not accept_all:  # the keys only matter to the screen
        check_keys(keymap or {}, labels, keymap_path=keymap_path, labels_path=labels_path)
    who = annotator or default_annotator()
    pre_options: dict[str, Any] = {"lang": lang, "labels": labels_path} if (lang or labels_path) else {}
    if n_process > 1:
        pre_options["n_process"] = n_process
    if model is not None:  # raw input: the rules and a model from annotate train (annotate pre --model)
        pre_options.update(model=model, model_scores=True)  # the side panel shows each model span's score
    if strict and inputs:
        check_review_input(inputs, labels)
    bad: list[AnnotateError] = []
    warnings: list[str] = []

    def record_bad(e: AnnotateError) -> None:
        bad.append(e)
        if on_bad_line is not None:
            on_bad_line(e)

    with Store(db) as store:
        if not inputs:
            store.require_dataset(dataset)  # resuming a dataset that is not there: E313 with a "did you mean"
        if accept_all:
            def warn(msg: str) -> None:
                warnings.append(msg)
                if on_warning is not None:
                    on_warning(msg)

            tasks = iter_review_tasks(inputs, labels, on_error=record_bad, pre_options=pre_options, on_warning=warn)
            try:
                added, dups = load_tasks(store, dataset, reorder(tasks) if reorder else tasks)
            finally:
                tasks.close()  # an interrupted load shuts its worker pool down
            order = resume_order(store, dataset, who, reorder, inputs, overlap, warnings)
            session = ReviewSession(store, dataset, who, labels, overlap=overlap, overlap_share=overlap_share, order=order)
            try:
                n = session.accept_all()
            finally:
                session.close()
            return ReviewResult(added=added, duplicates=dups, saved=n, bad_lines=[str(e) for e in bad], warnings=warnings)
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            raise Errors.E325()
        from .app import ReviewApp  # Textual only for the screen

        db_path = store.path
        order = resume_order(store, dataset, who, reorder, inputs, overlap, warnings)
        session = ReviewSession(store, dataset, who, labels, loading=bool(inputs), overlap=overlap,
                                overlap_share=overlap_share, order=order)
        totals = {"added": 0, "duplicates": 0}

        def loader(progress: Callable[[int, int], None], bad_line: Callable[[AnnotateError], None], stop: Callable[[], bool]) -> None:
            def both(e: AnnotateError) -> None:
                record_bad(e)
                bad_line(e)

            def on_batch(a: int, d: int) -> None:
                totals.update(added=a, duplicates=d)
                progress(a, d)

            def notice(msg: str) -> None:
                warnings.append(msg)
                try:
                    review_app.call_from_thread(review_app.notify, msg, title="--n-process", severity="warning", timeout=12)
                except RuntimeError:  # the screen is closing: the message is printed after it
                    pass

            # the first tasks are stored after FIRST_BATCH and annotated in this process: the screen
            # shows them without waiting for a worker pool to start
            tasks = iter_review_tasks(inputs, labels, on_error=both, pre_options=pre_options,
                                      in_process_first=FIRST_BATCH, on_warning=notice)
            try:
                with Store(db_path) as own:
                    load_tasks(own, dataset, reorder(tasks) if reorder else tasks, first_batch=FIRST_BATCH,
                               on_batch=on_batch, should_stop=stop)
            finally:
                tasks.close()  # quitting mid-load shuts the worker pool down

        review_app = ReviewApp(session, loader=loader if inputs else None, keymap=keymap)
        try:
            review_app.run()
        finally:
            session.close()  # --overlap: the claimed tasks not answered go back to the others
        if review_app.fatal_error is not None:
            raise review_app.fatal_error
        return ReviewResult(added=totals["added"], duplicates=totals["duplicates"], saved=session.saved,
                            replaced=session.replaced,
                            bad_lines=[str(e) for e in bad], warnings=warnings)


def resume_order(
    store: Store, dataset: str, annotator: str, reorder: Callable[[Any], Any] | None, inputs: list[Any],
    overlap: int | None, warnings: list[str],
) -> list[int] | None:
    """``--order`` without input (resuming a dataset): the row ids of the tasks ``annotator`` has not
    answered, in the order ``reorder`` gives them; None (load order) with input, whose tasks ``reorder``
    orders as they are stored, or with ``overlap``, whose claims come in load order (a warning says so)."""
    if reorder is None or inputs:
        return None
    if overlap is not None:
        warnings.append("--order is not applied with --overlap: claimed tasks come in load order")
        return None
    rows = list(store.pending_with_ids(dataset, annotator))
    row_of = {id(task): row_id for row_id, task in rows}
    return [row_of[id(task)] for task in reorder([task for _, task in rows])]
