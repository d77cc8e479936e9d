"""`annotate db merge` (annotate/store/merge.py): per-annotator databases into one, idempotent, nothing lost."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.store import Store
from annotate.store.merge import merge_databases
from annotate.tasks import set_hashes


def _tasks(n: int) -> list[dict]:
    return [set_hashes({"text": f"Texte numéro {i}.", "spans": [], "meta": {"i": i}}) for i in range(n)]


def _review(path: Path, who: str, tasks: list[dict], answer: str = "accept") -> list[int]:
    with Store(path) as s:
        s.add_tasks("news", tasks)
        return [s.add_decision("news", dict(t, spans=[{"start": 0, "end": 5, "label": "ORG"}]) if who == "alice" else t,
                               answer=answer, annotator=who, session=f"{who}-1", seconds=1.5) for t in tasks]


def _dump(path: Path) -> dict:
    """Every row that matters, without row ids (they differ between files)."""
    conn = sqlite3.connect(path)
    try:
        return {
            "datasets": sorted(conn.execute("SELECT name, created, meta FROM dataset").fetchall()),
            "tasks": sorted(conn.execute("SELECT d.name, task_hash, input_hash, content FROM task JOIN dataset d"
                                         " ON d.id = dataset_id").fetchall()),
            "decisions": sorted(conn.execute(
                "SELECT d.name, task_hash, input_hash, answer, annotator, session, timestamp, seconds, content"
                " FROM decision JOIN dataset d ON d.id = dataset_id").fetchall()),
            "history": sorted(conn.execute(
                "SELECT x.annotator, x.task_hash, h.replaced_at, h.answer, h.seconds, h.content FROM decision_history h"
                " JOIN decision x ON x.id = h.decision_id").fetchall()),
        }
    finally:
        conn.close()


@pytest.fixture
def team(tmp_path):
    tasks = _tasks(6)
    alice, bob = tmp_path / "alice.db", tmp_path / "bob.db"
    _review(alice, "alice", tasks[:4])
    _review(bob, "bob", tasks[2:])
    with Store(bob) as s:  # bob answered one task twice (undo): the replaced version is in the history
        [d] = [d for d in s.iter_decisions("news") if d["meta"]["i"] == 5]
        s.replace_decision(d["_decision_id"], d, answer="reject", seconds=3.0)
    return tmp_path, alice, bob


def test_db_merge_keeps_every_task_and_decision(team):
    tmp, alice, bob = team
    out = tmp / "team.db"
    res = merge_databases(out, [alice, bob])
    assert (res.datasets_added, res.tasks_added, res.decisions_added, res.history_added) == (1, 6, 8, 1)
    merged, a, b = _dump(out), _dump(alice), _dump(bob)
    assert merged["decisions"] == sorted(a["decisions"] + b["decisions"])
    assert merged["tasks"] == sorted(set(a["tasks"] + b["tasks"]))
    assert merged["history"] == b["history"] and len(merged["history"]) == 1
    with Store(out) as s:
        assert s.count_tasks("news") == 6 and s.answer_counts("news") == {"accept": 7, "reject": 1, "ignore": 0}


def test_db_merge_twice_stores_nothing_new(team):
    tmp, alice, bob = team
    out = tmp / "team.db"
    merge_databases(out, [alice, bob])
    first = _dump(out)
    res = merge_databases(out, [alice, bob, alice])
    assert not res.changed and (res.tasks_added, res.decisions_added, res.history_added) == (0, 0, 0)
    assert _dump(out) == first


def test_db_merge_newer_input_version_replaces_and_keeps_the_old(team):
    tmp, alice, bob = team
    out = tmp / "team.db"
    merge_databases(out, [alice, bob])
    with Store(alice) as s:  # alice goes on in her own file: undo, answer again
        d = next(iter(s.iter_decisions("news")))
        s.replace_decision(d["_decision_id"], d, answer="ignore", seconds=9.0)
    res = merge_databases(out, [alice, bob])
    assert (res.decisions_updated, res.decisions_added, res.history_added, res.diverged) == (1, 0, 1, 0)
    merged = _dump(out)
    assert sorted(r for r in merged["decisions"] if r[4] == "alice") == _dump(alice)["decisions"]
    assert [h[3] for h in merged["history"] if h[0] == "alice"] == ["accept"]  # the replaced version is kept
    assert not merge_databases(out, [alice, bob]).changed


def test_db_merge_decision_changed_in_both_files_loses_neither(team):
    tmp, alice, bob = team
    out = tmp / "team.db"
    merge_databases(out, [alice])
    for path, answer in ((out, "reject"), (alice, "ignore")):
        with Store(path) as s:
            d = next(iter(s.iter_decisions("news")))
            s.replace_decision(d["_decision_id"], d, answer=answer, seconds=2.0)
    res = merge_databases(out, [alice])
    assert res.diverged == 1 and res.decisions_updated == 0
    with Store(out) as s:
        d = next(iter(s.iter_decisions("news")))
        assert d["answer"] == "reject"  # the output's own version stays current
    answers = sorted(h[3] for h in _dump(out)["history"])
    assert answers == ["accept", "ignore"]  # the original and alice's version, both kept
    assert not merge_databases(out, [alice]).changed


def _plain_sqlite(path: Path, user_version: int = 0) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.commit()
    conn.close()


def test_db_merge_refuses_other_application_id(team, capsys):
    tmp, alice, _ = team
    other = tmp / "other.db"
    _plain_sqlite(other)
    out = tmp / "team.db"
    assert main(["db", "merge", str(out), str(alice), str(other)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[E702]" in err and "other.db" in err
    assert not out.exists()  # every input is checked before anything is written


def test_db_merge_refuses_other_schema_version(team, capsys):
    tmp, alice, _ = team
    conn = sqlite3.connect(alice)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute(f"PRAGMA user_version = {version + 1}")
    conn.commit()
    conn.close()
    assert main(["db", "merge", str(tmp / "team.db"), str(alice)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[E703]" in err and "alice.db" in err
    assert not (tmp / "team.db").exists()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: None, "E317"),
        (lambda p: p.write_text("not a database"), "E302"),
    ],
    ids=["missing", "text-file"],
)
def test_db_merge_bad_input_is_one_line(team, capsys, make, code):
    tmp, alice, _ = team
    bad = tmp / "bad.db"
    make(bad)
    assert main(["db", "merge", str(tmp / "team.db"), str(alice), str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"[{code}]" in err


def test_db_merge_output_among_inputs_is_refused(team, capsys):
    tmp, alice, bob = team
    assert main(["db", "merge", str(alice), str(bob), str(alice)]) == 2
    assert "[E704]" in capsys.readouterr().err


def test_db_merge_cli_prints_counts(team, capsys):
    tmp, alice, bob = team
    out = tmp / "team.db"
    assert main(["db", "merge", str(out), str(alice), str(bob)]) == 0
    assert "8 new decisions" in capsys.readouterr().err
    assert main(["db", "merge", str(out), str(alice), str(bob), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["decisions_added"] == 0 and data["inputs"] == 2


def test_db_merge_then_agreement_counts_the_shared_tasks(team):
    pytest.importorskip("krippendorff")
    from annotate.evaluation.agreement import agreement

    tmp, alice, bob = team
    out = tmp / "team.db"
    merge_databases(out, [alice, bob])
    with Store(out) as s:
        res = agreement(s.iter_decisions("news"))
    # alice answered tasks 0-3, bob 2-5 (task 5 rejected): 2 and 3 are shared; alice has a span, bob none
    assert (res.tasks, res.tasks_single) == (2, 4)  # single: 0 1 (alice), 4 5 (bob)
    assert res.spans["exact_f1"] == 0.0
