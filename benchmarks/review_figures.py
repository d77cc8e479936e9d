"""Review figures for `benchmarks/bench.py`, as one JSON line (run in a child process by it).

Uses the measurements of ``benchmarks/bench_review.py`` (its ``bench_pty``,
``write_tasks`` and ``bench_first_task``) so the suite and that script never
disagree on what is measured::

    python benchmarks/review_figures.py [--tasks 100000] [--presses 200] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_review  # noqa: E402


def figures(argv: list[str] | None = None) -> dict:
    """The review figures as a dict (the entry benchmarks/bench.py calls in a child process)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--tmp", type=Path, default=None)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(dir=args.tmp))
    r = bench_review.bench_pty(tmp, args.presses)
    keys = bench_review.summarize(r["presses"])
    in_app = bench_review.summarize(r["presses"], "in_app_ms")
    floor = bench_review.summarize(r["floor"])
    esc = bench_review.summarize(r["bare_escape"])
    slowest = sorted(bench_review.by_key(r["presses"]).items(), key=lambda kv: -kv[1]["p95"])[:3]
    note = (f"real `annotate review` in a {bench_review.SIZE[0]}x{bench_review.SIZE[1]} pty, write of the key to the end of "
            f"its last synchronized frame; {r['tokens']} tokens, {r['spans']} spans, {keys['n']} presses; "
            f"p50 {keys['p50']:.1f} ms")
    if in_app["n"]:
        note += f"; inside the app (action to screen update) p50 {in_app['p50']:.1f} / p95 {in_app['p95']:.1f} ms"
    note += "; slowest keys (p95): " + ", ".join(f"{k} {v['p95']:.0f} ms" for k, v in slowest)
    if esc["n"]:
        note += f"; a bare ESC (no kitty keyboard protocol) adds Textual's escape wait: p50 {esc['p50']:.0f} ms"
    note += f"; load average {r['load_before']:.2f} / {r['load_after']:.2f} on {os.cpu_count()} cores"
    result = {
        "key_presses": keys["n"],
        "key_p50_ms": keys["p50"],
        "key_p95_ms": keys["p95"],
        "in_app_p50_ms": in_app.get("p50"),
        "in_app_p95_ms": in_app.get("p95"),
        "floor_p50_ms": floor.get("p50"),
        "floor_p95_ms": floor.get("p95"),
        "key_note": note,
        "load": [r["load_before"], r["load_after"]],
        "notes": [],
    }
    if r["no_frame"]:
        result["notes"].append(f"review: {len(r['no_frame'])} key press(es) drew nothing: {', '.join(sorted(set(r['no_frame'])))}")
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
    sys.exit(main(argv=None))
