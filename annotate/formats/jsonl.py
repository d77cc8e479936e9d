"""JSONL out: the merged examples in Prodigy's task shape (``export``), and every stored decision as stored (``db-out``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..io import atomic_output, dumps_jsonl
from .examples import Align, ExampleBuilder
from .merge import Decisions, Resolve, merged_decisions, plan_merge
from .report import ExportReport, check_target_file, fill_report, nothing_to_export


def export_jsonl(
    decisions: Decisions,
    out: str | Path,
    *,
    dataset: str = "",
    themes: list[str],
    lang: str | None = None,
    resolve: Resolve | str = Resolve.latest,
    align: Align | str = Align.strict,
    force: bool = False,
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    render: Callable[[dict[str, Any]], str | None] | None = None,
    format_name: str = "jsonl",
) -> ExportReport:
    """Write the merged examples as Prodigy-style JSONL (``-`` = stdout), atomically.

    ``decisions`` is a callable returning a fresh iterator over the decisions
    in the order made (it is called twice). ``shape`` turns each example into
    another tool's record (doccano's, say) before it is written; ``render``
    writes an example as text instead of a JSON line (None: left out).
    """
    t0 = time.perf_counter()
    check_target_file(out, force)
    plan = plan_merge(decisions(), resolve=resolve)
    if plan.examples == 0:
        raise nothing_to_export(dataset, plan)
    the_lang = lang or plan.lang or "en"
    builder = ExampleBuilder(lang=the_lang, themes=themes, align=align)
    report = ExportReport(dataset=dataset, format=format_name, lang=the_lang)
    n = 0
    if str(out) == "-":
        # stdout cannot be taken back: check every span before writing anything
        for d in merged_decisions(decisions(), plan):
            builder.build(d)
        builder.check()
        builder = ExampleBuilder(lang=the_lang, themes=themes, align=align)
    with atomic_output(out, force=force) as f:
        for d in merged_decisions(decisions(), plan):
            ex = builder.build(d)
            if ex is None:
                continue
            if render is not None:
                chunk = render(ex.record)
                if chunk is None:
                    continue
                f.write(chunk)
            else:
                f.write(dumps_jsonl(ex.record if shape is None else shape(ex.record)))
            n += 1
        builder.check()  # raising here removes the temporary file; the target stays untouched
    report.examples = n
    report.files = {"<stdout>" if str(out) == "-" else str(out): n}
    if str(out) != "-":
        report.outputs = [str(out)]
    fill_report(report, plan, builder)
    report.seconds = time.perf_counter() - t0
    return report



def export_raw(decisions: Iterable[dict[str, Any]], out: str | Path, *, force: bool = False) -> int:
    """Every stored decision, as stored (sorted keys), to ``out`` (``-`` = stdout). Returns the count."""
    check_target_file(out, force)
    n = 0
    with atomic_output(out, force=force) as f:
        for d in decisions:
            f.write(dumps_jsonl(d))
            n += 1
    return n
