"""Silver data: already-annotated JSONL tasks (``annotate pre`` outputs, Dask chunk outputs) exported without a store.

``annotate export --from FILE|FOLDER ...`` reads the tasks as ``annotate
review --accept-all`` would store them: every task accepted as it is (its
spans kept, its themes those in ``accept``, else those scoring at least the
taxonomy's threshold), unless the record already carries an ``answer``. The
files are streamed; nothing goes through the database. The export then works
as for a dataset (merge by text, DocBin shards, config).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import Errors
from ..io import expand_sources, read_records

ANSWERS = ("accept", "reject", "ignore")


def silver_decisions(sources: Iterable[str | Path], *, themes: list[str], threshold: float) -> Callable[[], Iterator[dict[str, Any]]]:
    """A callable that streams the tasks of ``sources`` as accepted decisions (called once per export pass)."""
    paths = expand_sources(sources)
    if "-" in paths:
        raise Errors.E060()
    known = set(themes)

    def decisions() -> Iterator[dict[str, Any]]:
        for pos, rec in enumerate(read_records(paths)):
            d = dict(rec.data)
            answer = d.setdefault("answer", "accept")
            if answer not in ANSWERS:
                raise Errors.E061(answer=answer, where=rec.source, line=rec.line)
            if "accept" not in d:
                cats = d.get("cats")
                if isinstance(cats, dict):
                    d["accept"] = [k for k, v in cats.items() if k in known and isinstance(v, (int, float))
                                   and not isinstance(v, bool) and v >= threshold]
            d.setdefault("_decision_id", pos)
            yield d

    return decisions
