"""The annotation database: tasks to review and reviewers' decisions, in SQLite.

One file (``annotate.db`` in the current folder by default, ``$ANNOTATE_DB``
or an explicit path otherwise) holds named *datasets*. Each dataset has

* **tasks**: the questions to review, keyed by a 128-bit digest of their text
  and spans (:mod:`.keys`; the 32-bit ``_task_hash`` is a field only) so that
  loading the same file again adds nothing and two texts are never one task;
* **decisions**: one row per answered task and annotator, holding the WHOLE
  reviewed task (every span with its ``"answer"``, the accepted themes in
  ``"accept"``), the answer (``accept`` / ``reject`` / ``ignore``), the
  annotator, the session, a timestamp and the seconds spent. Undo replaces a
  decision in place; the replaced version is kept in ``decision_history``.
  A decision has an identity (:func:`.keys.decision_key`): storing the same
  decision twice (an import run again) stores it once.

The database runs in WAL mode with ``synchronous=FULL``; every write is its own
``BEGIN IMMEDIATE`` transaction committed before the call returns, so an
acknowledged decision survives a killed process, and several processes (two
reviewers, an import) can write at once: they wait for each other through
SQLite's busy timeout instead of failing.

Every problem a user can fix (a file that is not an annotate database, a
locked database, an unknown dataset) is an :class:`~annotate.errors.AnnotateError`.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import Errors
from .claims import Claims
from .connection import Connection
from .order import Ordered, with_keys
from .keys import decision_key, input_key, parse_key, task_key
from .schema import _BATCH, ANSWERS, _check_answer, _check_size, _check_name, _decision_dict, _dumps, _hashes, _task_content, span_accepted


class Store(Claims, Ordered, Connection):
    """The SQLite annotation database. Thread-safe; one connection per instance."""


    def _dataset_id(self, name: str, *, create: bool = False) -> int | None:
        row = self._c.execute("SELECT id FROM dataset WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return int(row[0])
        if not create:
            return None
        _check_name(name)
        self._c.execute(
            "INSERT OR IGNORE INTO dataset (name, created) VALUES (?, ?)", (name, int(time.time()))
        )
        row = self._c.execute("SELECT id FROM dataset WHERE name = ?", (name,)).fetchone()
        return int(row[0])

    def _require(self, name: str) -> int:
        ds = self._run(self._dataset_id, name)
        if ds is None:
            from ..labels import did_you_mean

            names = self.datasets()
            fix = did_you_mean(name, names) if names else "the database has no dataset yet; load tasks with annotate review"
            if names and fix.startswith("use one of"):
                fix = "known datasets: " + ", ".join(names)
            raise Errors.E313(name=name, fix=fix, where=self.path)
        return ds

    # ------------------------------------------------------------ datasets

    def require_dataset(self, name: str) -> None:
        """Raise E313 (with a "did you mean") when the database has no dataset ``name``."""
        self._require(name)

    def datasets(self) -> list[str]:
        """Every dataset name, sorted."""
        rows = self._run(lambda: self._c.execute("SELECT name FROM dataset ORDER BY name").fetchall())
        return [r[0] for r in rows]

    def has_dataset(self, name: str) -> bool:
        return self._run(self._dataset_id, name) is not None

    def summary(self) -> list[dict[str, Any]]:
        """One row per dataset: name, created, tasks, decisions, annotators."""

        def q() -> list[dict[str, Any]]:
            out = []
            for ds_id, name, created in self._c.execute("SELECT id, name, created FROM dataset ORDER BY name").fetchall():
                tasks = self._c.execute("SELECT count(*) FROM task WHERE dataset_id = ?", (ds_id,)).fetchone()[0]
                dec = self._c.execute(
                    "SELECT count(*), count(DISTINCT annotator) FROM decision WHERE dataset_id = ?", (ds_id,)
                ).fetchone()
                out.append({"name": name, "created": created, "tasks": tasks, "decisions": dec[0], "annotators": dec[1]})
            return out

        return self._run(q)

    def drop(self, dataset: str) -> None:
        """Delete a dataset with its tasks and decisions."""
        ds = self._require(dataset)

        def q() -> None:
            with self._write() as c:
                c.execute(
                    "DELETE FROM decision_history WHERE decision_id IN (SELECT id FROM decision WHERE dataset_id = ?)",
                    (ds,),
                )
                c.execute("DELETE FROM decision WHERE dataset_id = ?", (ds,))
                c.execute("DELETE FROM task WHERE dataset_id = ?", (ds,))
                if c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'claim'").fetchone():
                    c.execute("DELETE FROM claim WHERE dataset_id = ?", (ds,))  # a new dataset may reuse the id
                c.execute("DELETE FROM dataset WHERE id = ?", (ds,))

        self._run(q)

    # ------------------------------------------------------------ tasks

    def _existing(self, dataset: str) -> int:
        """The dataset's id inside a write; E902 when it was dropped meanwhile (never recreated silently)."""
        ds = self._dataset_id(dataset)
        if ds is None:
            raise Errors.E902(name=dataset, where=self.path)
        return ds

    def add_tasks(self, dataset: str, tasks: Iterable[dict[str, Any]]) -> tuple[int, int]:
        """Store tasks to review; returns (added, duplicates). Commits every few hundred tasks.

        A task is a duplicate when the dataset has one with the same task key
        (same text, same spans). The dataset is created first; when it is
        dropped while the tasks are stored, E902 (it is not recreated).
        """
        added = dups = 0
        batch: list[tuple[int, int, str, bytes, bytes]] = []

        def flush() -> None:
            nonlocal added, dups
            if not batch:
                return

            def q() -> int:
                with self._write() as c:
                    ds = self._existing(dataset)
                    before = c.total_changes
                    c.executemany(
                        "INSERT OR IGNORE INTO task (dataset_id, task_hash, input_hash, content, task_key, input_key)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        [(ds, th, ih, content, tk, ik) for ih, th, content, tk, ik in batch],
                    )
                    return c.total_changes - before

            n = self._run(q)
            added += n
            dups += len(batch) - n
            batch.clear()

        def create() -> None:
            with self._write():
                self._dataset_id(dataset, create=True)

        self._run(create)
        # the input is read outside the lock: it may be slow (pre-annotation)
        for task in tasks:
            content = _task_content(task)
            ih, th = _hashes(content)
            ik = input_key(content)
            dumped = _dumps(content)
            _check_size(dumped, content.get("text"))
            batch.append((ih, th, dumped, task_key(content, ik), ik))
            if len(batch) >= _BATCH:
                flush()
        flush()
        return added, dups

    def count_tasks(self, dataset: str) -> int:
        ds = self._run(self._dataset_id, dataset)
        if ds is None:
            return 0
        return self._run(lambda: self._c.execute("SELECT count(*) FROM task WHERE dataset_id = ?", (ds,)).fetchone()[0])

    def count_pending(self, dataset: str, annotator: str) -> int:
        ds = self._run(self._dataset_id, dataset)
        if ds is None:
            return 0
        return self._run(
            lambda: self._c.execute(
                "SELECT count(*) FROM task t WHERE t.dataset_id = ? AND NOT EXISTS (SELECT 1 FROM decision d"
                " WHERE d.dataset_id = t.dataset_id AND d.annotator = ? AND d.task_key = t.task_key)",
                (ds, annotator),
            ).fetchone()[0]
        )

    # Paged reads walk the rowid from ``after`` (``+dataset_id`` keeps SQLite off the
    # (dataset_id, ...) indexes, which would scan and sort the whole dataset for every
    # page: quadratic on a 100,000-row dataset).

    def pending_page(
        self, dataset: str, annotator: str, *, after: int = 0, limit: int = _BATCH
    ) -> list[tuple[int, dict[str, Any]]]:
        """Up to ``limit`` unanswered tasks stored after row ``after``, as (row id, task), in load order.

        Each task carries its key in ``_task_key`` (an opaque string): a decision
        stored from it (:meth:`add_decision`) answers this task even when the
        reviewer changed its spans.
        """
        ds = self._run(self._dataset_id, dataset)
        if ds is None:
            return []
        rows = self._run(
            lambda: self._c.execute(
                "SELECT t.id, t.content, t.task_key FROM task t WHERE +t.dataset_id = ? AND t.id > ? AND NOT EXISTS"
                " (SELECT 1 FROM decision d WHERE d.dataset_id = t.dataset_id AND d.annotator = ?"
                " AND d.task_key = t.task_key) ORDER BY t.id LIMIT ?",
                (ds, after, annotator, limit),
            ).fetchall()
        )
        return with_keys(rows)

    def pending(self, dataset: str, annotator: str) -> Iterator[dict[str, Any]]:
        """Tasks this annotator has not answered yet, in load order, read in pages.

        Each page is read in its own short transaction, so decisions made while
        iterating are seen: a task answered meanwhile is skipped.
        """
        for _, task in self.pending_with_ids(dataset, annotator):
            yield task

    def pending_with_ids(self, dataset: str, annotator: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """:meth:`pending` as (row id, task) pairs."""
        last = 0
        while True:
            rows = self.pending_page(dataset, annotator, after=last)
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def iter_tasks(self, dataset: str) -> Iterator[dict[str, Any]]:
        """Every stored task of a dataset, in load order."""
        ds = self._run(self._dataset_id, dataset)
        if ds is None:
            return
        last = 0
        while True:
            rows = self._run(
                lambda: self._c.execute(
                    "SELECT id, content FROM task WHERE +dataset_id = ? AND id > ? ORDER BY id LIMIT ?",
                    (ds, last, _BATCH),
                ).fetchall()
            )
            if not rows:
                return
            for _, content in rows:
                yield json.loads(content)
            last = rows[-1][0]

    # ------------------------------------------------------------ decisions

    def _task_key_for(self, ds: int, data: dict[str, Any], given: Any, th: int) -> tuple[bytes, bytes]:
        """(task key, input key) of the task a decision answers.

        The key the task was handed out with (``_task_key``) when given; else
        the stored task of the same text whose ``_task_hash`` is the decision's
        (a decision exported and imported again, its spans reviewed: the
        32-bit hash only tells apart tasks of one text); else the key of the
        decision's own text and spans.
        """
        ik = input_key(data)
        tk = parse_key(given)
        if tk is not None:
            return tk, ik
        rows = self._c.execute(
            "SELECT task_key FROM task WHERE dataset_id = ? AND input_key = ? AND task_hash = ? LIMIT 2", (ds, ik, th)
        ).fetchall()
        if len(rows) == 1:
            return bytes(rows[0][0]), ik
        return task_key(data, ik), ik

    def _insert_decision(
        self, c: Any, ds: int, dataset: str, task: dict[str, Any], answer: str, annotator: str, session: str,
        seconds: float, timestamp: float | None, trust_key: bool,
    ) -> tuple[int, bool]:
        """Insert one decision inside a write; (its id, True) or (the id of the same decision stored before, False)."""
        data = _task_content(task)
        ih, th = _hashes(data)
        content = _dumps(data)
        _check_size(content, data.get("text"))
        tk, ik = self._task_key_for(ds, data, task.get("_task_key") if trust_key else None, th)
        ident_ts = None if timestamp is None else int(timestamp)
        ts = int(time.time()) if ident_ts is None else ident_ts
        # a decision made now (review) is identified by when it was made; an imported record without a
        # timestamp by its content only, so that running the import again finds it
        dk = decision_key(dataset, tk, annotator, answer, ts if trust_key else ident_ts, content)
        cur = c.execute(
            "INSERT OR IGNORE INTO decision (dataset_id, task_hash, input_hash, answer, annotator, session, timestamp,"
            " seconds, content, task_key, input_key, decision_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ds, th, ih, answer, annotator, session, ts, float(seconds), content, tk, ik, dk),
        )
        if cur.rowcount:
            return int(cur.lastrowid), True
        row = c.execute("SELECT id FROM decision WHERE decision_key = ?", (dk,)).fetchone()
        return int(row[0]), False

    def add_decision(
        self,
        dataset: str,
        task: dict[str, Any],
        *,
        answer: str,
        annotator: str,
        session: str,
        seconds: float = 0.0,
        timestamp: float | None = None,
        once: bool = False,
    ) -> int | None:
        """Store one answered task (the whole reviewed task) and commit before returning.

        ``once=True`` (review sessions): when this annotator already answered the
        task, in another session running at the same time, store nothing and
        return None, so a task is never answered twice by one annotator; and
        when the dataset was dropped meanwhile, E902 instead of creating it again.
        Storing the same decision again returns the id of the stored one.
        """
        _check_answer(answer)
        annotator, session = str(annotator), str(session)

        def q() -> int | None:
            with self._write() as c:
                ds = self._existing(dataset) if once else self._dataset_id(dataset, create=True)
                assert ds is not None
                if once:
                    data = _task_content(task)
                    tk, _ = self._task_key_for(ds, data, task.get("_task_key"), _hashes(data)[1])
                    if c.execute(
                        "SELECT 1 FROM decision WHERE dataset_id = ? AND annotator = ? AND task_key = ? LIMIT 1",
                        (ds, annotator, tk),
                    ).fetchone():
                        return None
                return self._insert_decision(c, ds, dataset, task, answer, annotator, session, seconds, timestamp, True)[0]

        return self._run(q)

    def add_decisions(self, dataset: str, records: Iterable[tuple[dict[str, Any], str, str, str, float, float | None]]) -> tuple[int, int]:
        """Store imported decisions ``(task, answer, annotator, session, seconds, timestamp or None)``.

        Returns (added, already stored). Idempotent: a decision already in the
        dataset (same task key, annotator, answer, timestamp as given, content)
        is not stored again, so an import run twice, or run again after it was
        killed, ends with exactly the input's decisions. Commits every few
        hundred (wrap it in :meth:`transaction` for all or nothing). A
        ``_task_key`` in a record is ignored (it is not ours).
        """
        added = dups = 0
        batch: list[tuple[dict[str, Any], str, str, str, float, float | None]] = []

        def flush() -> None:
            nonlocal added, dups

            def q() -> tuple[int, int]:
                a = 0
                with self._write() as c:
                    ds = self._existing(dataset)
                    for task, answer, annotator, session, seconds, ts in batch:
                        a += self._insert_decision(c, ds, dataset, task, answer, annotator, session, seconds, ts, False)[1]
                return a, len(batch) - a

            if batch:
                a, d = self._run(q)
                added += a
                dups += d
                batch.clear()

        def create() -> None:
            with self._write():
                self._dataset_id(dataset, create=True)

        self._run(create)
        for rec in records:
            _check_answer(rec[1])
            batch.append(rec)
            if len(batch) >= _BATCH:
                flush()
        flush()
        return added, dups

    def replace_decision(self, decision_id: int, task: dict[str, Any], *, answer: str, seconds: float = 0.0) -> None:
        """Replace a stored decision (undo then answer again); the old version goes to the history.

        The decision keeps its task key (it answers the same task).
        """
        _check_answer(answer)
        data = _task_content(task)
        ih, th = _hashes(data)
        content = _dumps(data)

        def q() -> None:
            with self._write() as c:
                row = c.execute(
                    "SELECT d.answer, d.seconds, d.content, d.task_key, d.annotator, d.timestamp, ds.name FROM decision d"
                    " JOIN dataset ds ON ds.id = d.dataset_id WHERE d.id = ?",
                    (decision_id,),
                ).fetchone()
                if row is None:
                    raise Errors.E314(decision_id=decision_id, where=self.path)
                c.execute(
                    "INSERT INTO decision_history (decision_id, replaced_at, answer, seconds, content) VALUES (?, ?, ?, ?, ?)",
                    (decision_id, int(time.time()), row[0], row[1], row[2]),
                )
                tk = bytes(row[3]) if row[3] is not None else task_key(data)
                dk = decision_key(row[6], tk, row[4], answer, int(row[5]), content)
                if c.execute("SELECT 1 FROM decision WHERE decision_key = ? AND id != ?", (dk, decision_id)).fetchone():
                    dk = None  # the same as another stored decision: keep both rows, one identity
                c.execute(
                    "UPDATE decision SET answer = ?, seconds = ?, content = ?, task_hash = ?, input_hash = ?,"
                    " decision_key = ? WHERE id = ?",
                    (answer, float(seconds), content, th, ih, dk, decision_id),
                )

        self._run(q)

    def get_decision(self, decision_id: int) -> dict[str, Any] | None:
        row = self._run(
            lambda: self._c.execute(
                "SELECT id, answer, annotator, session, timestamp, seconds, content FROM decision WHERE id = ?",
                (decision_id,),
            ).fetchone()
        )
        return None if row is None else _decision_dict(row, where=self.path)

    def last_decision(self, dataset: str, annotator: str, *, before: int | None = None) -> dict[str, Any] | None:
        """This annotator's latest decision in ``dataset`` (with an id below ``before``), or None."""
        ds = self._run(self._dataset_id, dataset)
        if ds is None:
            return None
        row = self._run(
            lambda: self._c.execute(
                "SELECT id, answer, annotator, session, timestamp, seconds, content FROM decision"
                " WHERE dataset_id = ? AND annotator = ? AND id < ? ORDER BY id DESC LIMIT 1",
                (ds, annotator, before if before is not None else 2**63 - 1),
            ).fetchone()
        )
        return None if row is None else _decision_dict(row, where=self.path)

    def iter_decisions(
        self, dataset: str, *, annotator: str | None = None, lenient: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Every current decision, in the order made, read in pages (never all in memory).

        A row that is not a JSON object is E903; ``lenient=True`` yields it as ``{"_unreadable": True, ...}``.
        """
        ds = self._run(self._dataset_id, dataset)
        if ds is None:
            return
        last = 0
        sql = (
            "SELECT id, answer, annotator, session, timestamp, seconds, content FROM decision"
            " WHERE +dataset_id = ? AND id > ?"
        )
        params: tuple[Any, ...]
        if annotator is not None:
            sql += " AND annotator = ?"
        sql += " ORDER BY id LIMIT ?"
        while True:
            params = (ds, last, annotator, _BATCH) if annotator is not None else (ds, last, _BATCH)
            rows = self._run(lambda: self._c.execute(sql, params).fetchall())
            if not rows:
                return
            for row in rows:
                yield _decision_dict(row, lenient=lenient, where=self.path)
            last = rows[-1][0]

    def count_decisions(self, dataset: str) -> int:
        ds = self._run(self._dataset_id, dataset)
        if ds is None:
            return 0
        return self._run(
            lambda: self._c.execute("SELECT count(*) FROM decision WHERE dataset_id = ?", (ds,)).fetchone()[0]
        )

    def answered_hashes(self, dataset: str, annotator: str) -> set[str]:
        """The key (an opaque string, as in a pending task's ``_task_key``) of every task this annotator answered."""
        ds = self._run(self._dataset_id, dataset)
        if ds is None:
            return set()
        rows = self._run(
            lambda: self._c.execute(
                "SELECT DISTINCT task_key FROM decision WHERE dataset_id = ? AND annotator = ?", (ds, annotator)
            ).fetchall()
        )
        return {bytes(r[0]).hex() for r in rows if r[0] is not None}

    def answer_counts(self, dataset: str, annotator: str | None = None) -> dict[str, int]:
        ds = self._run(self._dataset_id, dataset)
        out = dict.fromkeys(ANSWERS, 0)
        if ds is None:
            return out
        sql = "SELECT answer, count(*) FROM decision WHERE dataset_id = ?"
        params: tuple[Any, ...] = (ds,)
        if annotator is not None:
            sql += " AND annotator = ?"
            params = (ds, annotator)
        for a, n in self._run(lambda: self._c.execute(sql + " GROUP BY answer", params).fetchall()):
            out[a] = n
        return out

    # ------------------------------------------------------------ statistics

    def stats(self, dataset: str) -> dict[str, Any]:
        """Counts per answer, label, theme and annotator.

        ``labels[L]`` counts the spans of accepted decisions: ``accept`` (kept)
        and ``reject`` (rejected by the reviewer). ``themes[T]`` counts over
        accepted decisions whose themes were reviewed: ``accept`` (in the
        task's ``accept`` list), ``proposed`` (score >= 0.5), ``reject``
        (proposed, not accepted) and ``added`` (accepted, not proposed).
        """
        ds = self._require(dataset)
        answers: Counter[str] = Counter(dict.fromkeys(ANSWERS, 0))
        labels: dict[str, Counter[str]] = defaultdict(Counter)
        themes: dict[str, Counter[str]] = defaultdict(Counter)
        annotators: dict[str, dict[str, Any]] = {}
        sessions: set[str] = set()
        seconds = 0.0
        n = 0
        unreadable = 0
        for d in self.iter_decisions(dataset, lenient=True):
            n += 1
            unreadable += bool(d.get("_unreadable"))
            a = d["answer"]
            answers[a] += 1
            who = annotators.setdefault(d["_annotator_id"], {"accept": 0, "reject": 0, "ignore": 0, "seconds": 0.0})
            who[a] += 1
            who["seconds"] = round(who["seconds"] + float(d.get("_seconds") or 0.0), 3)
            seconds += float(d.get("_seconds") or 0.0)
            sessions.add(d["_session_id"])
            if a != "accept":
                continue
            # rows stored by older versions may hold anything: render odd values, never fail on them
            spans = d.get("spans")
            for s in spans if isinstance(spans, list) else []:
                if isinstance(s, dict):
                    labels[_name(s.get("label"))]["accept" if span_accepted(s) else "reject"] += 1
            if isinstance(d.get("accept"), list):
                accepted = {_name(t) for t in d["accept"]}
                cats = d.get("cats") if isinstance(d.get("cats"), dict) else {}
                proposed = {k for k, v in cats.items() if isinstance(v, int | float) and not isinstance(v, bool) and v >= 0.5}
                for t in sorted(set(cats) | accepted):
                    c = themes[t]
                    c["accept"] += t in accepted
                    c["proposed"] += t in proposed
                    c["reject"] += t in proposed and t not in accepted
                    c["added"] += t in accepted and t not in proposed
        tasks = self._run(lambda: self._c.execute("SELECT count(*) FROM task WHERE dataset_id = ?", (ds,)).fetchone()[0])
        out: dict[str, Any] = {
            "dataset": dataset,
            "tasks": tasks,
            "decisions": n,
            "sessions": len(sessions),
            "seconds": round(seconds, 3),
            "answers": dict(answers),
            "labels": {k: {"accept": v["accept"], "reject": v["reject"]} for k, v in sorted(labels.items())},
            "themes": {
                k: {x: v[x] for x in ("accept", "proposed", "reject", "added")} for k, v in sorted(themes.items())
            },
            "annotators": dict(sorted(annotators.items())),
        }
        if unreadable:  # decisions whose stored task is not a JSON object: counted, not shown
            out["unreadable"] = unreadable
        return out

    # ------------------------------------------------------------ maintenance

    def integrity_check(self) -> str:
        return self._run(lambda: self._c.execute("PRAGMA integrity_check").fetchone()[0])


def _name(v: Any) -> str:
    """A label or theme as ``db stats`` shows it: a string as it is, anything else (an old bad row) as JSON."""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
