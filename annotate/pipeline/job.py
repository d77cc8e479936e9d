"""The ``pre`` job as a user runs it: read inputs, pre-annotate, write JSONL atomically.

:func:`run_pre` is what ``annotate pre`` and the benchmarks call; it returns
a :class:`PreResult` with the counts the CLI prints.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..io import atomic_output, dumps_jsonl, empty_input, expand_sources, read_records
from ..labels import load_labels

ProgressWrap = Callable[[Iterable[dict[str, Any]], "int | None"], Iterable[dict[str, Any]]]


@dataclass
class PreResult:
    output: str
    n_tasks: int = 0
    words: int = 0
    seconds: float = 0.0
    per_label: Counter[str] = field(default_factory=Counter)
    per_theme: Counter[str] = field(default_factory=Counter)


def count_records(sources: list[str]) -> int | None:
    """Records in ``sources`` (a .txt file is one; a JSONL file one per line), or None when unknown/too costly."""
    total = 0
    for s in sources:
        if s == "-":
            return None
        p = Path(s)
        if p.suffix.lower() == ".txt":
            total += 1
        else:
            if p.stat().st_size > 512 * 1024 * 1024:
                return None
            with p.open("rb") as f:
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return total


def run_pre(
    inputs: Iterable[str | Path],
    output: str | Path,
    *,
    lang: str | None = None,
    model: str | None = None,
    model_en: str | None = None,
    labels: str | Path | None = None,
    split: str | None = None,
    n_process: int = 1,
    batch_size: int = 64,
    on_warning: Callable[[str], None] | None = None,
    progress: ProgressWrap | None = None,
) -> PreResult:
    """Pre-annotate ``inputs`` into the JSONL file ``output`` (``-``: stdout).

    ``progress``, when given, wraps the stream of tasks (it gets the stream and
    the number of records when cheap to know) to draw a bar. Nothing is written
    when the inputs hold no record.
    """
    from .pre import pre_annotate  # spaCy loads only when a job needs it

    lab = load_labels(labels)  # a broken labels folder fails before any input is read
    threshold = lab.taxonomy.settings.threshold
    sources = expand_sources(inputs)
    records = read_records(sources, split=split)
    result = PreResult(output=str(output))
    started = time.perf_counter()
    tasks: Iterable[dict[str, Any]] = pre_annotate(
        records, lang=lang, model=model, model_en=model_en, labels=labels, n_process=n_process,
        batch_size=batch_size, split=split, on_warning=on_warning,
    )
    if progress is not None:
        tasks = progress(tasks, count_records(sources) if split is None else None)
    with atomic_output(str(output)) as out:
        for task in tasks:
            out.write(dumps_jsonl(task))
            result.n_tasks += 1
            result.words += len(task["tokens"])
            result.per_label.update(s["label"] for s in task["spans"])
            result.per_theme.update(k for k, v in task["cats"].items() if v >= threshold)
        if result.n_tasks == 0:  # raised inside the block: no output file is created
            raise empty_input(sources[0] if sources[0] != "-" else "<stdin>", many=len(sources) > 1)
    result.seconds = time.perf_counter() - started
    return result


