"""`annotate train`: a spaCy model from reviewed data (the work is :func:`annotate.training.train.train_model`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..training.train import DEFAULT_MAX_MINUTES
from ..formats.examples import Align, MisalignedSpans, parse_align
from ._common import DbOpt, choices, err_console
from .app import app


@app.command("train")
def train_command(
    datasets: Annotated[list[str], typer.Argument(help="Datasets whose accepted examples are trained on.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model folder to write, e.g. models/news/.", show_default=False)],
    max_minutes: Annotated[float, typer.Option(help="Time budget of one training run (each --curve point has its own).")] = DEFAULT_MAX_MINUTES,
    max_steps: Annotated[int | None, typer.Option(help="Step budget (default: sized to the data, as the export's config).", show_default=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split and of training.")] = 0,
    heldout: Annotated[float, typer.Option("--heldout", help="Share of examples held out for scoring (stratified over themes).")] = 0.2,
    label: Annotated[list[str] | None, typer.Option("--label", help="Train only this span label (repeatable; for partially annotated data).", show_default=False)] = None,
    base_model: Annotated[str | None, typer.Option(help="Pipeline whose vectors training starts from (default fr_core_news_md for French; none: from scratch).", show_default=False)] = None,
    from_model_ner: Annotated[bool, typer.Option("--from-model-ner", help="Also start from the base pipeline's NER weights.")] = False,
    align: Annotated[
        Align, typer.Option(parser=parse_align, metavar=choices(Align), help="Spans off token boundaries: strict (list them, exit 1), expand or contract.")
    ] = Align.strict,
    curve: Annotated[bool, typer.Option("--curve", help="Also train on 25, 50 and 75 % of the training split and print the scores.")] = False,
    lang: Annotated[str | None, typer.Option(help="Language (default: the examples' majority language).", show_default=False)] = None,
    version: Annotated[str, typer.Option(help="Version written into the model's meta.json (recorded on every span it proposes).")] = "0.1.0",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing model folder.")] = False,
    db: DbOpt = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="Labels folder (default: the repository's labels/).", show_default=False)] = None,
) -> None:
    """Train a spaCy NER + textcat_multilabel model on the accepted examples, and score it against the rules.

    The examples go through the export (as annotate export --format spacy); a stratified share is held out, never trained on, and scored for the model, the rules pipeline and both combined (as annotate pre --model uses them). The scores go into the model's meta.json. Train longer with --max-minutes.

    Example:

        annotate train news -o models/news/
        annotate train news other --max-minutes 10 --from-model-ner -o models/news/
        annotate pre texts/ --model models/news/ -o exports/pre.jsonl
    """
    from ..training.train import train_model

    show = sys.stderr.isatty()
    state: dict[str, object] = {}

    def on_progress(stage: str, step: int, max_steps: int, seconds: float) -> None:
        if not show:
            return
        if state.get("stage") != stage:
            if "bar" in state:
                state["bar"].stop()  # type: ignore[attr-defined]
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(TextColumn(f"training {stage}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=err_console, transient=True)
            bar.start()
            state.update(stage=stage, bar=bar, task=bar.add_task(stage, total=max_steps))
        state["bar"].update(state["task"], completed=step)  # type: ignore[attr-defined]

    try:
        result = train_model(
            datasets, output, db=db, labels=labels, lang=lang, entity_labels=label or None, max_minutes=max_minutes,
            max_steps=max_steps, seed=seed, dev_split=heldout, base_model=base_model, from_model_ner=from_model_ner,
            align=align, curve=curve, version=version, force=force, on_progress=on_progress,
        )
    except MisalignedSpans as e:
        for line in e.lines():
            err_console.print(line, markup=False)
        raise
    finally:
        if "bar" in state:
            state["bar"].stop()  # type: ignore[attr-defined]
    for line in result.lines():
        err_console.print(line, markup=False)
