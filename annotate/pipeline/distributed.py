"""``annotate pre --engine dask``: pre-annotation on a Dask cluster, in chunks, resumable.

The inputs are cut into chunks on disk (a chunk is a list of byte ranges of
the input files, cut at line ends, a few MB of text each; nothing is copied).
Each chunk is annotated by a Dask worker, which builds the pipeline once per
process and keeps it (:func:`annotate.pipeline.build.cached_pipeline`), and
written to its own file in a work folder beside the output
(``.NAME.chunks/``), through a temporary file moved into place: a chunk file
that exists is complete. The chunk files are then joined in input order into
the output, which is byte-identical to ``annotate pre`` in one process (each
record keeps its own source file and line in ``meta``).

A rerun of the same job (same inputs, sizes and modification times, same
options and toolkit version: the job key in ``manifest.json``) skips the
chunks whose file is complete, so a job stopped by a crash, Ctrl-C or a lost
worker resumes where it was. A killed worker's chunk is rescheduled by Dask
on another worker; ``attempts.log`` counts the chunks that were started more
than once. The work folder is removed once the output is complete, unless
``keep_chunks``.

Dask is an optional extra (``pip install 'annotate-news[dask]'``): this
module imports it only when a job runs. The workers must see the input
files under the same paths (a shared file system on a real cluster).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..about import __version__
from ..errors import Errors
from ..io import Record, _read_txt, atomic_output, empty_input, read_jsonl_range, split_records
from ..labels import load_labels

CHUNK_BYTES = 4 * 1024 * 1024  # at most about 4 MB of input text per chunk by default
# by default the input is cut into about this many chunks (each between MIN_AUTO_CHUNK_BYTES and CHUNK_BYTES):
# a worker that finishes its last chunk early idles while another finishes its own, so a few large chunks
# (5.4 MB in chunks of 4 MB: 2 chunks, one worker doing three quarters of the work) waste the cluster
AUTO_CHUNKS = 32
MIN_AUTO_CHUNK_BYTES = 64 * 1024
# and the last TAIL_SHARE of the input in chunks TAIL_DIVISOR times smaller: the workers then end within a small
# chunk of each other (4,800 paragraphs in 21 chunks of 0.6 s on 2 workers: one of them idled 0.3 s on average at
# the end); a chunk costs about 3 ms of its own
TAIL_SHARE = 0.25
TAIL_DIVISOR = 4
MANIFEST = "manifest.json"
ATTEMPTS = "attempts.log"
_BLOCK = 1 << 20
# Dask's own diagnostics, turned down on the local cluster a job starts (a cluster given with --scheduler keeps
# its settings): by default every worker runs a statistical profiler that samples its threads every 10 ms, every
# process checks its event loop every 20 ms, and the memory and system monitors poll several times a second. On a
# machine whose cores the workers fill, that CPU is taken from annotating (on 2 cores, 4,800 paragraphs: the
# client's own CPU 1.4 -> 1.1 s, the job about 4 % shorter). Nothing of the output depends on them.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    # the nannies start workers with MALLOC_TRIM_THRESHOLD_=65536 (glibc gives freed memory back to the system at
    # once, so that a worker's memory reading drops): spaCy allocates and frees a Doc's arrays for every text, and
    # with that setting each chunk took 15 % longer (0.685 against 0.596 s in one process, 4,800 paragraphs in 21
    # chunks); None unsets it (the thread limits of the same setting, OMP_NUM_THREADS=1 …, are kept)
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # each worker annotates in a single-threaded child process that builds the job's pipeline as the worker starts
    # (with --lang), and exits without tearing its modules down once closed: annotate.pipeline.dask_worker
    "distributed.worker.preload": ["annotate.pipeline.dask_worker"],
}


@dataclass(frozen=True)
class Piece:
    """A byte range of one input file: lines ``first_line``… of a JSONL file, or a whole ``.txt`` file."""

    source: str
    start: int
    end: int
    first_line: int
    kind: str  # "jsonl" | "txt"


@dataclass(frozen=True)
class Chunk:
    index: int
    pieces: tuple[Piece, ...]

    @property
    def name(self) -> str:
        return f"chunk-{self.index:06d}"


@dataclass
class ChunkResult:
    index: int
    n_tasks: int
    words: int
    per_label: dict[str, int]
    per_theme: dict[str, int]
    skipped: bool = False  # complete from an earlier run


@dataclass
class DaskPreResult:
    output: str
    chunks: int = 0
    reused: int = 0  # chunks complete from an earlier run
    redone: int = 0  # chunks started more than once (a worker was lost)
    n_tasks: int = 0
    words: int = 0
    seconds: float = 0.0
    per_label: Counter[str] = None  # type: ignore[assignment]
    per_theme: Counter[str] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.per_label = Counter()
        self.per_theme = Counter()


# ----------------------------------------------------------------- planning


def _sizes(sources: list[str]) -> list[int]:
    """The byte size of each source (E050 for standard input: it cannot be cut into byte ranges)."""
    if "-" in sources:
        raise Errors.E050()
    return [os.path.getsize(p) for p in sources]


def auto_chunk_bytes(sources: list[str]) -> int:
    """The default chunk size of ``sources``: their total size in :data:`AUTO_CHUNKS` chunks, each between
    :data:`MIN_AUTO_CHUNK_BYTES` and :data:`CHUNK_BYTES` (from the sizes alone, so a rerun plans the same chunks)."""
    total = sum(_sizes(sources))
    return max(MIN_AUTO_CHUNK_BYTES, min(CHUNK_BYTES, -(-total // AUTO_CHUNKS)))


def plan_chunks(sources: list[str], chunk_bytes: int = CHUNK_BYTES, *, tail: bool = False) -> list[Chunk]:
    """Cut ``sources`` into chunks of about ``chunk_bytes`` bytes, at line ends, in input order.

    ``tail``: the last :data:`TAIL_SHARE` of the bytes in chunks :data:`TAIL_DIVISOR` times smaller (the
    workers take chunks in input order, so the small ones fill the end)."""
    sizes = _sizes(sources)
    small_from = sum(sizes) * (1 - TAIL_SHARE) if tail else float("inf")  # where the small chunks begin
    small = max(1, chunk_bytes // TAIL_DIVISOR)
    chunks: list[Chunk] = []
    current: list[Piece] = []
    size = 0
    done = 0  # bytes of the input before the current position

    def target() -> int:
        return chunk_bytes if done - size < small_from else small  # a chunk's size is set where it begins

    def close() -> None:
        nonlocal current, size
        if current:
            chunks.append(Chunk(len(chunks), tuple(current)))
        current, size = [], 0

    for src, length in zip(sources, sizes):
        if not src.lower().endswith(".jsonl"):
            current.append(Piece(src, 0, length, 1, "txt"))
            size += length
            done += length
            if size >= target():
                close()
            continue
        with open(src, "rb") as f:
            start, line = 0, 1
            while start < length:
                room = max(target() - size, 1)
                if start + room < length:
                    f.seek(start + room - 1)
                    f.readline()  # to the end of the line that holds the chunk's last byte
                else:
                    f.seek(length)
                end = min(f.tell(), length)
                current.append(Piece(src, start, end, line, "jsonl"))
                size += end - start
                done += end - start
                line += _count_newlines(f, start, end)
                start = end
                if size >= target():
                    close()
    close()
    return chunks


def _count_newlines(f: Any, start: int, end: int) -> int:
    f.seek(start)
    n, left = 0, end - start
    while left > 0:
        block = f.read(min(_BLOCK, left))
        if not block:
            break
        n += block.count(b"\n")
        left -= len(block)
    return n


def read_chunk(chunk: Chunk, split: str | None) -> Iterator[Record]:
    """The records of a chunk, each with its own source and line (as :func:`annotate.io.read_records` gives them)."""
    for piece in chunk.pieces:
        if piece.kind == "txt":
            records: Iterable[Record] = _read_txt(piece.source)
        else:
            records = read_jsonl_range(piece.source, piece.start, piece.end, piece.first_line)
        yield from split_records(records, split)


# ----------------------------------------------------------------- the job key


def job_key(sources: list[str], options: dict[str, Any], chunk_bytes: int, *, tail: bool = False) -> str:
    """What makes two runs the same job: inputs (path, size, mtime), options, chunking and version."""
    files = []
    for s in sources:
        st = os.stat(s)
        files.append([s, st.st_size, st.st_mtime_ns])
    blob = json.dumps({"files": files, "options": options, "chunk_bytes": chunk_bytes, "tail": tail,
                       "version": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def work_dir_for(output: str) -> Path:
    out = Path(output)
    return out.parent / f".{out.name}.chunks"


def _prepare_work_dir(work: Path, key: str, n_chunks: int) -> None:
    """Keep the work folder of the same job (resume); start a new one for any other job."""
    manifest = work / MANIFEST
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("key") == key and old.get("chunks") == n_chunks:
            return
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "chunks": n_chunks, "version": __version__}), encoding="utf-8")
    os.replace(tmp, manifest)


# ----------------------------------------------------------------- the worker side


def annotate_chunk(chunk: Chunk, options: dict[str, Any], work: str, *, in_child: bool = False) -> dict[str, Any]:
    """Annotate one chunk into ``work/chunk-N.jsonl`` (atomically); return its counts, or the user error.

    In a Dask worker with :mod:`.dask_worker`'s single-threaded child, the child does it (``in_child``: this is
    the child)."""
    if not in_child:
        from .dask_worker import run_in_child

        counts = run_in_child(chunk, options, work)
        if counts is not None:
            return counts
    from .pre import pre_annotate

    folder = Path(work)
    done = folder / f"{chunk.name}.json"
    if done.exists():  # finished by an earlier attempt
        return json.loads(done.read_text(encoding="utf-8"))
    with open(folder / ATTEMPTS, "a", encoding="utf-8") as log:
        log.write(f"{chunk.index}\n")
    threshold = options.pop("threshold")
    counts: dict[str, Any] = {"index": chunk.index, "n_tasks": 0, "words": 0, "per_label": Counter(), "per_theme": Counter()}
    target = folder / f"{chunk.name}.jsonl"
    tmp = folder / f".{chunk.name}.{os.getpid()}.tmp"
    try:
        tasks = pre_annotate(read_chunk(chunk, options.get("split")), n_process=1, encode=True, on_warning=lambda m: None, **options)
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            for task in tasks:
                out.write(task.line)
                counts["n_tasks"] += 1
                counts["words"] += task.words
                counts["per_label"].update(task.labels)
                counts["per_theme"].update(k for k, v in task.cats.items() if v >= threshold)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:  # an AnnotateError reaches the client with its fields (it pickles them)
        _unlink(tmp)
        raise
    counts["per_label"], counts["per_theme"] = dict(counts["per_label"]), dict(counts["per_theme"])
    tmp_done = done.with_suffix(".json.tmp")
    tmp_done.write_text(json.dumps(counts), encoding="utf-8")
    os.replace(tmp_done, done)
    return counts


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except OSError:
        pass


# ----------------------------------------------------------------- the client side


def run_pre_dask(
    inputs: Iterable[str | Path],
    output: str,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    lang: str | None = None,
    model: str | None = None,
    model_en: str | None = None,
    labels: str | Path | None = None,
    split: str | None = None,
    batch_size: int = 64,
    ref_date: str | None = None,
    chunk_bytes: int | None = None,
    force: bool = False,
    keep_chunks: bool = False,
    on_warning: Callable[[str], None] | None = None,
    progress: Callable[[Iterable[Any], int | None], Iterable[Any]] | None = None,
) -> DaskPreResult:
    """Pre-annotate ``inputs`` into ``output`` on a Dask cluster (a local one when ``scheduler`` is None)."""
    from .job import job_sources
    from .reldates import check_ref_date  # not .pre: the client never imports spaCy (0.4 s before the cluster starts)

    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise Errors.E051() from None
    if output == "-":
        raise Errors.E052()
    if os.path.isdir(output) or output.endswith(os.sep):
        output = os.path.join(output, "pre.jsonl")
    ref = check_ref_date(ref_date)  # a bad --ref-date fails before any input is read
    lab = load_labels(labels)
    sources = job_sources(inputs, output, force=force, on_warning=on_warning)
    if lang is not None:
        from .lang import SUPPORTED

        if lang not in SUPPORTED:
            raise Errors.E201(lang=lang)
    if model is not None and on_warning is not None:  # a model from annotate train: what it is used for, said once here
        from .trained import trained_model

        trained = trained_model(model, labels)
        for note in trained.notes() if trained is not None else []:
            on_warning(note)
    options = {"lang": lang, "model": model, "model_en": model_en,
               "labels": str(Path(labels).resolve()) if labels is not None else None,
               "split": split, "batch_size": batch_size, "ref_date": ref.isoformat() if ref else None}
    tail = chunk_bytes is None  # a size the user gives is the size of every chunk
    if chunk_bytes is None:
        chunk_bytes = auto_chunk_bytes(sources)
    chunks = plan_chunks(sources, chunk_bytes, tail=tail)
    if not chunks or all(p.start == p.end for c in chunks for p in c.pieces):
        raise empty_input(sources[0], many=len(sources) > 1)
    work = work_dir_for(output)
    _prepare_work_dir(work, job_key(sources, options, chunk_bytes, tail=tail), len(chunks))
    result = DaskPreResult(output=output, chunks=len(chunks))
    started = time.perf_counter()
    wire = dict(options, threshold=lab.taxonomy.settings.threshold)
    # into a regular file the chunks are joined as they complete (the client is idle meanwhile); into a pipe or a
    # device only once all are, so that a failed job writes nothing there
    regular = _regular(output)
    with atomic_output(output) as out:
        merge = _Merge(work, chunks, out, live=regular)
        cluster = None
        try:
            if scheduler is None:
                import logging

                import dask

                from .dask_worker import WARM_ENV

                # read as the scheduler, nannies and workers start; the workers' children build the job's pipeline
                with dask.config.set({**LOCAL_CLUSTER_CONFIG, f"distributed.nanny.environ.{WARM_ENV}": json.dumps(options)}):
                    cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                                           processes=True, dashboard_address=None, silence_logs=logging.ERROR)
                    client = Client(cluster)
            else:
                try:
                    client = Client(scheduler, timeout="20s")
                except (OSError, TimeoutError) as e:
                    raise Errors.E053(address=scheduler, reason=str(e) or type(e).__name__) from None
            with client:
                results = _run_chunks(client, as_completed, chunks, wire, work, progress, merge.complete)
        finally:
            if cluster is not None:
                cluster.close()
        for r in results:
            result.reused += r.skipped
            result.n_tasks += r.n_tasks
            result.words += r.words
            result.per_label.update(r.per_label)
            result.per_theme.update(r.per_theme)
        if result.n_tasks == 0:
            raise empty_input(sources[0], many=len(sources) > 1)  # the temporary output is removed
        merge.finish()
    result.redone = _redone(work)
    if not keep_chunks:
        shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def _run_chunks(client: Any, as_completed: Any, chunks: list[Chunk], wire: dict[str, Any], work: Path,
                progress: Callable[[Iterable[Any], int | None], Iterable[Any]] | None,
                on_complete: Callable[[int], None]) -> list[ChunkResult]:
    """Run the chunks not complete from an earlier run; ``on_complete(index)`` as each chunk is known complete."""
    results: dict[int, ChunkResult] = {}
    todo = []
    for chunk in chunks:
        done = work / f"{chunk.name}.json"
        if done.exists() and (work / f"{chunk.name}.jsonl").exists():
            c = json.loads(done.read_text(encoding="utf-8"))
            results[chunk.index] = ChunkResult(chunk.index, c["n_tasks"], c["words"], c["per_label"], c["per_theme"], skipped=True)
        else:
            todo.append(chunk)
    run = uuid.uuid4().hex[:12]  # keys unique to this run: a scheduler may still know an earlier run's
    futures = [client.submit(annotate_chunk, chunk, dict(wire), str(work), key=f"annotate-{chunk.name}-{run}",
                             pure=False) for chunk in todo]  # a lost worker: Dask reruns its chunk elsewhere
    try:
        for index in sorted(results):  # once the workers have their chunks: joining these takes a while on a resume
            on_complete(index)
        stream: Iterable[Any] = as_completed(futures)
        if progress is not None:
            stream = progress(stream, len(futures))
        for fut in stream:
            c = fut.result()
            results[c["index"]] = ChunkResult(c["index"], c["n_tasks"], c["words"], c["per_label"], c["per_theme"])
            on_complete(c["index"])
    except BaseException:
        client.cancel(futures)
        raise
    return [results[c.index] for c in chunks]


class _Merge:
    """The chunk outputs joined into ``out`` in input order, each once it and every chunk before it are complete:
    as they complete when ``live`` (the output), else all at :meth:`finish`."""

    def __init__(self, work: Path, chunks: list[Chunk], out: Any, *, live: bool) -> None:
        self.work, self.out, self.live = work, out, live
        self.names = [c.name for c in chunks]  # chunk i is chunks[i]
        self.done = [False] * len(chunks)
        self.written = 0

    def complete(self, index: int) -> None:
        self.done[index] = True
        if self.live:
            self._write()

    def finish(self) -> None:
        self._write()
        if self.written != len(self.names):  # every chunk reported complete, so this cannot happen
            raise RuntimeError(f"chunk {self.written} of {len(self.names)} was never completed")

    def _write(self) -> None:
        while self.written < len(self.names) and self.done[self.written]:
            with open(self.work / f"{self.names[self.written]}.jsonl", encoding="utf-8", newline="\n") as part:
                shutil.copyfileobj(part, self.out, 1 << 20)
            self.written += 1


def _regular(path: str) -> bool:
    """Whether ``path`` is, or will be, a regular file (not a pipe or a device such as /dev/stdout)."""
    return os.path.isfile(path) or not os.path.exists(path)  # both answer False rather than raise


def _redone(work: Path) -> int:
    try:
        lines = (work / ATTEMPTS).read_text(encoding="utf-8").split()
    except OSError:
        return 0
    return sum(n - 1 for n in Counter(lines).values() if n > 1)


def describe(chunks: list[Chunk]) -> list[dict[str, Any]]:
    """The plan as plain data (for ``manifest.json`` readers and tests)."""
    return [{"index": c.index, "pieces": [asdict(p) for p in c.pieces]} for c in chunks]
