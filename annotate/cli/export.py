"""`annotate export`, `annotate db-in`, `annotate db-out`: reviewed data out, other tools' data in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_USAGE, AnnotateError
from .app import app

DbOpt = Annotated[
    Path | None,
    typer.Option("--db", envvar="ANNOTATE_DB", help="Annotation database (default: $ANNOTATE_DB or ./annotate.db).", show_default=False),
]
LabelsOpt = Annotated[
    Path | None, typer.Option("--labels", help="Labels folder (default: the repository's labels/).", show_default=False)
]


def _err(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)


def _guess_format(output: str, fmt: str | None) -> str:
    from ..formats.export import FORMATS

    if fmt is not None:
        if fmt not in FORMATS:
            raise AnnotateError(
                f"unknown --format {fmt!r}", fix="use jsonl or spacy", code="E430", exit_code=EXIT_USAGE
            )
        return fmt
    if output == "-" or output.lower().endswith(".jsonl"):
        return "jsonl"
    if output.endswith(("/", "\\")) or Path(output).is_dir() or not Path(output).suffix:
        return "spacy"
    raise AnnotateError(
        f"cannot tell the format from {output!r}", fix="name a .jsonl file or a folder, or pass --format jsonl|spacy",
        code="E431", exit_code=EXIT_USAGE,
    )


def _theme_names(labels: Path | None) -> list[str]:
    from ..labels import load_labels

    return load_labels(labels).theme_names


def _open_store(db: Path | None, *, create: bool = True):  # noqa: ANN202
    from ..store import Store

    return Store(db, create=create)


@app.command("export")
def export_cmd(
    dataset: Annotated[str, typer.Argument(help="Dataset to export.", show_default=False)],
    output: Annotated[
        str, typer.Option("--output", "-o", help="A .jsonl file, - for stdout, or a folder for --format spacy.", show_default=False)
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="jsonl or spacy (default: from --output: .jsonl or -, else a folder).")
    ] = None,
    resolve: Annotated[str, typer.Option(help="Disagreeing decisions on one input: latest (keep the latest accepted) or strict (leave it out).")] = "latest",
    align: Annotated[str, typer.Option(help="Spans off token boundaries: strict (list them, exit 1), expand or contract.")] = "strict",
    dev_split: Annotated[float, typer.Option(help="Share of examples in dev.spacy (spacy format).")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the train/dev split.")] = 0,
    spans_key: Annotated[str, typer.Option(help="Span group holding every accepted span (spacy format).")] = "sc",
    base_model: Annotated[
        str | None,
        typer.Option(help="Pipeline whose vectors the config starts from (default fr_core_news_md for French; none for blank).", show_default=False),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Language (default: the examples' meta.lang, else en).", show_default=False)] = None,
    shard_size: Annotated[int, typer.Option(help="Docs per DocBin shard; more examples give a folder of shards.")] = 10_000,
    force: Annotated[bool, typer.Option("--force", help="Replace existing output.")] = False,
    db: DbOpt = None,
    labels: LabelsOpt = None,
) -> None:
    """Export a reviewed dataset: merged examples as JSONL, or train/dev DocBin files and a config for spacy train.

    Decisions on the same input merge into one example (accepted spans, accepted themes); rejected and ignored answers are left out. A report goes to stderr.

    Example:

        annotate export news -o exports/news.jsonl
        annotate export news --format spacy -o exports/news/
        python -m spacy train exports/news/config.cfg --paths.train exports/news/train.spacy --paths.dev exports/news/dev.spacy
    """
    from ..formats.export import MisalignedSpans, check_dataset, export_jsonl, export_spacy

    the_format = _guess_format(output, fmt)
    if the_format == "spacy" and output == "-":
        raise AnnotateError("--format spacy cannot write to stdout", fix="name a folder with -o", code="E432", exit_code=EXIT_USAGE)
    themes = _theme_names(labels)
    with _open_store(db, create=False) as store:  # reading never creates a database
        check_dataset(store, dataset)

        def decisions():  # noqa: ANN202
            return store.iter_decisions(dataset)

        try:
            if the_format == "jsonl":
                report = export_jsonl(
                    decisions, output, dataset=dataset, themes=themes, lang=lang, resolve=resolve, align=align, force=force
                )
            else:
                report = export_spacy(
                    decisions, output, dataset=dataset, themes=themes, lang=lang, resolve=resolve, align=align,
                    force=force, dev_split=dev_split, seed=seed, spans_key=spans_key, base_model=base_model,
                    shard_size=shard_size,
                )
        except MisalignedSpans as e:
            _err([f"  {m.render()}" for m in e.items])
            if e.total > len(e.items):
                _err([f"  ... and {e.total - len(e.items)} more"])
            raise
    _err(report.lines())
    if the_format == "spacy":
        out = output.rstrip("/\\")
        _err([
            "train with:",
            f"  python -m spacy train {out}/config.cfg --paths.train {out}/train.spacy --paths.dev {out}/dev.spacy",
        ])


@app.command("db-in")
def db_in_cmd(
    dataset: Annotated[str, typer.Argument(help="Dataset to import into (created if missing).", show_default=False)],
    sources: Annotated[list[str], typer.Argument(help="JSONL files or folders (- for stdin).", show_default=False)],
    label_map: Annotated[
        list[str] | None, typer.Option("--label-map", help="Rename a label or theme: OLD=NEW (repeatable).", show_default=False)
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Check every line first; import nothing if one is malformed.")] = False,
    lang: Annotated[str | None, typer.Option(help="meta.lang for records without one.", show_default=False)] = None,
    annotator: Annotated[str, typer.Option(help="Annotator of imported decisions without _annotator_id.")] = "import",
    db: DbOpt = None,
    labels: LabelsOpt = None,
) -> None:
    """Import Prodigy, doccano or annotate JSONL: records with an answer become decisions, others tasks to review.

    Spans may come with or without tokens; doccano's {"text", "label": [[start, end, "LABEL"], ...]} is understood. Labels unknown to labels/ are reported. Malformed lines are listed (path:line and fix), skipped, and the command exits 1; with --strict nothing is imported.

    Example:

        annotate db-in news old_prodigy_export.jsonl
        annotate db-in news doccano.jsonl --label-map ORGANIZATION=ORG --lang fr
    """
    from ..formats.importers import import_records, parse_label_map
    from ..labels import load_labels

    mapping = parse_label_map(label_map or [])
    lab = load_labels(labels)
    with _open_store(db) as store:
        report = import_records(
            store, dataset, sources, label_map=mapping, entity_labels=lab.entity_names, theme_names=lab.theme_names,
            strict=strict, lang=lang, annotator=annotator,
        )
    _err(report.lines(known_labels=lab.entity_names, known_themes=lab.theme_names))
    if report.skipped:
        first = report.skipped[0]
        raise AnnotateError(
            f"{len(report.skipped)} malformed line(s) skipped, {report.records} record(s) imported; first: {first.message}",
            where=first.where, line=first.line, fix=first.fix + " (or pass --strict to import nothing until the file is clean)",
            code="E433",
        )


@app.command("db-out")
def db_out_cmd(
    dataset: Annotated[str, typer.Argument(help="Dataset to dump.", show_default=False)],
    output: Annotated[str, typer.Option("--output", "-o", help="JSONL file, or - for stdout.")] = "-",
    annotator: Annotated[str | None, typer.Option(help="Only this annotator's decisions.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")] = False,
    db: DbOpt = None,
) -> None:
    """Write every stored decision of a dataset as stored (one JSON object per line, sorted keys), unmerged.

    Example:

        annotate db-out news -o raw.jsonl
        annotate db-out news --annotator alice | head
    """
    from ..formats.export import check_dataset, export_raw

    with _open_store(db, create=False) as store:  # reading never creates a database
        check_dataset(store, dataset)
        n = export_raw(store.iter_decisions(dataset, annotator=annotator), output, force=force)
    where = "<stdout>" if output == "-" else output
    typer.echo(f"db-out {dataset!r}: {n} decision(s) written to {where}", err=True)
