"""Issue #13 items 5 and 6: imports all or nothing and idempotent; every value a record carries checked
before it is stored; `db stats` never fails on an old bad row."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.store import Store

GOOD = [{"text": f"Texte {i}.", "spans": [], "answer": "accept", "_timestamp": 1700000000 + i} for i in range(300)]

# line 301 of a --strict import: nothing before it may be stored (the store refused these after 300 lines)
BAD_301 = {
    "timestamp-infinity": '{"text": "x", "answer": "accept", "_timestamp": Infinity}',
    "seconds-nan": '{"text": "x", "answer": "accept", "_seconds": NaN}',
    "input-hash-2-64": '{"text": "x", "answer": "accept", "_input_hash": 18446744073709551616}',
    "timestamp-1e300": '{"text": "x", "answer": "accept", "_timestamp": 1e300}',
    "timestamp-negative": '{"text": "x", "answer": "accept", "_timestamp": -5}',
    "timestamp-string": '{"text": "x", "answer": "accept", "_timestamp": "yesterday"}',
    "seconds-1e300": '{"text": "x", "answer": "accept", "_seconds": 1e300}',
    "annotator-object": '{"text": "x", "answer": "accept", "_annotator_id": {"a": 1}}',
    "session-list": '{"text": "x", "answer": "accept", "_session_id": ["s"]}',
    "annotator-newline": '{"text": "x", "answer": "accept", "_annotator_id": "a\\nb"}',
    "themes-not-strings": '{"text": "x", "answer": "accept", "accept": ["FINANCE", 5, null]}',
    "theme-nested-list": '{"text": "x", "answer": "accept", "accept": [["FINANCE"]]}',
    "theme-empty": '{"text": "x", "answer": "accept", "accept": [""]}',
    "meta-list": '{"text": "x", "answer": "accept", "meta": [1]}',
    "token-start-string": '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": "ORG", "token_start": "a"}]}',
    "span-label-empty": '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": ""}]}',
    "span-source-number": '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": "ORG", "source": 3}]}',
    "span-answer-unknown": '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": "ORG", "answer": "maybe"}]}',
    "token-id-string": '{"text": "x", "answer": "accept", "tokens": [{"text": "x", "start": 0, "end": 1, "id": "0"}]}',
    "token-start-float": '{"text": "x", "answer": "accept", "tokens": [{"text": "x", "start": 0.5, "end": 1}]}',
    "cats-infinite": '{"text": "x", "answer": "accept", "cats": {"AI": 1e999}}',
    "task-hash-float": '{"text": "x", "answer": "accept", "_task_hash": 1.5}',
}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("bad", list(BAD_301.values()), ids=list(BAD_301))
def test_reliability_records_strict_stores_nothing_and_names_the_line(tmp_path: Path, capfd, bad):
    src = _write(tmp_path / "in.jsonl", [json.dumps(g) for g in GOOD] + [bad])
    db = tmp_path / "a.db"
    with Store(db) as s:
        s.add_tasks("other", [{"text": "keep me"}])
    code = main(["db-in", "news", str(src), "--db", str(db), "--strict"])
    err = capfd.readouterr().err
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"{src}:301:" in lines[0] and "nothing was imported" in lines[0], err
    with Store(db) as s:
        assert s.datasets() == ["other"] and s.count_tasks("other") == 1


@pytest.mark.parametrize("bad", ["timestamp-infinity", "themes-not-strings", "annotator-object"])
def test_reliability_records_lenient_import_skips_the_bad_line_only(tmp_path: Path, capfd, bad):
    src = _write(tmp_path / "in.jsonl", [json.dumps(g) for g in GOOD] + [BAD_301[bad]])
    db = tmp_path / "a.db"
    code = main(["db-in", "news", str(src), "--db", str(db)])
    err = capfd.readouterr().err
    assert code == 1 and "Traceback" not in err and f"{src}:301" in err
    with Store(db) as s:
        assert s.count_decisions("news") == 300
        assert main(["db", "stats", "news", "--db", str(db)]) == 0


def test_reliability_records_same_import_twice_stores_each_decision_once(tmp_path: Path, capfd):
    recs = [dict(g, _annotator_id="alice", _session_id="s1") for g in GOOD]
    recs += [{"text": f"Sans date {i}.", "answer": "reject"} for i in range(50)]  # no timestamp: identified by content
    src = _write(tmp_path / "in.jsonl", [json.dumps(r) for r in recs])
    db = tmp_path / "a.db"
    for _ in range(3):
        assert main(["db-in", "news", str(src), "--db", str(db)]) == 0
    err = capfd.readouterr().err
    assert "350 decision(s) already stored" in err
    with Store(db) as s:
        assert s.count_decisions("news") == 350


def test_reliability_records_killed_import_reruns_to_exactly_the_input(tmp_path: Path):
    """An import stopped after some batches were committed (a kill) and run again ends with exactly the
    input's decisions (the full figure, with real SIGKILLs, is test_reliability_kills.py)."""
    recs = [dict(g, _annotator_id="bob") for g in GOOD] * 1 + [{"text": f"N {i}", "answer": "accept"} for i in range(900)]
    src = _write(tmp_path / "in.jsonl", [json.dumps(r) for r in recs])
    db = tmp_path / "a.db"
    real = Store.add_decisions
    calls = []

    def killed(self, dataset, records):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies after the first batch was committed
        return real(self, dataset, records)

    Store.add_decisions = killed
    try:
        assert main(["db-in", "news", str(src), "--db", str(db)]) == 130  # as after Ctrl-C
    finally:
        Store.add_decisions = real
    with Store(db) as s:
        assert 0 < s.count_decisions("news") < len(recs)
    assert main(["db-in", "news", str(src), "--db", str(db)]) == 0
    with Store(db) as s:
        assert s.count_decisions("news") == len(recs)
        assert sorted(d["text"] for d in s.iter_decisions("news")) == sorted(r["text"] for r in recs)


