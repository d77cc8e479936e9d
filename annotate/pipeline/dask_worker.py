"""A Dask worker preload for ``annotate pre --engine dask``: chunks are annotated in a single-threaded child
process that starts with the worker, and a closed worker exits at once.

Dask loads this module in each worker process it starts
(``distributed.worker.preload``, set by :mod:`.distributed` for the cluster a
job starts; on a cluster of one's own, ``dask worker ... --preload
annotate.pipeline.dask_worker``).

**The child.** A Dask worker always runs several threads (its event loop, the
task thread, Dask's own), and in a process with more than one thread every
lock costs an atomic operation: glibc and CPython take a fast path only while
a process has one thread. spaCy's parser takes and gives back the GIL for each
transition of each text (``PyGILState_Ensure`` from its ``nogil`` code), so the
same chunk took 0.61 s in any process with a second thread, even a sleeping
one, against 0.56 s with none. A worker with one task thread therefore starts
a child process (``python -m annotate.pipeline.dask_worker``) that has a single
thread: the worker's tasks hand it their chunk over a pipe, the child runs
:func:`annotate.pipeline.distributed.annotate_chunk` and sends back its counts
or its error (an :class:`~annotate.errors.AnnotateError` keeps its fields). The
child is started from the worker's main thread as the worker starts and, with
``--lang`` (the job's options come in ``$ANNOTATE_DASK_WARM``), builds the
job's pipeline at once, while the worker connects to the scheduler. It is
killed when the worker dies (``PR_SET_PDEATHSIG`` on Linux; elsewhere it ends at
the end of its chunk, when its pipe closes). If it dies, the worker annotates
its chunks itself from then on.

**The exit.** When the job is over, the cluster asks each worker to close.
Python would then tear down its modules; once Dask has closed the worker
(:func:`dask_teardown` ran), the exit skips that (``os._exit``, after the
standard streams are flushed): 0.2 -> 0.04 s at the end of a job. A worker that
ends any other way exits as usual, with its own exit code. Chunk outputs are
complete before their task returns (written, flushed, fsynced, renamed), so
nothing is left to write.
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import struct
import subprocess
import sys
import threading
from typing import Any, BinaryIO

WARM_ENV = "ANNOTATE_DASK_WARM"  # the job's options (JSON), as annotate_chunk passes them to pre_annotate
_HEADER = struct.Struct("<Q")

_closed = False


# ----------------------------------------------------------------- messages over a pipe


def _send(f: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(_HEADER.pack(len(data)) + data)
    f.flush()


def _receive(f: BinaryIO) -> Any:
    head = f.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the other end closed the pipe")
    (n,) = _HEADER.unpack(head)
    data = f.read(n)
    if len(data) < n:
        raise EOFError("the other end closed the pipe")
    return pickle.loads(data)


# ----------------------------------------------------------------- the worker side


class Child:
    """The worker's single-threaded annotating process."""

    def __init__(self, options: dict[str, Any] | None) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", __name__, str(os.getpid()), json.dumps(options)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
        )

    def call(self, request: tuple[Any, ...]) -> Any:
        """The child's answer to ``request``; EOFError (and the child is let go) if it is gone."""
        with self.lock:
            proc = self.proc
            if proc is None:
                raise EOFError("the child process is gone")
            try:
                _send(proc.stdin, request)  # type: ignore[arg-type]
                status, value = _receive(proc.stdout)  # type: ignore[arg-type]
            except (OSError, EOFError, pickle.UnpicklingError):
                self.close()
                raise EOFError("the child process is gone") from None
        if status == "err":
            raise value
        return value

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            for f in (proc.stdin, proc.stdout):
                try:
                    f.close()  # type: ignore[union-attr]
                except OSError:
                    pass


_child: Child | None = None


def child() -> Child | None:
    """This worker's child process, or None (not a worker with the preload, several task threads, or it died)."""
    return _child


def run_in_child(chunk: Any, options: dict[str, Any], work: str) -> dict[str, Any] | None:
    """``annotate_chunk``'s result from the child, or None when there is no child to do it."""
    global _child
    c = _child
    if c is None:
        return None
    try:
        return c.call(("chunk", chunk, options, work))
    except EOFError:
        _child = None  # this chunk and the next are annotated in this process (annotate_chunk can start again)
        return None


def dask_setup(worker: Any) -> None:
    # registered last, so it runs first: the handlers of the modules loaded earlier (Dask's own) are skipped
    atexit.register(_exit_now)
    global _child
    nthreads = getattr(getattr(worker, "state", None), "nthreads", 1)
    if nthreads != 1:  # tasks would wait for each other on one child
        return
    try:
        options = json.loads(os.environ.get(WARM_ENV) or "null")
    except ValueError:
        options = None
    warm = options if isinstance(options, dict) and options.get("lang") else None
    try:
        _child = Child(warm)  # from the worker's main thread, which lives as long as the worker
    except OSError:
        _child = None


def dask_teardown(worker: Any) -> None:
    global _closed, _child
    _closed = True
    if _child is not None:
        _child.close()  # the child sees its input end and exits
        _child = None


def _exit_now() -> None:
    if not _closed:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001  # a closed or broken stream: nothing to flush
            pass
    os._exit(0)


# ----------------------------------------------------------------- the child side


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the worker died before the call above
        os._exit(1)


def _warm_up(options: dict[str, Any]) -> None:
    try:
        from ..io import Record
        from .pre import pre_annotate

        for _ in pre_annotate(iter([Record({"text": "1 %"}, "<warm-up>", 1)]), n_process=1, encode=True,
                              on_warning=lambda m: None, **options):
            pass
    except Exception:  # noqa: BLE001  # the first chunk builds the pipeline again and reports what fails
        pass


def _info() -> dict[str, Any]:
    from .build import _cached_pipeline

    return {"threads": threading.active_count(), "pipelines": _cached_pipeline.cache_info().currsize}


def _child_main(argv: list[str]) -> None:
    _die_with_parent(int(argv[0]))
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to the worker's stderr, not into the replies
    options = json.loads(argv[1])
    if options:
        _warm_up(options)
    from .distributed import annotate_chunk

    while True:
        try:
            request = _receive(requests)
        except EOFError:
            break
        try:
            if request[0] == "chunk":
                reply: tuple[str, Any] = ("ok", annotate_chunk(*request[1:], in_child=True))
            else:
                reply = ("ok", _info())
        except Exception as e:  # noqa: BLE001  # sent back: the worker raises it as the task's error
            try:
                pickle.dumps(e)
            except Exception:  # noqa: BLE001
                e = RuntimeError(f"{type(e).__name__}: {e}")
            reply = ("err", e)
        _send(replies, reply)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    _child_main(sys.argv[1:])
