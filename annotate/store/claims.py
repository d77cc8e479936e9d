"""Task routing for teams (``annotate review --overlap K``): each task goes to K annotators and no more.

A review session with an overlap does not read every pending task: it
*claims* a few at a time (:meth:`Claims.claim_page`), in the ``claim`` table,
inside a write transaction (``BEGIN IMMEDIATE``), so several reviewers on one
database (processes or threads, each with its own connection) never take
the same task beyond K. A task is offered to an annotator when they have not
answered it and fewer than K *other* annotators have answered it (any answer,
ignore included) or hold a live claim on it. Claims live ``ttl`` seconds,
renewed whenever the session claims more or answers; a session that ends
releases its claims (:meth:`Claims.release_claims`), a killed one lets them
expire. With a *share* P below 1 (``--overlap-share``), only a stable draw of
P of the tasks (:func:`in_overlap`, from the task key) goes to K annotators
and the rest to one: agreement is measured on a sample at a lower cost.
Before storing an answer the session renews its claim
(:meth:`Claims.renew_claim`): if the claim expired and the task went to K
others meanwhile, the answer is refused, so no task gets K + 1 answers.

Claims are keyed on the task's 128-bit content key (``task_key``, the
``_task_key`` of a task handed out by the store, :mod:`.keys`), never on the
32-bit ``_task_hash``: two texts whose 32-bit hashes collide are two tasks
here too. The table is created on first use too (``CREATE TABLE IF NOT
EXISTS``); a claim table of an older database (keyed on ``task_hash``) is
dropped and made again on first use (:func:`ensure_claim_table`): claims are
ephemeral (an hour at most), so only the live claims of sessions still running
on the old code are lost, and those sessions' tasks go back to the pool.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any

from ..errors import Errors
from .keys import parse_key
from .schema import _CLAIM_TABLE

CLAIM_TTL = 3600  # seconds a claim lives without being renewed


# other annotators who answered the task or hold a live claim on it (``INDEXED BY``: without statistics SQLite
# takes the covering (dataset_id, annotator, task_key) index and scans every decision of the dataset per task)
_OTHERS = (
    "(SELECT count(*) FROM (SELECT d.annotator FROM decision d INDEXED BY decision_by_task_key"
    " WHERE d.dataset_id = t.dataset_id AND d.task_key = t.task_key AND d.annotator != :me UNION SELECT c.annotator FROM claim c"
    " WHERE c.dataset_id = t.dataset_id AND c.task_key = t.task_key AND c.annotator != :me AND c.expires >= :now))"
)


def ensure_claim_table(c: Any) -> None:
    """Create the claim table if missing; drop a claim table of an older database (keyed on the 32-bit
    ``task_hash``) first: claims are ephemeral, nothing else is kept in it."""
    cols = {row[1] for row in c.execute("PRAGMA table_info(claim)").fetchall()}
    if cols and "task_key" not in cols:
        c.execute("DROP TABLE claim")
    c.execute(_CLAIM_TABLE)


def check_share(share: float) -> float:
    """``share`` as a float above 0 and at most 1 (E705 otherwise)."""
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0.0 < float(share) <= 1.0:
        raise Errors.E705(share=share)
    return float(share)


def in_overlap(task_key: Any, share: float) -> bool:
    """Whether a task is among the ``share`` of tasks that go to K annotators (the others go to one).

    A stable draw from the task key, the same in every process: every reviewer routes alike.
    """
    if share >= 1.0:
        return True
    digest = hashlib.blake2b(str(task_key).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def target(task_key: Any, overlap: int, share: float) -> int:
    """How many annotators the task goes to: ``overlap`` for the overlap share, 1 for the rest."""
    return overlap if in_overlap(task_key, share) else 1


def check_overlap(overlap: int) -> int:
    """``overlap`` as an int of 1 or more (E701 otherwise)."""
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 1:
        raise Errors.E701(overlap=overlap)
    return overlap


class Claims:
    """Claim methods of the :class:`~annotate.store.Store` (mixed in; uses its connection and transactions)."""

    _c: Any
    _write: Any
    _run: Any
    _dataset_id: Any

    def claim_page(
        self, dataset: str, annotator: str, session: str, *, overlap: int, share: float = 1.0, limit: int = 5,
        skip: Iterable[Any] = (), ttl: int = CLAIM_TTL, now: float | None = None,
    ) -> list[tuple[int, dict[str, Any]]]:
        """Claim up to ``limit`` tasks for ``annotator`` (as (row id, task), in load order) and renew this
        session's other claims. Each task carries its key in ``_task_key``, as from
        :meth:`~annotate.store.Store.pending_page`. ``skip``: task keys the session holds already (its queue). ``share``: the
        share of tasks that go to ``overlap`` annotators (:func:`in_overlap`); the others go to one."""
        check_overlap(overlap)
        check_share(share)
        ts = int(time.time() if now is None else now)
        held = set(skip)

        def q() -> list[tuple[int, dict[str, Any]]]:
            with self._write() as c:
                ensure_claim_table(c)
                ds = self._dataset_id(dataset)
                if ds is None:
                    return []
                c.execute("DELETE FROM claim WHERE dataset_id = ? AND expires < ?", (ds, ts))
                c.execute("UPDATE claim SET expires = ? WHERE dataset_id = ? AND annotator = ? AND session = ?",
                          (ts + ttl, ds, annotator, session))
                out: list[tuple[int, dict[str, Any]]] = []
                last = 0
                while len(out) < limit:
                    rows = c.execute(
                        f"SELECT t.id, t.task_key, t.content, {_OTHERS} FROM task t WHERE +t.dataset_id = :ds AND t.id > :after"
                        " AND NOT EXISTS (SELECT 1 FROM decision d WHERE d.dataset_id = t.dataset_id"
                        " AND d.annotator = :me AND d.task_key = t.task_key)"
                        f" AND {_OTHERS} < :k ORDER BY t.id LIMIT :n",
                        {"ds": ds, "after": last, "me": annotator, "now": ts, "k": overlap, "n": 4 * limit},
                    ).fetchall()
                    if not rows:
                        break
                    for row_id, tk, content, others in rows:
                        key = bytes(tk).hex()
                        if key in held or others >= target(key, overlap, share):
                            continue
                        c.execute(
                            "INSERT OR REPLACE INTO claim (dataset_id, task_key, annotator, session, expires)"
                            " VALUES (?, ?, ?, ?, ?)", (ds, bytes(tk), annotator, session, ts + ttl),
                        )
                        held.add(key)
                        task = json.loads(content)
                        if isinstance(task, dict):
                            task["_task_key"] = key
                        out.append((int(row_id), task))
                        if len(out) >= limit:
                            break
                    last = rows[-1][0]
                return out

        return self._run(q)

    def renew_claim(
        self, dataset: str, task_key: Any, annotator: str, session: str, *, overlap: int, share: float = 1.0,
        ttl: int = CLAIM_TTL, now: float | None = None,
    ) -> bool:
        """Hold the task (its ``_task_key``, a 32-character hex string) for this session ``ttl`` seconds more;
        False when it went to enough others (``overlap``, or 1 outside the overlap ``share``) or the key is not
        one the store handed out."""
        check_overlap(overlap)
        check_share(share)
        ts = int(time.time() if now is None else now)
        tk = parse_key(task_key)
        if tk is None:
            return False

        def q() -> bool:
            with self._write() as c:
                ensure_claim_table(c)
                ds = self._dataset_id(dataset)
                if ds is None:
                    return False
                others = c.execute(
                    f"SELECT {_OTHERS} FROM (SELECT :ds AS dataset_id, :tk AS task_key) t",
                    {"ds": ds, "tk": tk, "me": annotator, "now": ts},
                ).fetchone()[0]
                if others >= target(tk.hex(), overlap, share):
                    return False
                c.execute(
                    "INSERT OR REPLACE INTO claim (dataset_id, task_key, annotator, session, expires) VALUES (?, ?, ?, ?, ?)",
                    (ds, tk, annotator, session, ts + ttl),
                )
                return True

        return self._run(q)

    def release_claims(self, dataset: str, annotator: str, session: str) -> int:
        """Drop every claim of this session (its end): the tasks it did not answer go back to the others."""

        def q() -> int:
            with self._write() as c:
                ensure_claim_table(c)
                ds = self._dataset_id(dataset)
                if ds is None:
                    return 0
                cur = c.execute("DELETE FROM claim WHERE dataset_id = ? AND annotator = ? AND session = ?",
                                (ds, annotator, session))
                return int(cur.rowcount)

        return self._run(q)

    def count_claims(self, dataset: str, *, now: float | None = None) -> int:
        """Live claims on the dataset (all annotators)."""
        ts = int(time.time() if now is None else now)

        def q() -> int:
            if not self._c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'claim'").fetchone():
                return 0
            ds = self._dataset_id(dataset)
            if ds is None:
                return 0
            return int(self._c.execute("SELECT count(*) FROM claim WHERE dataset_id = ? AND expires >= ?",
                                       (ds, ts)).fetchone()[0])

        return self._run(q)