def test_reliability_records_db_stats_renders_old_bad_rows(tmp_path: Path, capfd):
    db = tmp_path / "a.db"
    with Store(db) as s:
        s.add_decision("news", {"text": "ok", "spans": [], "accept": ["AI"]}, answer="accept", annotator="a", session="s")
    c = sqlite3.connect(db)
    row = c.execute("SELECT dataset_id, task_hash, input_hash, task_key FROM decision").fetchone()
    bad = [
        {"text": "v1", "accept": ["FINANCE", 5, None, ["x"]], "cats": {"AI": "high", "5": 0.9}},
        {"text": "v1", "spans": [3, {"label": None}, {"label": 7, "answer": "reject"}], "accept": "AI"},
        {"text": "v1", "spans": "none", "cats": [1]},
    ]
    for i, content in enumerate([json.dumps(b) for b in bad] + ["not json", "[1, 2]"]):
        c.execute("INSERT INTO decision (dataset_id, task_hash, input_hash, answer, annotator, session, timestamp,"
                  " seconds, content, task_key) VALUES (?, ?, ?, 'accept', 'old', 's', 1, 0, ?, ?)",
                  (row[0], row[1], row[2], content, row[3] + bytes([i])))
    c.commit()
    c.close()
    capfd.readouterr()
    for argv in (["db", "stats", "news"], ["db", "stats", "news", "--json"]):
        assert main([*argv, "--db", str(db)]) == 0
        out, err = capfd.readouterr()
        assert "Traceback" not in err and err == ""
    st = json.loads(out)
    assert st["decisions"] == 6 and st["unreadable"] == 2
    assert {"FINANCE", "5", "null", '["x"]', "AI"} <= set(st["themes"])
    assert {"null", "7"} <= set(st["labels"])
    # an export names the damaged row instead of failing with a traceback
    assert main(["db-out", "news", "-o", str(tmp_path / "o.jsonl"), "--db", str(db)]) == 1
    err = capfd.readouterr().err
    assert "E903" in err and "Traceback" not in err
