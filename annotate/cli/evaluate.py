"""`annotate evaluate`: score the pre-annotator on gold data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..evaluate import EvalResult
from .app import app


def _table(title: str, rows: dict, micro) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("", "P", "R", "F1", "TP", "FP", "FN"):
        t.add_column(col, justify="right" if col else "left")
    for name, prf in rows.items():
        t.add_row(name, f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}", str(prf.tp), str(prf.fp), str(prf.fn))
    t.add_row("[bold]micro[/]", f"{micro.precision:.3f}", f"{micro.recall:.3f}", f"[bold]{micro.f1:.3f}[/]", str(micro.tp), str(micro.fp), str(micro.fn))
    return t


def print_report(result: "EvalResult", *, errors: bool, console: Console) -> None:
    console.print(f"{result.n_docs} documents")
    console.print(_table("Entities (exact start, end, label)", result.labels, result.entities_micro))
    console.print(_table("Themes", result.themes, result.themes_micro))
    if errors:
        console.print("[bold]Span errors[/]")
        for e in result.errors:
            g = f"{e.gold['label']} {e.gold['text']!r} [{e.gold['start']}:{e.gold['end']}]" if e.gold else "-"
            p = f"{e.pred['label']} {e.pred['text']!r} [{e.pred['start']}:{e.pred['end']}]" if e.pred else "-"
            console.print(f"  {e.doc:<12} {e.kind:<9} gold: {g}  pred: {p}", markup=False)
        console.print("[bold]Theme errors[/]")
        for t in result.theme_errors:
            console.print(f"  {t['doc']:<12} {t['kind']:<9} {t['theme']:<15} score {t['score']}", markup=False)


@app.command("evaluate")
def evaluate_command(
    gold: Annotated[Path, typer.Argument(help="Gold JSONL: text, spans (start, end, label), cats, optional lang.")],
    errors: Annotated[bool, typer.Option("--errors", "-e", help="List every missed, spurious and wrong-boundary span.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON on stdout.")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="Force the language (default: the record's lang field, else detected).")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="French spaCy pipeline to use.")] = None,
    model_en: Annotated[Optional[str], typer.Option("--model-en", help="English spaCy pipeline.")] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Labels folder.")] = None,
) -> None:
    """Score the pre-annotator on gold JSONL: precision, recall and F1 per label and per theme.

    Spans count only on an exact match of start, end and label.

    Example:

        annotate evaluate seeds/gold/dev.jsonl --errors

        annotate evaluate seeds/gold/dev.jsonl --json > scores.json
    """
    from ..evaluate import evaluate

    result = evaluate(gold, lang=lang, model=model, model_en=model_en, labels=labels)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        return
    print_report(result, errors=errors, console=Console(highlight=False, soft_wrap=True))
