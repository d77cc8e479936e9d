"""The ``pre`` job as a user runs it: read inputs, pre-annotate, write JSONL atomically.

:func:`run_pre` is what ``annotate pre`` and the benchmarks call; it returns
a :class:`PreResult` with the counts the CLI prints.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Errors
from ..io import atomic_output, empty_input, expand_sources, read_records
from ..labels import load_labels

ProgressWrap = Callable[[Iterable[Any], "int | None"], Iterable[Any]]


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


# every task line this toolkit writes starts with its sorted hash keys
_TASK_SIGNATURE = b'{"_input_hash": '
_SQLITE_MAGIC = b"SQLite format 3\x00"


def foreign_kind(path: Path) -> str | None:
    """Why ``path`` is not a file ``pre`` may replace (None: empty, or tasks written by this toolkit)."""
    try:
        with path.open("rb") as f:
            head = f.read(256)
    except OSError:
        return None  # the write itself reports what is wrong
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.strip():
        return None
    if head.startswith(_SQLITE_MAGIC):
        return "an SQLite database"
    if head.startswith(_TASK_SIGNATURE) and b'"_task_hash": ' in head:
        return None
    return "its first line is not a task written by annotate"


def is_task_file(path: Path) -> bool:
    """A non-empty .jsonl file of tasks written by this toolkit (a previous ``pre`` output, an export)."""
    return path.suffix.lower() == ".jsonl" and path.stat().st_size > 0 and foreign_kind(path) is None


def check_output(output: str | Path, sources: list[str], *, force: bool) -> None:
    """Refuse an output that is one of the inputs, or an existing file of someone else's without ``force``."""
    if str(output) == "-":
        return
    out = Path(output)
    real = os.path.realpath(out)
    exists = out.exists()
    for src in sources:
        if src != "-" and (os.path.realpath(src) == real or (exists and os.path.samefile(src, out))):
            raise Errors.E025(input=src, where=output)
    if exists and out.is_file() and not force:
        kind = foreign_kind(out)
        if kind is not None:
            raise Errors.E026(kind=kind, where=output)


def job_sources(inputs: Iterable[str | Path], output: str | Path, *, force: bool,
                on_warning: Callable[[str], None] | None) -> list[str]:
    """The input files of a ``pre`` job, without the task files of earlier runs inside input folders (a
    warning names them), and the output checked against them (:func:`check_output`)."""
    skipped: list[Path] = []

    def ours(f: Path) -> bool:
        if is_task_file(f):
            skipped.append(f)
            return True
        return False

    sources = expand_sources(inputs, skip=ours)
    if skipped and on_warning is not None:
        on_warning(f"skipped {len(skipped)} file(s) of annotate tasks in the input folder(s), e.g. {skipped[0]}"
                   " (earlier outputs); name them one by one to read them")
    check_output(output, sources, force=force)
    return sources


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
    force: bool = False,
    on_warning: Callable[[str], None] | None = None,
    progress: ProgressWrap | None = None,
    ref_date: str | None = None,
) -> PreResult:
    """Pre-annotate ``inputs`` into the JSONL file ``output`` (``-``: stdout).

    ``progress``, when given, wraps the stream of tasks (it gets the stream and
    the number of records when cheap to know) to draw a bar. Nothing is written
    when the inputs hold no record. The output may not be one of the inputs,
    and an existing file that is not ours is replaced only with ``force``.
    Files of tasks written by this toolkit inside an input folder (earlier
    outputs) are skipped, with a warning. ``ref_date`` (``YYYY-MM-DD``):
    relative dates of records without a ``meta.date`` resolve against it.
    """
    from .pre import pre_annotate  # spaCy loads only when a job needs it
    from .reldates import check_ref_date

    ref = check_ref_date(ref_date)  # a bad --ref-date fails before any input is read

    lab = load_labels(labels)  # a broken labels folder fails before any input is read
    threshold = lab.taxonomy.settings.threshold
    sources = job_sources(inputs, output, force=force, on_warning=on_warning)
    records = read_records(sources, split=split)
    result = PreResult(output=str(output))
    started = time.perf_counter()
    tasks: Iterable[Any] = pre_annotate(
        records, lang=lang, model=model, model_en=model_en, labels=labels, n_process=n_process,
        batch_size=batch_size, split=split, on_warning=on_warning, encode=True, ref_date=ref,
    )
    if progress is not None:
        tasks = progress(tasks, count_records(sources) if split is None else None)
    with atomic_output(str(output)) as out:
        for task in tasks:  # Encoded: the line and its counts
            out.write(task.line)
            result.n_tasks += 1
            result.words += task.words
            result.per_label.update(task.labels)
            result.per_theme.update(k for k, v in task.cats.items() if v >= threshold)
        if result.n_tasks == 0:  # raised inside the block: no output file is created
            raise empty_input(sources[0] if sources[0] != "-" else "<stdin>", many=len(sources) > 1)
    result.seconds = time.perf_counter() - started
    return result


