"""Helpers shared by CLI commands: options declared once, stderr console, progress bars."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

T = TypeVar("T")

# --db for every command that opens the annotation database (None: $ANNOTATE_DB, else ./annotate.db, as the store
# resolves it)
DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help="Annotation database (default: $ANNOTATE_DB or ./annotate.db).", show_default=False),
]


def choices(enum: type[Enum]) -> str:
    """``<a|b|c>``: the metavar of an Enum option (typer's own form). Such an option takes the library's own
    ``parser=`` (e.g. ``parse_resolve``), which raises its coded one-line usage error for an unknown value."""
    return "<" + "|".join(str(m.value) for m in enum) + ">"


err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def progress(items: Iterable[T], *, total: int | None, description: str, enabled: bool = True) -> Iterator[T]:
    """A progress bar on stderr (only when stderr is a terminal and ``enabled``)."""
    if not enabled or not sys.stderr.isatty():
        yield from items
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)
