"""Benchmark the review screen (prints figures, asserts nothing).

1. Key press to redraw on a 5,000-word document: p50 / p95 over many presses
   (pilot.press + pilot.pause, i.e. the key handled and the screen repainted), and the same
   measured inside the app (action handler start to the end of the screen update it caused).
2. Time to first task when the input holds 100,000 tasks (loaded in the
   background, in batches), from creating the app to a task on screen.

    /tmp/venv/bin/python benchmarks/bench_review.py [--tasks 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import spacy

from annotate.review.app import ReviewApp
from annotate.review.loader import iter_review_tasks, load_tasks
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store
from annotate.tasks import doc_to_task

LABELS = ReviewLabels.load()
NLP = spacy.blank("fr")


def long_task(n_words: int = 5000) -> dict:
    rnd = random.Random(0)
    words = []
    for i in range(n_words):
        words.append(rnd.choice(["Acme", "le", "marché", "a", "gagné", "5", "%", "en", "2024", "la", "BCE", "taux"]))
        if i % 60 == 59:
            words[-1] += "."
    text = " ".join(words)
    doc = NLP.make_doc(text)
    ents = []
    for t in doc:
        if t.text in ("Acme", "BCE"):
            ents.append(doc[t.i:t.i + 1])
            ents[-1].label_ = "ORG"
        elif t.text == "2024":
            ents.append(doc[t.i:t.i + 1])
            ents[-1].label_ = "DATE"
    doc.ents = [doc.char_span(e.start_char, e.end_char, label=e.label_) for e in ents]
    doc.cats = {"FINANCE": 0.8, "MARKETS": 0.6}
    return doc_to_task(doc)


async def bench_keys(db: Path, presses: int) -> tuple[list[float], list[float], list[float], int, int]:
    task = long_task()
    with Store(db) as s:
        s.add_tasks("bench", [task])
        app = ReviewApp(ReviewSession(s, "bench", "bench", LABELS))
        keys = ["right", "right", "t", "right_square_bracket", "right_curly_bracket", "f1", "2", "left", "t", "n",
                "right", "m", "right", "escape", "f2", "1"]
        times = []
        in_app: list[float] = []
        # in-app time: from the action handler's start to the end of the last screen update (compositor
        # render of the changed widgets, handed to App._display) it caused; the pilot's own overhead
        # (event posting, pauses) is left out.
        mark: dict[str, float | None] = {"start": None, "end": None}

        def timed(method):
            @functools.wraps(method)
            def wrapper(*args, **kwargs):
                if mark["start"] is None:
                    mark["start"] = time.perf_counter()
                try:
                    return method(*args, **kwargs)
                finally:
                    mark["end"] = time.perf_counter()
            return wrapper

        for name in dir(app):
            if name.startswith("action_") and name not in ("action_quit", "action_help"):
                setattr(app, name, timed(getattr(app, name)))
        display = app._display

        def timed_display(screen, renderable):
            display(screen, renderable)
            if mark["start"] is not None:
                mark["end"] = time.perf_counter()

        app._display = timed_display
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for i in range(presses):
                k = keys[i % len(keys)]
                mark["start"] = mark["end"] = None
                t0 = time.perf_counter()
                await pilot.press(k)
                await pilot.pause()
                times.append(time.perf_counter() - t0)
                if mark["start"] is not None:
                    in_app.append(mark["end"] - mark["start"])
            base = []
            for _ in range(60):  # a key bound to nothing: the pilot's own cost per press
                t0 = time.perf_counter()
                await pilot.press("z")
                await pilot.pause()
                base.append(time.perf_counter() - t0)
        return times, in_app, base, len(task["tokens"]), len(task["spans"])


def write_tasks(path: Path, n: int) -> None:
    base = []
    for i in range(200):
        text = f"Dépêche {i} : Acme a gagné 5 % en 2024 selon la BCE."
        doc = NLP.make_doc(text)
        doc.ents = [doc.char_span(text.index("Acme"), text.index("Acme") + 4, label="ORG")]
        doc.cats = {"FINANCE": 0.7}
        base.append(doc_to_task(doc))
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            t = dict(base[i % 200])
            t["meta"] = {"n": i}
            t["_input_hash"] = i  # distinct tasks (same text and tokens)
            t["_task_hash"] = i
            f.write(json.dumps(t, ensure_ascii=False) + "\n")


async def bench_first_task(src: Path, db: Path) -> tuple[float, float | None, int]:
    t0 = time.perf_counter()
    store = Store(db)
    session = ReviewSession(store, "big", "bench", LABELS, loading=True)

    def loader(progress, bad, stop):
        with Store(db) as own:
            load_tasks(own, "big", iter_review_tasks([src], LABELS, on_error=bad), on_batch=progress, should_stop=stop)

    app = ReviewApp(session, loader=loader)
    first = None
    done = None
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            await pilot.pause(0.01)
            if first is None and session.state is not None:
                first = time.perf_counter() - t0
            if not session.loading:
                done = time.perf_counter() - t0
                break
            if time.perf_counter() - t0 > 600:
                break
    total = store.count_tasks("big")
    store.close()
    return first or float("nan"), done, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--presses", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    times, in_app, base, n_tokens, n_spans = asyncio.run(bench_keys(tmp / "keys.db", args.presses))
    ms = sorted(t * 1000 for t in times)
    b = sorted(t * 1000 for t in base)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"key press -> redraw (pilot press + pause), {n_tokens} tokens / {n_spans} spans, {len(ms)} presses: "
          f"p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms")
    ia = sorted(t * 1000 for t in in_app)
    print(f"in-app (action start -> end of the screen update it caused), {len(ia)} presses: "
          f"p50 {statistics.median(ia):.1f} ms, p95 {ia[int(len(ia) * 0.95) - 1]:.1f} ms, max {ia[-1]:.1f} ms")
    print(f"pilot floor (unbound key, nothing to do): p50 {statistics.median(b):.1f} ms, p95 {b[int(len(b) * 0.95) - 1]:.1f} ms")
    src = tmp / "big.jsonl"
    t0 = time.perf_counter()
    write_tasks(src, args.tasks)
    print(f"wrote {args.tasks} tasks in {time.perf_counter() - t0:.1f} s ({src.stat().st_size / 1e6:.0f} MB)")
    first, done, total = asyncio.run(bench_first_task(src, tmp / "big.db"))
    print(f"first task on screen after {first:.2f} s; all {total} tasks stored after {done:.1f} s (background)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import annotate.cli.main, annotate.review.app"], check=True)
    print(f"process start + imports (cli, review app, spaCy via tasks): {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
