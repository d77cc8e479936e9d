"""`annotate pre`: pre-annotate texts into JSONL tasks."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import err_console, progress
from .app import app


class Split(str, Enum):
    none = "none"
    paragraphs = "paragraphs"
    sentences = "sentences"


@app.command("pre")
def pre_command(
    inputs: Annotated[list[str], typer.Argument(help="Input files or folders (.txt, .jsonl), or - for JSONL on stdin.", show_default=False)],
    output: Annotated[str, typer.Option("--output", "-o", help="Output JSONL file, or - for stdout.")] = "exports/pre.jsonl",
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="Force the language (fr or en) instead of detecting it per record.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="French spaCy pipeline to use.")] = None,
    model_en: Annotated[Optional[str], typer.Option("--model-en", help="English spaCy pipeline (default: rules and gazetteer only).")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Labels folder (default: the project's labels/).")] = None,
    split: Annotated[Split, typer.Option("--split", help="Cut documents into paragraphs or sentences.")] = Split.none,
    n_process: Annotated[int, typer.Option("--n-process", "-n", help="Worker processes (-1: one per core); gains on inputs of more than about 60,000 characters per process.")] = 1,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Texts per batch.")] = 64,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace an existing output file that is not a previous annotate output.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Build the pipeline without the build cache (same as ANNOTATE_CACHE=off).")] = False,
) -> None:
    """Pre-annotate news texts: ORG, MONEY, DATE, PERCENT spans and theme scores, as JSONL tasks.

    Each output line is a task in Prodigy's format (text, tokens, spans, meta,
    _input_hash, _task_hash) plus cats, the score of every theme. Same input,
    same output, byte for byte.

    Example:

        annotate pre seeds/ -o exports/pre.jsonl

        cat news.jsonl | annotate pre - -o - --lang en | head
    """
    from ..pipeline.job import run_pre

    show_bar = not quiet and sys.stderr.isatty()

    def bar(tasks, total):  # noqa: ANN001, ANN202
        return progress(tasks, total=total, description="pre-annotating", enabled=show_bar)

    saved_cache = os.environ.get("ANNOTATE_CACHE")
    if no_cache:  # read where the pipeline is built, here and in worker processes (they inherit it)
        os.environ["ANNOTATE_CACHE"] = "off"
    result = run_pre(
        inputs, output, lang=lang, model=model, model_en=model_en, labels=labels,
        split=None if split == Split.none else split.value, n_process=n_process, batch_size=batch_size, force=force,
        on_warning=lambda msg: err_console.print(f"annotate: warning: {msg}", markup=False),
        progress=bar if show_bar else None,
    )
    if no_cache and saved_cache is None:
        del os.environ["ANNOTATE_CACHE"]
    elif no_cache:
        os.environ["ANNOTATE_CACHE"] = saved_cache
    if not quiet:
        labels_s = ", ".join(f"{k} {v}" for k, v in sorted(result.per_label.items())) or "none"
        themes_s = ", ".join(f"{k} {v}" for k, v in result.per_theme.most_common()) or "none"
        where = "stdout" if output == "-" else output
        rate = result.words / result.seconds if result.seconds else 0
        err_console.print(f"[bold green]✔[/] {result.n_tasks} tasks, {result.words} tokens in {result.seconds:.1f}s ({rate:,.0f} tokens/s, model loading included) → {where}")
        err_console.print(f"  spans: {labels_s}")
        err_console.print(f"  themes: {themes_s}")
