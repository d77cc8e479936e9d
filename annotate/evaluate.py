"""Kept for old imports: the scorer now lives in :mod:`annotate.evaluation`."""

from .evaluation import PRF, EvalResult, Scores, SpanError, evaluate

__all__ = ["PRF", "EvalResult", "Scores", "SpanError", "evaluate"]
