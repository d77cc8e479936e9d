"""`annotate bench`: speed and memory of pre-annotation, review, store and export next to their baselines."""

from __future__ import annotations

import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import err_console
from .app import app


class BenchSize(str, Enum):
    tiny = "tiny"
    small = "small"
    full = "full"


@app.command("bench")
def bench_command(
    size: Annotated[BenchSize, typer.Option("--size", "-s", help="tiny (under a minute, a smoke test), small (a few minutes) or full (about 15 minutes on 2 cores; the README table).")] = BenchSize.small,
    json_path: Annotated[Path, typer.Option("--json", help="Where to write the figures as JSON.")] = Path("exports/bench.json"),
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Run only these figures (repeatable): pre, pre_n_process, rules_share, pre_memory, review, store, export.", show_default=False)] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Also print the table as Markdown (for the README).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Benchmark every job against its baseline, measured in the same run; print a table and write JSON.

    Builds its own corpus from seeds/ (repeated and varied), runs each figure
    and its baseline alternately and quotes medians; peak memory is measured
    in child processes. Reports targets as met or missed; asserts nothing.

    Example:

        annotate bench --size tiny

        annotate bench --size full --json exports/bench-full.json --markdown
    """
    from rich.table import Table

    from ..bench import markdown_table, run_bench, table_rows, write_json

    started = time.perf_counter()

    def progress(msg: str) -> None:
        if not quiet:
            err_console.print(f"bench {time.perf_counter() - started:6.1f}s  {msg}", markup=False, highlight=False)

    result = run_bench(size.value, only=only, progress=progress)
    out = write_json(result, json_path)
    m = result.machine
    table = Table(title=f"annotate bench --size {result.size}: medians; {m['cpu']}, {m['cores']} cores, Python {m['python']}, spaCy {m['spacy']}")
    for col in ("figure", "ours", "baseline (same run)", "ratio", "target", ""):
        table.add_column(col, justify="right" if col in ("ours", "ratio") else "left", overflow="fold")
    for row in table_rows(result):
        style = "red" if row[5] == "MISSED" else None
        table.add_row(*row, style=style)
    from rich.console import Console

    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)
    for f in result.figures:
        if f.note:
            print(f"  {f.name}: {f.note}")
    for n in result.notes:
        print(f"  note: {n}")
    if markdown:
        print()
        print(markdown_table(result))
    err_console.print(f"figures written to {out} ({result.seconds:.0f} s)", markup=False)
