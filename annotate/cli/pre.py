"""`annotate pre`: pre-annotate texts into JSONL tasks."""

from __future__ import annotations

import sys
import time
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..labels import load_labels
from ..io import atomic_output, dumps_jsonl, empty_input, expand_sources, read_records
from ._common import err_console, progress
from .app import app


class Split(str, Enum):
    none = "none"
    paragraphs = "paragraphs"
    sentences = "sentences"


def _count_records(sources: list[str]) -> int | None:
    total = 0
    for s in sources:
        if s == "-":
            return None
        p = Path(s)
        if p.suffix.lower() == ".txt":
            total += 1
        else:
            if p.stat().st_size > 512 * 1024 * 1024:
                return None
            with p.open("rb") as f:
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return total


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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
) -> None:
    """Pre-annotate news texts: ORG, MONEY, DATE, PERCENT spans and theme scores, as JSONL tasks.

    Each output line is a task in Prodigy's format (text, tokens, spans, meta,
    _input_hash, _task_hash) plus cats, the score of every theme. Same input,
    same output, byte for byte.

    Example:

        annotate pre seeds/ -o exports/pre.jsonl

        cat news.jsonl | annotate pre - -o - --lang en | head
    """
    from ..pre import pre_annotate  # spaCy loads only when a command needs it

    load_labels(labels)  # a broken labels folder fails before any input is read
    sources = expand_sources(inputs)
    split_mode = None if split == Split.none else split.value
    show_bar = not quiet and sys.stderr.isatty()
    # counting lines reads the input once more: only worth it when a bar is drawn
    total = _count_records(sources) if show_bar and split_mode is None else None
    records = read_records(sources, split=split_mode)
    started = time.perf_counter()
    n_tasks = 0
    words = 0
    per_label: Counter[str] = Counter()
    per_theme: Counter[str] = Counter()
    tasks = pre_annotate(records, lang=lang, model=model, model_en=model_en, labels=labels, n_process=n_process, batch_size=batch_size, split=split_mode,
                         on_warning=lambda msg: err_console.print(f"annotate: warning: {msg}", markup=False))
    with atomic_output(output) as out:
        for task in progress(tasks, total=total, description="pre-annotating", enabled=show_bar):
            out.write(dumps_jsonl(task))
            n_tasks += 1
            words += len(task["tokens"])
            per_label.update(s["label"] for s in task["spans"])
            per_theme.update(k for k, v in task["cats"].items() if v >= 0.5)
        if n_tasks == 0:  # raised inside the block: no output file is created
            raise empty_input(sources[0] if sources[0] != "-" else "<stdin>", many=len(sources) > 1)
    elapsed = time.perf_counter() - started
    if not quiet:
        labels_s = ", ".join(f"{k} {v}" for k, v in sorted(per_label.items())) or "none"
        themes_s = ", ".join(f"{k} {v}" for k, v in per_theme.most_common()) or "none"
        where = "stdout" if output == "-" else output
        err_console.print(f"[bold green]✔[/] {n_tasks} tasks, {words} tokens in {elapsed:.1f}s ({words / elapsed if elapsed else 0:,.0f} tokens/s, model loading included) → {where}")
        err_console.print(f"  spans: {labels_s}")
        err_console.print(f"  themes: {themes_s}")
