"""Paged reads for the review screen's task browser: every task of a dataset with one annotator's answer.

Nothing here loads a dataset: :class:`TaskBrowser` counts the tasks a filter keeps and reads one page of rows
at a time (``LIMIT``; the next page after a known row by keyset on the task's rowid, any other page by
``OFFSET``), each row with a short text, the labels of its spans and the answer. A row's spans are those of
the annotator's decision when there is one, else those of the pre-annotation.

Filters: the annotator's state (``pending``, ``answered``, or one answer), a label, a piece of the text
(case-insensitive for ASCII letters, as SQL ``LIKE``) and another annotator (``answered_by``: the tasks that
annotator has a decision on; :func:`annotators` lists who answered, one index seek each).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .db import Store

STATES = ("all", "pending", "answered", "accept", "reject", "ignore")
SNIPPET = 160  # characters of text a row carries


@dataclass(frozen=True)
class BrowseFilter:
    state: str = "all"  # one of STATES
    label: str | None = None
    text: str = ""
    answered_by: str | None = None  # only the tasks this annotator answered (any answer)

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")


@dataclass(frozen=True)
class TaskRow:
    row_id: int  # the task's row in the store (load order)
    task_hash: int
    text: str  # the first SNIPPET characters
    labels: tuple[str, ...]  # distinct labels of the row's spans
    answer: str | None  # this annotator's answer (None: pending)
    decision_id: int | None
    annotators: int  # how many decisions the task has, all annotators together
    answered_by: tuple[str, ...] = ()  # who answered it (sorted, distinct)


def _like(s: str) -> str:
    return "%" + s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class TaskBrowser:
    """One dataset's tasks as ``annotator`` sees them, filtered, read one page at a time."""

    def __init__(self, store: Store, dataset: str, annotator: str, flt: BrowseFilter | None = None) -> None:
        self.store = store
        self.dataset = dataset
        self.annotator = annotator
        self.filter = flt or BrowseFilter()
        self._ds = store._run(store._dataset_id, dataset)
        self._count: int | None = None
        self._after: dict[int, int] = {}  # offset -> row id of the row just before it (keyset paging)
        self.queries = 0  # SQL reads made (tests check nothing reads the whole dataset)

    # the annotator's latest decision on the task (one per task and annotator in review; db-in may add more)
    _DECISION = ("(SELECT max(d.id) FROM decision d WHERE d.dataset_id = t.dataset_id AND d.annotator = :who"
                 " AND d.task_key = t.task_key)")

    def _where(self) -> tuple[str, dict[str, Any]]:
        f = self.filter
        sql = ["+t.dataset_id = :ds"]
        params: dict[str, Any] = {"ds": self._ds, "who": self.annotator}
        if f.state == "pending":
            sql.append(f"{self._DECISION} IS NULL")
        elif f.state == "answered":
            sql.append(f"{self._DECISION} IS NOT NULL")
        elif f.state != "all":
            sql.append(f"(SELECT answer FROM decision WHERE id = {self._DECISION}) = :answer")
            params["answer"] = f.state
        if f.answered_by is not None:
            # driven from that annotator's decisions (the decision_by_annotator index): the count seeks its tasks
            # by the (dataset_id, task_hash) index instead of testing every task of the dataset
            sql.append("t.task_key IN (SELECT task_key FROM decision WHERE dataset_id = :ds AND annotator = :by)")
            params["by"] = f.answered_by
        if f.text:
            if not any(c in f.text for c in '"\\') and f.text.isprintable():  # as it is in the stored JSON: a fast pre-test
                sql.append("t.content LIKE :like ESCAPE '\\'")
            sql.append("json_extract(t.content, '$.text') LIKE :like ESCAPE '\\'")
            params["like"] = _like(f.text)
        if f.label:
            params["label"] = f.label
            params["label_json"] = '"label":' + json.dumps(f.label, ensure_ascii=False)  # as _dumps writes it
            spans_of = f"coalesce((SELECT content FROM decision WHERE id = {self._DECISION}), t.content)"
            sql.append("(instr(t.content, :label_json) > 0 OR EXISTS (SELECT 1 FROM decision d2 WHERE"
                       " d2.dataset_id = t.dataset_id AND d2.task_key = t.task_key AND d2.annotator = :who))")
            sql.append(f"EXISTS (SELECT 1 FROM json_each({spans_of}, '$.spans') s"
                       " WHERE json_extract(s.value, '$.label') = :label)")
        return " AND ".join(sql), params

    def count(self) -> int:
        """Tasks the filter keeps (counted once; without a filter, from the index alone)."""
        if self._count is None:
            if self._ds is None:
                self._count = 0
            else:
                where, params = self._where()
                where = where.replace("+t.dataset_id", "t.dataset_id", 1)  # the (dataset_id, task_key) index
                self.queries += 1
                self._count = int(self.store._run(
                    lambda: self.store._c.execute(f"SELECT count(*) FROM task t WHERE {where}", params).fetchone()[0]))
        return self._count

    def page(self, offset: int, limit: int) -> list[TaskRow]:
        """Rows ``offset`` .. ``offset + limit - 1`` of the filtered list, in load order."""
        if self._ds is None or limit <= 0:
            return []
        where, params = self._where()
        params.update(limit=limit)
        after = self._after.get(offset) if offset else 0
        if after is not None:
            page_sql = "t.id > :after ORDER BY t.id LIMIT :limit"
            params["after"] = after
        else:
            page_sql = "1 ORDER BY t.id LIMIT :limit OFFSET :offset"
            params["offset"] = offset
        # one query for the page: the row, this annotator's decision, its answer, the labels of the accepted
        # spans (of the decision, else of the pre-annotation) and how many decisions the task has
        sql = (
            "SELECT id, text, dec, (SELECT answer FROM decision WHERE id = dec),"
            " (SELECT group_concat(DISTINCT json_extract(s.value, '$.label')) FROM json_each(coalesce("
            "(SELECT content FROM decision WHERE id = dec), content), '$.spans') s"
            " WHERE coalesce(json_extract(s.value, '$.answer'), 'accept') = 'accept'),"
            " (SELECT count(*) FROM decision WHERE dataset_id = :ds AND task_key = tk),"
            " (SELECT group_concat(a, char(31)) FROM (SELECT DISTINCT annotator AS a FROM decision"
            " WHERE dataset_id = :ds AND task_key = tk ORDER BY annotator)), th"
            f" FROM (SELECT t.id AS id, t.task_hash AS th, t.task_key AS tk, substr(json_extract(t.content, '$.text'), 1, {SNIPPET}) AS text,"
            f" {self._DECISION} AS dec, t.content AS content FROM task t WHERE {where} AND {page_sql}) ORDER BY id"
        )
        self.queries += 1
        rows = self.store._run(lambda: self.store._c.execute(sql, params).fetchall())
        if rows:
            self._after[offset + len(rows)] = int(rows[-1][0])
        return [
            TaskRow(int(row_id), int(th), text or "", tuple(sorted(set((labels or "").split(",")) - {""})), answer,
                    None if dec is None else int(dec), int(n), tuple((who or "").split("\x1f")) if who else ())
            for row_id, text, dec, answer, labels, n, who, th in rows
        ]

    def open(self, row: TaskRow) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The task of ``row`` and this annotator's stored decision for it (None when pending)."""
        c = self.store._c
        content, key = self.store._run(
            lambda: c.execute("SELECT content, task_key FROM task WHERE id = ?", (row.row_id,)).fetchone())
        task = json.loads(content)
        task["_task_key"] = bytes(key).hex()  # as pending() hands it out: the task's identity (not the 32-bit hash)
        decision = None
        if row.decision_id is not None:
            decision = self.store.get_decision(row.decision_id)
        return task, decision


