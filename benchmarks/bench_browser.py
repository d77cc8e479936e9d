"""Benchmark the review screen's task browser on a large dataset (prints figures, asserts nothing).

A database holds ``--tasks`` tasks (100,000 by default: short French news items, tokens included, two spans
each) and decisions of the annotator for ``--answered`` of them. Each round, interleaved:

* ``raw page``: a plain ``sqlite3`` connection reads one page of the list (``SELECT id, content FROM task
  ... ORDER BY id LIMIT 100``): the least an opening can cost, the baseline of the ratios;
* ``library``: :class:`annotate.store.browse.TaskBrowser` count and first page (what the screen reads);
* ``empty screen``: the review app (Textual pilot) pushes a screen holding one ``Static``: what any screen
  costs to open in Textual on this machine;
* ``browser``: the review app opens the task browser (``b``) until its first frame is drawn
  (``pilot.pause()``), then closes it.

Figures are medians over the rounds, with their ratios to the raw page and to the empty screen measured in
the same run (the machine may be busy: ratios are the figures to compare). Then, once each, the browser
opened with a filter (pending, a label, an annotator, a text search: the search reads every row when few match).

    python benchmarks/bench_browser.py [--tasks 100000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import spacy

from annotate.review.app import ReviewApp
from annotate.review.screens import BrowserScreen
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.review.widgets.tasklist import TaskList
from annotate.store import Store
from annotate.store.browse import BrowseFilter, TaskBrowser
from annotate.tasks import doc_to_task
from textual.screen import Screen
from textual.widgets import Static

LABELS = ReviewLabels.load()
WORDS = ("la banque centrale relève ses taux alors que le marché attend une baisse de l'inflation dans la zone euro"
         " et que les entreprises industrielles annoncent des investissements").split()


def build(db: Path, n: int, answered: int) -> None:
    """``n`` distinct tasks (the store keys a task by its content: copies of one text would be stored once)."""
    nlp = spacy.blank("fr")
    with Store(db) as s:
        batch = []
        for i in range(n):
            words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(40)]
            text = f"Airbus et Renault : dépêche {i}. " + " ".join(words) + f" en {2000 + i % 25}."
            doc = nlp.make_doc(text)
            doc.ents = [doc.char_span(0, 6, label="ORG"), doc.char_span(10, 17, label="ORG")]
            t = doc_to_task(doc)
            t["meta"] = {"n": i}
            batch.append(t)
            if len(batch) == 5000:
                s.add_tasks("big", batch)
                batch = []
        if batch:
            s.add_tasks("big", batch)
        session = ReviewSession(s, "big", "bench", LABELS)
        for k in range(answered):
            session.answer("reject" if k % 3 == 0 else "accept")


def raw_page(db: Path) -> float:
    t0 = time.perf_counter()
    c = sqlite3.connect(str(db))
    ds = c.execute("SELECT id FROM dataset WHERE name = 'big'").fetchone()[0]
    rows = c.execute("SELECT id, content FROM task WHERE +dataset_id = ? ORDER BY id LIMIT 100", (ds,)).fetchall()
    assert len(rows) == 100
    c.close()
    return time.perf_counter() - t0


def library(store: Store, flt: BrowseFilter | None = None) -> float:
    t0 = time.perf_counter()
    b = TaskBrowser(store, "big", "bench", flt)
    b.count()
    b.page(0, 100)
    return time.perf_counter() - t0


class Empty(Screen):
    def compose(self):
        yield Static("an empty screen")


async def screens(store: Store, rounds: int, db: Path) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"raw page": [], "library": [], "empty screen": [], "browser": []}
    app = ReviewApp(ReviewSession(store, "big", "bench", LABELS))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(rounds):
            out["raw page"].append(raw_page(db))
            out["library"].append(library(store))
            t0 = time.perf_counter()
            app.push_screen(Empty())
            await pilot.pause()
            out["empty screen"].append(time.perf_counter() - t0)
            app.pop_screen()
            await pilot.pause()
            t0 = time.perf_counter()
            app.action_browse()
            await pilot.pause()
            assert isinstance(app.screen, BrowserScreen) and app.screen.query_one(TaskList).count > 0
            out["browser"].append(time.perf_counter() - t0)
            await pilot.press("escape")
            await pilot.pause()
        for name, keys in (("browser, pending", "s"), ("browser, label MONEY (none)", "ll"),
                           ("browser, answered by bench", "a"),
                           ("browser, text search 'dépêche 42.'", None)):
            app.action_browse()
            await pilot.pause()
            t0 = time.perf_counter()
            if keys:
                await pilot.press(*keys)
            else:
                await pilot.press("slash", *"dépêche 42.", "enter")
            await pilot.pause()
            out[name] = [time.perf_counter() - t0]
            out[name + " rows"] = [app.screen.query_one(TaskList).count]
            await pilot.press("escape", "escape")
            await pilot.pause()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--answered", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "browse.db"
        t0 = time.perf_counter()
        build(db, args.tasks, args.answered)
        print(f"{args.tasks:,} tasks, {args.answered} answered, built in {time.perf_counter() - t0:.1f} s;"
              f" load average {os.getloadavg()[0]:.2f}")
        with Store(db) as store:
            stored = TaskBrowser(store, "big", "bench").count()
            assert stored == args.tasks, f"{stored:,} tasks stored of {args.tasks:,}: the benchmark would measure less"
            r = asyncio.run(screens(store, args.rounds, db))
    raw = statistics.median(r["raw page"])
    empty = statistics.median(r["empty screen"])
    print(f"{'':<36} {'median ms':>10} {'x raw page':>11} {'x empty screen':>15}")
    for name in ("raw page", "library", "empty screen", "browser"):
        m = statistics.median(r[name])
        print(f"{name:<36} {m * 1000:>10.1f} {m / raw:>11.1f} {m / empty:>15.2f}")
    for name in [k for k in r if k.startswith("browser,") and not k.endswith(" rows")]:
        m = r[name][0]
        print(f"{name:<36} {m * 1000:>10.1f} {m / raw:>11.1f} {m / empty:>15.2f}   ({r[name + ' rows'][0]:,} rows)")


if __name__ == "__main__":
    main()
