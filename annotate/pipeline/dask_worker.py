"""A Dask worker preload for the local cluster of ``annotate pre --engine dask``: the pipeline is built as the
worker starts, and a closed worker exits at once.

Dask loads this module in each worker process it starts
(``distributed.worker.preload``, set by :mod:`.distributed` for the cluster a
job starts; a cluster given with ``--scheduler`` keeps its own settings).

As the worker starts, a thread builds the job's pipeline (its options are in
``$ANNOTATE_DASK_WARM``, which the job sets for its workers) while the worker
connects to the scheduler and waits for its first chunk (0.1-0.2 s at the
start of a job); :func:`wait_warm` makes a chunk wait for it rather than build a
second one. Only when the job names its language (``--lang``): otherwise the
language of each record decides which pipelines are needed, and building one
that is not would cost a second. A failure is left for the chunk to meet and
report.

When the job is over, the cluster asks each worker to close. The worker
closes its connections and returns, then Python tears down its modules: with
a spaCy pipeline loaded that takes 0.15 s of the job's end, spent freeing
memory that the exit frees anyway. Once Dask has closed the worker
(:func:`dask_teardown` ran), the exit skips that teardown (``os._exit``, after
the standard streams are flushed). A worker that ends any other way (an
error, a signal) exits as usual, with its own exit code. Chunk outputs are
complete before their task returns (written, flushed, fsynced, renamed), so
nothing is left to write.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from typing import Any

WARM_ENV = "ANNOTATE_DASK_WARM"  # the job's options (JSON), as annotate_chunk passes them to pre_annotate

_closed = False
_warm: threading.Thread | None = None


def _warm_up(options: dict[str, Any]) -> None:
    try:
        from ..io import Record
        from .pre import pre_annotate

        for _ in pre_annotate(iter([Record({"text": "1 %"}, "<warm-up>", 1)]), n_process=1, encode=True,
                              on_warning=lambda m: None, **options):
            pass
    except Exception:  # noqa: BLE001  # the first chunk builds the pipeline again and reports what fails
        pass


def wait_warm() -> None:
    """Wait until the pipeline the worker started building is built (at once when none is being built)."""
    if _warm is not None:
        _warm.join()


def _exit_now() -> None:
    if not _closed:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001  # a closed or broken stream: nothing to flush
            pass
    os._exit(0)


def dask_setup(worker: Any) -> None:
    # registered last, so it runs first: the handlers of the modules loaded earlier (Dask's own) are skipped
    atexit.register(_exit_now)
    global _warm
    try:
        options = json.loads(os.environ.get(WARM_ENV, "null"))
    except ValueError:
        options = None
    if isinstance(options, dict) and options.get("lang"):
        _warm = threading.Thread(target=_warm_up, args=(options,), name="annotate-warm-up", daemon=True)
        _warm.start()


def dask_teardown(worker: Any) -> None:
    global _closed
    _closed = True
