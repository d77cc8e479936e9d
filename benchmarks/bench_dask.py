"""Figures of `annotate pre --engine dask` (used by bench.py: ``--only dask``).

* ``dask_words_per_s``: the dask engine on a local cluster of 2 workers, end to
  end as a user runs it (cluster start, chunking, merge), against
  ``annotate pre`` in one process on the same input, alternating.
* ``dask_large_words_per_s``: the same on 4 times the input (19,200 paragraphs at ``--size full``),
  two rounds.
* ``dask_resume_redone_chunks``: a run in which one worker is killed (SIGKILL)
  mid-way; the figure is how many chunks were started more than once, and the
  output is compared byte for byte with the one-process output (the note says
  whether it was identical).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

DASK_CHUNK_BYTES = 8 * 1024


def _cli(args: list[str]) -> None:
    """``annotate ARGS`` as a user runs it: a fresh process, start-up and model loading included."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "annotate", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def bench_dask(size: Any, tmp: Path, progress: Callable[[str], None], *, corpus: Callable[..., list[str]],
               write_jsonl: Callable[..., Path], alternate: Callable[..., Any], timed: Callable[..., float],
               figure: Callable[..., Any]) -> list[Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        progress("dask: not installed (pip install 'annotate-news[dask]'); skipped")
        return []
    import logging

    import spacy

    from annotate.pipeline.distributed import auto_chunk_bytes, plan_chunks, run_pre_dask, work_dir_for

    def speed(texts: list[str], stem: str, name: str, label: str, repeats: int) -> tuple[Any, Path, Path, Path]:
        src = write_jsonl(texts, tmp / f"{stem}_in.jsonl")
        words = sum(len(d) for d in spacy.blank("fr").tokenizer.pipe(texts))
        one_out, dask_out = tmp / f"{stem}_one.jsonl", tmp / f"{stem}_out.jsonl"
        progress(f"dask: local 2-worker cluster vs one process, both as fresh CLI processes (alternating); {len(texts)} paragraphs")
        one = ["pre", str(src), "-o", str(one_out), "--lang", "fr", "-q", "--force"]
        # the chunk size a user gets (--chunk-mb not given: distributed.auto_chunk_bytes)
        on_dask = ["pre", str(src), "-o", str(dask_out), "--lang", "fr", "-q", "--force", "--engine", "dask", "-n", "2"]
        default_chunk = auto_chunk_bytes([str(src)])
        n_chunks = len(plan_chunks([str(src)], default_chunk, tail=True))  # as run_pre_dask plans them
        _cli(one)  # warm the build cache and the page cache, as for every figure
        one_t, dask_t = alternate(lambda: timed(lambda: _cli(one)), lambda: timed(lambda: _cli(on_dask)), repeats)
        same = dask_out.read_bytes() == one_out.read_bytes()
        fig = figure(
            name, f"annotate pre --engine dask -n 2 (a local cluster of 2 workers), end to end as a CLI process{label}",
            "words/s", [words / t for t in dask_t], [words / t for t in one_t], "annotate pre in one process, end to end",
            ">= 1.6x", check=lambda v, b, r: r is not None and r >= 1.6,
            note=f"{len(texts)} paragraphs, {words} words, {n_chunks} chunks of {default_chunk:,} bytes, the last quarter"
                 f" of the input in chunks a quarter of that size (the default);"
                 f" output identical to one process: {same}",
        )
        return fig, src, one_out, dask_out

    first, src, one_out, dask_out = speed(corpus(size.pre_docs * 4, seed=3), "dask", "dask_words_per_s", "", size.repeats)
    figures = [first]
    # the engine is for archives: at 4x the input the cluster's start-up (each worker loads spaCy and builds the
    # pipeline, about 5 s, before its first chunk) weighs a quarter as much
    large, *_ = speed(corpus(size.pre_docs * 16, seed=4), "dask_large", "dask_large_words_per_s",
                        ", 4x the input", min(2, size.repeats))
    figures.append(large)
    chunk = max(DASK_CHUNK_BYTES, src.stat().st_size // 12)  # the killed-worker run: a dozen chunks

    progress("dask: one worker killed mid-way, then the job finishes")
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
    try:
        with Client(cluster.scheduler_address) as client:
            pids = list(client.run(os.getpid).values())
        box: dict[str, Any] = {}

        def job() -> None:
            try:
                box["res"] = run_pre_dask([str(src)], str(dask_out), scheduler=cluster.scheduler_address, lang="fr",
                                          chunk_bytes=chunk, force=True)
            except BaseException as e:  # noqa: BLE001
                box["err"] = e

        t = threading.Thread(target=job)
        t.start()
        progress("dask: waiting for the first chunk before killing a worker")
        work = work_dir_for(str(dask_out))
        deadline = time.monotonic() + 300
        while t.is_alive() and not list(work.glob("chunk-*.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(pids[0], 9)
        t.join()
    finally:
        cluster.close()
    if "err" in box:
        raise box["err"]
    res = box.get("res")
    same = res is not None and dask_out.read_bytes() == one_out.read_bytes()
    f = figure(
        "dask_resume_redone_chunks", "chunks started twice when one of 2 workers is killed mid-way (SIGKILL)", "chunks",
        [float(res.redone if res else -1)], None, "", "<= 1 per killed worker, output identical",
        check=lambda v, b, r: same and 0 <= v <= 1,
        note=f"{res.chunks if res else '?'} chunks; output identical to one process: {same}",
    )
    figures.append(f)
    return figures
