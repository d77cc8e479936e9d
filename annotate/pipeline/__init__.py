"""The pre-annotation layer: spaCy components, their rules, pipeline assembly and the ``pre`` job.

Importing this package does not import spaCy; the names below load their
module on first use, so ``annotate.pipeline.workers`` stays cheap for
commands that never annotate.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "build_pipeline": "build",
    "cached_pipeline": "build",
    "model_description": "build",
    "OUR_COMPONENTS": "build",
    "pre_annotate": "pre",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
