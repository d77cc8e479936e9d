"""Issue #13 item 1: two different texts are never one task. The store keys tasks on 128-bit content
keys; the 32-bit Prodigy hashes are fields only (kept byte for byte); a version-1 database is
upgraded in place, in one transaction, losing nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.store import APPLICATION_ID, Store
from annotate.tasks import set_hashes

from .helpers import FULL

# the v1 schema as annotate 0.x created it (annotate/store/schema.py before the task-key change)
V1_SCHEMA = """
CREATE TABLE dataset (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created INTEGER NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE task (id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
    task_hash INTEGER NOT NULL, input_hash INTEGER NOT NULL, content TEXT NOT NULL, UNIQUE (dataset_id, task_hash));
CREATE TABLE decision (id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
    task_hash INTEGER NOT NULL, input_hash INTEGER NOT NULL,
    answer TEXT NOT NULL CHECK (answer IN ('accept', 'reject', 'ignore')), annotator TEXT NOT NULL,
    session TEXT NOT NULL, timestamp INTEGER NOT NULL, seconds REAL NOT NULL DEFAULT 0, content TEXT NOT NULL);
CREATE INDEX decision_by_annotator ON decision (dataset_id, annotator, task_hash);
CREATE INDEX decision_by_task ON decision (dataset_id, task_hash);
CREATE TABLE decision_history (id INTEGER PRIMARY KEY, decision_id INTEGER NOT NULL, replaced_at INTEGER NOT NULL,
    answer TEXT NOT NULL, seconds REAL NOT NULL, content TEXT NOT NULL);
"""

# pairs of texts whose 32-bit _task_hash is the same (found by hashing "Article 0" ... "Article 300000")
COLLIDING = [("Article 2591", "Article 50873"), ("Article 27548", "Article 129628")]


def _dumps(d: dict) -> str:
    return json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_reliability_keys_the_pairs_do_collide_on_32_bits():
    # what makes the tests below able to fail: these texts are one task under the 32-bit key
    a, b = COLLIDING[0]
    assert set_hashes({"text": a, "spans": []})["_task_hash"] == set_hashes({"text": b, "spans": []})["_task_hash"]


def test_reliability_keys_colliding_texts_are_two_tasks_through_db_in(tmp_path: Path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t, "spans": []}) + "\n" for pair in COLLIDING for t in pair))
    db = tmp_path / "a.db"
    assert main(["db-in", "news", str(src), "--db", str(db), "--as-tasks"]) == 0
    out = capsys.readouterr().err
    assert "duplicate" not in out
    with Store(db) as s:
        texts = sorted(t["text"] for t in s.iter_tasks("news"))
        assert texts == sorted(t for pair in COLLIDING for t in pair)
        # the 32-bit hashes are still there, as fields
        assert all(isinstance(t["_task_hash"], int) for t in s.iter_tasks("news"))
        # the same file again adds nothing
    assert main(["db-in", "news", str(src), "--db", str(db), "--as-tasks"]) == 0
    assert "4 duplicate task(s)" in capsys.readouterr().err


def test_reliability_keys_colliding_texts_reviewed_and_exported_are_two_examples(tmp_path: Path, capsys):
    db = tmp_path / "a.db"
    with Store(db) as s:
        s.add_tasks("news", [{"text": t, "spans": [], "meta": {"lang": "fr"}} for t in COLLIDING[0]])
        pending = list(s.pending("news", "alice"))
        assert len(pending) == 2
        s.add_decision("news", pending[0], answer="accept", annotator="alice", session="s", once=True)
        # answering the first must not answer the second (same 32-bit hash)
        assert [t["text"] for t in s.pending("news", "alice")] == [COLLIDING[0][1]]
        s.add_decision("news", pending[1], answer="accept", annotator="alice", session="s", once=True)
        assert s.count_pending("news", "alice") == 0 and s.count_decisions("news") == 2
        assert len(s.answered_hashes("news", "alice")) == 2
    out = tmp_path / "out.jsonl"
    assert main(["export", "news", "-o", str(out), "--db", str(db)]) == 0
    assert sorted(json.loads(x)["text"] for x in out.read_text().splitlines()) == sorted(COLLIDING[0])


def test_reliability_keys_imported_hashes_are_written_back_byte_for_byte(tmp_path: Path):
    rec = {"text": "Acme gagne.", "spans": [], "answer": "accept", "_input_hash": 7, "_task_hash": -2147483648,
           "_annotator_id": "a", "_session_id": "s", "_timestamp": 1700000000}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(rec) + "\n")
    db, out = tmp_path / "a.db", tmp_path / "out.jsonl"
    assert main(["db-in", "news", str(src), "--db", str(db)]) == 0
    assert main(["db-out", "news", "-o", str(out), "--db", str(db)]) == 0
    back = json.loads(out.read_text())
    assert (back["_input_hash"], back["_task_hash"]) == (7, -2147483648)


def test_reliability_keys_reviewer_edit_keeps_the_task_answered(tmp_path: Path):
    # the decision carries its task's key: changing a span's label on screen still answers the task
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("news", [{"text": "Acme gagne.", "spans": [{"start": 0, "end": 4, "label": "ORG"}]}])
        task = next(s.pending("news", "alice"))
        task["spans"][0]["label"] = "PERSON"
        s.add_decision("news", task, answer="accept", annotator="alice", session="s", once=True)
        assert s.count_pending("news", "alice") == 0
        assert "_task_key" not in next(s.iter_decisions("news"))


def _v1_db(path: Path) -> dict:
    """A version-1 database, written with the v1 schema SQL, with two datasets, a 32-bit collision
    (one of the pair lost, as v1 did), decisions linked by task_hash, a duplicate decision, history."""
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode = WAL")
    c.executescript(V1_SCHEMA)
    c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    c.execute("PRAGMA user_version = 1")
    c.execute("INSERT INTO dataset (id, name, created) VALUES (1, 'news', 1), (2, 'other', 2)")
    tasks = [set_hashes({"text": f"Texte {i}.", "spans": [], "meta": {"i": i}}) for i in range(6)]
    # a Prodigy task whose imported hashes are not ours, with the same text and spans as tasks[0]
    tasks.append({"text": "Texte 0.", "spans": [], "meta": {"i": 0}, "_input_hash": 1, "_task_hash": 2})
    for ds in (1, 2):
        for t in tasks:
            c.execute("INSERT INTO task (dataset_id, task_hash, input_hash, content) VALUES (?, ?, ?, ?)",
                      (ds, t["_task_hash"], t["_input_hash"], _dumps(t)))
    # alice answered tasks 0..2 of news, task 2 reviewed with a relabelled span; task 1 imported twice
    for i in (0, 1, 1, 2):
        d = dict(tasks[i], spans=[{"start": 0, "end": 5, "label": "X", "answer": "accept"}] if i == 2 else [])
        c.execute("INSERT INTO decision (dataset_id, task_hash, input_hash, answer, annotator, session, timestamp,"
                  " seconds, content) VALUES (1, ?, ?, 'accept', 'alice', 's1', 1700000000, 1.5, ?)",
                  (tasks[i]["_task_hash"], tasks[i]["_input_hash"], _dumps(d)))
    c.execute("INSERT INTO decision_history (decision_id, replaced_at, answer, seconds, content)"
              " VALUES (1, 5, 'reject', 0, '{}')")
    c.close()
    return {"tasks": tasks}


def _dump(path: Path) -> dict:
    c = sqlite3.connect(path)
    out = {
        "task": c.execute("SELECT id, dataset_id, task_hash, input_hash, content FROM task ORDER BY id").fetchall(),
        "decision": c.execute("SELECT id, dataset_id, task_hash, input_hash, answer, annotator, session, timestamp,"
                              " seconds, content FROM decision ORDER BY id").fetchall(),
        "history": c.execute("SELECT * FROM decision_history ORDER BY id").fetchall(),
        "dataset": c.execute("SELECT * FROM dataset ORDER BY id").fetchall(),
    }
    c.close()
    return out


def test_reliability_keys_v1_database_is_upgraded_in_place_losing_nothing(tmp_path: Path):
    path = tmp_path / "v1.db"
    _v1_db(path)
    before = _dump(path)
    with Store(path) as s:
        assert s.count_tasks("news") == 7 and s.count_decisions("news") == 4
        # what alice answered in v1 stays answered (decision of task 2 has edited spans)
        assert sorted(t["meta"]["i"] for t in s.pending("news", "alice")) == [0, 3, 4, 5]
        assert s.count_pending("other", "alice") == 7
    assert _dump(path) == before  # every row, id and byte kept
    c = sqlite3.connect(path)
    assert c.execute("PRAGMA user_version").fetchone()[0] == 2
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert c.execute("SELECT count(*) FROM task WHERE task_key IS NULL").fetchone()[0] == 0
    c.close()
    # the decision imported twice by v1 is kept twice, but importing it again adds nothing
    rec = json.loads(before["decision"][1][9])
    rec.update(answer="accept", _annotator_id="alice", _session_id="s1", _timestamp=1700000000, _seconds=1.5)
    src = tmp_path / "again.jsonl"
    src.write_text(json.dumps(rec) + "\n")
    assert main(["db-in", "news", str(src), "--db", str(path)]) == 0
    with Store(path) as s:
        assert s.count_decisions("news") == 4


def test_reliability_keys_v1_upgrade_failure_leaves_version_1(tmp_path: Path, monkeypatch):
    from annotate.store import migrate

    path = tmp_path / "v1.db"
    _v1_db(path)
    before = _dump(path)

    real = migrate.UPGRADES[1]

    def fails_at_the_end(c):  # noqa: ANN001, ANN202
        real(c)  # every step of the upgrade done, then the disk fails
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setitem(migrate.UPGRADES, 1, fails_at_the_end)
    with pytest.raises(AnnotateError, match="E311"):
        Store(path)
    assert _dump(path) == before
    c = sqlite3.connect(path)
    assert c.execute("PRAGMA user_version").fetchone()[0] == 1
    assert c.execute("SELECT name FROM sqlite_master WHERE name = 'task_v1'").fetchone() is None
    c.close()


N_DISTINCT = 1_000_000 if FULL else 60_000


def test_reliability_keys_distinct_texts_none_merged(tmp_path: Path, capsys):
    """60,000 distinct texts (1,000,000 with RELIABILITY_FULL=1) through db-in: every one stored.
    Among these texts the 32-bit task hashes collide (checked), so v1 lost some."""
    src = tmp_path / "in.jsonl"
    hashes = set()
    with src.open("w") as f:
        for i in range(N_DISTINCT):
            t = {"text": f"Article {i}", "spans": []}
            hashes.add(set_hashes(dict(t))["_task_hash"])
            f.write(json.dumps(t) + "\n")
    assert len(hashes) < N_DISTINCT  # the 32-bit key would merge some
    db = tmp_path / "a.db"
    assert main(["db-in", "news", str(src), "--db", str(db), "--as-tasks"]) == 0
    out = capsys.readouterr().err
    assert f"{N_DISTINCT} task(s) to review" in out and "duplicate" not in out, out
    with Store(db) as s:
        assert s.count_tasks("news") == N_DISTINCT
    print(f"distinct texts: {N_DISTINCT}, 32-bit task hashes: {len(hashes)}, stored: {N_DISTINCT}")
