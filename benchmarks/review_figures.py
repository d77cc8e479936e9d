"""Review figures for `annotate bench`, as one JSON line (run in a child process by annotate/bench.py).

Uses the measurements of ``benchmarks/bench_review.py`` (its ``bench_keys``,
``write_tasks`` and ``bench_first_task``) so the suite and that script never
disagree on what is measured::

    python benchmarks/review_figures.py [--tasks 100000] [--presses 200] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_review  # noqa: E402


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[max(0, int(round(len(s) * 0.95)) - 1)]


def figures(argv: list[str] | None = None) -> dict:
    """The review figures as a dict (the entry `annotate bench` calls in a child process)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--tmp", type=Path, default=None)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(dir=args.tmp))
    out = asyncio.run(bench_review.bench_keys(tmp / "keys.db", args.presses))
    floor: list[float] = []
    in_app: list[float] = []
    if len(out) == 5:  # (times, in-app times, pilot floor, tokens, spans)
        times, in_app, floor, n_tokens, n_spans = out
    else:  # (times, tokens, spans)
        times, n_tokens, n_spans = out
    ms = [t * 1000 for t in times]
    result = {
        "key_presses": len(ms),
        "key_p50_ms": statistics.median(ms),
        "key_p95_ms": p95(ms),
        "key_note": f"{n_tokens} tokens, {n_spans} spans, {len(ms)} presses, pilot press + pause",
        "notes": [],
    }
    if floor:
        result["floor_p95_ms"] = p95([t * 1000 for t in floor])
    if in_app:
        result["in_app_p95_ms"] = p95([t * 1000 for t in in_app])
        result["key_note"] += f"; inside the app (action to screen update) p95 {result['in_app_p95_ms']:.1f} ms"
    src = tmp / "big.jsonl"
    bench_review.write_tasks(src, args.tasks)
    first, done, total = asyncio.run(bench_review.bench_first_task(src, tmp / "big.db"))
    result["first_task_s"] = first
    result["all_loaded_s"] = done
    result["first_note"] = f"{total:,} tasks stored in the background after {done:.1f} s" if done else ""
    return result


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(figures(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
