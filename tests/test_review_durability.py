"""A review session killed with SIGKILL loses no decision it had acknowledged; two reviewers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import spacy

from annotate.store import Store
from annotate.tasks import doc_to_task

NLP = spacy.blank("fr")

# A real review app, driven headless by the pilot: it accepts, rejects or ignores task after
# task and prints each decision id once the key press has returned (the decision is then acknowledged).
_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from annotate.review.app import ReviewApp
    from annotate.review.session import ReviewLabels, ReviewSession
    from annotate.store import Store

    async def main(path, who):
        store = Store(path)
        app = ReviewApp(ReviewSession(store, "news", who, ReviewLabels.load()))
        async with app.run_test() as pilot:
            for i in range(10_000):
                if app.session.state is None:
                    break
                if i % 3 == 1:
                    await pilot.press("t")
                await pilot.press("axa"[i % 3] if i % 5 else "space")
                print(app.session.history[-1].decision_id, flush=True)
        print("done", flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def _fill(path: Path, n: int) -> None:
    tasks = []
    for i in range(n):
        text = f"Acme {i} a gagné 5 % en 2024."
        doc = NLP.make_doc(text)
        doc.ents = [doc.char_span(0, 4, label="ORG")]
        doc.cats = {"FINANCE": 0.9}
        tasks.append(doc_to_task(doc))
    with Store(path) as s:
        s.add_tasks("news", tasks)


def _start(path: Path, who: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(path), who], stdout=subprocess.PIPE, text=True)


def test_review_durability_sigkill_mid_session(tmp_path: Path):
    path = tmp_path / "a.db"
    _fill(path, 400)
    proc = _start(path, "alice")
    acked: list[int] = []
    deadline = time.time() + 60
    assert proc.stdout is not None
    while len(acked) < 25 and time.time() < deadline:
        line = proc.stdout.readline()
        if not line or line.strip() == "done":
            break
        acked.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(acked) >= 25, "the review child acknowledged too few decisions"
    with Store(path) as s:
        assert s.integrity_check() == "ok"
        stored = {d["_decision_id"]: d for d in s.iter_decisions("news")}
        assert set(acked) <= set(stored)
        # a restart resumes after the last stored decision: nothing answered is shown again
        answered = {d["_task_hash"] for d in stored.values()}
        assert not answered & {t["_task_hash"] for t in s.pending("news", "alice")}
        assert s.count_pending("news", "alice") == 400 - len(stored)


def test_review_durability_two_reviewers_at_once(tmp_path: Path):
    path = tmp_path / "a.db"
    _fill(path, 40)
    procs = {who: _start(path, who) for who in ("alice", "bob")}
    outs = {who: p.communicate(timeout=120)[0].split() for who, p in procs.items()}
    for who, p in procs.items():
        assert p.returncode == 0, who
        assert outs[who][-1] == "done" and len(outs[who]) == 41
    with Store(path) as s:
        assert s.integrity_check() == "ok"
        for who in ("alice", "bob"):
            got = [str(d["_decision_id"]) for d in s.iter_decisions("news", annotator=who)]
            assert got == outs[who][:-1]
        st = s.stats("news")
        assert st["decisions"] == 80 and set(st["annotators"]) == {"alice", "bob"}
