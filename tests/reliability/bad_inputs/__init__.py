"""The bad-input corpus: every command that reads files, fed what users really feed it.

Each :class:`Case` writes its inputs into a fresh folder ``t`` (``make`` is a
context manager yielding the command line, so a case can hold a lock or
mount a tmpfs while the command runs) and states what must happen: the exit
code and the pieces of the one-line message (``{t}`` is the folder). Cases
with exit code 0 are inputs that look odd but are valid (a byte order mark,
CRLF line ends, duplicates): they must work, and ``check`` says how.

``tests/reliability/test_reliability_bad_inputs.py`` runs them all and
asserts, for every failing case: the exit code, exactly one stderr line
``annotate: error: [Ennn] path[:line]: what Fix: how`` holding the pieces,
no traceback, and no file created, changed or left behind under ``t``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..helpers import FULL, blank, fill_disk, locked_db, make_db, make_task, sample_tasks, tmpfs

ROOT = Path(__file__).resolve().parents[3]
LABELS = ROOT / "labels"

Make = Callable[[Path], "contextlib.AbstractContextManager[list[str]]"]


@dataclass
class Case:
    id: str
    command: str
    exit_code: int
    pieces: list[str]
    make: Make
    check: Callable[[Path, str], None] | None = None  # exit-0 cases: (folder, stdout)
    may_change: list[str] = field(default_factory=list)  # exit-0 cases: files the command writes
    allowed: list[str] = field(default_factory=list)  # failing cases: changes that are not output (see the case)
    full_only: bool = False


CASES: list[Case] = []
_NLP: Any = None


def nlp() -> Any:
    global _NLP
    if _NLP is None:
        _NLP = blank("fr")
    return _NLP


def case(id: str, command: str, exit_code: int, pieces: list[str], **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        cm = contextlib.contextmanager(fn) if _is_gen(fn) else _plain(fn)
        CASES.append(Case(id, command, exit_code, pieces, cm, **kw))
        return fn

    return deco


def _is_gen(fn: Callable[..., Any]) -> bool:
    import inspect

    return inspect.isgeneratorfunction(fn)


def _plain(fn: Callable[[Path], list[str]]) -> Make:
    @contextlib.contextmanager
    def cm(t: Path) -> Iterator[list[str]]:
        yield fn(t)

    return cm


def w(p: Path, data: str | bytes) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    p.write_bytes(data)
    return p


def jl(*records: Any) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def task(text: str = "Acme a gagné 5 % en 2024.", ents: list[tuple[str, str]] | None = None) -> dict:
    return make_task(nlp(), text, ents if ents is not None else [("Acme", "ORG"), ("5 %", "PERCENT")])


def db(t: Path, **kw: Any) -> str:
    return str(make_db(t / "a.db", nlp(), **kw))


def labels_copy(t: Path) -> Path:
    dst = t / "labels"
    shutil.copytree(LABELS, dst)
    return dst


def foreign_sqlite(p: Path) -> Path:
    c = sqlite3.connect(p)
    c.execute("CREATE TABLE songs (title TEXT)")
    c.execute("INSERT INTO songs VALUES ('x')")
    c.commit()
    c.close()
    return p


def read_out(t: Path, name: str = "out.jsonl") -> list[dict]:
    return [json.loads(x) for x in (t / name).read_text(encoding="utf-8").splitlines()]


GOOD = {"text": "Acme a gagné 5 % en 2024."}
R = ["review", "--dataset", "news", "--annotator", "bot", "--accept-all", "--strict"]

# ================================================================ pre


@case("pre-invalid-json-line-3", "pre", 1, ["{t}/in.jsonl:3", "invalid JSON", "Fix:"])
def _(t):
    w(t / "in.jsonl", jl(GOOD, GOOD) + '{"text": "oops\n')
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-record-without-text", "pre", 1, ["{t}/in.jsonl:2", 'no "text"', 'add a "text"'])
def _(t):
    w(t / "in.jsonl", jl(GOOD, {"body": "Acme"}))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-text-not-a-string", "pre", 1, ["{t}/in.jsonl:1", '"text" is list', "JSON string"])
def _(t):
    w(t / "in.jsonl", jl({"text": ["Acme"]}))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-record-not-an-object", "pre", 1, ["{t}/in.jsonl:2", "JSON object"])
def _(t):
    w(t / "in.jsonl", jl(GOOD, "just a string"))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-invalid-utf8-jsonl", "pre", 1, ["{t}/in.jsonl:2", "invalid UTF-8", "iconv"])
def _(t):
    w(t / "in.jsonl", jl(GOOD).encode() + '{"text": "Société Générale"}\n'.encode("latin-1"))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-invalid-utf8-txt", "pre", 1, ["{t}/in.txt", "invalid UTF-8", "re-encode"])
def _(t):
    w(t / "in.txt", "La Société Générale a gagné 5 %.".encode("cp1252"))
    return ["pre", str(t / "in.txt"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-nul-in-jsonl-text", "pre", 1, ["{t}/in.jsonl:1", "NUL", "remove"])
def _(t):
    w(t / "in.jsonl", jl({"text": "Acme\u0000 a gagné"}))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-nul-bytes-txt", "pre", 1, ["{t}/in.txt:2", "NUL", "binary"])
def _(t):
    w(t / "in.txt", b"Acme a gagn\xc3\xa9 5 %.\nPuis \x00\x00\x00")
    return ["pre", str(t / "in.txt"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-bom-on-line-2", "pre", 1, ["{t}/in.jsonl:2", "BOM", "Fix:"])
def _(t):
    # two files concatenated, the second with its own byte order mark
    w(t / "in.jsonl", jl(GOOD).encode() + b"\xef\xbb\xbf" + jl(GOOD).encode())
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-missing-input", "pre", 1, ["{t}/nope.jsonl", "no such file", "check the path"])
def _(t):
    return ["pre", str(t / "nope.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-unsupported-input-type", "pre", 1, ["{t}/in.csv", "unsupported input type", ".jsonl"])
def _(t):
    w(t / "in.csv", "text\nAcme\n")
    return ["pre", str(t / "in.csv"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-folder-without-inputs", "pre", 1, ["{t}/in", "no .txt or .jsonl", "Fix:"])
def _(t):
    w(t / "in" / "notes.md", "# nothing")
    return ["pre", str(t / "in"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-empty-file", "pre", 1, ["{t}/in.jsonl", "no record", "Fix:"])
def _(t):
    w(t / "in.jsonl", b"")
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-blank-lines-only", "pre", 1, ["{t}/in.jsonl", "no record", "Fix:"])
def _(t):
    w(t / "in.jsonl", b"\n   \n\r\n")
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


@case("pre-output-is-a-folder", "pre", 2, ["{t}/out", "output path is a folder", "name a file"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    (t / "out").mkdir()
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out"), "-q"]


@case("pre-output-under-a-file", "pre", 1, ["{t}/in.jsonl", "cannot write", "writable output path"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "in.jsonl" / "out.jsonl"), "-q"]


@case("pre-output-read-only-disk", "pre", 1, ["{t}/ro", "Read-only", "writable output path"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    with tmpfs(t / "ro", readonly=True):
        yield ["pre", str(t / "in.jsonl"), "-o", str(t / "ro" / "out.jsonl"), "-q"]


@case("pre-output-full-disk", "pre", 1, ["{t}/disk/out.jsonl", "No space left", "free disk space"])
def _(t):
    w(t / "in.jsonl", jl(GOOD, GOOD))
    with tmpfs(t / "disk", size="64k"):
        fill_disk(t / "disk")
        yield ["pre", str(t / "in.jsonl"), "-o", str(t / "disk" / "out.jsonl"), "-q"]


@case("pre-labels-key-typo", "pre", 1, ["{t}/labels/labels.toml", "unknown key 'colour'", "did you mean 'color'"])
def _(t):
    lab = labels_copy(t)
    p = lab / "labels.toml"
    p.write_text(p.read_text(encoding="utf-8").replace('color = "#7aecec"', 'colour = "#7aecec"', 1), encoding="utf-8")
    w(t / "in.jsonl", jl(GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "--labels", str(lab), "-q"]


@case("pre-labels-orgs-label-typo", "pre", 1, ["{t}/labels/orgs.jsonl:", "unknown label 'ORGG'", "did you mean 'ORG'"])
def _(t):
    lab = labels_copy(t)
    with (lab / "orgs.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"label": "ORGG", "pattern": "Acme Widgets"}) + "\n")
    w(t / "in.jsonl", jl(GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "--labels", str(lab), "-q"]


@case("pre-labels-invalid-toml", "pre", 1, ["{t}/labels/themes.toml:", "invalid TOML", "TOML syntax"])
def _(t):
    lab = labels_copy(t)
    with (lab / "themes.toml").open("a", encoding="utf-8") as f:
        f.write("\n[[theme]\nname = \n")
    w(t / "in.jsonl", jl(GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "--labels", str(lab), "-q"]


@case("pre-labels-folder-missing", "pre", 1, ["{t}/labls", "labels folder not found", "--labels"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "--labels", str(t / "labls"), "-q"]


@case("pre-unsupported-lang", "pre", 2, ["unsupported language 'de'", "--lang fr"])
def _(t):
    w(t / "in.jsonl", jl(GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "--lang", "de", "-q"]


def _check_bom_crlf(t: Path, _out: str) -> None:
    out = read_out(t)
    assert [o["text"] for o in out] == [GOOD["text"], "Engie a perdu 3 %."]
    assert all("\ufeff" not in o["text"] and "\r" not in o["text"] for o in out)
    assert [o["meta"]["line"] for o in out] == [1, 2]
    umask = os.umask(0)
    os.umask(umask)
    assert (t / "out.jsonl").stat().st_mode & 0o777 == 0o666 & ~umask  # not the temporary file's 0600


@case("pre-bom-and-crlf-accepted", "pre", 0, [], check=_check_bom_crlf, may_change=["out.jsonl"])
def _(t):
    w(t / "in.jsonl", b"\xef\xbb\xbf" + jl(GOOD, {"text": "Engie a perdu 3 %."}).replace("\n", "\r\n").encode())
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


def _check_crlf_txt(t: Path, _out: str) -> None:
    (o,) = read_out(t)
    text = "Acme a gagné 5 %.\r\nEngie a perdu 3 % en 2024.\r\n"
    assert o["text"] == text
    for s in o["spans"]:
        assert text[s["start"]:s["end"]] == s["text"]
    assert ("5 %", "PERCENT") in [(s["text"], s["label"]) for s in o["spans"]]


@case("pre-crlf-txt-offsets", "pre", 0, [], check=_check_crlf_txt, may_change=["out.jsonl"])
def _(t):
    w(t / "in.txt", "\ufeffAcme a gagné 5 %.\r\nEngie a perdu 3 % en 2024.\r\n")
    return ["pre", str(t / "in.txt"), "-o", str(t / "out.jsonl"), "-q"]


def _check_empty_text(t: Path, _out: str) -> None:
    out = read_out(t)
    assert [o["text"] for o in out] == ["", GOOD["text"]] and out[0]["spans"] == []


@case("pre-empty-text-passes-through", "pre", 0, [], check=_check_empty_text, may_change=["out.jsonl"])
def _(t):
    w(t / "in.jsonl", jl({"text": ""}, GOOD))
    return ["pre", str(t / "in.jsonl"), "-o", str(t / "out.jsonl"), "-q"]


def _check_5mb(t: Path, _out: str) -> None:
    (o,) = read_out(t)
    assert len(o["text"]) >= 5_000_000 and len(o["spans"]) > 10_000
    assert all(o["text"][s["start"]:s["end"]] == s["text"] for s in o["spans"])


@case("pre-5mb-document", "pre", 0, [], check=_check_5mb, may_change=["out.jsonl"], full_only=True)
def _(t):
    para = "Le groupe Acme a gagné 5 % en 2024, soit 3 millions d’euros de plus que prévu par les analystes.\n\n"
    w(t / "big.txt", para * (5_000_000 // len(para) + 1))
    return ["pre", str(t / "big.txt"), "-o", str(t / "out.jsonl"), "-q"]


# ================================================================ evaluate


@case("evaluate-invalid-json", "evaluate", 1, ["{t}/gold.jsonl:2", "invalid JSON", "Fix:"])
def _(t):
    w(t / "gold.jsonl", jl(GOOD) + "{'text': 'single quotes'}\n")
    return ["evaluate", str(t / "gold.jsonl")]


@case("evaluate-span-out-of-range", "evaluate", 1, ["{t}/gold.jsonl:1", "outside the text", "offsets"])
def _(t):
    w(t / "gold.jsonl", jl({"text": "Acme a gagné.", "spans": [{"start": 0, "end": 40, "label": "ORG"}]}))
    return ["evaluate", str(t / "gold.jsonl")]


@case("evaluate-unknown-label", "evaluate", 1, ["{t}/gold.jsonl:2", "unknown label 'ORGA'", "did you mean 'ORG'"])
def _(t):
    w(t / "gold.jsonl", jl(GOOD, {"text": "Acme a gagné.", "spans": [{"start": 0, "end": 4, "label": "ORGA"}]}))
    return ["evaluate", str(t / "gold.jsonl")]


@case("evaluate-span-without-offsets", "evaluate", 1, ["{t}/gold.jsonl:1", "span", '"start"'])
def _(t):
    w(t / "gold.jsonl", jl({"text": "Acme a gagné.", "spans": [{"label": "ORG", "text": "Acme"}]}))
    return ["evaluate", str(t / "gold.jsonl")]


@case("evaluate-empty-file", "evaluate", 1, ["{t}/gold.jsonl", "no record", "Fix:"])
def _(t):
    w(t / "gold.jsonl", b"")
    return ["evaluate", str(t / "gold.jsonl")]


@case("evaluate-missing-file", "evaluate", 1, ["{t}/gold.jsonl", "no such file", "check the path"])
def _(t):
    return ["evaluate", str(t / "gold.jsonl")]


# ================================================================ review (--accept-all --strict: no terminal)


def _review_case(id: str, record: Any, pieces: list[str]) -> None:
    @case(id, "review", 1, ["{t}/in.jsonl:2", *pieces, "Fix:"])
    def _(t):
        w(t / "in.jsonl", jl(task(), record))
        return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db")]


_review_case("review-span-out-of-range", {"text": "Acme", "spans": [{"start": 0, "end": 9, "label": "ORG"}]}, ["outside the text"])
_review_case("review-span-negative", {"text": "Acme", "spans": [{"start": -2, "end": 3, "label": "ORG"}]}, ["outside the text"])
_review_case("review-span-unknown-label", {"text": "Acme SA", "spans": [{"start": 0, "end": 4, "label": "ORGA"}]}, ["unknown label 'ORGA'", "did you mean 'ORG'"])
_review_case("review-span-misaligned", {"text": "Acme SA gagne", "spans": [{"start": 1, "end": 4, "label": "ORG"}]}, ["does not align", "token boundaries"])
_review_case(
    "review-spans-overlap",
    {"text": "Acme SA gagne", "spans": [{"start": 0, "end": 7, "label": "ORG"}, {"start": 5, "end": 7, "label": "ORG"}]},
    ["overlap", "keep one"],
)
_review_case("review-span-offsets-not-integers", {"text": "Acme", "spans": [{"start": "0", "end": "x", "label": "ORG"}]}, ["integer"])
_review_case("review-spans-not-a-list", {"text": "Acme", "spans": {"start": 0}}, ['"spans" is not a list'])
_review_case(
    "review-tokens-do-not-match",
    {"text": "Acme SA", "spans": [], "tokens": [{"text": "Acne", "start": 0, "end": 4, "id": 0, "ws": True}]},
    ["tokens do not match", "drop the"],
)
_review_case("review-unknown-theme", {"text": "Acme", "spans": [], "cats": {"FINANCES": 0.9}}, ["unknown theme 'FINANCES'", "did you mean 'FINANCE'"])
_review_case("review-theme-score-out-of-range", {"text": "Acme", "spans": [], "cats": {"FINANCE": 7}}, ["not a number from 0 to 1"])
_review_case("review-span-answer-unknown", {"text": "Acme SA", "spans": [{"start": 0, "end": 4, "label": "ORG", "answer": "maybe"}]}, ["accept or reject"])
_review_case("review-nul-in-text", {"text": "Acme\u0000", "spans": []}, ["NUL"])


@case("review-invalid-json", "review", 1, ["{t}/in.jsonl:2", "invalid JSON", "Fix:"])
def _(t):
    w(t / "in.jsonl", jl(task()) + '{"text": "Acme", "spans": [}\n')
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db")]


@case("review-invalid-utf8", "review", 1, ["{t}/in.jsonl:1", "invalid UTF-8", "Fix:"])
def _(t):
    w(t / "in.jsonl", '{"text": "Société", "spans": []}\n'.encode("latin-1"))
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db")]


@case("review-stdin", "review", 2, ["-", "stdin", "save the input to a file"])
def _(t):
    return [*R, "-", "--db", str(t / "a.db")]


@case("review-empty-file", "review", 1, ["{t}/in.jsonl", "no record", "Fix:"])
def _(t):
    w(t / "in.jsonl", b"")
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db")]


def _check_unchanged_db(path: Path, n_tasks: int, n_decisions: int, free: Path | None = None) -> None:
    from annotate.store import Store

    if free is not None:  # space freed again: the stored data is what it was
        free.unlink()

    with Store(path, create=False) as s:
        assert (s.count_tasks("news"), s.count_decisions("news")) == (n_tasks, n_decisions)


def _check_dups(t: Path, _out: str) -> None:
    from annotate.store import Store

    with Store(t / "a.db") as s:
        assert s.count_tasks("news") == 2 and s.count_decisions("news") == 2
        assert s.integrity_check() == "ok"


@case("review-duplicate-tasks-stored-once", "review", 0, [], check=_check_dups, may_change=["a.db"])
def _(t):
    a, b = task(), task("La BCE garde ses taux.", [("BCE", "ORG")])
    w(t / "in.jsonl", jl(a, b, a, a, b).replace("\n", "\r\n"))
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db")]


def _check_5mb_task(t: Path, _out: str) -> None:
    from annotate.store import Store

    with Store(t / "a.db") as s:
        (d,) = list(s.iter_decisions("news"))
    assert len(d["text"]) >= 5_000_000 and d["spans"][-1]["text"] == "Acme"


@case("review-5mb-task", "review", 0, [], check=_check_5mb_task, may_change=["a.db"])
def _(t):
    text = "Acme a gagné 5 % en 2024. " * (5_000_000 // 26 + 1) + "Acme"
    n = len(text)
    w(t / "in.jsonl", jl({"text": text, "spans": [{"start": 0, "end": 4, "label": "ORG"}, {"start": n - 4, "end": n, "label": "ORG"}]}))
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db")]


@case("review-db-not-sqlite", "review", 1, ["{t}/a.db", "not an annotate database", "--db"])
def _(t):
    w(t / "a.db", "name,score\nalice,3\n")
    w(t / "in.jsonl", jl(task()))
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db")]


@case("review-db-foreign-sqlite", "review", 1, ["{t}/a.db", "not an annotate database", "--db"])
def _(t):
    foreign_sqlite(t / "a.db")
    w(t / "in.jsonl", jl(task()))
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db")]


@case("review-db-corrupt", "review", 1, ["{t}/a.db", "Fix:"])
def _(t):
    p = Path(db(t, n_tasks=300, n_decisions=100))
    raw = bytearray(p.read_bytes())
    raw[4096:] = b"\xde\xad\xbe\xef" * ((len(raw) - 4096) // 4)  # every page after the header
    p.write_bytes(bytes(raw))
    w(t / "in.jsonl", jl(task()))
    return [*R, str(t / "in.jsonl"), "--db", str(p)]


@case("review-db-locked", "review", 1, ["{t}/a.db", "locked", "retry"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", jl(task("Une autre tâche.", [])))
    with locked_db(Path(p)):
        yield [*R, str(t / "in.jsonl"), "--db", p]


@case("review-db-folder-missing", "review", 2, ["{t}/nope/a.db", "folder does not exist", "Fix:"])
def _(t):
    w(t / "in.jsonl", jl(task()))
    return [*R, str(t / "in.jsonl"), "--db", str(t / "nope" / "a.db")]


@case("review-db-read-only-disk", "review", 1, ["{t}/ro/a.db", "Fix:"])
def _(t):
    w(t / "in.jsonl", jl(task()))
    with tmpfs(t / "ro", readonly=True):
        yield [*R, str(t / "in.jsonl"), "--db", str(t / "ro" / "a.db")]


# SQLite leaves its write-ahead log behind when the disk is full: it is the database's own
# journal (no committed frame; the test checks the stored data did not change), not an output
@case("review-db-full-disk", "review", 1, ["{t}/disk/a.db", "cannot write the database", "free disk space"],
      allowed=["created disk/a.db-wal"], check=lambda t, _out: _check_unchanged_db(t / "disk" / "a.db", 2, 1, free=t / "disk" / "filler"))
def _(t):
    w(t / "in.jsonl", jl(*sample_tasks(nlp(), 400)))
    with tmpfs(t / "disk", size="256k"):
        make_db(t / "disk" / "a.db", nlp(), n_tasks=2, n_decisions=1)
        fill_disk(t / "disk")
        yield [*R, str(t / "in.jsonl"), "--db", str(t / "disk" / "a.db")]


@case("review-keymap-unknown-action", "review", 1, ["{t}/keys.toml", "unknown action 'nxt_span'", "did you mean 'next_span'"])
def _(t):
    w(t / "keys.toml", 'nxt_span = "j"\n')
    w(t / "in.jsonl", jl(task()))
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db"), "--keymap", str(t / "keys.toml")]


@case("review-labels-theme-typo", "review", 1, ["{t}/labels/themes.toml", "unknown key 'nmae'", "did you mean 'name'"])
def _(t):
    lab = labels_copy(t)
    p = lab / "themes.toml"
    txt = p.read_text(encoding="utf-8")
    i = txt.index("\nname = ")
    p.write_text(txt[:i] + "\nnmae = " + txt[i + len("\nname = "):], encoding="utf-8")
    w(t / "in.jsonl", jl(task()))
    return [*R, str(t / "in.jsonl"), "--db", str(t / "a.db"), "--labels", str(lab)]


# ================================================================ db-in


@case("db-in-invalid-json", "db-in", 1, ["{t}/in.jsonl:2", "invalid JSON", "nothing was imported"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", jl(task()) + "{]\n")
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p, "--strict"]


@case("db-in-span-out-of-range", "db-in", 1, ["{t}/in.jsonl:1", "Fix:", "nothing was imported"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", jl({"text": "Acme", "spans": [{"start": 0, "end": 12, "label": "ORG"}], "answer": "accept"}))
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p, "--strict"]


@case("db-in-offsets-not-integers", "db-in", 1, ["{t}/in.jsonl:1", "not an integer", "Fix:"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", jl({"text": "Acme", "spans": [{"start": 0.5, "end": 4, "label": "ORG"}]}))
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p, "--strict"]


@case("db-in-doccano-bad-entry", "db-in", 1, ["{t}/in.jsonl:1", "Fix:"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", jl({"text": "Acme SA", "label": [[0, "ORG"]]}))
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p, "--strict"]


@case("db-in-invalid-utf8", "db-in", 1, ["{t}/in.jsonl:1", "invalid UTF-8", "Fix:"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", '{"text": "Société"}\n'.encode("latin-1"))
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p, "--strict"]


@case("db-in-txt-input", "db-in", 2, ["{t}/in.txt", "JSONL only", ".jsonl"])
def _(t):
    p = db(t)
    w(t / "in.txt", "Acme")
    return ["db-in", "news", str(t / "in.txt"), "--db", p]


@case("db-in-bad-label-map", "db-in", 2, ["OLD=NEW"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", jl(task()))
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p, "--label-map", "ORGANIZATION"]


@case("db-in-db-not-ours", "db-in", 1, ["{t}/a.db", "not an annotate database", "--db"])
def _(t):
    foreign_sqlite(t / "a.db")
    w(t / "in.jsonl", jl(task()))
    return ["db-in", "news", str(t / "in.jsonl"), "--db", str(t / "a.db")]


@case("db-in-db-locked", "db-in", 1, ["{t}/a.db", "locked", "retry"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", jl(task("Autre chose.", [])))
    with locked_db(Path(p)):
        yield ["db-in", "news", str(t / "in.jsonl"), "--db", p]


@case("db-in-empty-file", "db-in", 1, ["{t}/in.jsonl", "no record", "Fix:"])
def _(t):
    p = db(t)
    w(t / "in.jsonl", b"")
    return ["db-in", "news", str(t / "in.jsonl"), "--db", p]


# ================================================================ export


@case("export-unknown-dataset", "export", 1, ["{t}/a.db", "no dataset 'nwes'", "did you mean 'news'"])
def _(t):
    return ["export", "nwes", "-o", str(t / "out.jsonl"), "--db", db(t)]


@case("export-dataset-without-decisions", "export", 1, ["{t}/a.db", "no decisions", "annotate review"])
def _(t):
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", db(t, n_decisions=0)]


@case("export-missing-database", "export", 1, ["{t}/nope.db", "no database", "--db"])
def _(t):
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", str(t / "nope.db")]


@case("export-db-not-ours", "export", 1, ["{t}/a.db", "not an annotate database", "--db"])
def _(t):
    foreign_sqlite(t / "a.db")
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", str(t / "a.db")]


@case("export-output-exists", "export", 1, ["{t}/out.jsonl", "exists", "--force"])
def _(t):
    w(t / "out.jsonl", "precious\n")
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", db(t)]


@case("db-in-labelstudio-span-text-mismatch", "db-in", 1, ["{t}/ls.json:2", "does not match the text", "Fix:", "nothing was imported"])
def _(t):
    task = {"data": {"text": "Selon Airbus, tout va bien."},
            "annotations": [{"result": [{"type": "labels", "value": {"start": 0, "end": 6, "text": "Airbus", "labels": ["ORG"]}}]}]}
    (t / "ls.json").write_text("[\n" + json.dumps(task) + "\n]\n", encoding="utf-8")
    p = db(t)
    return ["db-in", "news", str(t / "ls.json"), "--db", p, "--strict"]


@case("db-in-unknown-format", "db-in", 2, ["--format 'labelbox'", "labelstudio"])
def _(t):
    (t / "in.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    return ["db-in", "news", str(t / "in.jsonl"), "--format", "labelbox", "--db", db(t)]


@case("export-unknown-format", "export", 2, ["--format 'csv'", "use one of jsonl, spacy"])
def _(t):
    return ["export", "news", "-o", str(t / "out.csv"), "--format", "csv", "--db", db(t)]


@case("export-spacy-output-is-a-file", "export", 2, ["{t}/out", "output path is a file", "folder"])
def _(t):
    w(t / "out", "x")
    return ["export", "news", "-o", str(t / "out"), "--format", "spacy", "--db", db(t)]


@case("export-bad-dev-split", "export", 2, ["--dev-split 1.5", "fraction"])
def _(t):
    return ["export", "news", "-o", str(t / "out"), "--format", "spacy", "--dev-split", "1.5", "--db", db(t)]


@case("export-read-only-disk", "export", 1, ["{t}/ro", "not writable", "-o"])
def _(t):
    p = db(t)
    with tmpfs(t / "ro", readonly=True):
        yield ["export", "news", "-o", str(t / "ro" / "out.jsonl"), "--db", p]


@case("export-full-disk-jsonl", "export", 1, ["{t}/disk/out.jsonl", "No space left", "free disk space"])
def _(t):
    p = db(t)
    with tmpfs(t / "disk", size="64k"):
        fill_disk(t / "disk")
        yield ["export", "news", "-o", str(t / "disk" / "out.jsonl"), "--db", p]


@case("export-full-disk-spacy", "export", 1, ["{t}/disk/news", "No space left", "free disk space"])
def _(t):
    p = db(t, n_tasks=200, n_decisions=200)
    with tmpfs(t / "disk", size="64k"):
        fill_disk(t / "disk")
        yield ["export", "news", "-o", str(t / "disk" / "news"), "--format", "spacy", "--base-model", "none", "--db", p]


@case("export-labels-typo", "export", 1, ["{t}/labels/themes.toml", "unknown key", "Fix:"])
def _(t):
    lab = labels_copy(t)
    p = lab / "themes.toml"
    p.write_text(p.read_text(encoding="utf-8").replace("\ndescription = ", "\ndescripton = ", 1), encoding="utf-8")
    return ["export", "news", "-o", str(t / "out.jsonl"), "--db", db(t), "--labels", str(lab)]


def _check_export_locked(t: Path, _out: str) -> None:
    assert len(read_out(t)) == 3


@case("export-while-another-process-writes", "export", 0, [], check=_check_export_locked, may_change=["out.jsonl"])
def _(t):
    p = db(t)
    with locked_db(Path(p)):
        yield ["export", "news", "-o", str(t / "out.jsonl"), "--db", p]


# ================================================================ db-out


@case("db-out-unknown-dataset", "db-out", 1, ["{t}/a.db", "no dataset 'nwes'", "did you mean 'news'"])
def _(t):
    return ["db-out", "nwes", "-o", str(t / "out.jsonl"), "--db", db(t)]


@case("db-out-output-exists", "db-out", 1, ["{t}/out.jsonl", "exists", "--force"])
def _(t):
    w(t / "out.jsonl", "precious\n")
    return ["db-out", "news", "-o", str(t / "out.jsonl"), "--db", db(t)]


@case("db-out-missing-database", "db-out", 1, ["{t}/nope.db", "no database", "--db"])
def _(t):
    return ["db-out", "news", "-o", str(t / "out.jsonl"), "--db", str(t / "nope.db")]


@case("db-out-full-disk", "db-out", 1, ["{t}/disk/out.jsonl", "No space left", "free disk space"])
def _(t):
    p = db(t)
    with tmpfs(t / "disk", size="64k"):
        fill_disk(t / "disk")
        yield ["db-out", "news", "-o", str(t / "disk" / "out.jsonl"), "--db", p]


# ================================================================ db list / stats / drop


@case("db-list-missing-database", "db list", 1, ["{t}/nope.db", "no database here", "--db"])
def _(t):
    return ["db", "list", "--db", str(t / "nope.db")]


@case("db-list-not-sqlite", "db list", 1, ["{t}/a.db", "not an annotate database", "--db"])
def _(t):
    w(t / "a.db", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    return ["db", "list", "--db", str(t / "a.db")]


@case("db-list-empty-file", "db list", 1, ["{t}/a.db", "Fix:"])
def _(t):
    w(t / "a.db", b"")
    return ["db", "list", "--db", str(t / "a.db")]


@case("db-list-exclusive-lock", "db list", 1, ["{t}/a.db", "locked", "retry"])
def _(t):
    p = db(t)
    with locked_db(Path(p), "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE"):
        yield ["db", "list", "--db", p]


@case("db-list-newer-schema", "db list", 1, ["{t}/a.db", "newer", "upgrade annotate"])
def _(t):
    p = db(t)
    c = sqlite3.connect(p)
    c.execute("PRAGMA user_version = 99")
    c.close()
    return ["db", "list", "--db", p]


@case("db-stats-unknown-dataset", "db stats", 1, ["{t}/a.db", "no dataset 'nwes'", "did you mean 'news'"])
def _(t):
    return ["db", "stats", "nwes", "--db", db(t)]


@case("db-stats-foreign-sqlite", "db stats", 1, ["{t}/a.db", "not an annotate database", "--db"])
def _(t):
    foreign_sqlite(t / "a.db")
    return ["db", "stats", "news", "--db", str(t / "a.db")]


@case("db-drop-unknown-dataset", "db drop", 1, ["{t}/a.db", "no dataset 'nwes'", "did you mean 'news'"])
def _(t):
    return ["db", "drop", "nwes", "--yes", "--db", db(t)]


@case("db-drop-locked", "db drop", 1, ["{t}/a.db", "locked", "retry"])
def _(t):
    p = db(t)
    with locked_db(Path(p)):
        yield ["db", "drop", "news", "--yes", "--db", p]


@case("db-drop-missing-database", "db drop", 1, ["{t}/nope.db", "no database here", "--db"])
def _(t):
    return ["db", "drop", "news", "--yes", "--db", str(t / "nope.db")]


def active_cases() -> list[Case]:
    return [c for c in CASES if FULL or not c.full_only]


@case("evaluate-unknown-theme", "evaluate", 1, ["{t}/gold.jsonl:1", "unknown theme 'ENERGIE'", "did you mean 'ENERGY'"])
def _(t):
    w(t / "gold.jsonl", jl({"text": "EDF a gagné.", "spans": [], "cats": {"ENERGIE": 1}}))
    return ["evaluate", str(t / "gold.jsonl")]


from . import round2 as _round2  # noqa: E402,F401  (registers the second round's cases)
from . import round3 as _round3  # noqa: E402,F401  (registers the third round's cases)
