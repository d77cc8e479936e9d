"""`annotate export` to JSONL, `db-in` / `db-out`, and the bad-input rules, through main(argv)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import spacy

from annotate.cli.main import main
from annotate.labels import load_labels
from annotate.store import Store
from annotate.tasks import set_hashes, tokens_of

FIXTURES = Path(__file__).parent / "fixtures" / "export"
_NLP = spacy.blank("fr")


def _task(text, spans, accept=None):
    doc = _NLP.make_doc(text)
    t = {"text": text, "tokens": tokens_of(doc), "meta": {"lang": "fr"}, "cats": {"FINANCE": 0.7}}
    t["spans"] = []
    for sub, label, answer in spans:
        a = text.index(sub)
        t["spans"].append({"start": a, "end": a + len(sub), "label": label, "text": sub, "source": "rules", "answer": answer})
    if label_value := [s for s in t["spans"] if s["label"] == "MONEY"]:
        label_value[0]["value"] = {"amount": 3e9, "currency": "EUR"}
    if accept is not None:
        t["accept"] = accept
    return set_hashes(t)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "a.db"
    with Store(path) as s:
        s.add_decision("news", _task("Airbus a levé 3 milliards d'euros en 2024.",
                                     [("Airbus", "ORG", "accept"), ("3 milliards d'euros", "MONEY", "accept"), ("2024", "DATE", "reject")],
                                     ["FINANCE"]), answer="accept", annotator="alice", session="s1", timestamp=100)
        s.add_decision("news", _task("Orange recule de 2 % en mars.", [("Orange", "ORG", "accept"), ("2 %", "PERCENT", "accept")]),
                       answer="accept", annotator="bob", session="s2", timestamp=200)
        s.add_decision("news", _task("Rien à signaler.", []), answer="reject", annotator="bob", session="s2", timestamp=300)
        s.add_tasks("empty", [])
    return path


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_export_jsonl_writes_prodigy_task_format(db, tmp_path, capsys):
    out = tmp_path / "exports" / "news.jsonl"
    code, stdout, err = _run(capsys, "export", "news", "-o", out, "--db", db)
    assert code == 0, err
    assert stdout == ""
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["text"][:6] for r in recs] == ["Airbus", "Orange"]
    first = recs[0]
    assert [(s["text"], s["label"]) for s in first["spans"]] == [("Airbus", "ORG"), ("3 milliards d'euros", "MONEY")]
    assert first["spans"][1]["value"] == {"amount": 3e9, "currency": "EUR"}
    assert (first["spans"][1]["token_start"], first["spans"][1]["token_end"]) == (3, 6)
    themes = load_labels().theme_names
    assert first["accept"] == ["FINANCE"]
    assert first["cats"] == {t: (1.0 if t == "FINANCE" else 0.0) for t in themes}
    assert first["answer"] == "accept" and isinstance(first["_input_hash"], int) and isinstance(first["_task_hash"], int)
    assert "cats" not in recs[1] and "accept" not in recs[1]  # themes not reviewed: model scores are not exported
    # keys sorted, one object per line
    line = out.read_text(encoding="utf-8").splitlines()[0]
    assert list(json.loads(line)) == sorted(json.loads(line))
    # the report
    assert "2 example(s) from 3 decision(s)" in err
    assert "ORG 2" in err and "MONEY 1" in err and "PERCENT 1" in err
    assert "rejected 1" in err and "conflicts: 0" in err and f"wrote {out}" in err


def test_export_jsonl_round_trip_through_db_in_is_byte_identical(db, tmp_path, capsys):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert _run(capsys, "export", "news", "-o", a, "--db", db)[0] == 0
    code, _, err = _run(capsys, "db-in", "copy", a, "--db", db)
    assert code == 0, err
    assert "2 decision(s)" in err
    assert _run(capsys, "export", "copy", "-o", b, "--db", db)[0] == 0
    assert a.read_bytes() == b.read_bytes()


def test_export_jsonl_to_stdout(db, capsys):
    code, out, err = _run(capsys, "export", "news", "-o", "-", "--db", db)
    assert code == 0
    assert len(out.splitlines()) == 2 and json.loads(out.splitlines()[0])["text"].startswith("Airbus")
    assert "<stdout>: 2 example(s)" in err


def test_export_refuses_existing_output_without_force(db, tmp_path, capsys):
    out = tmp_path / "news.jsonl"
    out.write_text("old\n")
    code, _, err = _run(capsys, "export", "news", "-o", out, "--db", db)
    assert code == 1 and "exists" in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert out.read_text() == "old\n"
    assert _run(capsys, "export", "news", "-o", out, "--db", db, "--force")[0] == 0
    assert out.read_text().count("\n") == 2


def test_export_unknown_dataset_suggests_a_name(db, tmp_path, capsys):
    code, _, err = _run(capsys, "export", "nwes", "-o", tmp_path / "x.jsonl", "--db", db)
    assert code == 1 and "no dataset 'nwes'" in err and "did you mean 'news'" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_export_empty_dataset_is_an_error(db, tmp_path, capsys):
    code, _, err = _run(capsys, "export", "empty", "-o", tmp_path / "x.jsonl", "--db", db)
    assert code == 1 and "no decisions" in err and not (tmp_path / "x.jsonl").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_export_unwritable_folder(db, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, _, err = _run(capsys, "export", "news", "-o", ro / "x.jsonl", "--db", db)
    finally:
        ro.chmod(0o700)
    assert code == 1 and "not writable" in err


def test_export_unwritable_folder_when_parent_is_a_file(db, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = _run(capsys, "export", "news", "-o", blocker / "x.jsonl", "--db", db)
    assert code == 1 and "not writable" in err and len(err.strip().splitlines()) == 1


def test_export_misaligned_span_lists_it_and_leaves_existing_output(db, tmp_path, capsys):
    with Store(db) as s:
        t = _task("Airbus SE gagne.", [])
        t["spans"] = [{"start": 0, "end": 3, "label": "ORG", "text": "Air"}]
        s.add_decision("bad", t, answer="accept", annotator="a", session="s")
    out = tmp_path / "bad.jsonl"
    out.write_text("previous\n")
    code, _, err = _run(capsys, "export", "bad", "-o", out, "--db", db, "--force")
    assert code == 1
    assert "span 0-3 ORG 'Air' does not align" in err and f"task {t['_task_hash']}" in err
    assert "--align expand" in err
    assert out.read_text() == "previous\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bad.jsonl")]  # no temporary file left
    code, _, err = _run(capsys, "export", "bad", "-o", out, "--db", db, "--force", "--align", "expand")
    assert code == 0 and "snapped to token boundaries: 1" in err
    assert json.loads(out.read_text())["spans"][0]["text"] == "Airbus"


def test_db_out_writes_every_decision_as_stored(db, tmp_path, capsys):
    code, out, err = _run(capsys, "db-out", "news", "--db", db)
    assert code == 0
    recs = [json.loads(x) for x in out.splitlines()]
    assert [r["answer"] for r in recs] == ["accept", "accept", "reject"]
    assert recs[0]["spans"][2]["answer"] == "reject"  # unmerged: rejected spans kept, as stored
    assert {r["_annotator_id"] for r in recs} == {"alice", "bob"}
    assert "3 decision(s)" in err
    code, out, _ = _run(capsys, "db-out", "news", "--db", db, "--annotator", "alice")
    assert len(out.splitlines()) == 1


def test_export_commands_have_help_with_an_example(capsys):
    for cmd in ("export", "db-in", "db-out"):
        code, out, _ = _run(capsys, cmd, "--help")
        assert code == 0 and "Example:" in out
