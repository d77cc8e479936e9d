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


class Engine(str, Enum):
    local = "local"
    dask = "dask"


class Split(str, Enum):
    none = "none"
    paragraphs = "paragraphs"
    sentences = "sentences"


@app.command("pre")
def pre_command(
    inputs: Annotated[list[str], typer.Argument(help="Input files or folders (.txt, .jsonl), or - for JSONL on stdin.", show_default=False)],
    output: Annotated[str, typer.Option("--output", "-o", help="Output JSONL file, or - for stdout.")] = "exports/pre.jsonl",
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="Force the language (fr or en) instead of detecting it per record.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="French spaCy pipeline to use, or a model folder written by annotate train (its NER and textcat beside the rules, per labels/model_policy.toml).")] = None,
    model_en: Annotated[Optional[str], typer.Option("--model-en", help="English spaCy pipeline (default: rules and gazetteer only).")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Labels folder (default: the project's labels/).")] = None,
    split: Annotated[Split, typer.Option("--split", help="Cut documents into paragraphs or sentences.")] = Split.none,
    n_process: Annotated[int, typer.Option("--n-process", "-n", help="Worker processes (-1: one per core); gains on inputs of more than about 60,000 characters per process.")] = 1,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Texts per batch.")] = 64,
    ref_date: Annotated[Optional[str], typer.Option("--ref-date", help="Resolve relative dates (hier, next Monday, il y a deux ans) against this YYYY-MM-DD date; a record's meta.date wins.")] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace an existing output file that is not a previous annotate output.")] = False,
    engine: Annotated[Engine, typer.Option("--engine", help="local: this machine's processes (--n-process); dask: chunks on a Dask cluster, resumable (pip install 'annotate-news\\[dask]').")] = Engine.local,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="With --engine dask: address of a running Dask scheduler (tcp://HOST:8786); default: a local cluster of --n-process workers (one per core unless given).", show_default=False)] = None,
    chunk_mb: Annotated[Optional[float], typer.Option("--chunk-mb", min=0.001, help="With --engine dask: input megabytes per chunk (default: the input in about 32 chunks of 64 KB to 4 MB each).", show_default=False)] = None,
    keep_chunks: Annotated[bool, typer.Option("--keep-chunks", help="With --engine dask: keep the per-chunk outputs (.OUTPUT.chunks/) after the merge.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Build the pipeline without the build cache and its compiled-pattern cache (same as ANNOTATE_CACHE=off).")] = False,
) -> None:
    """Pre-annotate news texts: ORG, MONEY, DATE, PERCENT spans and theme scores, as JSONL tasks.

    Each output line is a task in Prodigy's format (text, tokens, spans, meta,
    _input_hash, _task_hash) plus cats, the score of every theme. Same input,
    same output, byte for byte.

    Example:

        annotate pre seeds/ -o exports/pre.jsonl

        cat news.jsonl | annotate pre - -o - --lang en | head

        annotate pre news.jsonl -o exports/pre.jsonl --ref-date 2025-03-12

        annotate pre archive/ -o exports/archive/ --engine dask --scheduler tcp://10.0.0.5:8786

    With --engine dask the inputs are cut into chunks (--chunk-mb), annotated by
    the cluster's workers and joined in input order: the output is the same,
    byte for byte, as in one process. Run the same command again after a crash
    or Ctrl-C and only the unfinished chunks are done.
        annotate pre seeds/ --model models/news/ -o exports/pre.jsonl
    """
    from ..pipeline.job import run_pre

    show_bar = not quiet and sys.stderr.isatty()

    def bar(tasks, total):  # noqa: ANN001, ANN202
        return progress(tasks, total=total, description="pre-annotating", enabled=show_bar)

    saved_cache = os.environ.get("ANNOTATE_CACHE")
    if no_cache:  # read where the pipeline is built, here and in worker processes (they inherit it)
        os.environ["ANNOTATE_CACHE"] = "off"
    try:
        if engine == Engine.dask:
            _pre_dask(inputs, output, lang=lang, model=model, model_en=model_en, labels=labels,
                      split=None if split == Split.none else split.value, n_process=n_process, batch_size=batch_size,
                      force=force, scheduler=scheduler, chunk_mb=chunk_mb, keep_chunks=keep_chunks, quiet=quiet,
                      show_bar=show_bar, ref_date=ref_date)
            return
        result = run_pre(
            inputs, output, lang=lang, model=model, model_en=model_en, labels=labels,
            split=None if split == Split.none else split.value, n_process=n_process, batch_size=batch_size, force=force,
            on_warning=lambda msg: err_console.print(f"annotate: warning: {msg}", markup=False),
            progress=bar if show_bar else None, ref_date=ref_date,
        )
    finally:
        if no_cache and saved_cache is None:
            os.environ.pop("ANNOTATE_CACHE", None)
        elif no_cache:
            os.environ["ANNOTATE_CACHE"] = saved_cache
    if not quiet:
        where = "stdout" if output == "-" else output
        rate = result.words / result.seconds if result.seconds else 0
        _summary(result, f"{result.seconds:.1f}s ({rate:,.0f} tokens/s, model loading included) → {where}")


def _summary(result, after: str) -> None:  # noqa: ANN001
    """The summary of a pre job (a PreResult or a DaskPreResult): counts, then spans and themes per label."""
    labels_s = ", ".join(f"{k} {v}" for k, v in sorted(result.per_label.items())) or "none"
    themes_s = ", ".join(f"{k} {v}" for k, v in result.per_theme.most_common()) or "none"
    err_console.print(f"[bold green]✔[/] {result.n_tasks} tasks, {result.words} tokens in {after}")
    err_console.print(f"  spans: {labels_s}")
    err_console.print(f"  themes: {themes_s}")


def _pre_dask(inputs, output, *, n_process, scheduler, chunk_mb, keep_chunks, quiet, show_bar, **kw) -> None:  # noqa: ANN001
    from ..pipeline.distributed import run_pre_dask
    from ..pipeline.workers import n_processes

    def bar(chunks, total):  # noqa: ANN001, ANN202
        return progress(chunks, total=total, description="chunks", enabled=show_bar)

    result = run_pre_dask(
        inputs, output, scheduler=scheduler, n_workers=None if n_process == 1 else n_processes(n_process),
        chunk_bytes=None if chunk_mb is None else int(chunk_mb * 1024 * 1024), keep_chunks=keep_chunks,
        on_warning=lambda msg: err_console.print(f"annotate: warning: {msg}", markup=False),
        progress=bar if show_bar else None, **kw,
    )
    if not quiet:
        extra = []
        if result.reused:
            extra.append(f"{result.reused} reused from an earlier run")
        if result.redone:
            extra.append(f"{result.redone} redone after a lost worker")
        more = f" ({'; '.join(extra)})" if extra else ""
        _summary(result, f"{result.seconds:.1f}s, {result.chunks} chunk(s){more} → {result.output}")
