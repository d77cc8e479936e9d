"""Score the pre-annotator against gold data: one file or many, complete or partial gold.

:func:`evaluate` reads gold JSONL (see :mod:`annotate.evaluation.gold` for
the fields ``labels``, ``recall_only``, ``alt`` and ``cats``), pre-annotates
every record and returns an :class:`EvalResult`: exact and overlap scores per
label, per file and in total, themes, and the errors of exact matching (see
:mod:`annotate.evaluation.scoring` for the matching rules).

The pieces are usable alone: :func:`read_gold` → :func:`predict` (→
:func:`collect`) → :func:`score`.
"""

from .gold import GoldFile, GoldRecord, GoldSpan, check_record, gold_paths, iter_gold_records, read_gold
from .predict import collect, evaluate, predict
from .scoring import (
    ERROR_KINDS,
    PRF,
    EvalResult,
    Scores,
    SpanError,
    classify_errors,
    match_exact,
    match_overlap,
    score,
    score_record,
)

__all__ = [
    "ERROR_KINDS",
    "PRF",
    "EvalResult",
    "GoldFile",
    "GoldRecord",
    "GoldSpan",
    "Scores",
    "SpanError",
    "check_record",
    "classify_errors",
    "collect",
    "evaluate",
    "gold_paths",
    "iter_gold_records",
    "match_exact",
    "match_overlap",
    "predict",
    "read_gold",
    "score",
    "score_record",
]
