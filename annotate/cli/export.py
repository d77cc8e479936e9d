"""`annotate export`, `annotate db-in`, `annotate db-out`: reviewed data out, other tools' data in.

Each command is a wrapper over :mod:`annotate.formats.job` (``export_dataset``,
``import_dataset``, ``dump_dataset``) that prints the result's lines on stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..formats.docbin import DEFAULT_SHARD_SIZE
from ..formats.examples import Align, MisalignedSpans, parse_align
from ..formats.imports import import_formats
from ..formats.job import (
    Format,
    dump_dataset,
    export_dataset,
    import_dataset,
    parse_format,
)
from ..formats.merge import Resolve, parse_resolve
from ._common import DbOpt, choices
from .app import app

LabelsOpt = Annotated[
    Path | None, typer.Option("--labels", help="Labels folder (default: the repository's labels/).", show_default=False)
]


def _err(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)


@app.command("export")
def export_cmd(
    dataset: Annotated[str, typer.Argument(help="Dataset to export.", show_default=False)],
    output: Annotated[
        str, typer.Option("--output", "-o", help="A .jsonl file, - for stdout, a folder for --format spacy, a .json file for labelstudio/argilla.", show_default=False)
    ],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", "-f", parser=parse_format, metavar=choices(Format),
                     help="jsonl, spacy, labelstudio (tasks + labeling config beside) or argilla (records + settings beside) (default: from --output: .jsonl or -, else a folder)."),
    ] = None,
    resolve: Annotated[
        Resolve,
        typer.Option(parser=parse_resolve, metavar=choices(Resolve),
                     help="Disagreeing decisions on one input: latest (keep the latest accepted) or strict (leave it out)."),
    ] = Resolve.latest,
    align: Annotated[
        Align,
        typer.Option(parser=parse_align, metavar=choices(Align),
                     help="Spans off token boundaries: strict (list them, exit 1), expand or contract."),
    ] = Align.strict,
    dev_split: Annotated[float, typer.Option(help="Share of examples in dev.spacy (spacy format).")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the train/dev split.")] = 0,
    spans_key: Annotated[str, typer.Option(help="Span group holding every accepted span (spacy format).")] = "sc",
    base_model: Annotated[
        str | None,
        typer.Option(help="Pipeline whose vectors the config starts from (default fr_core_news_md for French; none for blank).", show_default=False),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Language (default: the examples' meta.lang, else en).", show_default=False)] = None,
    shard_size: Annotated[int, typer.Option(help="Docs per DocBin shard; more examples give a folder of shards.")] = DEFAULT_SHARD_SIZE,
    force: Annotated[bool, typer.Option("--force", help="Replace existing output.")] = False,
    db: DbOpt = None,
    labels: LabelsOpt = None,
) -> None:
    """Export a reviewed dataset: merged examples as JSONL, or train/dev DocBin files and a config for spacy train.

    Decisions on the same input merge into one example (accepted spans, accepted themes); rejected and ignored answers are left out. A report goes to stderr.

    --format labelstudio writes Label Studio tasks (reviewed examples as annotations, inputs only rejected or ignored as cancelled annotations, tasks nobody answered with their pre-annotations as predictions) and the labeling config beside them (NAME.config.xml); --format argilla writes Argilla 2 records (responses submitted, discarded or draft for accept, reject or ignore; pre-annotations as suggestions) and NAME.settings.json for rg.Settings.from_json.

    Example:

        annotate export news -o exports/news.jsonl
        annotate export news --format labelstudio -o exports/news_ls.json
        annotate export news --format argilla -o exports/news_argilla.json
        annotate export news --format spacy -o exports/news/
        python -m spacy train exports/news/config.cfg --paths.train exports/news/train.spacy --paths.dev exports/news/dev.spacy
    """
    try:
        result = export_dataset(
            dataset, output, format=fmt, db=db, labels=labels, lang=lang, resolve=resolve, align=align,
            dev_split=dev_split, seed=seed, spans_key=spans_key, base_model=base_model, shard_size=shard_size, force=force,
        )
    except MisalignedSpans as e:
        _err(e.lines())
        raise
    _err(result.lines())


@app.command("db-in")
def db_in_cmd(
    dataset: Annotated[str, typer.Argument(help="Dataset to import into (created if missing).", show_default=False)],
    sources: Annotated[list[str], typer.Argument(help="JSONL or JSON files (- for stdin).", show_default=False)],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", metavar="|".join(import_formats()),
                     help="Format of the records; auto recognises each record and says what it found."),
    ] = "auto",
    label_map: Annotated[
        list[str] | None, typer.Option("--label-map", help="Rename a label or theme: OLD=NEW (repeatable).", show_default=False)
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Check every line first; import nothing if one is malformed.")] = False,
    lang: Annotated[str | None, typer.Option(help="meta.lang for records without one.", show_default=False)] = None,
    annotator: Annotated[str, typer.Option(help="Annotator of imported decisions without _annotator_id.")] = "import",
    db: DbOpt = None,
    labels: LabelsOpt = None,
) -> None:
    """Import Prodigy, doccano, Label Studio, Argilla or annotate data: answers become decisions, others tasks to review.

    Spans may come with or without tokens; doccano's {"text", "label": [[start, end, "LABEL"], ...]} is understood. Label Studio's JSON and JSON_MIN exports: the latest non-cancelled annotation of a task is a decision, predictions of unannotated tasks are pre-annotations. Argilla 2 records: each user's responses are a decision (submitted accept, discarded reject, draft ignore), suggestions pre-annotations. Span texts are checked against the text (UTF-16 offsets are converted and reported). Labels unknown to labels/ are reported. Malformed lines are listed (path:line and fix), skipped, and the command exits 1; with --strict nothing is imported.

    Example:

        annotate db-in news old_prodigy_export.jsonl
        annotate db-in news doccano.jsonl --label-map ORGANIZATION=ORG --lang fr
        annotate db-in news project-1-at-2026-01-05.json --format labelstudio
        annotate db-in news argilla_records.json
    """
    result = import_dataset(
        dataset, sources, db=db, labels=labels, label_map=label_map or [], strict=strict, lang=lang, annotator=annotator,
        fmt=fmt,
    )
    _err(result.lines())
    error = result.error()
    if error is not None:
        raise error


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
    result = dump_dataset(dataset, output, db=db, annotator=annotator, force=force)
    _err(result.lines())
