"""`annotate review` (no-screen paths) and `annotate db list|stats|drop`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from annotate.cli.app import app
from annotate.cli.main import main
from annotate.store import Store
from annotate.tasks import doc_to_task

NLP = spacy.blank("fr")


def make_task(text: str, ents: list[tuple[str, str]]) -> dict:
    doc = NLP.make_doc(text)
    doc.ents = [doc.char_span(text.index(p), text.index(p) + len(p), label=lab) for p, lab in ents]
    doc.cats = {"FINANCE": 0.8, "AI": 0.1}
    return doc_to_task(doc, meta={"lang": "fr"})


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    lines = [
        json.dumps(make_task("Acme a gagné 5 % en 2024.", [("Acme", "ORG"), ("5 %", "PERCENT")])),
        json.dumps({"text": "Acme SA", "spans": [{"start": 0, "end": 4, "label": "ORGA"}]}),
        json.dumps(make_task("La BCE garde ses taux.", [("BCE", "ORG")])),
    ]
    p = tmp_path / "pre.jsonl"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_review_cli_accept_all_loads_good_lines_and_reports_bad(tmp_path: Path, tasks_file: Path, capsys):
    db = tmp_path / "a.db"
    code = main(["review", str(tasks_file), "--dataset", "news", "--annotator", "bot", "--db", str(db), "--accept-all"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{tasks_file}:2" in err and "unknown label 'ORGA'" in err and "did you mean 'ORG'" in err
    assert "1 input line(s) not loaded" in err and "Traceback" not in err
    with Store(db) as s:
        ds = list(s.iter_decisions("news"))
    assert [d["answer"] for d in ds] == ["accept", "accept"] and ds[0]["_annotator_id"] == "bot"
    # again: nothing new, nothing answered twice
    main(["review", str(tasks_file), "--dataset", "news", "--annotator", "bot", "--db", str(db), "--accept-all"])
    with Store(db) as s:
        assert s.count_decisions("news") == 2 and s.count_tasks("news") == 2


def test_review_cli_strict_stops_before_loading(tmp_path: Path, tasks_file: Path, capsys):
    db = tmp_path / "a.db"
    code = main(["review", str(tasks_file), "-d", "news", "--db", str(db), "--accept-all", "--strict"])
    err = capsys.readouterr().err
    assert code == 1 and f"{tasks_file}:2" in err and err.count("\n") == 1
    with Store(db) as s:
        assert s.datasets() == []


def test_review_cli_refuses_stdin(tmp_path: Path, capsys):
    code = main(["review", "-", "-d", "news", "--db", str(tmp_path / "a.db")])
    err = capsys.readouterr().err
    assert code == 2 and "terminal" in err and "Fix:" in err


def test_review_cli_needs_a_terminal(tmp_path: Path, tasks_file: Path, capsys):
    code = main(["review", str(tasks_file), "-d", "news", "--db", str(tmp_path / "a.db")])
    err = capsys.readouterr().err
    assert code == 2 and "needs a terminal" in err and "--accept-all" in err


def test_review_cli_not_a_database(tmp_path: Path, tasks_file: Path, capsys):
    bad = tmp_path / "notes.db"
    bad.write_text("not a database at all, just notes\n" * 20)
    code = main(["review", str(tasks_file), "-d", "news", "--db", str(bad), "--accept-all"])
    err = capsys.readouterr().err
    assert code == 1 and "not an annotate database" in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_review_cli_missing_input(tmp_path: Path, capsys):
    code = main(["review", str(tmp_path / "nope.jsonl"), "-d", "news", "--db", str(tmp_path / "a.db"), "--accept-all"])
    assert code == 1 and "no such file" in capsys.readouterr().err


def test_review_cli_keymap_errors(tmp_path: Path, tasks_file: Path, capsys):
    km = tmp_path / "keys.toml"
    km.write_text('acept = "y"\n')
    code = main(["review", str(tasks_file), "-d", "news", "--db", str(tmp_path / "a.db"), "--keymap", str(km)])
    assert code == 1 and "did you mean 'accept'" in capsys.readouterr().err


def _filled_db(tmp_path: Path, tasks_file: Path) -> Path:
    db = tmp_path / "a.db"
    main(["review", str(tasks_file), "-d", "news", "-a", "alice", "--db", str(db), "--accept-all"])
    main(["review", str(tasks_file), "-d", "other", "-a", "bob", "--db", str(db), "--accept-all"])
    return db


def test_db_cli_list(tmp_path: Path, tasks_file: Path, capsys):
    db = _filled_db(tmp_path, tasks_file)
    capsys.readouterr()
    assert main(["db", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["dataset", "tasks", "decisions", "annotators"]
    assert out[1].split()[:4] == ["news", "2", "2", "1"] and out[2].split()[0] == "other"
    assert main(["db", "list", "--db", str(db), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["news", "other"]


def test_db_cli_stats(tmp_path: Path, tasks_file: Path, capsys):
    db = _filled_db(tmp_path, tasks_file)
    capsys.readouterr()
    assert main(["db", "stats", "news", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "answers: accept 2, reject 0, ignore 0" in out
    assert "ORG" in out and "PERCENT" in out and "FINANCE" in out and "alice" in out
    assert main(["db", "stats", "news", "--db", str(db), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["labels"]["ORG"] == {"accept": 2, "reject": 0}
    assert st["themes"]["FINANCE"]["accept"] == 2 and st["annotators"]["alice"]["accept"] == 2
    assert main(["db", "stats", "newz", "--db", str(db)]) == 1
    assert "did you mean 'news'" in capsys.readouterr().err


def test_db_cli_drop_asks_to_confirm(tmp_path: Path, tasks_file: Path):
    db = _filled_db(tmp_path, tasks_file)
    runner = CliRunner()
    r = runner.invoke(app, ["db", "drop", "news", "--db", str(db)], input="n\n")
    assert r.exit_code != 0
    with Store(db) as s:
        assert s.has_dataset("news")
    r = runner.invoke(app, ["db", "drop", "news", "--db", str(db)], input="y\n")
    assert r.exit_code == 0
    with Store(db) as s:
        assert s.datasets() == ["other"]


def test_db_cli_drop_yes_and_missing_db(tmp_path: Path, tasks_file: Path, capsys):
    db = _filled_db(tmp_path, tasks_file)
    assert main(["db", "drop", "other", "--db", str(db), "--yes"]) == 0
    assert main(["db", "list", "--db", str(tmp_path / "none.db")]) == 1
    assert "no database here" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["review"], ["db"], ["db", "list"], ["db", "stats"], ["db", "drop"]], ids=lambda a: " ".join(a))
def test_review_cli_help_has_example(argv):
    r = CliRunner().invoke(app, [*argv, "--help"])
    assert r.exit_code == 0
    if argv != ["db"]:
        assert "Example:" in r.output
