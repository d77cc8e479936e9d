"""Benchmark the review screen (prints figures, asserts nothing).

1. Key press to redraw on a 5,000-word document, as a user sees it (the headline figure).

   The real ``annotate review`` command runs in a pseudo-terminal (``os.openpty``, 120×40,
   ``TERM=xterm-256color``, ``COLORTERM=truecolor``) on a database holding one task: a 5,000-word,
   one-paragraph document with ~1,250 spans (``long_task``, seed 0). This script plays the terminal:
   it answers Textual's query for synchronized output (``ESC[?2026$p`` -> ``ESC[?2026;2$y``, as
   kitty, WezTerm, foot, iTerm2 or Windows Terminal do), so every frame Textual writes is wrapped in
   ``ESC[?2026h`` ... ``ESC[?2026l``. A reader thread timestamps every chunk the app writes.

   After the first screen is drawn and the output has been quiet for a second, each key is written
   to the pty as the bytes a terminal sends (``ESC[C`` for →, ``ESC O P`` for F1, ``]``, ``2``...;
   Escape as ``ESC[27u``, the kitty keyboard protocol Textual turns on, since a bare ESC makes
   Textual wait up to ~200 ms to tell it from a sequence: that cost is measured apart). The
   latency of a press is from just before ``os.write`` of the key to the arrival of the chunk
   holding the last ``ESC[?2026l`` (end of frame) before the output goes quiet for ``QUIET_S``
   with every started frame ended; only then is the next key written, so presses never overlap.
   A press that draws nothing within ``NO_FRAME_S`` counts as "no frame" and is left out.

   The key mix cycles through the bound keys (next/previous span, accept/reject, relabel 1-4,
   widen/shrink ``[ ] { }``, theme toggles F1/F2, add mode ``n``/``m``/Escape, scroll ↓/↑) starting at
   the first span, so it stays near the start of the paragraph, where a relabel moves the most text.
   p50 / p95 over all presses, and per key.

   Baseline, in the same run: the same harness on a one-``Static`` Textual app that redraws a counter
   on each key: what Textual and the pty cost at the least. (A no-op key is no baseline any more: the
   app repaints only the rows a key changed, so a key that changes nothing draws nothing.)

   In-app column: the child is the same CLI with ``ReviewApp``'s action handlers and
   ``App._display`` wrapped to timestamp (``perf_counter``, CLOCK_MONOTONIC, shared with this process)
   the action's start, the handler's end and the end of the last screen update it caused. Comparing
   with the pty times splits a press into input (pty, Textual's input thread and message queue), the
   handler, Textual's render, and output (the writer thread and the pty).

   The machine's load average is printed with the figures: on a busy machine every stage is slower.

2. Time to first task when the input holds 100,000 tasks (loaded in the
   background, in batches), from creating the app to a task on screen.

``--pilot`` adds the former figure: Textual's test pilot (``pilot.press`` + ``pilot.pause``),
which mostly measures the pilot itself (~85 ms p95 for an unbound key).

    /tmp/venv/bin/python benchmarks/bench_review.py [--tasks 100000] [--presses 200] [--pilot]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import functools
import gc
import json
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

import spacy

from annotate.review.app import ReviewApp
from annotate.review.loader import iter_review_tasks, load_tasks
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store
from annotate.tasks import doc_to_task

LABELS = ReviewLabels.load()


@functools.cache
def nlp() -> spacy.language.Language:
    return spacy.blank("fr")


def long_task(n_words: int = 5000) -> dict:
    rnd = random.Random(0)
    words = []
    for i in range(n_words):
        words.append(rnd.choice(["Acme", "le", "marché", "a", "gagné", "5", "%", "en", "2024", "la", "BCE", "taux"]))
        if i % 60 == 59:
            words[-1] += "."
    text = " ".join(words)
    doc = nlp().make_doc(text)
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


# ---------------------------------------------------------------- key press to redraw, in a pseudo-terminal

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"  # "supported, currently off": Textual then wraps each frame in 2026h ... 2026l
SYNC_START = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"
QUIET_S = 0.1  # no output for this long, every frame ended: the redraw is complete
NO_FRAME_S = 1.0  # a press that draws nothing within this long is "no frame"
SIZE = (120, 40)
BARE_ESCAPE = "escape (bare ESC)"

# (name, bytes a terminal sends) for one cycle; starts at the first span and drifts right by about three
# spans per cycle, so the presses stay near the start of the long paragraph (the worst place to relabel)
KEY_BYTES = {
    "right": b"\x1b[C", "left": b"\x1b[D", "down": b"\x1b[B", "up": b"\x1b[A", "t": b"t", "r": b"r", "n": b"n", "m": b"m",
    "[": b"[", "]": b"]", "{": b"{", "}": b"}", "1": b"1", "2": b"2", "3": b"3", "4": b"4", "f1": b"\x1bOP",
    "f2": b"\x1bOQ", "escape": b"\x1b[27u", "u": b"u", "z": b"z",
}
KEY_MIX = ["right", "right", "r", "]", "}", "f1", "2", "left", "r", "n", "right", "m", "right", "escape", "f2", "1",
           "right", "3", "[", "{", "4", "1", "down", "up"]


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[max(0, int(round(len(s) * q)) - 1)] if s else float("nan")


class PtyTerminal:
    """Run a program in a pseudo-terminal and play the terminal: answer its queries, timestamp its output."""

    def __init__(self, argv: list[str], env: dict[str, str], size: tuple[int, int] = SIZE) -> None:
        self.master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

        def controlling_tty() -> None:  # after setsid (start_new_session): the pty is the controlling terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                                     preexec_fn=controlling_tty, close_fds=True)
        os.close(slave)
        self.cond = threading.Condition()
        self.chunks: list[tuple[float, bytes]] = []  # (arrival time, bytes) of everything the program wrote
        self.last_at = time.perf_counter()
        self.last_end_at: float | None = None  # arrival of the chunk holding the last ESC[?2026l
        self.open_frames = 0
        self.frames = 0
        self.nbytes = 0
        self.sync_seen = False
        self.closed = False
        self._tail = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                data = b""
            now = time.perf_counter()
            with self.cond:
                if not data:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.chunks.append((now, data))
                self.last_at = now
                self.nbytes += len(data)
                seen = self._tail + data  # a sequence may straddle two reads
                if SYNC_QUERY in seen:
                    os.write(self.master, SYNC_REPLY)
                starts, ends = seen.count(SYNC_START) - self._tail.count(SYNC_START), seen.count(SYNC_END) - self._tail.count(SYNC_END)
                if starts:
                    self.sync_seen = True
                self.open_frames += starts - ends
                if ends:
                    self.frames += ends
                    self.last_end_at = now
                self._tail = seen[-16:]
                self.cond.notify_all()

    def output(self) -> bytes:
        with self.cond:
            return b"".join(d for _, d in self.chunks)

    def wait_quiet(self, quiet: float, timeout: float, *, need_frame_after: float | None = None) -> bool:
        """Wait until nothing was written for ``quiet`` s with every frame ended (and, if asked, a frame ended
        after ``need_frame_after``). False on timeout or when the program ended."""
        deadline = time.perf_counter() + timeout
        with self.cond:
            while True:
                now = time.perf_counter()
                framed = need_frame_after is None or (self.last_end_at is not None and self.last_end_at > need_frame_after)
                if framed and self.open_frames <= 0 and now - self.last_at >= quiet:
                    return True
                if self.closed or now >= deadline:
                    return False
                wait = quiet - (now - self.last_at) if framed and self.open_frames <= 0 else deadline - now
                self.cond.wait(max(min(wait, deadline - now), 0.001))

    def press(self, data: bytes, *, quiet: float = QUIET_S, no_frame: float = NO_FRAME_S) -> tuple[float, float | None, int, int]:
        """Write a key; return (write time, latency to the end of the last frame it caused or None, frames, bytes)."""
        with self.cond:
            frames0, bytes0 = self.frames, self.nbytes
        t0 = time.perf_counter()
        os.write(self.master, data)
        drew = self.wait_quiet(quiet, no_frame + quiet, need_frame_after=t0)
        if not drew:  # nothing drawn: still let any late output settle before the next key
            self.wait_quiet(quiet, 5.0)
            return t0, None, 0, 0
        with self.cond:
            assert self.last_end_at is not None
            return t0, self.last_end_at - t0, self.frames - frames0, self.nbytes - bytes0

    def close(self, quit_key: bytes | None = b"q", timeout: float = 20.0) -> int:
        if quit_key is not None and self.proc.poll() is None:
            os.write(self.master, quit_key)
            try:  # the task on screen has edits: the review asks first, y quits
                self.proc.wait(2.0)
            except subprocess.TimeoutExpired:
                try:
                    os.write(self.master, b"y")
                except OSError:  # it ended meanwhile
                    pass
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(2.0)
        os.close(self.master)
        return code


def _pty_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"))}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG=env.get("LANG", "C.UTF-8"), **extra)
    env.pop("TERM_PROGRAM", None)
    return env


def _startup(term: PtyTerminal, what: str, timeout: float = 120.0) -> None:
    """Wait for the first screen: a frame drawn and then a quiet second."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if term.frames and term.wait_quiet(1.0, 5.0):
            break
        if term.closed:
            break
        time.sleep(0.05)
    if not term.frames or not term.sync_seen:
        tail = term.output()[-2000:].decode("utf-8", "replace")
        term.close(None)
        raise RuntimeError(f"{what}: no synchronized frame drawn in the pty; its output ends with:\n{tail}")


