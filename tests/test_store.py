"""The SQLite store: duplicates, resume, decisions, errors, concurrency, crash safety."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from annotate.errors import AnnotateError
from annotate.store import APPLICATION_ID, Store, default_db_path
from annotate.store.schema import SCHEMA_VERSION
from annotate.tasks import set_hashes


def _task(i: int, n_spans: int = 1) -> dict:
    text = f"Doc {i}: Acme paid 5 euros."
    spans = [{"start": text.index("Acme"), "end": text.index("Acme") + 4, "label": "ORG", "text": "Acme"}][:n_spans]
    return set_hashes({"text": text, "spans": spans, "cats": {"FINANCE": 0.8, "AI": 0.1}, "meta": {"i": i}})


def test_store_creates_wal_database_with_our_marks(tmp_path: Path):
    path = tmp_path / "new.db"
    with Store(path) as s:
        assert s.datasets() == []
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    con.close()


def test_store_default_path_from_env(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ANNOTATE_DB", str(tmp_path / "env.db"))
    assert default_db_path() == tmp_path / "env.db"
    with Store() as s:
        s.add_tasks("news", [_task(1)])
    assert (tmp_path / "env.db").exists()
    monkeypatch.delenv("ANNOTATE_DB")
    monkeypatch.chdir(tmp_path)
    assert default_db_path() == Path("annotate.db")


def test_store_add_tasks_twice_adds_no_duplicates(store: Store):
    tasks = [_task(i) for i in range(1200)]  # more than one batch
    assert store.add_tasks("news", tasks) == (1200, 0)
    assert store.add_tasks("news", tasks) == (0, 1200)
    assert store.add_tasks("news", [_task(5), _task(5), _task(2000)]) == (1, 2)
    assert store.count_tasks("news") == 1201
    # the same task in another dataset is a different task
    assert store.add_tasks("other", tasks[:3]) == (3, 0)
    assert store.datasets() == ["news", "other"]
    assert store.has_dataset("news") and not store.has_dataset("nope")


def test_store_add_tasks_computes_missing_hashes(store: Store):
    store.add_tasks("news", [{"text": "Acme", "spans": []}])
    (task,) = list(store.pending("news", "alice"))
    assert isinstance(task["_task_hash"], int) and isinstance(task["_input_hash"], int)


def test_store_pending_resumes_per_annotator(store: Store):
    tasks = [_task(i) for i in range(5)]
    store.add_tasks("news", tasks)
    pending = list(store.pending("news", "alice"))
    assert [t["meta"]["i"] for t in pending] == [0, 1, 2, 3, 4]
    store.add_decision("news", pending[0], answer="accept", annotator="alice", session="s1")
    store.add_decision("news", pending[2], answer="reject", annotator="alice", session="s1")
    # a new Store (a restarted process) resumes where alice stopped
    with Store(store.path) as again:
        assert [t["meta"]["i"] for t in again.pending("news", "alice")] == [1, 3, 4]
        assert [t["meta"]["i"] for t in again.pending("news", "bob")] == [0, 1, 2, 3, 4]
        assert again.count_pending("news", "alice") == 3
    # loading the file again does not bring answered tasks back
    store.add_tasks("news", tasks)
    assert [t["meta"]["i"] for t in store.pending("news", "alice")] == [1, 3, 4]


def test_store_pending_skips_tasks_answered_while_iterating(tmp_path: Path):
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("news", [_task(i) for i in range(1100)])
        it = s.pending("news", "alice")
        first = next(it)
        # another reviewer process answers a task of a later page as alice
        with Store(tmp_path / "a.db") as other:
            later = [t for t in other.pending("news", "alice") if t["meta"]["i"] == 900][0]
            other.add_decision("news", later, answer="accept", annotator="alice", session="s2")
        rest = [t["meta"]["i"] for t in it]
    assert first["meta"]["i"] == 0
    assert 900 not in rest and len(rest) == 1098


def test_store_decision_keeps_the_whole_task(store: Store):
    task = _task(1)
    task["spans"][0]["answer"] = "reject"
    task["accept"] = ["FINANCE"]
    task["extra"] = {"keep": [1, 2]}
    dec_id = store.add_decision(
        "news", task, answer="accept", annotator="alice", session="news-alice", seconds=3.5, timestamp=1700000000.7
    )
    (d,) = list(store.iter_decisions("news"))
    assert d["_decision_id"] == dec_id
    assert d["answer"] == "accept" and d["_annotator_id"] == "alice" and d["_session_id"] == "news-alice"
    assert d["_timestamp"] == 1700000000 and isinstance(d["_timestamp"], int)
    assert d["_seconds"] == 3.5
    stored = {k: v for k, v in d.items() if k not in ("answer", "_annotator_id", "_session_id", "_timestamp", "_seconds", "_decision_id")}
    assert stored == task


def test_store_decision_keys_in_the_task_are_not_duplicated(store: Store):
    task = dict(_task(1), answer="reject", _annotator_id="old", _timestamp=1)
    store.add_decision("news", task, answer="accept", annotator="alice", session="s")
    (d,) = list(store.iter_decisions("news"))
    assert d["answer"] == "accept" and d["_annotator_id"] == "alice"


def test_store_iter_decisions_in_order_and_by_annotator(store: Store):
    for i in range(700):
        who = "alice" if i % 2 else "bob"
        store.add_decision("news", _task(i), answer="accept", annotator=who, session=who)
    ids = [d["_decision_id"] for d in store.iter_decisions("news")]
    assert ids == sorted(ids) and len(ids) == 700
    assert [d["meta"]["i"] for d in store.iter_decisions("news", annotator="alice")] == list(range(1, 700, 2))
    assert store.count_decisions("news") == 700
    assert store.count_decisions("missing") == 0
    assert list(store.iter_decisions("missing")) == []


def test_store_replace_decision_for_undo(store: Store):
    t = _task(1)
    store.add_decision("news", _task(0), answer="accept", annotator="alice", session="s")
    dec = store.add_decision("news", t, answer="accept", annotator="alice", session="s")
    t2 = json.loads(json.dumps(t))
    t2["spans"][0]["answer"] = "reject"
    store.replace_decision(dec, t2, answer="reject", seconds=9.0)
    decisions = list(store.iter_decisions("news"))
    assert len(decisions) == 2
    assert decisions[1]["_decision_id"] == dec and decisions[1]["answer"] == "reject"
    assert decisions[1]["spans"][0]["answer"] == "reject" and decisions[1]["_seconds"] == 9.0
    con = sqlite3.connect(store.path)
    assert con.execute("SELECT count(*) FROM decision_history WHERE decision_id = ?", (dec,)).fetchone()[0] == 1
    con.close()
    with pytest.raises(AnnotateError, match="E314"):
        store.replace_decision(9999, t2, answer="reject")


def test_store_rejects_unknown_answer(store: Store):
    with pytest.raises(AnnotateError, match="unknown answer 'maybe'"):
        store.add_decision("news", _task(1), answer="maybe", annotator="a", session="s")


def test_store_stats_per_answer_label_theme_annotator(store: Store):
    t1 = _task(1)
    t1["spans"].append({"start": 0, "end": 3, "label": "DATE", "text": "Doc", "answer": "reject"})
    t1["accept"] = ["FINANCE", "AI"]
    t2 = _task(2)
    t2["accept"] = []
    store.add_tasks("news", [t1, t2, _task(3)])
    store.add_decision("news", t1, answer="accept", annotator="alice", session="s", seconds=2)
    store.add_decision("news", t2, answer="accept", annotator="bob", session="s2", seconds=1)
    store.add_decision("news", _task(3), answer="reject", annotator="bob", session="s2")
    st = store.stats("news")
    assert st["tasks"] == 3 and st["decisions"] == 3 and st["sessions"] == 2
    assert st["answers"] == {"accept": 2, "reject": 1, "ignore": 0}
    assert st["labels"] == {"DATE": {"accept": 0, "reject": 1}, "ORG": {"accept": 2, "reject": 0}}
    assert st["themes"]["FINANCE"] == {"accept": 1, "proposed": 2, "reject": 1, "added": 0}
    assert st["themes"]["AI"] == {"accept": 1, "proposed": 0, "reject": 0, "added": 1}
    assert st["annotators"]["bob"] == {"accept": 1, "reject": 1, "ignore": 0, "seconds": 1.0}


def test_store_drop_dataset(store: Store):
    store.add_tasks("news", [_task(1)])
    store.add_decision("news", _task(1), answer="accept", annotator="a", session="s")
    store.add_tasks("keep", [_task(1)])
    store.drop("news")
    assert store.datasets() == ["keep"]
    assert store.count_decisions("news") == 0
    with pytest.raises(AnnotateError, match="no dataset 'kep'.*did you mean 'keep'"):
        store.drop("kep")


def test_store_not_sqlite_file_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "notes.db"
    bad.write_text("hello, this is not a database\n" * 10)
    with pytest.raises(AnnotateError) as e:
        Store(bad)
    assert "E302" in str(e.value) and str(bad) in str(e.value) and "Fix:" in str(e.value)


def test_store_foreign_sqlite_file_is_a_clear_error(tmp_path: Path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(AnnotateError, match="E303.*not an annotate database"):
        Store(other)


def test_store_folder_path_is_a_usage_error(tmp_path: Path):
    with pytest.raises(AnnotateError) as e:
        Store(tmp_path)
    assert e.value.exit_code == 2


def test_store_locked_database_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "a.db"
    Store(path).close()
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with Store(path, timeout=0.2) as s:
            with pytest.raises(AnnotateError, match="E310.*locked"):
                s.add_decision("news", _task(1), answer="accept", annotator="a", session="s")
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def _writer(path: str, annotator: str, n: int, q) -> None:  # pragma: no cover - runs in a child
    ids = []
    with Store(path) as s:
        for i in range(n):
            t = _task(i)
            s.add_tasks("news", [t])
            ids.append(s.add_decision("news", t, answer="accept", annotator=annotator, session=annotator))
    q.put((annotator, ids))


def test_store_two_processes_write_at_once(tmp_path: Path):
    path = str(tmp_path / "a.db")
    Store(path).close()
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(path, name, 150, q)) for name in ("alice", "bob")]
    for p in procs:
        p.start()
    results = dict(q.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with Store(path) as s:
        assert s.count_tasks("news") == 150
        for who in ("alice", "bob"):
            got = [d["_decision_id"] for d in s.iter_decisions("news", annotator=who)]
            assert got == results[who] and len(got) == 150
            assert list(s.pending("news", who)) == []
        assert s.integrity_check() == "ok"


_KILLED_CHILD = textwrap.dedent(
    """
    import sys
    from annotate.store import Store
    from annotate.tasks import set_hashes
    s = Store(sys.argv[1])
    i = 0
    while True:
        t = set_hashes({"text": f"task {i} " + "x" * 2000, "spans": []})
        dec = s.add_decision("news", t, answer="accept", annotator="alice", session="s")
        print(dec, flush=True)   # acknowledged
        i += 1
    """
)


def test_store_sigkill_loses_no_acknowledged_decision(tmp_path: Path):
    path = tmp_path / "a.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD, str(path)], stdout=subprocess.PIPE, text=True
    )
    acked = []
    assert proc.stdout is not None
    deadline = time.time() + 30
    while len(acked) < 40 and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(acked) >= 40, "the child wrote too few decisions"
    with Store(path) as s:
        stored = {d["_decision_id"] for d in s.iter_decisions("news")}
        assert set(acked) <= stored
        assert s.integrity_check() == "ok"
