"""`annotate review`: the keyboard-first review screen over the SQLite store (the work is :func:`annotate.review.run.run_review`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import Errors
from ..review.keymap import read_keymap
from ..pipeline.trained import trained_model
from ..review.run import run_review
from ..training.ordering import Order, check_order, order_tasks
from ._common import DbOpt
from .app import app


@app.command("review")
def review_command(
    inputs: Annotated[list[str] | None, typer.Argument(help="Tasks (.jsonl from annotate pre) or raw input (.txt, folders, JSONL without spans). Optional: without input, resume the dataset.", show_default=False)] = None,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name in the database.")] = ...,  # type: ignore[assignment]
    annotator: Annotated[str | None, typer.Option("--annotator", "-a", help="Your name (default: $ANNOTATE_ANNOTATOR or your login).")] = None,
    db: DbOpt = None,
    labels: Annotated[str | None, typer.Option("--labels", help="Labels folder (default: the repository's labels/).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop before loading anything if a line is bad.")] = False,
    accept_all: Annotated[bool, typer.Option("--accept-all", help="No screen: store every task as accepted, as it is (silver data).")] = False,
    keymap: Annotated[Path | None, typer.Option("--keymap", help="TOML file remapping actions, e.g. next_span = \"j,right\".")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of raw input (default: detected).")] = None,
    n_process: Annotated[int, typer.Option("--n-process", "-n", help="Processes that pre-annotate raw input (-1: one per core); gains on inputs of more than about 60,000 characters per process.")] = 1,
    overlap: Annotated[int | None, typer.Option("--overlap", help="Teams: each task goes to K annotators and no more (1: split the work, each task once); every reviewer passes the same K. Default: every annotator sees every task.", metavar="K", show_default=False)] = None,
    overlap_share: Annotated[float, typer.Option("--overlap-share", help="With --overlap: the share of tasks (0-1, a stable draw) that go to K annotators; the rest go to one.", metavar="P")] = 1.0,
    adjudicate: Annotated[bool, typer.Option("--adjudicate", help="Adjudicate: show the tasks answered by 2+ annotators, each one's version side by side, the majority version pre-selected; store your final versions into -o GOLD.")] = False,
    output: Annotated[str | None, typer.Option("--output", "-o", help="With --adjudicate: the dataset the final versions go to (a new dataset, exported like any other).", show_default=False)] = None,
    auto_accept_agreed: Annotated[bool, typer.Option("--auto-accept-agreed", help="With --adjudicate: store the tasks every annotator answered the same way without showing them.")] = False,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model folder from annotate train: pre-annotates raw input beside the rules, and orders the tasks (--order).", show_default=False)] = None,
    order: Annotated[str, typer.Option("--order", help="Order of the tasks: input, uncertain (the model's least certain first) or disagree (model and rules disagree first); the tasks this run loads, or without input the dataset's pending tasks; needs --model except input.")] = "input",
) -> None:
    """Review tasks on a keyboard-first screen; every decision is saved at once.

    Tasks this annotator already answered are not shown again, so quitting and
    starting again resumes where you stopped. Lines that are not valid tasks
    are reported (path:line and fix) and skipped; the exit code is then 1.

    Example:

        annotate review exports/pre.jsonl --dataset news --annotator alice
        annotate review seeds/ --dataset news --accept-all
        annotate review --dataset news --annotator bob --overlap 2
        annotate review --dataset news --annotator bob --overlap 3 --overlap-share 0.2
        annotate review --dataset news --adjudicate -o news-gold --auto-accept-agreed
        annotate review texts/ --dataset news --model models/news/ --order uncertain
    """
    from ._common import err_console

    if adjudicate or output is not None or auto_accept_agreed:
        _adjudicate(inputs, dataset, output, adjudicate=adjudicate, auto_accept_agreed=auto_accept_agreed,
                    annotator=annotator, db=db, labels=labels, keymap=keymap, accept_all=accept_all)
        return

    reorder = None
    the_order = check_order(order, model)
    trained = trained_model(model, labels) if model is not None else None
    if model is not None and trained is None:
        raise Errors.E611(where=model)
    if trained is not None and the_order is not Order.input:
        def reorder(tasks):  # noqa: ANN001, ANN202
            return order_tasks(tasks, trained, the_order)

    keys = read_keymap(keymap)
    result = run_review(
        list(inputs or []), dataset=dataset, annotator=annotator, db=db, labels_path=labels, strict=strict,
        accept_all=accept_all, keymap=keys, keymap_path=keymap, lang=lang, n_process=n_process, overlap=overlap, overlap_share=overlap_share, model=model, reorder=reorder,
        on_bad_line=(lambda e: print(f"annotate: warning: {e}", file=sys.stderr)) if accept_all else None,
        on_warning=(lambda msg: print(f"annotate: warning: {msg}", file=sys.stderr)) if accept_all else None,
    )
    replaced = f", {result.replaced} earlier decision(s) replaced" if result.replaced else ""
    err_console.print(
        f"{dataset}: {result.added} task(s) added, {result.duplicates} already stored; {result.saved} decision(s) saved"
        f"{replaced}"
    )
    if not accept_all:  # the screen showed them as notifications; they are printed once it is closed
        for msg in [*result.warnings, *result.bad_lines]:
            print(f"annotate: warning: {msg}", file=sys.stderr)
    if result.bad:
        raise Errors.E326(bad=result.bad)


def _adjudicate(inputs: list[str] | None, dataset: str, output: str | None, *, adjudicate: bool,
                auto_accept_agreed: bool, annotator: str | None, db: Path | None, labels: str | None,
                keymap: Path | None, accept_all: bool) -> None:
    from ..review.adjudication import run_adjudication
    from ._common import err_console

    if not adjudicate:
        raise Errors.E733(option="-o" if output is not None else "--auto-accept-agreed")
    if output is None:
        raise Errors.E730()
    if inputs:
        raise Errors.E732(where=inputs[0])
    if accept_all:
        raise Errors.E736()
    keys = read_keymap(keymap)
    r = run_adjudication(dataset, output, adjudicator=annotator, db=db, labels_path=labels,
                         auto_accept_agreed=auto_accept_agreed, keymap=keys, keymap_path=keymap)
    err_console.print(
        f"{dataset} -> {output}: {r.cases} task(s) answered by 2+ annotators; {r.already} decided before,"
        f" {r.auto_accepted} agreed merged, {r.saved} adjudicated now, {r.left} left"
    )
