"""Bad inputs of the third reliability round (issue #13, items 1, 2, 5, 6 and the crashes left): values a
record carries that the store used to take (and break on later), numbers that are not JSON, damaged
database rows, odd databases and paths for every command; and odd but valid inputs (an import run
twice, texts whose 32-bit hashes collide, a stats run over old bad rows)."""

from __future__ import annotations

import json
import sqlite3

from annotate.store import Store

from . import GOOD, case, db, jl, nlp, task, w

N_GOOD = 300  # the bad line is line 301: nothing before it may be stored


def _good_lines() -> str:
    return "".join(
        json.dumps({"text": f"Texte {i}.", "answer": "accept", "_timestamp": 1700000000 + i}) + "\n" for i in range(N_GOOD)
    )


def _strict(t, bad: str):  # noqa: ANN001, ANN202
    p = db(t)
    w(t / "in.jsonl", _good_lines() + bad + "\n")
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p, "--strict"]


# ---------------------------------------------------------------- db-in --strict, line 301

_L = "{t}/in.jsonl:301"
_NOTHING = "nothing was imported"
STRICT_301 = [
    ("timestamp-infinity", '{"text": "x", "answer": "accept", "_timestamp": Infinity}', ["Infinity"]),
    ("seconds-nan", '{"text": "x", "answer": "accept", "_seconds": NaN}', ["NaN"]),
    ("input-hash-2-64", '{"text": "x", "answer": "accept", "_input_hash": 18446744073709551616}', ["_input_hash", "64-bit"]),
    ("task-hash-negative-2-64", '{"text": "x", "answer": "accept", "_task_hash": -18446744073709551616}', ["_task_hash"]),
    ("timestamp-1e300", '{"text": "x", "answer": "accept", "_timestamp": 1e300}', ["_timestamp"]),
    ("timestamp-1e400", '{"text": "x", "answer": "accept", "_timestamp": 1e400}', ["1e400"]),
    ("timestamp-negative", '{"text": "x", "answer": "accept", "_timestamp": -86400}', ["_timestamp"]),
    ("timestamp-true", '{"text": "x", "answer": "accept", "_timestamp": true}', ["_timestamp"]),
    ("timestamp-string", '{"text": "x", "answer": "accept", "_timestamp": "2024-01-01"}', ["_timestamp"]),
    ("seconds-negative", '{"text": "x", "answer": "accept", "_seconds": -3}', ["_seconds"]),
    ("seconds-1e300", '{"text": "x", "answer": "accept", "_seconds": 1e300}', ["_seconds"]),
    ("annotator-object", '{"text": "x", "answer": "accept", "_annotator_id": {"name": "a"}}', ["_annotator_id"]),
    ("annotator-newline", '{"text": "x", "answer": "accept", "_annotator_id": "ana\\nbob"}', ["_annotator_id"]),
    ("annotator-lone-surrogate", '{"text": "x", "answer": "accept", "_annotator_id": "\\ud800"}', ["surrogate"]),
    ("session-list", '{"text": "x", "answer": "accept", "_session_id": ["s1"]}', ["_session_id"]),
    ("themes-number-and-null", '{"text": "x", "answer": "accept", "accept": ["FINANCE", 5, null]}', ['"accept"']),
    ("theme-nested-list", '{"text": "x", "answer": "accept", "accept": [["FINANCE"]]}', ['"accept"']),
    ("theme-empty-name", '{"text": "x", "answer": "accept", "accept": ["  "]}', ['"accept"']),
    ("accept-is-a-string", '{"text": "x", "answer": "accept", "accept": "FINANCE"}', ['"accept"']),
    ("meta-is-a-list", '{"text": "x", "answer": "accept", "meta": ["fr"]}', ['"meta"']),
    ("cats-score-string", '{"text": "x", "answer": "accept", "cats": {"AI": "high"}}', ['"cats"']),
    ("cats-score-true", '{"text": "x", "answer": "accept", "cats": {"AI": true}}', ['"cats"']),
    ("token-start-string", '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": "ORG", '
     '"token_start": "0"}]}', ["token_start"]),
    ("token-end-negative", '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": "ORG", '
     '"token_end": -1}]}', ["token_end"]),
    ("span-label-empty", '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": ""}]}', ["label"]),
    ("span-label-number", '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": 7}]}', ["label"]),
    ("span-source-object", '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": "ORG", '
     '"source": {}}]}', ["source"]),
    ("span-answer-maybe", '{"text": "x y", "answer": "accept", "spans": [{"start": 0, "end": 1, "label": "ORG", '
     '"answer": "maybe"}]}', ["answer"]),
    ("span-start-half", '{"text": "x y", "answer": "accept", "spans": [{"start": 0.5, "end": 1, "label": "ORG"}]}', ["0.5"]),
    ("span-end-before-start", '{"text": "x y", "answer": "accept", "spans": [{"start": 2, "end": 1, "label": "ORG"}]}',
     ["outside the text"]),
    ("token-id-string", '{"text": "x", "answer": "accept", "tokens": [{"text": "x", "start": 0, "end": 1, "id": "0"}]}',
     ["token 0"]),
    ("token-ws-string", '{"text": "x", "answer": "accept", "tokens": [{"text": "x", "start": 0, "end": 1, "ws": "no"}]}',
     ["token 0"]),
    ("tokens-not-a-list", '{"text": "x", "answer": "accept", "tokens": {"0": "x"}}', ['"tokens"']),
    ("nesting-200-levels", '{"text": "x", "answer": "accept", "meta": {"x": ' + "[" * 200 + "]" * 200 + "}}",
     ["nested more than"]),
    ("answer-is-a-number", '{"text": "x", "answer": 1}', ["unknown answer"]),
    ("doccano-label-number", '{"text": "x y", "label": [[0, 1, 5]], "answer": "accept"}', ["Fix:"]),
]

