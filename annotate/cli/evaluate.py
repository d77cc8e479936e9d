"""`annotate evaluate`: score the pre-annotator on gold data (one file, many, or folders)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._common import err_console, progress
from .app import app

if TYPE_CHECKING:
    from ..evaluation import PRF, EvalResult, SpanError

DASH = "—"


def _f(x: float | None) -> str:
    return DASH if x is None else f"{x:.3f}"


def _new_table(title: str, first: str) -> Table:
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    t.add_column(first, justify="left", no_wrap=True)
    for col in ("docs", "P", "R", "F1", "TP", "FP", "FN", "P~", "R~", "F1~"):
        t.add_column(col, justify="right", no_wrap=True)
    return t


def _row(t: Table, name: str, exact: "PRF", overlap: "PRF", *, bold: bool = False, docs: bool = True) -> None:
    fp = DASH if exact.recall_only else str(exact.fp)
    cells = [name, str(exact.docs) if docs else "", _f(exact.precision), _f(exact.recall), _f(exact.f1), str(exact.tp), fp, str(exact.fn),
             _f(overlap.precision), _f(overlap.recall), _f(overlap.f1)]
    cells = [escape(c) for c in cells]
    if bold:
        cells = [f"[bold]{c}[/]" for c in cells]
    t.add_row(*cells)


LEGEND = (
    "P R F1 TP FP FN: exact match (start, end and label, or an alt's start and end).\n"
    "P~ R~ F1~: overlap (same label, at least one shared character, one to one).\n"
    f"docs: records that score the label; {DASH}: recall only (precision not defined)."
)


def display_names(result: "EvalResult") -> dict[str, str]:
    """Short row names: the file names without .jsonl when they are unique, else the paths as given."""
    paths = [f.name for f in result.files]
    stems = [Path(p).name.removesuffix(".jsonl") for p in paths]
    if len(set(stems)) == len(stems):
        return dict(zip(paths, stems))
    return {p: p for p in paths}


def _labels_of(result: "EvalResult") -> list[str]:
    return list(dict.fromkeys([*result.exact.labels, *result.exact.recall_only]))


def _single_file_tables(result: "EvalResult") -> list[Table]:
    t = _new_table("Entities", "")
    for label, prf in result.exact.labels.items():
        _row(t, label, prf, result.overlap.labels[label])
    for label, prf in result.exact.recall_only.items():
        _row(t, f"{label} (recall only)", prf, result.overlap.recall_only[label])
    if result.exact.labels:
        _row(t, "micro", result.exact.micro, result.overlap.micro, bold=True, docs=False)
    return [t]


def _per_label_tables(result: "EvalResult") -> list[Table]:
    names = display_names(result)
    tables = []
    for label in _labels_of(result):
        t = _new_table(label, "file")
        for mode, attr in (("full", "labels"), ("recall_only", "recall_only")):
            for f in result.files:
                ex = getattr(f.exact, attr).get(label)
                if ex is not None and ex.docs:
                    _row(t, names[f.name], ex, getattr(f.overlap, attr)[label])
        for mode, attr in (("full", "labels"), ("recall_only", "recall_only")):
            ex = getattr(result.exact, attr).get(label)
            if ex is not None and ex.docs:
                _row(t, "total" if mode == "full" else "total (recall)", ex, getattr(result.overlap, attr)[label], bold=True)
        tables.append(t)
    if result.exact.labels:
        t = _new_table("Entities, micro (completely scored labels)", "file")
        for f in result.files:
            if f.exact.labels:
                _row(t, names[f.name], f.exact.micro, f.overlap.micro, docs=False)
        _row(t, "total", result.exact.micro, result.overlap.micro, bold=True, docs=False)
        tables.append(t)
    return tables


def _themes_table(result: "EvalResult") -> Table:
    t = Table(title=f"Themes ({result.n_theme_docs} records with cats)", title_justify="left",
              box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for col in ("", "P", "R", "F1", "TP", "FP", "FN"):
        t.add_column(col, justify="right" if col else "left", no_wrap=True)
    for name, prf in result.themes.items():
        t.add_row(name, _f(prf.precision), _f(prf.recall), _f(prf.f1), str(prf.tp), str(prf.fp), str(prf.fn))
    micro = result.themes_micro
    t.add_row("[bold]micro[/]", _f(micro.precision), _f(micro.recall), f"[bold]{_f(micro.f1)}[/]", str(micro.tp), str(micro.fp), str(micro.fn))
    return t


def _span(s: dict | None) -> str:
    return f"{s['label']} {s.get('text', '')!r} [{s['start']}:{s['end']}]" if s else "-"


def _print_errors(result: "EvalResult", names: dict[str, str] | None, console: Console) -> None:
    console.print("[bold]Span errors (exact match), by label and kind[/]")
    counts = result.error_counts()
    if not counts:
        console.print("  none")
    by: dict[tuple[str, str], list[SpanError]] = {}
    for e in result.errors:
        by.setdefault((e.label, e.kind), []).append(e)
    from ..evaluation import ERROR_KINDS

    for label in [*_labels_of(result), *sorted(set(counts) - set(_labels_of(result)))]:
        if label not in counts:
            continue
        summary = ", ".join(f"{k} {counts[label][k]}" for k in ERROR_KINDS)
        console.print(f"[bold]{label}[/]: {summary}")
        for kind in ERROR_KINDS:
            errs = by.get((label, kind), [])
            if not errs:
                continue
            console.print(f"  {kind} ({len(errs)})", markup=False)
            for e in errs:
                where = f"{names[e.file]}  " if names and e.file in names else ""
                console.print(f"    {where}{e.doc:<12} gold: {_span(e.gold)}  pred: {_span(e.pred)}", markup=False)
    if result.theme_errors:
        console.print("[bold]Theme errors[/]")
        for t in result.theme_errors:
            where = f"{names[t['file']]}  " if names and t.get("file") in names else ""
            console.print(f"  {where}{t['doc']:<12} {t['kind']:<9} {t['theme']:<15} score {t['score']}", markup=False)


def print_report(result: "EvalResult", *, errors: bool, console: Console) -> None:
    n_files = len(result.files)
    console.print(f"{result.n_docs} documents" + (f" in {n_files} files" if n_files > 1 else ""))
    tables = _single_file_tables(result) if n_files <= 1 else _per_label_tables(result)
    for t in tables:
        console.print(t)
    console.print(LEGEND, style="dim")
    if result.n_theme_docs:
        console.print(_themes_table(result))
    if errors:
        _print_errors(result, display_names(result) if n_files > 1 else None, console)


@app.command("evaluate")
def evaluate_command(
    gold: Annotated[list[str], typer.Argument(help="Gold JSONL files or folders of them (- for stdin): text, spans, optional labels, recall_only, alt, cats, lang.")],
    errors: Annotated[bool, typer.Option("--errors", "-e", help="List every error of exact matching, by label and kind: missed, spurious, boundary, label.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print everything as JSON on stdout: totals, per-file scores, errors.")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="Force the language (default: the record's lang field, else detected).")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="French spaCy pipeline to use, or a model folder written by annotate train (its NER and textcat beside the rules, per labels/model_policy.toml).")] = None,
    model_en: Annotated[Optional[str], typer.Option("--model-en", help="English spaCy pipeline.")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Labels folder.")] = None,
    n_process: Annotated[int, typer.Option("--n-process", "-n", help="Worker processes for pre-annotation (-1: one per core).")] = 1,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Texts per batch.")] = 64,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Score the pre-annotator on gold JSONL: precision, recall and F1 per label (exact and overlap) and per theme.

    Several files or folders give a row per file and a total per label. A
    record's "labels" lists the labels it annotates completely (other labels
    are not scored there), "recall_only" the labels scored for recall only; a
    span's "alt" lists other offsets that also count. Themes are scored on
    records with "cats".

    Example:

        annotate evaluate seeds/gold/dev.jsonl --errors

        annotate evaluate gold/external/ gold/dev.jsonl --json > scores.json
    """
    from ..evaluation import collect, iter_gold_records, predict, read_gold, score
    from ..labels import load_labels

    lab = load_labels(labels)
    files = read_gold(gold, lab)
    records = list(iter_gold_records(files))
    predicted = predict(records, lang=lang, model=model, model_en=model_en, labels=labels, n_process=n_process, batch_size=batch_size,
                        on_warning=lambda msg: err_console.print(f"annotate: warning: {msg}", markup=False))
    predicted = progress(predicted, total=len(records), description="pre-annotating", enabled=not quiet)
    result = score(files, collect(records, predicted), lab)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        return
    out = Console(highlight=False, soft_wrap=True)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(highlight=False, soft_wrap=True, width=160)  # a file or a pipe: never cut a table at 80 columns
    print_report(result, errors=errors, console=out)
