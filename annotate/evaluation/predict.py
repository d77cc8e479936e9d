"""Pre-annotate gold records for scoring, and :func:`evaluate`, the whole job."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..labels import load_labels
from .gold import GoldRecord, iter_gold_records, read_gold
from .scoring import EvalResult, score


def _slim_task(task: dict[str, Any]) -> dict[str, Any]:
    return {"spans": task.get("spans") or [], "cats": task.get("cats") or {}}


def predict(
    records: Sequence[GoldRecord],
    *,
    lang: str | None = None,
    model: str | None = None,
    model_en: str | None = None,
    labels: str | Path | None = None,
    n_process: int = 1,
    batch_size: int = 64,
    on_warning: Callable[[str], None] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(index, {"spans", "cats"})`` for every record, in processing order.

    The records go through :func:`annotate.pre.pre_annotate` in one stream
    sorted by language (a record's ``lang`` field, else ``lang``, else the
    detected language), so each language is one run of ``nlp.pipe`` batches
    however the files alternate between languages.
    """
    from ..pipeline.pre import pre_annotate, record_lang  # spaCy: only when there is something to annotate

    langs = [record_lang(r.record, lang) for r in records]
    order = sorted(range(len(records)), key=lambda i: langs[i])
    tasks = pre_annotate(
        (records[i].record for i in order), lang=lang, model=model, model_en=model_en, labels=labels,
        n_process=n_process, batch_size=batch_size, on_warning=on_warning,
    )
    for i, task in zip(order, tasks):
        yield i, _slim_task(task)


def collect(records: Sequence[GoldRecord], predicted: Iterable[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The predictions of :func:`predict` back in record order."""
    out: list[dict[str, Any] | None] = [None] * len(records)
    for i, task in predicted:
        out[i] = task
    missing = [i for i, t in enumerate(out) if t is None]
    if missing:  # pre_annotate yields one task per record: this would be a bug, not bad data
        raise RuntimeError(f"no prediction for {len(missing)} gold records")
    return out  # type: ignore[return-value]


def evaluate(
    gold: str | Path | Iterable[str | Path],
    *,
    lang: str | None = None,
    model: str | None = None,
    model_en: str | None = None,
    labels: str | Path | None = None,
    n_process: int = 1,
    batch_size: int = 64,
) -> EvalResult:
    """Pre-annotate every record of the gold file(s) and score the result.

    ``gold``: a .jsonl file, a folder of them, ``-`` (stdin) or several of
    these. The result holds the totals; ``result.files`` one result per file.
    """
    lab = load_labels(labels)
    files = read_gold(gold, lab)
    records = list(iter_gold_records(files))
    predicted = predict(records, lang=lang, model=model, model_en=model_en, labels=labels, n_process=n_process, batch_size=batch_size)
    return score(files, collect(records, predicted), lab)
