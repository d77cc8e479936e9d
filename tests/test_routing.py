"""Task routing for teams (annotate/store/claims.py, `annotate review --overlap K`): each task goes to K
annotators and no more, with several reviewers on one database at once."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store
from annotate.store.claims import in_overlap, target
from annotate.tasks import set_hashes

LABELS = ReviewLabels.load()
ROOT = Path(__file__).resolve().parent.parent


def _tasks(n: int) -> list[dict]:
    return [set_hashes({"text": f"Acme {i} a gagné 5 % en 2024.", "spans": [], "tokens": [], "meta": {"i": i}})
            for i in range(n)]


def _who_answered(path: Path) -> dict:
    """Annotators per task key (hex, as routing draws on it)."""
    with Store(path) as s:
        out: dict = defaultdict(list)
        for key, who in s._c.execute("SELECT task_key, annotator FROM decision ORDER BY id"):
            out[bytes(key).hex()].append(who)
        return out


def test_routing_claims_stop_at_k_annotators(store):
    store.add_tasks("news", _tasks(4))
    a = store.claim_page("news", "alice", "s-a", overlap=2, limit=10)
    b = store.claim_page("news", "bob", "s-b", overlap=2, limit=10)
    c = store.claim_page("news", "carol", "s-c", overlap=2, limit=10)
    assert (len(a), len(b), len(c)) == (4, 4, 0)  # alice and bob hold every task: two annotators each
    assert [row for row, _ in a] == sorted(row for row, _ in a)  # in load order
    assert store.count_claims("news") == 8
    assert store.release_claims("news", "bob", "s-b") == 4  # bob's session ends without answering
    assert len(store.claim_page("news", "carol", "s-c", overlap=2, limit=10)) == 4


def test_routing_answers_count_and_ignore_too(store):
    tasks = _tasks(3)
    store.add_tasks("news", tasks)
    store.add_decision("news", tasks[0], answer="accept", annotator="alice", session="x")
    store.add_decision("news", tasks[1], answer="ignore", annotator="alice", session="x")
    got = store.claim_page("news", "bob", "s-b", overlap=1, limit=10)
    assert [t["meta"]["i"] for _, t in got] == [2]  # overlap 1: tasks already answered by someone are taken
    assert store.claim_page("news", "alice", "s-a", overlap=1, limit=10) == []  # task 2 is bob's


def test_routing_claim_expires_and_renew_refuses_a_task_gone_to_k_others(store):
    tasks = _tasks(1)
    store.add_tasks("news", tasks)
    got = store.claim_page("news", "alice", "s-a", overlap=1, ttl=60, now=1000)
    assert len(got) == 1
    th = got[0][1]["_task_key"]
    assert store.claim_page("news", "bob", "s-b", overlap=1, now=1030) == []
    assert len(store.claim_page("news", "bob", "s-b", overlap=1, now=1061)) == 1  # alice's claim expired
    assert not store.renew_claim("news", th, "alice", "s-a", overlap=1, now=1062)  # now bob's: alice may not answer
    assert store.renew_claim("news", th, "bob", "s-b", overlap=1, now=1062)
    assert store.renew_claim("news", th, "alice", "s-a", overlap=2, now=1062)  # with K = 2 there is room


def test_routing_session_with_expired_claim_does_not_save(store):
    tasks = _tasks(1)
    store.add_tasks("news", tasks)
    alice = ReviewSession(store, "news", "alice", LABELS, overlap=1)
    assert alice.item is not None
    store._run(lambda: store._c.execute("UPDATE claim SET expires = 0"))  # alice was away for longer than the TTL
    bob = ReviewSession(store, "news", "bob", LABELS, overlap=1)
    assert bob.answer("accept") is not None
    assert alice.answer("accept") is None and alice.routed_away == 1 and alice.finished
    assert [d["_annotator_id"] for d in store.iter_decisions("news")] == ["bob"]


def test_routing_without_overlap_every_annotator_sees_every_task(store):
    store.add_tasks("news", _tasks(7))
    for who in ("alice", "bob", "carol"):
        assert ReviewSession(store, "news", who, LABELS).accept_all() == 7
    assert store.count_decisions("news") == 21 and store.count_claims("news") == 0


def _review_thread(path: Path, who: str, overlap: int, share: float, seed: int, errors: list, away: list,
                   start: threading.Barrier) -> None:
    rng = random.Random(seed)
    try:
        with Store(path) as st:  # its own connection, as another process would have
            session = ReviewSession(st, "news", who, LABELS, overlap=overlap, overlap_share=share)  # claims tasks
            start.wait()  # every reviewer holds tasks before anyone answers: the work is shared
            try:
                while session.item is not None:
                    session.answer(rng.choice(["accept", "accept", "reject", "ignore"]))
                    if rng.random() < 0.3:
                        time.sleep(rng.random() / 500)
            finally:
                session.close()
            away.append(session.routed_away)
    except Exception as e:  # pragma: no cover - reported by the test
        errors.append(e)


@pytest.mark.parametrize(
    ("n_tasks", "overlap", "share"), [(60, 2, 1.0), (25, 3, 1.0), (40, 1, 1.0), (80, 3, 0.25)],
    ids=["k2", "k3", "k1", "k3-quarter"],
)
def test_routing_four_reviewers_at_once_each_task_k_times(tmp_path, n_tasks, overlap, share):
    path = tmp_path / "team.db"
    with Store(path) as s:
        s.add_tasks("news", _tasks(n_tasks))
    errors: list = []
    away: list = []
    start = threading.Barrier(4, timeout=30)
    threads = [threading.Thread(target=_review_thread, args=(path, f"r{i}", overlap, share, i, errors, away, start))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert away == [0, 0, 0, 0]  # the claims kept every reviewer off tasks that others were answering
    who = _who_answered(path)
    assert len(who) == n_tasks  # nothing lost
    want = {th: target(th, overlap, share) for th in who}
    assert {th: len(v) for th, v in who.items()} == want  # every task exactly K times (1 outside the share)
    assert set(want.values()) == ({overlap, 1} if share < 1 else {overlap})
    assert all(len(set(v)) == len(v) for v in who.values())  # by K different annotators
    assert len({a for v in who.values() for a in v}) == 4  # the work was shared
    with Store(path) as s:
        assert s.count_claims("news") == 0  # every session released its claims


_PROCESS = """
import sys
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store
from annotate.store.claims import in_overlap, target
with Store(sys.argv[1]) as st:
    s = ReviewSession(st, "news", sys.argv[2], ReviewLabels.load(), overlap=2)
    n = 0
    while s.item is not None:
        n += s.answer("accept") is not None
    s.close()