def bench_pty(tmp: Path, presses: int, *, bare_escapes: int | None = None, floor_presses: int | None = None,
              variant: str = "", root: Path | None = None) -> dict:
    """Key press -> end of the redraw it caused, through a pty, for the real `annotate review` (see the module doc)."""
    task = long_task()
    db = tmp / "pty.db"
    with Store(db) as s:
        s.add_tasks("bench", [task])
    inapp_path = tmp / "pty-inapp.json"
    # root: the checkout whose app runs (--ab-root: another one, this script copied into it)
    checkout = (root or Path(__file__).resolve().parent.parent).resolve()
    script = checkout / "benchmarks" / Path(__file__).name
    argv = [sys.executable, str(script), "--as-cli", "review", "--dataset", "bench", "--db", str(db),
            "--annotator", "bench"]
    root = str(checkout)  # the checkout: `annotate` is importable as run from it
    env = _pty_env({"ANNOTATE_BENCH_INAPP": str(inapp_path), "ANNOTATE_BENCH_VARIANT": variant,
                    "PYTHONPATH": os.pathsep.join(x for x in (root, os.environ.get("PYTHONPATH", "")) if x)})
    term = PtyTerminal(argv, env)
    result: dict = {"tokens": len(task["tokens"]), "spans": len(task["spans"]), "presses": [], "no_frame": [],
                    "bare_escape": [], "load_before": os.getloadavg()[0]}
    try:
        _startup(term, "annotate review")
        result["first_frame_bytes"] = term.nbytes
        for i in range(presses):
            name = KEY_MIX[i % len(KEY_MIX)]
            t0, lat, frames, nb = term.press(KEY_BYTES[name])
            if lat is None:
                result["no_frame"].append(name)
            else:
                result["presses"].append({"key": name, "t0": t0, "ms": lat * 1000, "frames": frames, "bytes": nb})
        n_escapes = bare_escapes if bare_escapes is not None else min(5, max(1, presses // 40))
        for _ in range(n_escapes):  # add mode on, then a bare ESC (terminals without the kitty protocol) leaves it
            term.press(KEY_BYTES["n"])
            t0, lat, frames, nb = term.press(b"\x1b", no_frame=2.0)
            if lat is not None:
                result["bare_escape"].append({"key": BARE_ESCAPE, "t0": t0, "ms": lat * 1000, "frames": frames, "bytes": nb})
    finally:
        result["exit_code"] = term.close()
    if result["exit_code"] != 0:
        tail = term.output()[-2000:].decode("utf-8", "replace")
        raise RuntimeError(f"annotate review exited with code {result['exit_code']}; its output ends with:\n{tail}")
    child = json.loads(inapp_path.read_text(encoding="utf-8")) if inapp_path.exists() else {}
    _attach_in_app(result["presses"] + result["bare_escape"], child.get("actions", []), child.get("gc", []))
    n_floor = floor_presses if floor_presses is not None else max(presses // 4, 3)
    result["floor"] = bench_pty_floor(n_floor) if n_floor else []
    result["load_after"] = os.getloadavg()[0]
    return result


def _attach_in_app(presses: list[dict], records: list[list], collections: list[list] = ()) -> None:
    """Give each press the in-app record (action, start, end of its last screen update) that started after it,
    and the time the child spent collecting garbage while the press was on its way."""
    presses = sorted(presses, key=lambda p: p["t0"])
    for p in presses:
        t1 = p["t0"] + p["ms"] / 1000
        p["gc_ms"] = sum((min(e, t1) - max(s, p["t0"])) * 1000 for _g, s, e in collections if e is not None and s < t1 and e > p["t0"])
    j = 0
    for k, p in enumerate(presses):
        nxt = presses[k + 1]["t0"] if k + 1 < len(presses) else float("inf")
        while j < len(records) and records[j][1] < p["t0"]:
            j += 1
        if j < len(records) and records[j][1] < nxt and records[j][2] is not None:
            action, start, end, handler_end = records[j][:4]
            p["action"] = action
            p["in_app_ms"] = (end - start) * 1000
            p["handler_ms"] = (handler_end - start) * 1000  # the action handler alone (state change and layout)
            p["input_ms"] = (start - p["t0"]) * 1000  # write -> action starts (pty, input thread, message queue)
            p["output_ms"] = p["ms"] - p["input_ms"] - p["in_app_ms"]  # screen update done -> last byte read here


FLOOR_APP = """
from textual.app import App
from textual.widgets import Static

class Floor(App):
    BINDINGS = [("z", "bump", ""), ("q", "quit", "")]
    count = 0

    def compose(self):
        yield Static("0", id="n")

    def action_bump(self):
        self.count += 1
        self.query_one("#n", Static).update(str(self.count))

Floor().run()
"""


def bench_pty_floor(presses: int) -> list[dict]:
    """The same pty harness on a one-Static Textual app that redraws a counter on each key."""
    term = PtyTerminal([sys.executable, "-c", FLOOR_APP], _pty_env({}))
    out = []
    try:
        _startup(term, "floor app")
        for _ in range(presses):
            t0, lat, frames, nb = term.press(KEY_BYTES["z"])
            if lat is not None:
                out.append({"key": "z", "t0": t0, "ms": lat * 1000, "frames": frames, "bytes": nb})
    finally:
        term.close()
    return out


def _as_cli(argv: list[str]) -> int:
    """Child of bench_pty: the real CLI, with ReviewApp's actions and screen updates timestamped."""
    from annotate.cli.main import main as cli_main

    records: list[list] = []  # [action, start, end of its last screen update, end of the handler]
    open_rec: dict[str, list | None] = {"rec": None}

    def timed(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            rec = [method.__name__, time.perf_counter(), None, None]
            records.append(rec)
            open_rec["rec"] = rec
            try:
                return method(self, *args, **kwargs)
            finally:
                rec[2] = rec[3] = time.perf_counter()
        return wrapper

    for name in list(vars(ReviewApp)):
        if name.startswith("action_") and name not in ("action_quit", "action_help"):
            setattr(ReviewApp, name, timed(getattr(ReviewApp, name)))
    display = ReviewApp._display

    def timed_display(self, screen, renderable):
        display(self, screen, renderable)
        if open_rec["rec"] is not None:
            open_rec["rec"][2] = time.perf_counter()

    ReviewApp._display = timed_display
    if os.environ.get("ANNOTATE_BENCH_VARIANT") == "no-timer":  # --ab-timer: the same app without its 1 Hz status timer
        set_interval = ReviewApp.set_interval

        def no_status_timer(self, interval, callback=None, **kw):
            if getattr(callback, "__name__", "") in ("redraw_status", "_tick_status"):
                return None
            return set_interval(self, interval, callback, **kw)

        ReviewApp.set_interval = no_status_timer
    collections: list[list] = []  # [generation, start, end] of every garbage collection

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append([info["generation"], time.perf_counter(), None])
        elif collections:
            collections[-1][2] = time.perf_counter()

    gc.callbacks.append(on_gc)
    try:
        return cli_main(argv)
    finally:
        gc.callbacks.remove(on_gc)
        out = os.environ.get("ANNOTATE_BENCH_INAPP")
        if out:
            Path(out).write_text(json.dumps({"actions": records, "gc": collections}), encoding="utf-8")


def summarize(rows: list[dict], field: str = "ms") -> dict:
    xs = [r[field] for r in rows if r.get(field) is not None]
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "p50": statistics.median(xs), "p95": percentile(xs, 0.95), "max": max(xs)}


def by_key(rows: list[dict]) -> dict[str, dict]:
    keys: dict[str, list[dict]] = {}
    for r in rows:
        keys.setdefault(r["key"], []).append(r)
    return {k: {**summarize(v), "in_app_p50": summarize(v, "in_app_ms").get("p50")} for k, v in keys.items()}


# ---------------------------------------------------------------- the test pilot (former figure, --pilot)


async def bench_keys(db: Path, presses: int) -> tuple[list[float], list[float], list[float], int, int]:
    task = long_task()
    with Store(db) as s:
        s.add_tasks("bench", [task])
        app = ReviewApp(ReviewSession(s, "bench", "bench", LABELS))
        keys = ["right", "right", "r", "right_square_bracket", "right_curly_bracket", "f1", "2", "left", "r", "n",
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
        doc = nlp().make_doc(text)
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


def ab_timer(tmp: Path, rounds: int, presses: int, other_root: Path | None = None) -> None:
    """The shipped app (A) and the same app without its 1 Hz status timer (B), one pty run each per round, in
    alternating order; per round p50 / p95 and the ratio B / A of the p95, the presses whose window held more
    than one frame (a timer tick drawn during the press, or before the output went quiet)."""
    if other_root is not None:
        import shutil

        shutil.copy(Path(__file__), other_root / "benchmarks" / Path(__file__).name)
    b_name = "no-timer" if other_root is None else "other"
    rows: dict[str, list[dict]] = {"shipped": [], b_name: []}
    ratios = []
    for k in range(rounds):
        order = ("shipped", b_name) if k % 2 == 0 else (b_name, "shipped")
        got = {}
        for name in order:
            r = bench_pty(tmp, presses, bare_escapes=0, floor_presses=0, variant="no-timer" if name == "no-timer" else "",
                          root=other_root if name == "other" else None)
            got[name] = r["presses"]
            rows[name] += r["presses"]
        a, b = summarize(got["shipped"]), summarize(got[b_name])
        ratios.append(b["p95"] / a["p95"])
        multi = {n: sum(1 for p in got[n] if p["frames"] > 1) for n in got}
        print(f"round {k + 1}: shipped p50 {a['p50']:.1f} p95 {a['p95']:.1f} ms ({multi['shipped']} presses with >1 frame);"
              f" {b_name} p50 {b['p50']:.1f} p95 {b['p95']:.1f} ms ({multi[b_name]}); p95 ratio {b_name}/shipped"
              f" {ratios[-1]:.2f}; load {os.getloadavg()[0]:.2f}", flush=True)
    a, b = summarize(rows["shipped"]), summarize(rows[b_name])
    print(f"all rounds: shipped p50 {a['p50']:.1f} p95 {a['p95']:.1f}; {b_name} p50 {b['p50']:.1f} p95 {b['p95']:.1f} ms;"
          f" median per-round p95 ratio {b_name}/shipped {statistics.median(ratios):.2f}")
    for k, v in sorted(by_key(rows["shipped"]).items()):
        w = by_key(rows[b_name]).get(k)
        if w:
            print(f"    {k:>7}: shipped p50 {v['p50']:6.1f} p95 {v['p95']:6.1f} | {b_name} p50 {w['p50']:6.1f} p95 {w['p95']:6.1f} ms")
    for name in rows:
        one = [p["ms"] for p in rows[name] if p["frames"] == 1]
        more = [p["ms"] for p in rows[name] if p["frames"] > 1]
        print(f"  {name}: {len(one)} presses with one frame p95 {percentile(one, 0.95):.1f} ms; {len(more)} with more"
              + (f" p50 {statistics.median(more):.1f} ms" if more else ""))


def pty_lines(r: dict) -> list[str]:
    """The pty figures as printable lines."""
    main_, inapp, floor = summarize(r["presses"]), summarize(r["presses"], "in_app_ms"), summarize(r["floor"])
    lines = [
        f"key press -> redraw in a pty (real `annotate review`, {SIZE[0]}x{SIZE[1]}), {r['tokens']} tokens / {r['spans']} spans, "
        f"{main_['n']} presses: p50 {main_['p50']:.1f} ms, p95 {main_['p95']:.1f} ms, max {main_['max']:.1f} ms",
    ]
    if inapp["n"]:
        inp, out = summarize(r["presses"], "input_ms"), summarize(r["presses"], "output_ms")
        lines.append(f"  in-app (action start -> end of its screen update): p50 {inapp['p50']:.1f} ms, p95 {inapp['p95']:.1f} ms; "
                     f"input (write -> action) p50 {inp['p50']:.1f} / p95 {inp['p95']:.1f} ms; "
                     f"output (update -> last byte here) p50 {out['p50']:.1f} / p95 {out['p95']:.1f} ms")
    if floor["n"]:
        lines.append(f"  baseline: a one-Static Textual app redrawing a counter, same pty, {floor['n']} presses: "
                     f"p50 {floor['p50']:.1f} ms, p95 {floor['p95']:.1f} ms")
    lines.append(f"  load average (1 min) before / after: {r['load_before']:.2f} / {r['load_after']:.2f} on {os.cpu_count()} cores")
    esc = summarize(r["bare_escape"])
    if esc["n"]:
        lines.append(f"  bare ESC (terminals without the kitty keyboard protocol; Textual waits to tell it from a sequence): "
                     f"p50 {esc['p50']:.1f} ms over {esc['n']}")
    if r["no_frame"]:
        lines.append(f"  {len(r['no_frame'])} press(es) drew nothing: {', '.join(sorted(set(r['no_frame'])))}")
    for k, v in sorted(by_key(r["presses"]).items(), key=lambda kv: -kv[1]["p95"]):
        ia = f", in-app p50 {v['in_app_p50']:.1f}" if v.get("in_app_p50") is not None else ""
        lines.append(f"    {k:>7}: n {v['n']:3d}  p50 {v['p50']:6.1f}  p95 {v['p95']:6.1f}  max {v['max']:6.1f} ms{ia}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--pilot", action="store_true", help="also the former test-pilot figure")
    ap.add_argument("--keys-only", action="store_true", help="only the key press figures")
    ap.add_argument("--json", type=Path, default=None, help="write the raw pty presses here")
    ap.add_argument("--ab-root", type=Path, default=None, metavar="CHECKOUT",
                    help="with --ab-timer: B is the app of another checkout (this script is copied into it) instead")
    ap.add_argument("--ab-timer", type=int, default=0, metavar="ROUNDS",
                    help="A/B, interleaved: the app as shipped against the same app without its 1 Hz status timer")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    if args.ab_timer:
        ab_timer(tmp, args.ab_timer, args.presses, args.ab_root)
        return
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    r = bench_pty(tmp, args.presses)
    print("\n".join(pty_lines(r)))
    if args.json:
        args.json.write_text(json.dumps(r), encoding="utf-8")
    if args.pilot:
        times, in_app, base, n_tokens, n_spans = asyncio.run(bench_keys(tmp / "keys.db", args.presses))
        ms, b = [t * 1000 for t in times], [t * 1000 for t in base]
        print(f"test pilot (press + pause), {len(ms)} presses: p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms; "
              f"pilot alone (unbound key) p95 {percentile(b, 0.95):.1f} ms")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.keys_only:
        return
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
    if sys.argv[1:2] == ["--as-cli"]:
        sys.exit(_as_cli(sys.argv[2:]))
    main()
