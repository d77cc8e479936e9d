"""`annotate db list|stats|drop|merge`: look after the annotation database."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ..store import Store
from ._common import DbOpt
from .app import app

db_app = typer.Typer(
    name="db", no_args_is_help=True, help="List, inspect, drop and merge datasets in annotation databases.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(db_app, name="db")


def _open(db: Path | None, *, must_exist: bool = True) -> Store:
    return Store(db, create=not must_exist)  # None: $ANNOTATE_DB, else ./annotate.db


@db_app.command("list")
def list_command(
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the datasets with their counts of tasks, decisions and annotators.

    Example:

        annotate db list --db annotate.db
    """
    with _open(db) as store:
        rows = store.summary()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, sort_keys=True))
        return
    if not rows:
        print("no dataset")
        return
    width = max(len("dataset"), *(len(r["name"]) for r in rows))
    print(f"{'dataset':<{width}}  {'tasks':>8}  {'decisions':>9}  {'annotators':>10}  created")
    for r in rows:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created"]))
        print(f"{r['name']:<{width}}  {r['tasks']:>8}  {r['decisions']:>9}  {r['annotators']:>10}  {created}")


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def format_stats(st: dict[str, Any]) -> str:
    out = [f"dataset {st['dataset']}: {_n(st['tasks'], 'task')}, {_n(st['decisions'], 'decision')}, "
           f"{_n(st['sessions'], 'session')}, {st['seconds']:.0f} s spent"]
    out.append("answers: " + ", ".join(f"{k} {v}" for k, v in st["answers"].items()))
    if st["labels"]:
        out.append("spans (in accepted tasks):")
        for k, v in st["labels"].items():
            out.append(f"  {k:<16} {v['accept']:>7} kept  {v['reject']:>7} rejected")
    if st["themes"]:
        out.append("themes (in accepted tasks with reviewed themes):")
        for k, v in st["themes"].items():
            out.append(f"  {k:<16} {v['accept']:>7} on  {v['proposed']:>7} proposed  {v['reject']:>7} turned off  {v['added']:>7} added")
    if st["annotators"]:
        out.append("annotators:")
        for k, v in st["annotators"].items():
            out.append(f"  {k:<16} {v['accept']:>7} accept  {v['reject']:>7} reject  {v['ignore']:>7} ignore  {v['seconds']:>9.0f} s")
    if st.get("unreadable"):
        out.append(f"{_n(st['unreadable'], 'stored decision')} not a JSON object (damaged rows, counted above, not read)")
    return "\n".join(out)


@db_app.command("stats")
def stats_command(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Counts per answer, label, theme and annotator for one dataset.

    Example:

        annotate db stats news
    """
    with _open(db) as store:
        st = store.stats(dataset)
    print(json.dumps(st, ensure_ascii=False, sort_keys=True) if as_json else format_stats(st))


@db_app.command("drop")
def drop_command(
    dataset: Annotated[str, typer.Argument(help="Dataset name.")],
    db: DbOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a dataset with its tasks and decisions (asks to confirm).

    Example:

        annotate db drop news --yes
    """
    with _open(db) as store:
        if not store.has_dataset(dataset):
            store.drop(dataset)  # raises the 'no dataset' error with a did-you-mean
        n_tasks, n_dec = store.count_tasks(dataset), store.count_decisions(dataset)
        if not yes:
            typer.confirm(f"Drop dataset {dataset!r} ({n_tasks} tasks, {n_dec} decisions)?", abort=True, err=True)
        store.drop(dataset)
    print(f"dropped {dataset} ({n_tasks} tasks, {n_dec} decisions)", file=sys.stderr)


@db_app.command("merge")
def merge_command(
    out: Annotated[Path, typer.Argument(help="The database to merge into (created when missing).", show_default=False)],
    inputs: Annotated[list[Path], typer.Argument(help="Databases to merge in, e.g. one per annotator.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Merge per-annotator databases into one: datasets, tasks, decisions with their history.

    Datasets are matched by name, tasks by their key, decisions by dataset,
    annotator, session, task and time. No version of a decision is lost: a
    newer input version becomes current with the older one in the history,
    and a decision changed in both files keeps the output's version and adds
    the input's to its history. Merging the same files again stores nothing.
    Every input must be an annotate database of the same schema version.

    Example:

        annotate db merge team.db alice.db bob.db carol.db
        annotate agreement news --db team.db
    """
    from ..store.merge import merge_databases

    res = merge_databases(out, list(inputs))
    if as_json:
        print(json.dumps({k: v for k, v in vars(res).items()}, ensure_ascii=False, sort_keys=True))
        return
    extra = f", {res.decisions_updated} updated to a newer version" if res.decisions_updated else ""
    extra += f", {res.diverged} changed in both (input's version kept in the history)" if res.diverged else ""
    print(f"merged {_n(res.inputs, 'database')} into {out}: {_n(res.datasets_added, 'new dataset')}, "
          f"{_n(res.tasks_added, 'new task')}, {_n(res.decisions_added, 'new decision')}{extra}, "
          f"{res.history_added} history version(s)" + ("" if res.changed else " (nothing new)"), file=sys.stderr)
