"""Four reviewers on one database at once: every decision stored once, none lost,
no error shown. 4 x 250 decisions by default, 4 x 1,000 with RELIABILITY_FULL=1.

Each reviewer is a separate process running the review session (the controller
the screen drives) with its own annotator name and random answers and undos,
printing each decision id once the store call returned. A fifth process reads
statistics meanwhile, as ``annotate db stats`` would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from annotate.store import Store

from .helpers import FULL, blank, make_db

PER_REVIEWER = 1000 if FULL else 250
REVIEWERS = ["ana", "ben", "chloé", "dev"]

_REVIEWER = textwrap.dedent(
    """
    import random, sys
    from annotate.review.session import ReviewLabels, ReviewSession
    from annotate.store import Store

    path, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(who)
    try:
        with Store(path) as store:
            s = ReviewSession(store, "news", who, ReviewLabels.load())
            while s.state is not None and s.done < n:
                if rng.random() < 0.3:
                    s.state.toggle_span()
                print(s.answer(rng.choice(["accept", "accept", "reject", "ignore"])), flush=True)
                if rng.random() < 0.05:
                    s.undo()
                    print(s.answer("accept"), flush=True)
        print("done", flush=True)
    except BaseException as e:  # what a user would see
        print("ERROR", type(e).__name__, e, flush=True)
    """
)

_READER = textwrap.dedent(
    """
    import os, sys
    from annotate.store import Store
    n = 0
    try:
        with Store(sys.argv[1]) as s:
            while not os.path.exists(sys.argv[2]):
                s.stats("news"); s.summary(); n += 1
        print("reads", n, flush=True)
    except BaseException as e:
        print("ERROR", type(e).__name__, e, flush=True)
    """
)


def test_reliability_four_reviewers_at_once(tmp_path: Path):
    path = tmp_path / "a.db"
    make_db(path, blank("fr"), n_tasks=PER_REVIEWER, n_decisions=0)
    t0 = time.perf_counter()
    procs = {
        who: subprocess.Popen([sys.executable, "-c", _REVIEWER, str(path), who, str(PER_REVIEWER)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for who in REVIEWERS
    }
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(path), str(tmp_path / "stop")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outs = {who: p.communicate(timeout=900) for who, p in procs.items()}
    seconds = time.perf_counter() - t0
    (tmp_path / "stop").touch()
    r_out, r_err = reader.communicate(timeout=60)
    for who, (out, err) in outs.items():
        assert "ERROR" not in out and "Traceback" not in err and err.strip() == "", (who, out[-500:], err)
        assert out.split()[-1] == "done", who
    assert "ERROR" not in r_out and r_err.strip() == "", (r_out, r_err)
    with Store(path) as s:
        assert s.integrity_check() == "ok"
        for who, (out, _) in outs.items():
            acked = [int(x) for x in out.split()[:-1] if x != "None"]
            decisions = list(s.iter_decisions("news", annotator=who))
            ids = [d["_decision_id"] for d in decisions]
            assert set(acked) == set(ids), f"{who}: lost or unexpected decisions"
            per_task = Counter(d["_task_hash"] for d in decisions)
            assert len(decisions) == PER_REVIEWER and max(per_task.values()) == 1, f"{who}: duplicates"
        st = s.stats("news")
        assert st["decisions"] == PER_REVIEWER * len(REVIEWERS)
        assert set(st["annotators"]) == set(REVIEWERS)
    print(f"\nconcurrency: {len(REVIEWERS)} x {PER_REVIEWER} decisions in {seconds:.1f} s, "
          f"{r_out.split()[-1]} stats reads meanwhile, 0 errors")


def test_reliability_one_annotator_in_two_terminals(tmp_path: Path):
    """Two sessions with the same annotator name (two terminals, or two people sharing a
    login) never answer a task twice: the second answer is refused and the task skipped."""
    n = PER_REVIEWER
    path = tmp_path / "a.db"
    make_db(path, blank("fr"), n_tasks=n, n_decisions=0)
    procs = [
        subprocess.Popen([sys.executable, "-c", _REVIEWER, str(path), "eve", str(n)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=900) for p in procs]
    acked: list[int] = []
    for out, err in outs:
        assert "ERROR" not in out and err.strip() == "", (out[-500:], err)
        assert out.split()[-1] == "done"
        acked += [int(x) for x in out.split()[:-1] if x != "None"]
    with Store(path) as s:
        decisions = list(s.iter_decisions("news", annotator="eve"))
        per_task = Counter(d["_task_hash"] for d in decisions)
        assert len(per_task) == n and max(per_task.values()) == 1, "a task was answered twice"
        assert set(acked) == {d["_decision_id"] for d in decisions}
