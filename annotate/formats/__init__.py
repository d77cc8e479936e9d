"""Data formats: merging decisions into examples, JSONL and DocBin export, imports from other tools.

=================  ==========================================================
``merge``          merge plan: one example per input, latest/strict, conflicts
``examples``       alignment to tokens, example records, Docs
``report``         the export report; dataset and output checks
``jsonl``          JSONL export, and the raw dump of ``db-out``
``docbin``         DocBin shards and the spaCy export
``train_config``   the ``config.cfg`` for ``spacy train``
``imports``        ``db-in``: the format registry and the import loop
``native``         this toolkit's task shape (what every reader produces)
``prodigy``        Prodigy's task shape (also our own JSONL)
``doccano``        doccano's exports
``labelstudio``    Label Studio: JSON / JSON_MIN in, tasks and labeling config out
``argilla``        Argilla 2: records in (nested, flattened), records and settings out
``offsets``        span offsets checked against the text (UTF-16 converted)
``sources``        db-in's input files: JSONL or a JSON array, with line numbers
``interop``        export to Label Studio and Argilla (examples + pending tasks)
``job``            the dataset jobs: export / import / dump on a database
=================  ==========================================================
"""

from .docbin import export_spacy, split_dev
from .examples import Align, MisalignedSpans, example_to_doc
from .imports import (
    READERS,
    ImportReport,
    import_records,
    normalize_record,
    parse_label_map,
)
from .job import (
    EXPORTERS,
    DumpResult,
    ExportResult,
    Format,
    ImportResult,
    dump_dataset,
    export_dataset,
    import_dataset,
)
from .jsonl import export_jsonl, export_raw
from .merge import Resolve, merged_decisions, plan_merge
from .report import ExportReport, check_dataset

__all__ = [
    "EXPORTERS", "READERS", "Align", "DumpResult", "ExportReport", "ExportResult", "Format", "ImportReport",
    "ImportResult", "MisalignedSpans", "Resolve", "check_dataset", "dump_dataset", "example_to_doc", "export_dataset",
    "export_jsonl", "export_raw", "export_spacy", "import_dataset", "import_records", "merged_decisions",
    "normalize_record", "parse_label_map", "plan_merge", "split_dev",
]