for _id, _bad, _pieces in STRICT_301:
    def _make(t, bad=_bad):  # noqa: ANN001, ANN202
        return _strict(t, bad)

    case(f"db-in-strict-line-301-{_id}", "db-in", 1, [_L, *_pieces, _NOTHING])(_make)


@case("db-in-dataset-name-with-a-newline", "db-in", 2, ["invalid dataset name", "short name"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", jl(task()))
    return ["db-in", "news\nfr", str(t / "in.jsonl"), "--db", p]


# ---------------------------------------------------------------- damaged rows, odd databases


def _damage(p: str, content: str = "not json {") -> None:
    c = sqlite3.connect(p)
    c.execute("UPDATE decision SET content = ? WHERE id = (SELECT min(id) FROM decision)", (content,))
    c.commit()
    c.close()


@case("export-damaged-decision-row", "export", 1, ["{t}/a.db: stored decision 1 is not a JSON object", "DELETE"])
def _(t):
    p = db(t)
    _damage(p)
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", p]


@case("db-out-decision-row-is-a-json-list", "db-out", 1, ["stored decision 1 is not a JSON object", "Fix:"])
def _(t):
    p = db(t)
    _damage(p, "[1, 2, 3]")
    return ["db-out", "news", "-o", str(t / "out.jsonl"), "--db", p]


@case("export-database-is-a-folder", "export", 2, ["{t}/d.db", "folder", "--db"])
def _(t):
    (t / "d.db").mkdir()
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", str(t / "d.db")]


@case("export-newer-schema", "export", 1, ["{t}/a.db", "newer"])
def _(t):
    p = db(t)
    c = sqlite3.connect(p)
    c.execute("PRAGMA user_version = 7")
    c.close()
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", p]


@case("export-resolve-unknown", "export", 2, ["--resolve", "latest"])
def _(t):
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", db(t), "--resolve", "newest"]


@case("export-jsonl-output-under-a-file", "export", 1, ["{t}/f", "not writable"])
def _(t):
    w(t / "f", "a file\n")
    return ["export", "news", "-o", str(t / "f" / "out.jsonl"), "--db", db(t)]


@case("db-out-database-not-sqlite", "db-out", 1, ["{t}/a.db", "not an SQLite file"])
def _(t):
    w(t / "a.db", "name,answer\nx,accept\n")
    return ["db-out", "news", "-o", str(t / "out.jsonl"), "--db", str(t / "a.db")]


@case("db-out-output-is-a-folder", "db-out", 2, ["{t}/out", "folder"])
def _(t):
    (t / "out").mkdir()
    return ["db-out", "news", "-o", str(t / "out"), "--db", db(t), "--force"]


@case("db-stats-database-is-a-folder", "db stats", 2, ["{t}/d.db", "folder"])
def _(t):
    (t / "d.db").mkdir()
    return ["db", "stats", "news", "--db", str(t / "d.db")]


@case("db-list-foreign-sqlite", "db list", 1, ["{t}/a.db", "not an annotate database"])
def _(t):
    c = sqlite3.connect(t / "a.db")
    c.execute("CREATE TABLE dataset (id INTEGER PRIMARY KEY, name TEXT)")
    c.commit()
    c.close()
    return ["db", "list", "--db", str(t / "a.db")]


@case("db-list-header-then-garbage", "db list", 1, ["{t}/a.db"])
def _(t):
    w(t / "a.db", b"SQLite format 3\x00" + b"\xff" * 4000)
    return ["db", "list", "--db", str(t / "a.db")]


@case("db-drop-newer-schema", "db drop", 1, ["{t}/a.db", "newer"])
def _(t):
    p = db(t)
    c = sqlite3.connect(p)
    c.execute("PRAGMA user_version = 3")
    c.close()
    return ["db", "drop", "news", "--yes", "--db", p]


# ---------------------------------------------------------------- evaluate, pre


@case("evaluate-nan-offset", "evaluate", 1, ["{t}/gold.jsonl:1", "NaN"])
def _(t):
    w(t / "gold.jsonl", '{"text": "Acme a gagné.", "spans": [{"start": NaN, "end": 4, "label": "ORG"}]}\n')
    return ["evaluate", str(t / "gold.jsonl")]


@case("evaluate-lone-surrogate", "evaluate", 1, ["{t}/gold.jsonl:1", "surrogate"])
def _(t):
    w(t / "gold.jsonl", '{"text": "Acme \\udc00 a gagné.", "spans": []}\n')
    return ["evaluate", str(t / "gold.jsonl")]


@case("pre-text-is-null", "pre", 1, ["{t}/in.jsonl:1"])
def _(t):
    w(t / "in.jsonl", '{"text": null}\n')
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-line-is-a-json-array", "pre", 1, ["{t}/in.jsonl:2", "JSON object"])
def _(t):
    w(t / "in.jsonl", jl(GOOD) + '["Acme", "a gagné"]\n')
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


# ---------------------------------------------------------------- odd but valid


def _count(expected_tasks: int, expected_decisions: int):  # noqa: ANN202
    def check(t, stdout):  # noqa: ANN001, ANN202
        with Store(t / "a.db") as s:
            assert s.count_tasks("news") == expected_tasks
            assert s.count_decisions("news") == expected_decisions

    return check


@case("db-in-texts-whose-32-bit-hashes-collide", "db-in", 0, [], check=_count(2, 0), may_change=["a.db", "a.db-wal"])
def _(t):
    w(t / "in.jsonl", jl({"text": "Article 2591", "spans": []}, {"text": "Article 50873", "spans": []}))
    # --as-tasks: records without an answer are tasks to review (else accepted decisions, as Prodigy's db-in)
    return ["db-in", "news", str(t / "in.jsonl"), "--db", str(t / "a.db"), "--as-tasks"]


@case("db-in-same-decisions-imported-again", "db-in", 0, [], check=_count(5, 3), may_change=["a.db", "a.db-wal"])
def _(t):
    p = db(t)
    with Store(p) as s:
        w(t / "in.jsonl", "".join(json.dumps(d) + "\n" for d in s.iter_decisions("news")))
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p]


def _stats_rendered(t, stdout):  # noqa: ANN001, ANN202
    assert "not a JSON object" in stdout and "decisions" in stdout


@case("db-stats-over-old-bad-rows", "db stats", 0, [], check=_stats_rendered, may_change=["a.db", "a.db-wal"])
def _(t):
    p = db(t)
    _damage(p, '{"text": "old", "accept": [5, null, ["x"]], "spans": [3, {"label": null}]}')
    c = sqlite3.connect(p)
    c.execute("UPDATE decision SET content = 'garbage' WHERE id = 2")
    c.commit()
    c.close()
    return ["db", "stats", "news", "--db", p]


_ = nlp
