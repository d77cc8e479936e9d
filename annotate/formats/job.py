"""The dataset jobs as a user runs them: ``export``, ``db-in`` and ``db-out`` on a database.

Each opens the store, checks the dataset, runs the format's writer or the
importer, and returns a result with the counts and the report lines the CLI
prints; user errors are :class:`~annotate.errors.AnnotateError`. Writers are
registered in :data:`EXPORTERS` (format name -> function).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from ..errors import AnnotateError, Errors
from .docbin import DEFAULT_SHARD_SIZE, export_spacy
from .examples import DEFAULT_SPANS_KEY, Align
from .imports import ImportReport, import_records, parse_label_map
from .interop import export_tool
from .jsonl import export_jsonl, export_raw
from .merge import Decisions, Resolve
from .report import ExportReport, check_dataset


class Format(StrEnum):
    """Export formats (``--format``)."""

    jsonl = "jsonl"  # merged examples, Prodigy's task shape
    spacy = "spacy"  # train/dev DocBin files and a config.cfg
    labelstudio = "labelstudio"  # Label Studio tasks (annotations, predictions) and a labeling config
    argilla = "argilla"  # Argilla 2 records (responses, suggestions) and dataset settings
    doccano = "doccano"  # merged examples, doccano's import JSONL
    conll = "conll"  # merged examples, IOB2 token per line


FORMATS = tuple(f.value for f in Format)


@dataclass
class ExportOptions:
    """What an export writer is given besides the decisions and the output."""

    dataset: str
    themes: list[str]
    lang: str | None = None
    resolve: Resolve | str = Resolve.latest
    align: Align | str = Align.strict
    force: bool = False
    dev_split: float = 0.2
    seed: int = 0
    spans_key: str = DEFAULT_SPANS_KEY
    base_model: str | None = None
    shard_size: int = DEFAULT_SHARD_SIZE
    entity_labels: list[tuple[str, str | None]] = field(default_factory=list)  # (name, colour) of labels/
    threshold: float = 0.5  # theme score a pre-annotation suggests from
    pending: Callable[[], Iterable[dict[str, Any]]] | None = None  # the dataset's tasks (other tools' exports)


def _write_jsonl(decisions: Decisions, output: str, o: ExportOptions) -> ExportReport:
    return export_jsonl(
        decisions, output, dataset=o.dataset, themes=o.themes, lang=o.lang, resolve=o.resolve, align=o.align, force=o.force
    )


def _write_spacy(decisions: Decisions, output: str, o: ExportOptions) -> ExportReport:
    return export_spacy(
        decisions, output, dataset=o.dataset, themes=o.themes, lang=o.lang, resolve=o.resolve, align=o.align,
        force=o.force, dev_split=o.dev_split, seed=o.seed, spans_key=o.spans_key, base_model=o.base_model,
        shard_size=o.shard_size,
    )


def _write_doccano(decisions: Decisions, output: str, o: ExportOptions) -> ExportReport:
    from .doccano import to_doccano

    return export_jsonl(
        decisions, output, dataset=o.dataset, themes=o.themes, lang=o.lang, resolve=o.resolve, align=o.align,
        force=o.force, shape=to_doccano, format_name="doccano",
    )


def _write_conll(decisions: Decisions, output: str, o: ExportOptions) -> ExportReport:
    from .conll import export_conll

    return export_conll(
        decisions, output, dataset=o.dataset, themes=o.themes, lang=o.lang, resolve=o.resolve, align=o.align, force=o.force
    )


def _write_tool(fmt: str) -> Callable[[Decisions, str, ExportOptions], ExportReport]:
    def write(decisions: Decisions, output: str, o: ExportOptions) -> ExportReport:
        return export_tool(
            fmt, decisions, output, dataset=o.dataset, themes=o.themes, entity_labels=o.entity_labels,
            threshold=o.threshold, pending=o.pending, lang=o.lang, resolve=o.resolve, align=o.align, force=o.force,
        )

    return write


# format name -> writer
EXPORTERS: dict[str, Callable[[Decisions, str, ExportOptions], ExportReport]] = {
    Format.jsonl: _write_jsonl,
    Format.spacy: _write_spacy,
    Format.labelstudio: _write_tool("labelstudio"),
    Format.argilla: _write_tool("argilla"),
    Format.doccano: _write_doccano,
    Format.conll: _write_conll,
}
# formats that also write the tasks nobody answered yet
_WITH_PENDING = (Format.labelstudio, Format.argilla)


def parse_format(fmt: str) -> Format:
    """``fmt`` as a :class:`Format`; an unknown one is a usage error (E430)."""
    try:
        return Format(fmt)
    except ValueError:
        raise Errors.E430(fmt=fmt, formats=", ".join(FORMATS)) from None


def guess_format(output: str, fmt: Format | str | None = None) -> Format:
    """``fmt``, else the format ``output`` names: ``-`` or ``.jsonl`` is JSONL, ``.conll``/``.iob`` CoNLL,
    a folder (or no suffix) spaCy."""
    if fmt is not None:
        return parse_format(fmt)
    if output == "-" or output.lower().endswith(".jsonl"):
        return Format.jsonl
    if output.lower().endswith((".conll", ".iob", ".iob2", ".bio")):
        return Format.conll
    if output.endswith(("/", "\\")) or Path(output).is_dir() or not Path(output).suffix:
        return Format.spacy
    raise Errors.E431(output=output)


def _open_store(db: str | Path | None, *, create: bool) -> Any:
    from ..store import Store

    return Store(db, create=create)


@dataclass
class ExportResult:
    format: Format
    output: str
    report: ExportReport
    train_command: str | None = None  # spaCy format: the spacy train command for the files written

    @property
    def examples(self) -> int:
        return self.report.examples

    def lines(self) -> list[str]:
        out = self.report.lines()
        if self.train_command:
            out += ["train with:", f"  {self.train_command}"]
        return out


def export_dataset(
    dataset: str,
    output: str,
    *,
    format: Format | str | None = None,
    db: str | Path | None = None,
    labels: str | Path | None = None,
    lang: str | None = None,
    resolve: Resolve | str = Resolve.latest,
    align: Align | str = Align.strict,
    dev_split: float = 0.2,
    seed: int = 0,
    spans_key: str = DEFAULT_SPANS_KEY,
    base_model: str | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    force: bool = False,
    from_files: list[str] | None = None,
) -> ExportResult:
    """Export ``dataset`` of the database ``db`` to ``output`` (``format``: default from ``output``).

    With ``from_files`` (JSONL files or folders of tasks) the tasks are read
    from there as accepted silver data instead of from the database
    (:mod:`.silver`); ``dataset`` only names the export in its report.

    The themes are those of the labels folder ``labels``. Misaligned spans
    raise :class:`~.examples.MisalignedSpans` (its ``lines()`` list them).
    """
    from ..labels import load_labels

    the_format = guess_format(output, format)
    if the_format is Format.spacy and output == "-":
        raise Errors.E432()
    lab = load_labels(labels)
    options = ExportOptions(
        dataset=dataset, themes=lab.theme_names, lang=lang, resolve=resolve, align=align, force=force,
        dev_split=dev_split, seed=seed, spans_key=spans_key, base_model=base_model, shard_size=shard_size,
        entity_labels=[(e.name, e.color) for e in lab.labels.entity], threshold=lab.taxonomy.settings.threshold,
    )
    if from_files is not None:
        from .silver import silver_decisions

        decisions = silver_decisions(from_files, themes=lab.theme_names, threshold=lab.taxonomy.settings.threshold)
        report = EXPORTERS[the_format](decisions, output, options)
        return _result(the_format, output, report)
    # one read transaction (a WAL snapshot) for the check and both passes over the decisions: a
    # `db drop` or an import running meanwhile is not seen, so the file holds all of the dataset as it
    # was, or (dropped before the export began) the export fails and the previous file stays
    with _open_store(db, create=False) as store, store.snapshot():  # reading never creates a database
        if the_format in _WITH_PENDING:
            options.pending = lambda: store.iter_tasks(dataset)
        try:
            check_dataset(store, dataset)
        except AnnotateError as e:
            # tasks to review without any decision yet are worth sending to another tool
            if not (e.code == "E405" and the_format in _WITH_PENDING and store.count_tasks(dataset)):
                raise
        report = EXPORTERS[the_format](lambda: store.iter_decisions(dataset), output, options)
    return _result(the_format, output, report)


def _result(the_format: Format, output: str, report: ExportReport) -> ExportResult:
    result = ExportResult(the_format, output, report)
    if the_format is Format.spacy:
        out = output.rstrip("/\\")
        result.train_command = (
            f"python -m spacy train {out}/config.cfg --paths.train {out}/train.spacy --paths.dev {out}/dev.spacy"
        )
    return result


@dataclass
class ImportResult:
    report: ImportReport
    known_labels: list[str] = field(default_factory=list)
    known_themes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.report.lines(known_labels=self.known_labels, known_themes=self.known_themes)

    def error(self) -> AnnotateError | None:
        """The error a run with skipped malformed lines ends with (E433), or None."""
        r = self.report
        if not r.skipped:
            return None
        first = r.skipped[0]
        return Errors.E433(len=len(r.skipped), records=r.records, message=first.message, fix=first.fix + ' (or pass --strict to import nothing until the file is clean)', where=first.where, line=first.line)


def import_dataset(
    dataset: str,
    sources: Iterable[str | Path],
    *,
    db: str | Path | None = None,
    labels: str | Path | None = None,
    label_map: Iterable[str] = (),
    strict: bool = False,
    lang: str | None = None,
    annotator: str = "import",
    as_tasks: bool = False,
    stdin: IO[bytes] | None = None,
    fmt: str | None = "auto",
) -> ImportResult:
    """Import JSONL or JSON ``sources`` (``fmt``: a registered format, or ``auto``; ``-`` = stdin) into ``dataset`` (created if missing).

    Prodigy, doccano, CoNLL and annotate records without an answer are accepted
    decisions (Prodigy's db-in default), or tasks to review with ``as_tasks``.

    ``label_map`` holds ``OLD=NEW`` items. Malformed lines are skipped and
    listed in the report (``result.error()`` is then the error to end with),
    or with ``strict`` nothing is imported (AnnotateError E422).
    """
    from ..labels import load_labels

    mapping = parse_label_map(label_map)
    lab = load_labels(labels)
    with _open_store(db, create=True) as store:
        report = import_records(
            store, dataset, sources, label_map=mapping, entity_labels=lab.entity_names, theme_names=lab.theme_names,
            strict=strict, lang=lang, annotator=annotator, stdin=stdin, fmt=fmt, as_tasks=as_tasks,
        )
    return ImportResult(report, lab.entity_names, lab.theme_names)


@dataclass
class DumpResult:
    dataset: str
    output: str
    decisions: int

    def lines(self) -> list[str]:
        where = "<stdout>" if self.output == "-" else self.output
        return [f"db-out {self.dataset!r}: {self.decisions} decision(s) written to {where}"]


def dump_dataset(
    dataset: str, output: str = "-", *, db: str | Path | None = None, annotator: str | None = None, force: bool = False
) -> DumpResult:
    """Every stored decision of ``dataset`` (only ``annotator``'s, when given), as stored, to ``output`` (``-`` = stdout)."""
    with _open_store(db, create=False) as store, store.snapshot():  # one snapshot, as in export_dataset
        check_dataset(store, dataset)
        n = export_raw(store.iter_decisions(dataset, annotator=annotator), output, force=force)
    return DumpResult(dataset, output, n)
