"""How many processes a job uses: ``--n-process`` of `annotate pre` and `annotate review`."""

from __future__ import annotations

import os

from ..errors import Errors


def n_processes(value: int) -> int:
    """``--n-process`` as a count of processes: -1 is one per core; 0 and below -1 are a usage error (E203)."""
    if value == -1:
        return os.cpu_count() or 1
    if value < 1:
        raise Errors.E203(value=value)
    return value
