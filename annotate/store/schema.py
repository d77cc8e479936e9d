"""Database schema, constants and the record helpers the store is built on."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import Errors
from ..tasks import set_hashes
from .keys import STORE_KEYS


DEFAULT_DB = "annotate.db"
ENV_DB = "ANNOTATE_DB"
# PRAGMA application_id marks the file as ours ("ANNO" in ASCII).
APPLICATION_ID = 0x414E4E4F
# 1: tasks keyed on the 32-bit _task_hash; 2: on 128-bit content keys (keys.py), decisions with an identity
SCHEMA_VERSION = 2
ANSWERS = ("accept", "reject", "ignore")
# keys that describe a decision rather than the task; stored in columns, added back on read
DECISION_KEYS = ("answer", "_annotator_id", "_session_id", "_timestamp", "_seconds", "_decision_id")
_BATCH = 500
# the largest task (its JSON, in bytes) the store takes: SQLite's own limit is 1e9 bytes per value, and a
# review decision holds the task again; past this a task is refused with E904 before anything is written
MAX_TASK_BYTES = 200_000_000
_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dataset (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS task (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
    task_hash INTEGER NOT NULL,
    input_hash INTEGER NOT NULL,
    content TEXT NOT NULL,
    task_key BLOB NOT NULL,
    input_key BLOB NOT NULL,
    UNIQUE (dataset_id, task_key)
);
CREATE INDEX IF NOT EXISTS task_by_input ON task (dataset_id, input_key, task_hash);
CREATE TABLE IF NOT EXISTS decision (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
    task_hash INTEGER NOT NULL,
    input_hash INTEGER NOT NULL,
    answer TEXT NOT NULL CHECK (answer IN ('accept', 'reject', 'ignore')),
    annotator TEXT NOT NULL,
    session TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    seconds REAL NOT NULL DEFAULT 0,
    content TEXT NOT NULL,
    task_key BLOB,
    input_key BLOB,
    decision_key BLOB
);
CREATE INDEX IF NOT EXISTS decision_by_annotator ON decision (dataset_id, annotator, task_hash);
CREATE INDEX IF NOT EXISTS decision_by_task ON decision (dataset_id, task_hash);
CREATE INDEX IF NOT EXISTS decision_by_annotator_key ON decision (dataset_id, annotator, task_key);
CREATE INDEX IF NOT EXISTS decision_by_task_key ON decision (dataset_id, task_key);
CREATE UNIQUE INDEX IF NOT EXISTS decision_identity ON decision (decision_key);
CREATE TABLE IF NOT EXISTS decision_history (
    id INTEGER PRIMARY KEY,
    decision_id INTEGER NOT NULL,
    replaced_at INTEGER NOT NULL,
    answer TEXT NOT NULL,
    seconds REAL NOT NULL,
    content TEXT NOT NULL
);
"""
# task routing (annotate review --overlap K, store/claims.py): who holds which task (its 128-bit task_key), until
# when; also created on first use, so databases made before this table work unchanged (an older claim table keyed on
# the 32-bit task_hash is dropped and made again on first use: claims are ephemeral, claims.ensure_claim_table)
_CLAIM_TABLE = """
CREATE TABLE IF NOT EXISTS claim (
    dataset_id INTEGER NOT NULL,
    task_key BLOB NOT NULL,
    annotator TEXT NOT NULL,
    session TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, task_key, annotator)
)
"""
_SCHEMA += _CLAIM_TABLE + ";\n"


def default_db_path() -> Path:
    """``$ANNOTATE_DB`` when set, else ``./annotate.db``."""
    env = os.environ.get(ENV_DB)
    return Path(env) if env else Path(DEFAULT_DB)


def _dumps(task: dict[str, Any]) -> str:
    return json.dumps(task, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _task_content(task: dict[str, Any]) -> dict[str, Any]:
    """The task without the decision keys and the store's keys, with its hashes (computed when missing)."""
    out = {k: v for k, v in task.items() if k not in DECISION_KEYS and k not in STORE_KEYS}
    if "_input_hash" not in out or "_task_hash" not in out:
        set_hashes(out)
    return out


def _hashes(task: dict[str, Any]) -> tuple[int, int]:
    if "_task_hash" not in task or "_input_hash" not in task:
        task = set_hashes(dict(task))
    try:
        return int(task["_input_hash"]), int(task["_task_hash"])
    except (TypeError, ValueError):
        raise Errors.E306(input_hash=task.get('_input_hash'), task_hash=task.get('_task_hash')) from None


def span_accepted(span: dict[str, Any]) -> bool:
    """A reviewed span's state: no ``"answer"`` key counts as accepted."""
    return span.get("answer", "accept") == "accept"



def _check_size(content: str, text: Any) -> None:
    if len(content) * 4 > MAX_TASK_BYTES and len(content.encode("utf-8", "surrogatepass")) > MAX_TASK_BYTES:
        head = text[:40] if isinstance(text, str) else ""
        raise Errors.E904(size=len(content.encode("utf-8", "surrogatepass")), limit=MAX_TASK_BYTES, head=head)


def _decision_dict(row: tuple[Any, ...], *, lenient: bool = False, where: Any = None) -> dict[str, Any]:
    """A stored decision as a dict. A row that is not a JSON object (written by hand or an old bug) is
    E903, or with ``lenient`` (``db stats``) an empty decision marked ``_unreadable``."""
    dec_id, answer, annotator, session, ts, seconds, content = row
    try:
        d = json.loads(content)
    except (ValueError, TypeError, RecursionError):
        d = None
    if not isinstance(d, dict):
        if not lenient:
            raise Errors.E903(decision_id=dec_id, where=where)
        d = {"_unreadable": True}
    d["answer"] = answer
    d["_annotator_id"] = annotator
    d["_session_id"] = session
    d["_timestamp"] = int(ts) if isinstance(ts, int | float) else 0
    d["_seconds"] = float(seconds) if isinstance(seconds, int | float) else 0.0
    d["_decision_id"] = int(dec_id)
    return d


def _check_answer(answer: str) -> None:
    if answer not in ANSWERS:
        raise Errors.E315(answer=answer, fix='use one of ' + ', '.join(ANSWERS))


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip() or any(ch in name for ch in "\n\r\t"):
        raise Errors.E316(name=name)
