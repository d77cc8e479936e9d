"""The export report, and the checks made before an export writes anything (dataset, output target)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AnnotateError, Errors
from .examples import MAX_LISTED, ExampleBuilder
from .merge import MergePlan


@dataclass
class ExportReport:
    dataset: str
    format: str
    lang: str = ""
    decisions: int = 0
    examples: int = 0
    files: dict[str, int] = field(default_factory=dict)
    spans: dict[str, int] = field(default_factory=dict)
    themes: dict[str, int] = field(default_factory=dict)
    themes_unreviewed: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    resolve: str = "latest"
    snapped: int = 0
    snapped_items: list[str] = field(default_factory=list)
    tokenized: dict[str, int] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    retokenized: int = 0
    overlaps_not_in_ents: int = 0
    binary_examples: int = 0
    binary_cats: dict[str, int] = field(default_factory=dict)
    rejected_spans: int = 0
    rejected_unaligned: int = 0
    binary_conflicts: int = 0
    unknown_themes: dict[str, int] = field(default_factory=dict)
    components: list[str] = field(default_factory=list)
    vectors: str | None = None
    outputs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as plain text lines (the CLI prints them on stderr)."""
        rate = self.examples / self.seconds if self.seconds > 0 else 0.0
        out = [
            f"export {self.dataset!r} ({self.format}, lang {self.lang}): {self.examples} example(s) from "
            f"{self.decisions} decision(s) in {self.seconds:.1f}s ({rate:,.0f} examples/s)"
        ]
        for path, n in self.files.items():
            out.append(f"  {path}: {n} example(s)")
        spans = ", ".join(f"{k} {v}" for k, v in sorted(self.spans.items())) or "none"
        out.append(f"  spans per label: {spans}")
        themes = ", ".join(f"{k} {v}" for k, v in self.themes.items()) or "none"
        out.append(f"  themes accepted: {themes}; examples without reviewed themes: {self.themes_unreviewed}")
        left = ", ".join(f"{k} {v}" for k, v in sorted(self.left_out.items())) or "none"
        out.append(f"  left out: {left}")
        how = "latest accepted decision kept" if self.resolve == "latest" else "examples left out"
        out.append(f"  conflicts: {self.conflicts} ({how}, --resolve {self.resolve})")
        if self.binary_examples:
            out.append(
                f"  binary answers (accept/reject) merged into {self.binary_examples} example(s): "
                f"{self.rejected_spans} rejected span(s) kept as incorrect"
                + (f" ({self.rejected_unaligned} off the tokens left out)" if self.rejected_unaligned else "")
                + "; labels answered: " + (", ".join(f"{k} {v}" for k, v in sorted(self.binary_cats.items())) or "none")
                + (f"; {self.binary_conflicts} answer(s) contradicted by a later one (the latest kept)" if self.binary_conflicts else "")
            )
        if self.snapped:
            out.append(f"  spans snapped to token boundaries: {self.snapped} (their text changed)")
            out.extend(f"    {x}" for x in self.snapped_items)
            if self.snapped > len(self.snapped_items):
                out.append(f"    ... and {self.snapped - len(self.snapped_items)} more")
        if self.tokenized:
            out.append("  examples tokenized by the project's tokenizer, per language: "
                       + ", ".join(f"{k} {v}" for k, v in sorted(self.tokenized.items())))
        if self.dropped:
            out.append(f"  spans left out by --align contract: {len(self.dropped)}")
            out.extend(f"    {d}" for d in self.dropped[:MAX_LISTED])
        if self.retokenized:
            out.append(f"  examples re-tokenized (stored tokens did not match the text): {self.retokenized}")
        if self.overlaps_not_in_ents:
            out.append(
                f"  overlapping spans kept in the span group only (not in doc.ents): {self.overlaps_not_in_ents}"
            )
        if self.unknown_themes:
            out.append("  themes not in the taxonomy: " + ", ".join(f"{k} {v}" for k, v in self.unknown_themes.items()))
        if self.components:
            out.append(f"  config: pipeline {', '.join(self.components)}; vectors {self.vectors or 'none'}")
        out.extend(f"  note: {n}" for n in self.notes)
        out.extend(f"  wrote {p}" for p in self.outputs)
        return out

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def fill_report(report: ExportReport, plan: MergePlan, builder: ExampleBuilder) -> None:
    report.decisions = plan.decisions
    report.left_out = dict(plan.left_out())
    report.conflicts = plan.conflicts
    report.resolve = plan.resolve
    report.spans = dict(sorted(builder.spans.items()))
    report.themes = {t: builder.themes_accepted[t] for t in builder.themes}
    for t, n in sorted(builder.themes_accepted.items()):
        if t not in report.themes:
            report.themes[t] = n
    report.themes_unreviewed = builder.themes_unreviewed
    report.snapped = builder.snapped
    report.snapped_items = list(builder.snapped_items)
    report.tokenized = dict(builder.langs)
    report.dropped = [d.render() for d in builder.dropped]
    report.retokenized = builder.retokenized
    report.binary_examples = plan.binary
    report.binary_conflicts = plan.binary_conflicts
    report.binary_cats = dict(builder.binary_cats)
    report.rejected_spans = builder.rejected_spans
    report.rejected_unaligned = builder.rejected_unaligned
    report.unknown_themes = dict(builder.unknown_themes)



def check_dataset(store: Any, dataset: str) -> None:
    """Unknown dataset (with a "did you mean") or empty dataset -> AnnotateError."""
    if not store.has_dataset(dataset):
        from ..labels import did_you_mean

        names = store.datasets()
        if not names:
            fix = "the database has no dataset yet; review tasks or import data with annotate db-in first"
        else:
            fix = did_you_mean(dataset, names)
            if fix.startswith("use one of"):
                fix = "known datasets: " + ", ".join(names)
        raise Errors.E404(dataset=dataset, fix=fix, where=getattr(store, 'path', None))
    if store.count_decisions(dataset) == 0:
        raise Errors.E405(dataset=dataset, where=getattr(store, 'path', None))


def nothing_to_export(dataset: str, plan: MergePlan) -> AnnotateError:
    why = ", ".join(f"{n} {k}" for k, n in sorted(plan.left_out().items())) or "no accepted decision"
    return Errors.E406(dataset=dataset, why=why)


def check_target_file(out: str | Path, force: bool) -> None:
    if str(out) == "-":
        return
    p = Path(out)
    if p.is_dir():
        raise Errors.E029(where=p)
    if p.exists() and not force:
        raise Errors.E021(where=p)
    check_writable(p.parent if str(p.parent) else Path("."))


def check_writable(folder: Path) -> None:
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        raise Errors.E018(where=probe)
