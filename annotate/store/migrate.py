"""In-place upgrade of an older database to the current schema, in one transaction.

Version 1 keyed tasks on the 32-bit ``_task_hash`` (``UNIQUE(dataset_id,
task_hash)``) and linked decisions to tasks by it. Version 2 keys them on
128-bit content keys (:mod:`.keys`). The upgrade keeps every row:

* ``task`` is rebuilt with ``task_key`` and ``input_key`` (ids, hashes and
  content unchanged). Two v1 tasks with the same text and spans but different
  imported ``_task_hash`` were two tasks: they stay two (the second key is
  derived from the first and its hash);
* ``decision`` gains ``task_key``, ``input_key`` and ``decision_key``. A
  decision takes the key of the task it answered in v1 (same dataset, same
  ``task_hash``), so what was answered stays answered; a decision without a
  task gets the key of its own content. Exact duplicates (the same decision
  imported twice by v1) are all kept; only the first carries the identity, so
  importing it again adds nothing.

A failure anywhere rolls the whole upgrade back: the file stays version 1.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .keys import decision_key, digest, input_key, task_key

_BATCH = 2000

_TASK_V2 = """
CREATE TABLE task (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
    task_hash INTEGER NOT NULL,
    input_hash INTEGER NOT NULL,
    content TEXT NOT NULL,
    task_key BLOB NOT NULL,
    input_key BLOB NOT NULL,
    UNIQUE (dataset_id, task_key)
)
"""


def _keys_of(content: str) -> tuple[bytes, bytes]:
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # a row that is not a JSON object: keyed on its bytes, so it is kept (and shown as bad by the readers)
        k = digest(["not-json", content])
        return k, k
    ik = input_key(data)
    return task_key(data, ik), ik


def _rows(c: sqlite3.Connection, sql: str) -> Any:
    last = 0
    while True:
        rows = c.execute(sql, (last, _BATCH)).fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def upgrade_v1(c: sqlite3.Connection) -> None:
    """Version 1 -> 2, inside the caller's transaction."""
    c.execute("ALTER TABLE task RENAME TO task_v1")
    c.execute(_TASK_V2)
    by_hash: dict[tuple[int, int], bytes] = {}
    seen: set[tuple[int, bytes]] = set()
    batch: list[tuple[Any, ...]] = []
    for tid, ds, th, ih, content in _rows(
        c, "SELECT id, dataset_id, task_hash, input_hash, content FROM task_v1 WHERE id > ? ORDER BY id LIMIT ?"
    ):
        tk, ik = _keys_of(content)
        if (ds, tk) in seen:
            tk = digest([tk.hex(), th])
        seen.add((ds, tk))
        by_hash[(ds, th)] = tk
        batch.append((tid, ds, th, ih, content, tk, ik))
        if len(batch) >= _BATCH:
            c.executemany("INSERT INTO task VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    c.executemany("INSERT INTO task VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
    seen.clear()
    c.execute("DROP TABLE task_v1")
    for col in ("task_key", "input_key", "decision_key"):
        c.execute(f"ALTER TABLE decision ADD COLUMN {col} BLOB")
    names = dict(c.execute("SELECT id, name FROM dataset").fetchall())
    identities: set[bytes] = set()
    updates: list[tuple[Any, ...]] = []
    for did, ds, th, answer, annotator, ts, content in _rows(
        c,
        "SELECT id, dataset_id, task_hash, answer, annotator, timestamp, content FROM decision"
        " WHERE id > ? ORDER BY id LIMIT ?",
    ):
        own_tk, ik = _keys_of(content)
        tk = by_hash.get((ds, th), own_tk)
        dk: bytes | None = decision_key(str(names.get(ds, ds)), tk, annotator, answer, int(ts), content)
        if dk in identities:
            dk = None
        else:
            identities.add(dk)  # type: ignore[arg-type]
        updates.append((tk, ik, dk, did))
        if len(updates) >= _BATCH:
            c.executemany("UPDATE decision SET task_key = ?, input_key = ?, decision_key = ? WHERE id = ?", updates)
            updates.clear()
    c.executemany("UPDATE decision SET task_key = ?, input_key = ?, decision_key = ? WHERE id = ?", updates)


UPGRADES = {1: upgrade_v1}
