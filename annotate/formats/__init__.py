"""Data formats: merging decisions into examples, JSONL and DocBin export, imports from other tools.

=================  ==========================================================
``merge``          merge plan: one example per text, latest/strict, conflicts
``binary``         Prodigy's binary answers (one span or label per task), merged per text
``examples``       alignment to tokens (the project's tokenizer per record language), example records, Docs
``report``         the export report; dataset and output checks
``jsonl``          JSONL export, and the raw dump of ``db-out``
``docbin``         DocBin shards and the spaCy export
``split``          the train/dev split, stratified over themes
``train_config``   the ``config.cfg`` for ``spacy train`` (CPU step budget)
``imports``        ``db-in``: the format registry and the import loop
``sources``        the files ``db-in`` reads: JSONL, JSON arrays, CSV, CoNLL
``offsets``        span offsets checked against their text; UTF-16/grapheme/UTF-8 converted
``native``         this toolkit's task shape (what every reader produces)
``prodigy``        Prodigy's task shape (also our own JSONL)
``doccano``        doccano's exports in; doccano's import shape out
``conll``          CoNLL/IOB in (IOB1, IOB2, BILUO) and out (IOB2)
``labelstudio``    Label Studio: JSON / JSON_MIN in, tasks and labeling config out
``argilla``        Argilla 2: records in (nested, flattened), records and settings out
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
