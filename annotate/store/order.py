"""The review queue in an order computed beforehand (``annotate review NAME --model M --order uncertain`` on a
stored dataset): the pending tasks of given rows, in the order given (mixed into :class:`~annotate.store.Store`)."""

from __future__ import annotations

import json
from typing import Any


def with_keys(rows: list[tuple[int, str, bytes]]) -> list[tuple[int, dict[str, Any]]]:
    """(row id, content, task key) rows as (row id, task), each task carrying its key in ``_task_key``."""
    out = []
    for i, c, k in rows:
        task = json.loads(c)
        if isinstance(task, dict):
            task["_task_key"] = bytes(k).hex()
        out.append((int(i), task))
    return out


class Ordered:
    """Reading pending tasks by row id (uses the store's connection)."""

    _c: Any
    _run: Any
    _dataset_id: Any

    def pending_rows(self, dataset: str, annotator: str, ids: list[int]) -> list[tuple[int, dict[str, Any]]]:
        """The tasks of rows ``ids`` that this annotator has not answered, as (row id, task), in the order of
        ``ids`` (a review order computed beforehand: ``review --order`` on a stored dataset)."""
        ds = self._run(self._dataset_id, dataset)
        if ds is None or not ids:
            return []
        found: dict[int, dict[str, Any]] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            found.update(with_keys(self._run(
                lambda part=part: self._c.execute(
                    "SELECT t.id, t.content, t.task_key FROM task t WHERE t.dataset_id = ? AND t.id IN"
                    f" ({','.join('?' * len(part))}) AND NOT EXISTS (SELECT 1 FROM decision d WHERE"
                    " d.dataset_id = t.dataset_id AND d.annotator = ? AND d.task_key = t.task_key)",
                    (ds, *part, annotator),
                ).fetchall()
            )))
        return [(i, found[i]) for i in ids if i in found]
