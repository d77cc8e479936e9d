"""Review sessions and exports killed with SIGKILL at random moments.

Each round starts a real review screen (Textual, headless, driven by the pilot
with random keys: accept, reject, ignore, span toggles, undo) on the same
database and kills it at a random moment: during start-up, between keys, in
the middle of a write. After every kill:

* ``PRAGMA integrity_check`` is ``ok``;
* every acknowledged decision is stored with its last acknowledged answer
  (acknowledged = the child printed it after the key press, hence the store
  call, returned; a replacement pressed but not acknowledged may or may not
  be there);
* the answered tasks are exactly the first ones in load order, each answered
  once, and a new session resumes at the first unanswered task.

20 rounds by default, 200 with ``RELIABILITY_FULL=1``. Exports killed while
writing leave the previous file byte for byte, or the complete new one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path


from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store

from .helpers import FULL, blank, make_db, sample_tasks

ROUNDS = 200 if FULL else 20
EXPORT_ROUNDS = 40 if FULL else 6
SEED = int(os.environ.get("RELIABILITY_SEED", "6"))

_CHILD = textwrap.dedent(
    """
    import asyncio, random, sys
    from annotate.review.app import ReviewApp
    from annotate.review.session import ReviewLabels, ReviewSession
    from annotate.store import Store

    KEYS = {"a": "accept", "x": "reject", "space": "ignore"}

    async def main(path, seed):
        rng = random.Random(seed)
        app = ReviewApp(ReviewSession(Store(path), "news", "alice", ReviewLabels.load()))
        async with app.run_test() as pilot:
            print("ready", flush=True)

            async def answer():
                key = rng.choice("aaxs")
                key = "space" if key == "s" else key
                print("P", KEYS[key], flush=True)
                await pilot.press(key)
                item = app.session.history[-1]
                print("A", item.decision_id, item.answer, item.task["_task_hash"], flush=True)

            while app.session.state is not None:
                if rng.random() < 0.3:
                    await pilot.press("t")
                await answer()
                if rng.random() < 0.1 and app.session.history:
                    print("U", flush=True)
                    await pilot.press("u")
                    await answer()
        print("done", flush=True)

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


class Child:
    """A review child whose output is read on a thread (so the parent can kill at any time)."""

    def __init__(self, path: Path, seed: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)  # raw: a line cut by the kill has no newline
            if line.startswith("ready"):
                self.ready.set()
        self.ready.set()

    def kill(self) -> str:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._t.join(timeout=30)
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


def check_after_kill(path: Path, order: list[int], acked: dict[int, str], pending_after: dict[int, str]) -> int:
    """The invariants after a kill; returns the number of answered tasks."""
    with Store(path, create=False) as s:
        assert s.integrity_check() == "ok"
        stored = {d["_decision_id"]: d for d in s.iter_decisions("news", annotator="alice")}
        for dec_id, answer in acked.items():
            assert dec_id in stored, f"acknowledged decision {dec_id} lost"
            allowed = {answer} | ({pending_after[dec_id]} if dec_id in pending_after else set())
            assert stored[dec_id]["answer"] in allowed, (dec_id, stored[dec_id]["answer"], allowed)
        hashes = [d["_task_hash"] for d in stored.values()]
        assert len(hashes) == len(set(hashes)), "a task was answered twice"
        k = len(hashes)
        assert set(hashes) == set(order[:k]), "the answered tasks are not the first ones in load order"
        session = ReviewSession(s, "news", "alice", ReviewLabels.load())
        if k < len(order):
            assert session.state is not None and session.state.original["_task_hash"] == order[k]
        else:
            assert session.state is None
    return k


def parse(lines: list[str], acked: dict[int, str], pending_after: dict[int, str]) -> int:
    """Fold a child's output into the acknowledged answers; returns how many acks it printed."""
    n = 0
    last_acked: int | None = None
    undoing = False
    for line in lines:
        if not line.endswith("\n"):
            continue  # printed only in part when the kill came: not an acknowledgement
        parts = line.split()
        if parts and parts[0] == "A":
            dec_id, answer = int(parts[1]), parts[2]
            acked[dec_id] = answer
            pending_after.pop(dec_id, None)
            last_acked = dec_id
            undoing = False
            n += 1
        elif parts and parts[0] == "U":
            undoing = True
        elif parts and parts[0] == "P" and undoing and last_acked is not None:
            # undo, then a new answer for the same decision: pressed, maybe stored, not acknowledged
            pending_after[last_acked] = parts[1]
    return n


def test_reliability_review_killed_at_random_moments(tmp_path: Path):
    rng = random.Random(SEED)
    path = tmp_path / "a.db"
    nlp = blank("fr")
    n_tasks = 40 * ROUNDS
    make_db(path, nlp, n_tasks=n_tasks, n_decisions=0)
    with Store(path) as s:
        order = [t["_task_hash"] for t in s.iter_tasks("news")]
    acked: dict[int, str] = {}
    pending_after: dict[int, str] = {}
    total_acks = 0
    mid_session = 0
    for r in range(ROUNDS):
        child = Child(path, rng.randrange(1 << 30))
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.0, 2.0))  # anywhere, start-up included
        else:
            assert child.ready.wait(60), "the review child did not start"
            time.sleep(rng.uniform(0.0, 0.8))
        err = child.kill()
        assert "Traceback" not in err, err
        got = parse(child.lines, acked, pending_after)
        total_acks += got
        mid_session += got > 0
        k = check_after_kill(path, order, acked, pending_after)
        assert k < n_tasks, "ran out of tasks: raise n_tasks"
    print(f"\nreview kills: {ROUNDS} rounds, {mid_session} mid-session, {total_acks} acknowledged answers, "
          f"{len(acked)} decisions checked")
    assert mid_session >= ROUNDS // 2, "too few kills happened during a session"


def _export(db: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "annotate", "export", "news", "-o", str(out), "--force", "--db", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def test_reliability_export_killed_mid_write_keeps_previous_file(tmp_path: Path):
    rng = random.Random(SEED)
    nlp = blank("fr")
    db = tmp_path / "a.db"
    make_db(db, nlp, n_tasks=4000, n_decisions=10)
    out = tmp_path / "out.jsonl"
    assert _export(db, out).wait(timeout=120) == 0
    old = out.read_bytes()
    with Store(db) as s:
        for t in sample_tasks(nlp, 4000)[10:]:
            s.add_decision("news", t, answer="accept", annotator="alice", session="s2")
    ref = tmp_path / "new.jsonl"
    t0 = time.perf_counter()
    p = _export(db, ref)
    assert p.wait(timeout=300) == 0, p.stderr.read() if p.stderr else ""
    full_time = time.perf_counter() - t0
    new = ref.read_bytes()
    assert new != old
    outcomes = {"previous": 0, "new": 0}
    for _ in range(EXPORT_ROUNDS):
        p = _export(db, out)
        time.sleep(rng.uniform(0.2, full_time * 1.1))
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        now = out.read_bytes()
        assert now in (old, new), "a killed export left a partial or mixed file"
        outcomes["previous" if now == old else "new"] += 1
        if now == new:
            out.write_bytes(old)
    leftovers = [x.name for x in tmp_path.iterdir() if x.name.startswith(".out.jsonl.")]
    print(f"\nexport kills: {EXPORT_ROUNDS} rounds (full export {full_time:.1f} s): {outcomes}, "
          f"{len(leftovers)} temporary file(s) left by killed processes")
    assert outcomes["previous"] >= 1
    assert len(leftovers) <= 1, "each export removes the temporary files of killed earlier ones"