def annotators(store: Store, dataset: str) -> list[str]:
    """The annotators with a decision in ``dataset``, sorted: one seek of the (dataset, annotator) index each,
    never a scan of the decisions."""
    ds = store._run(store._dataset_id, dataset)
    out: list[str] = []
    if ds is None:
        return out
    while True:
        sql, params = ("SELECT min(annotator) FROM decision WHERE dataset_id = ? AND annotator > ?", (ds, out[-1])) \
            if out else ("SELECT min(annotator) FROM decision WHERE dataset_id = ?", (ds,))
        row = store._run(lambda: store._c.execute(sql, params).fetchone())
        if row is None or row[0] is None:
            return out
        out.append(row[0])


def task_of_decision(store: Store, decision_id: int) -> dict[str, Any] | None:
    """The stored (pre-annotated) task a decision answers (by its 128-bit task key, never the 32-bit
    ``_task_hash``: two texts whose hashes collide are two tasks), with its ``_task_key``; None without one."""
    row = store._run(lambda: store._c.execute(
        "SELECT t.content, t.task_key FROM decision d JOIN task t ON t.dataset_id = d.dataset_id"
        " AND t.task_key = d.task_key WHERE d.id = ?", (int(decision_id),)).fetchone())
    if row is None:
        return None
    task = json.loads(row[0])
    if isinstance(task, dict):
        task["_task_key"] = bytes(row[1]).hex()
    return task


__all__ = ["STATES", "BrowseFilter", "TaskBrowser", "TaskRow", "annotators", "task_of_decision"]