print(n)
"""


def test_routing_four_reviewer_processes_overlap_2(tmp_path):
    path = tmp_path / "team.db"
    n_tasks = 50
    with Store(path) as s:
        s.add_tasks("news", _tasks(n_tasks))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", _PROCESS, str(path), f"p{i}"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, text=True) for i in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    saved = [int(o.strip()) for o, _ in outs]
    who = _who_answered(path)
    assert sum(saved) == 2 * n_tasks and len(who) == n_tasks
    assert Counter(len(set(v)) for v in who.values()) == {2: n_tasks}


def test_routing_overlap_below_one_is_refused(store):
    store.add_tasks("news", _tasks(1))
    with pytest.raises(AnnotateError, match="E701"):
        ReviewSession(store, "news", "alice", LABELS, overlap=0)


def test_routing_cli_accept_all_with_overlap(tmp_path, capsys):
    src = tmp_path / "tasks.jsonl"
    import json

    src.write_text("".join(json.dumps(t) + "\n" for t in _tasks(6)), encoding="utf-8")
    db = str(tmp_path / "a.db")
    assert main(["review", str(src), "-d", "news", "-a", "alice", "--db", db, "--accept-all", "--overlap", "1"]) == 0
    assert main(["review", "-d", "news", "-a", "bob", "--db", db, "--accept-all", "--overlap", "1"]) == 0
    assert "0 decision(s) saved" in capsys.readouterr().err  # overlap 1: alice took every task
    assert main(["review", "-d", "news", "-a", "bob", "--db", db, "--accept-all", "--overlap", "2"]) == 0
    assert "6 decision(s) saved" in capsys.readouterr().err
    assert main(["review", "-d", "news", "-a", "bob", "--db", db, "--accept-all", "--overlap", "0"]) == 2
    assert "[E701]" in capsys.readouterr().err


def test_routing_overlap_share_is_a_stable_draw():
    keys = [t["_task_hash"] for t in _tasks(400)]
    drawn = [k for k in keys if in_overlap(k, 0.25)]
    assert 60 < len(drawn) < 140  # about a quarter
    assert drawn == [k for k in keys if in_overlap(k, 0.25)]  # the same draw every time (every process)
    assert all(in_overlap(k, 1.0) for k in keys)
    assert set(drawn) <= {k for k in keys if in_overlap(k, 0.5)}  # a larger share keeps the smaller one's tasks


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--overlap-share", "0.5"], "E706"), (["--overlap", "2", "--overlap-share", "0"], "E705"),
     (["--overlap", "2", "--overlap-share", "1.5"], "E705")],
    ids=["share-alone", "share-zero", "share-above-one"],
)
def test_routing_cli_bad_share_is_a_usage_error(tmp_path, capsys, args, code):
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("news", _tasks(2))
    argv = ["review", "-d", "news", "-a", "bob", "--db", str(tmp_path / "a.db"), "--accept-all", *args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"[{code}]" in err and err.count("\n") == 1
    with Store(tmp_path / "a.db") as s:
        assert s.count_decisions("news") == 0


def test_routing_database_made_before_the_claim_table(store):
    store.add_tasks("news", _tasks(2))
    store._run(lambda: store._c.execute("DROP TABLE claim"))  # as a database from before this table
    assert store.count_claims("news") == 0
    assert len(store.claim_page("news", "alice", "s-a", overlap=1)) == 2  # the table is created on first use
    store.drop("news")  # claims go with their dataset: a new dataset may get the same id
    store.add_tasks("news", _tasks(2))
    assert store.count_claims("news") == 0 and len(store.claim_page("news", "bob", "s-b", overlap=1)) == 2
