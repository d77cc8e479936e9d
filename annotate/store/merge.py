"""Merge annotation databases (one per annotator, or per machine) into one: ``annotate db merge``.

What is copied, dataset by dataset (matched by name):

* **tasks**, keyed by their ``task_hash`` (an opaque key): a task already in
  the output is left as it is;
* **decisions with their history.** A decision is the same decision in two
  files when its dataset, annotator, session, task key and creation
  timestamp are the same (and, for the rare rows equal on all five, its rank
  among them). A new decision is added with its history. For one already
  there: when the input's current version is in the output's history or
  equal to the output's current one, the output is kept; when the output's
  current version is in the input's history (the input is newer: an undo
  and a new answer after the last merge), the input's version becomes
  current and the replaced one goes to the history; versions that diverged
  (both files edited it) keep the output's current version and add the
  input's versions to its history. Every version ever stored is kept:
  nothing is lost or altered, and merging the same files again stores
  nothing (idempotent).

Task claims (:mod:`.claims`) are not copied: they belong to running sessions.

Inputs are read in a read-only snapshot each; every check (an SQLite file
written by annotate, the same schema version as the output) is made before
anything is written, and the whole merge is one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Errors
from .db import Store
from .schema import _SQLITE_MAGIC, APPLICATION_ID, SCHEMA_VERSION


@dataclass
class MergeResult:
    """What a merge stored: counts over every input (``datasets``: per dataset name)."""

    inputs: int = 0
    datasets_added: int = 0
    tasks_added: int = 0
    decisions_added: int = 0
    decisions_updated: int = 0  # the input held a newer version (the older one kept in the history)
    history_added: int = 0
    diverged: int = 0  # both files changed a decision: the output's version kept, the input's in the history
    datasets: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.datasets_added or self.tasks_added or self.decisions_added or self.decisions_updated
                    or self.history_added)


def _check_input(path: Path, expected_version: int) -> None:
    if not path.exists():
        raise Errors.E317(where=path)
    if path.is_dir():
        raise Errors.E300(where=path)
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as e:
        raise Errors.E301(strerror=e.strerror, where=path) from None
    if head != _SQLITE_MAGIC:
        raise Errors.E302(reason="not an SQLite file" if head else "empty file", where=path)
    conn = _open_ro(path)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise Errors.E302(reason=str(e), where=path) from None
    finally:
        conn.close()
    if app_id != APPLICATION_ID:
        raise Errors.E702(app_id=hex(app_id), expected=hex(APPLICATION_ID), where=path)
    if version != expected_version:
        raise Errors.E703(version=version, expected=expected_version, where=path)


def _open_ro(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as e:
        raise Errors.E301(strerror=str(e), where=path) from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def merge_databases(out: str | Path, inputs: list[str | Path]) -> MergeResult:
    """Merge the databases ``inputs`` into ``out`` (created when missing); see the module docstring.

    Raises AnnotateError: E704 (the output is an input), E317/E300/E302 (an input that is not
    a database), E702 (an SQLite file not written by annotate), E703 (another schema version).
    """
    out_path = Path(out)
    paths = [Path(p) for p in inputs]
    for p in paths:
        if _same_file(p, out_path) or p.resolve() == out_path.resolve():
            raise Errors.E704(where=p)
    version = SCHEMA_VERSION
    if out_path.exists():
        with Store(out_path, create=False) as store:
            version = store._run(lambda: store._c.execute("PRAGMA user_version").fetchone()[0])
    for p in paths:  # every input is checked before the output is created or written
        _check_input(p, version)
    with Store(out_path) as store:
        result = MergeResult(inputs=len(paths))

        def q() -> None:
            with store._write() as c:
                for p in paths:
                    src = _open_ro(p)
                    try:
                        src.execute("BEGIN")  # one consistent snapshot of a file that may be in use
                        _merge_one(c, src, result)
                        src.execute("COMMIT")
                    finally:
                        src.close()

        store._run(q)
    return result


def _merge_one(c: sqlite3.Connection, src: sqlite3.Connection, result: MergeResult) -> None:
    for ds_src, name, created, meta in src.execute("SELECT id, name, created, meta FROM dataset ORDER BY id").fetchall():
        counts = result.datasets.setdefault(name, {"tasks": 0, "decisions": 0, "updated": 0, "history": 0})
        row = c.execute("SELECT id FROM dataset WHERE name = ?", (name,)).fetchone()
        if row is None:
            cur = c.execute("INSERT INTO dataset (name, created, meta) VALUES (?, ?, ?)", (name, created, meta))
            ds = int(cur.lastrowid)
            result.datasets_added += 1
        else:
            ds = int(row[0])
        before = c.total_changes
        # tasks are keyed by their 128-bit task_key (store/keys.py; both files have the same schema version)
        for batch in _pages(src, "SELECT id, task_hash, input_hash, content, task_key, input_key FROM task"
                            " WHERE dataset_id = ? AND id > ? ORDER BY id LIMIT 500", ds_src):
            c.executemany("INSERT OR IGNORE INTO task (dataset_id, task_hash, input_hash, content, task_key, input_key)"
                          " VALUES (?, ?, ?, ?, ?, ?)",
                          [(ds, th, ih, content, tk, ik) for _, th, ih, content, tk, ik in batch])
        n = c.total_changes - before
        result.tasks_added += n
        counts["tasks"] += n
        _merge_decisions(c, src, ds_src, ds, result, counts)


def _pages(src: sqlite3.Connection, sql: str, ds: int) -> Any:
    last = 0
    while True:
        rows = src.execute(sql, (ds, last)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _history(conn: sqlite3.Connection, decision_id: int) -> list[tuple[int, str, float, str]]:
    return [(int(r[0]), r[1], float(r[2]), r[3]) for r in conn.execute(
        "SELECT replaced_at, answer, seconds, content FROM decision_history WHERE decision_id = ? ORDER BY id",
        (decision_id,),
    ).fetchall()]


def _merge_decisions(c: sqlite3.Connection, src: sqlite3.Connection, ds_src: int, ds: int, result: MergeResult,
                     counts: dict[str, int]) -> None:
    rank: dict[tuple[Any, ...], int] = {}
    sql = ("SELECT id, task_hash, input_hash, answer, annotator, session, timestamp, seconds, content, task_key,"
           " input_key, decision_key FROM decision WHERE dataset_id = ? AND id > ? ORDER BY id LIMIT 500")
    for batch in _pages(src, sql, ds_src):
        for dec_id, th, ih, answer, annotator, session, ts, seconds, content, tk, ik, dk in batch:
            if dk is not None and c.execute("SELECT 1 FROM decision WHERE decision_key = ?", (dk,)).fetchone():
                dk = None  # the output has this very decision already (one identity per decision)
            key = (tk, annotator, session, ts)
            k = rank.get(key, 0)
            rank[key] = k + 1
            same = c.execute(
                "SELECT id, answer, seconds, content FROM decision WHERE dataset_id = ? AND annotator = ?"
                " AND task_key = ? AND session = ? AND timestamp = ? ORDER BY id LIMIT 1 OFFSET ?",
                (ds, annotator, tk, session, ts, k),
            ).fetchone()
            src_hist = _history(src, dec_id)
            if same is None:
                cur = c.execute(
                    "INSERT INTO decision (dataset_id, task_hash, input_hash, answer, annotator, session, timestamp,"
                    " seconds, content, task_key, input_key, decision_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (ds, th, ih, answer, annotator, session, ts, seconds, content, tk, ik, dk),
                )
                new_id = int(cur.lastrowid)
                c.executemany(
                    "INSERT INTO decision_history (decision_id, replaced_at, answer, seconds, content) VALUES (?, ?, ?, ?, ?)",
                    [(new_id, *h) for h in src_hist],
                )
                result.decisions_added += 1
                result.history_added += len(src_hist)
                counts["decisions"] += 1
                counts["history"] += len(src_hist)
                continue
            out_id, out_answer, out_seconds, out_content = same
            out_hist = _history(c, out_id)
            current_in = (answer, float(seconds), content)
            current_out = (out_answer, float(out_seconds), out_content)
            add = [h for h in src_hist if h not in set(out_hist)]  # replaced versions the output lacks
            if current_in == current_out or current_in in {h[1:] for h in out_hist}:
                pass  # the output has the input's version (current, or replaced by a newer one)
            elif current_out in {h[1:] for h in src_hist}:
                # the input is newer: its version becomes current; the output's is in the input's history (added)
                c.execute("UPDATE decision SET answer = ?, seconds = ?, content = ?, input_hash = ?, decision_key = ?"
                          " WHERE id = ?", (answer, seconds, content, ih, dk, out_id))
                result.decisions_updated += 1
                counts["updated"] += 1
            else:
                # both files changed this decision: keep the output's, store the input's as a replaced version
                add.append((int(time.time()), *current_in))
                result.diverged += 1
            c.executemany(
                "INSERT INTO decision_history (decision_id, replaced_at, answer, seconds, content) VALUES (?, ?, ?, ?, ?)",
                [(out_id, *h) for h in add],
            )
            result.history_added += len(add)
            counts["history"] += len(add)
