"""Bad inputs of the second reliability round (issue #13): outputs that would destroy inputs or
special files, JSON that is not standard JSON, lone surrogates, deep nesting."""

from __future__ import annotations

import json
import sqlite3

from . import GOOD, case, jl, w


def _pre(t, out="out.jsonl", *extra):  # noqa: ANN001, ANN202
    return ["pre", str(t / "in.jsonl"), "-o", str(t / out), "-q", *extra]


@case("pre-output-is-its-input", "pre", 2, ["{t}/in.jsonl", "output is also an input", "another file"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "in.jsonl"), "-q", "--split", "sentences"]


@case("pre-output-is-an-input-through-a-link", "pre", 2, ["output is also an input"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    (t / "link.jsonl").symlink_to(t / "in.jsonl")
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "link.jsonl"), "-q"]


@case("pre-output-is-a-database", "pre", 1, ["{t}/my.db", "not an annotate pre output", "SQLite", "--force"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    c = sqlite3.connect(t / "my.db")
    c.execute("CREATE TABLE precious (x)")
    c.commit()
    c.close()
    return _pre(t, "my.db")


@case("pre-output-is-someone-elses-file", "pre", 1, ["{t}/notes.jsonl", "not an annotate pre output", "--force"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    w(t / "notes.jsonl", jl({"id": 1, "note": "keep me"}))
    return _pre(t, "notes.jsonl")


@case("pre-nan-in-a-field", "pre", 1, ["{t}/in.jsonl:2", "NaN", "plain JSON numbers"])
def _(t):
    w(t / "in.jsonl", jl(GOOD) + '{"text": "Acme", "score": NaN}\n')
    return _pre(t)


@case("pre-infinity-in-meta", "pre", 1, ["{t}/in.jsonl:1", "Infinity", "plain JSON numbers"])
def _(t):
    w(t / "in.jsonl", '{"text": "Acme", "meta": {"weight": -Infinity}}\n')
    return _pre(t)


@case("pre-number-past-float-range", "pre", 1, ["{t}/in.jsonl:1", "1e400", "plain JSON numbers"])
def _(t):
    w(t / "in.jsonl", '{"text": "Acme", "x": 1e400}\n')
    return _pre(t)


@case("pre-lone-surrogate-in-text", "pre", 1, ["{t}/in.jsonl:1", "lone UTF-16 surrogate", "\\ud800"])
def _(t):
    w(t / "in.jsonl", '{"text": "Acme \\ud800 gagne"}\n')
    return _pre(t)


@case("pre-lone-surrogate-in-a-key", "pre", 1, ["{t}/in.jsonl:1", "lone UTF-16 surrogate", "UTF-8"])
def _(t):
    w(t / "in.jsonl", '{"text": "Acme", "meta": {"\\udfff": 1}}\n')
    return _pre(t)


@case("pre-nesting-990-levels", "pre", 1, ["{t}/in.jsonl:1", "nested more than", "flatten"])
def _(t):
    w(t / "in.jsonl", '{"text": "Acme", "x": ' + "[" * 990 + "]" * 990 + "}\n")
    return _pre(t)


@case("pre-output-is-a-socket-like-entry", "pre", 2, ["{t}/sock", "not a regular file", "- for stdout"])
def _(t):
    import socket

    w(t / "in.jsonl", jl(GOOD))
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(t / "sock"))
    try:
        yield _pre(t, "sock")
    finally:
        s.close()


# ---------------------------------------------------------------- odd but valid


def _one_task(t, stdout):  # noqa: ANN001, ANN202
    lines = (t / "d" / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["text"] == GOOD["text"]


@case("pre-folder-with-its-previous-output", "pre", 0, [], check=_one_task, may_change=["d/out.jsonl"])
def _(t):
    w(t / "d" / "in.jsonl", jl(GOOD))
    prev = {"_input_hash": 1, "_task_hash": 2, "text": "an earlier run", "spans": []}
    w(t / "d" / "out.jsonl", json.dumps(prev, sort_keys=True, separators=(", ", ": ")) + "\n")
    return ["pre", str(t / "d"), "-o", str(t / "d" / "out.jsonl"), "-q"]


def _replaced(t, stdout):  # noqa: ANN001, ANN202
    assert json.loads((t / "notes.jsonl").read_text(encoding="utf-8"))["text"] == GOOD["text"]


@case("pre-force-replaces-someone-elses-file", "pre", 0, [], check=_replaced, may_change=["notes.jsonl"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    w(t / "notes.jsonl", "not mine\n")
    return _pre(t, "notes.jsonl", "--force")


def _null_untouched(t, stdout):  # noqa: ANN001, ANN202
    import os
    import stat

    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@case("pre-into-dev-null", "pre", 0, [], check=_null_untouched)
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", "/dev/null", "-q"]
