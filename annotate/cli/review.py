"""`annotate review`: the keyboard-first review screen over the SQLite store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import EXIT_USAGE, AnnotateError
from ..io import check_not_empty
from ..review.keymap import read_keymap
from ..review.loader import (
    FIRST_BATCH,
    check_review_input,
    iter_review_tasks,
    load_tasks,
)
from ..review.session import ReviewLabels, ReviewSession, default_annotator
from ..store import Store
from ..pipeline.workers import n_processes
from .app import app


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
    lang: str | None = None,
    n_process: int = 1,
    on_bad_line: Callable[[AnnotateError], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Load the input into the store and review it (or accept it all). Returns counts.

    ``n_process`` processes pre-annotate raw input (-1: one per core). Why it
    cannot pay off (a small input) is in ``warnings`` of the result, and told
    to ``on_warning`` with --accept-all or to the screen's notifications.
    """
    n_process = n_processes(n_process)
    if any(str(p) == "-" for p in inputs):
        raise AnnotateError(
            "review cannot read stdin: the screen needs the terminal", where="-",
            fix="save the input to a file and pass its path", code="E321", exit_code=EXIT_USAGE,
        )
    if inputs:
        check_not_empty(inputs)  # path errors and empty input before anything else
    labels = ReviewLabels.load(labels_path)
    who = annotator or default_annotator()
    pre_options: dict[str, Any] = {"lang": lang, "labels": labels_path} if (lang or labels_path) else {}
    if n_process > 1:
        pre_options["n_process"] = n_process
    if strict and inputs:
        check_review_input(inputs, labels)
    bad: list[AnnotateError] = []
    warnings: list[str] = []

    def record_bad(e: AnnotateError) -> None:
        bad.append(e)
        if on_bad_line is not None:
            on_bad_line(e)

    with Store(db) as store:
        if accept_all:
            def warn(msg: str) -> None:
                warnings.append(msg)
                if on_warning is not None:
                    on_warning(msg)

            tasks = iter_review_tasks(inputs, labels, on_error=record_bad, pre_options=pre_options, on_warning=warn)
            try:
                added, dups = load_tasks(store, dataset, tasks)
            finally:
                tasks.close()  # an interrupted load shuts its worker pool down
            session = ReviewSession(store, dataset, who, labels)
            n = session.accept_all()
            return {"added": added, "duplicates": dups, "saved": n, "bad": len(bad), "bad_lines": [str(e) for e in bad],
                    "warnings": warnings}
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            raise AnnotateError(
                "review needs a terminal", fix="run it in a terminal, or pass --accept-all to store every task as is",
                code="E325", exit_code=EXIT_USAGE,
            )
        from ..review.app import ReviewApp

        db_path = store.path
        session = ReviewSession(store, dataset, who, labels, loading=bool(inputs))
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
                    load_tasks(own, dataset, tasks, first_batch=FIRST_BATCH, on_batch=on_batch, should_stop=stop)
            finally:
                tasks.close()  # quitting mid-load shuts the worker pool down

        review_app = ReviewApp(session, loader=loader if inputs else None, keymap=keymap)
        saved = review_app.run() or 0
        return {**totals, "saved": int(saved), "bad": len(bad), "bad_lines": [str(e) for e in bad], "warnings": warnings}


@app.command("review")
def review_command(
    inputs: Annotated[list[str] | None, typer.Argument(help="Tasks (.jsonl from annotate pre) or raw input (.txt, folders, JSONL without spans). Optional: without input, resume the dataset.", show_default=False)] = None,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name in the database.")] = ...,  # type: ignore[assignment]
    annotator: Annotated[str | None, typer.Option("--annotator", "-a", help="Your name (default: $ANNOTATE_ANNOTATOR or your login).")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Database file (default: $ANNOTATE_DB or ./annotate.db).")] = None,
    labels: Annotated[str | None, typer.Option("--labels", help="Labels folder (default: the repository's labels/).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop before loading anything if a line is bad.")] = False,
    accept_all: Annotated[bool, typer.Option("--accept-all", help="No screen: store every task as accepted, as it is (silver data).")] = False,
    keymap: Annotated[Path | None, typer.Option("--keymap", help="TOML file remapping actions, e.g. next_span = \"j,right\".")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of raw input (default: detected).")] = None,
    n_process: Annotated[int, typer.Option("--n-process", "-n", help="Processes that pre-annotate raw input (-1: one per core); gains on inputs of more than about 60,000 characters per process.")] = 1,
) -> None:
    """Review tasks on a keyboard-first screen; every decision is saved at once.

    Tasks this annotator already answered are not shown again, so quitting and
    starting again resumes where you stopped. Lines that are not valid tasks
    are reported (path:line and fix) and skipped; the exit code is then 1.

    Example:

        annotate review exports/pre.jsonl --dataset news --annotator alice
        annotate review seeds/ --dataset news --accept-all
    """
    from ._common import err_console

    keys = read_keymap(keymap)
    result = run_review(
        list(inputs or []), dataset=dataset, annotator=annotator, db=db, labels_path=labels, strict=strict,
        accept_all=accept_all, keymap=keys, lang=lang, n_process=n_process,
        on_bad_line=(lambda e: print(f"annotate: warning: {e}", file=sys.stderr)) if accept_all else None,
        on_warning=(lambda msg: print(f"annotate: warning: {msg}", file=sys.stderr)) if accept_all else None,
    )
    err_console.print(
        f"{dataset}: {result.get('added', 0)} task(s) added, {result.get('duplicates', 0)} already stored; "
        f"{result['saved']} decision(s) saved"
    )
    if not accept_all:  # the screen showed them as notifications; they are printed once it is closed
        for msg in result.get("warnings", []):
            print(f"annotate: warning: {msg}", file=sys.stderr)
        for line in result["bad_lines"]:
            print(f"annotate: warning: {line}", file=sys.stderr)
    if result["bad"]:
        raise AnnotateError(
            f"{result['bad']} input line(s) not loaded (see the messages above)",
            fix="correct those lines and run the same command again: what is stored already is kept", code="E326",
        )
