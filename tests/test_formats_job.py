"""annotate.formats.job (export / import / dump a dataset), the --resolve/--align/--format choices, the reader registry."""

from __future__ import annotations

import json

import pytest
import spacy

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.formats import (
    READERS,
    Align,
    Format,
    Resolve,
    dump_dataset,
    export_dataset,
    import_dataset,
)
from annotate.formats.imports import detect_format
from annotate.formats.native import Reader
from annotate.store import Store
from annotate.tasks import set_hashes, tokens_of

_NLP = spacy.blank("fr")


def _task(text, spans):
    t = {"text": text, "tokens": tokens_of(_NLP.make_doc(text)), "meta": {"lang": "fr"}, "spans": [], "accept": []}
    for sub, label in spans:
        a = text.index(sub)
        t["spans"].append({"start": a, "end": a + len(sub), "label": label, "text": sub, "answer": "accept"})
    return set_hashes(t)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "j.db"
    with Store(path) as s:
        s.add_decision("news", _task("Safran vend 4 % de ses parts.", [("Safran", "ORG"), ("4 %", "PERCENT")]),
                       answer="accept", annotator="ana", session="s", timestamp=10)
        s.add_decision("news", _task("Kering publie ses comptes en mai.", [("Kering", "ORG"), ("mai", "DATE")]),
                       answer="accept", annotator="ben", session="s", timestamp=20)
        s.add_decision("news", _task("Rien ce jour-là.", []), answer="reject", annotator="ben", session="s", timestamp=30)
    return path


def test_job_export_dataset_returns_the_report_and_the_train_command(db, tmp_path):
    jsonl = export_dataset("news", str(tmp_path / "n.jsonl"), db=db)
    assert jsonl.format is Format.jsonl and jsonl.examples == 2 and jsonl.train_command is None
    assert jsonl.report.left_out == {"rejected": 1}
    assert len((tmp_path / "n.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    spacy_out = export_dataset("news", f"{tmp_path}/sp/", db=db, base_model="none", resolve=Resolve.strict, align="expand")
    assert spacy_out.format is Format.spacy and spacy_out.examples == 2
    assert spacy_out.train_command == (
        f"python -m spacy train {tmp_path}/sp/config.cfg --paths.train {tmp_path}/sp/train.spacy --paths.dev {tmp_path}/sp/dev.spacy"
    )
    assert spacy_out.lines()[-2:] == ["train with:", f"  {spacy_out.train_command}"]


def test_job_import_and_dump_dataset_round_trip(db, tmp_path):
    raw = tmp_path / "raw.jsonl"
    dumped = dump_dataset("news", str(raw), db=db)
    assert dumped.decisions == 3 and dumped.lines() == [f"db-out 'news': 3 decision(s) written to {raw}"]
    bad = tmp_path / "in.jsonl"
    bad.write_text(raw.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    result = import_dataset("copy", [str(bad)], db=tmp_path / "copy.db")
    assert (result.report.decisions, len(result.report.skipped)) == (3, 1)
    err = result.error()
    assert err is not None and err.code == "E433" and err.line == 4
    assert import_dataset("again", [str(raw)], db=tmp_path / "copy.db").error() is None
    again = [json.loads(x) for x in raw.read_text(encoding="utf-8").splitlines()]
    assert [d["answer"] for d in again] == ["accept", "accept", "reject"]


@pytest.mark.parametrize(
    ("argv", "code", "piece"),
    [
        (["--resolve", "newest"], "E400", "unknown --resolve mode 'newest' Fix: use one of latest, strict"),
        (["--align", "wide"], "E402", "unknown --align mode 'wide' Fix: use one of strict, expand, contract"),
        (["--format", "csv"], "E430", "unknown --format 'csv' Fix: use one of jsonl, spacy, labelstudio, argilla"),
    ],
    ids=["resolve", "align", "format"],
)
def test_cli_export_choice_options_give_the_one_line_usage_error(db, tmp_path, capsys, argv, code, piece):
    assert main(["export", "news", "-o", str(tmp_path / "o.jsonl"), "--db", str(db), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"annotate: error: [{code}] {piece}\n"
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("value", list(Resolve) + list(Align), ids=lambda v: f"{type(v).__name__}-{v}")
def test_cli_export_accepts_every_choice(db, tmp_path, capsys, value):
    flag = "--resolve" if isinstance(value, Resolve) else "--align"
    assert main(["export", "news", "-o", str(tmp_path / "o.jsonl"), "--db", str(db), flag, value.value]) == 0
    assert "conflicts: 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("record", "name"),
    [
        ({"text": "Acme SA", "label": [[0, 4, "ORG"]]}, "doccano"),
        ({"text": "Acme SA", "entities": [{"start_offset": 0, "end_offset": 4, "label": "ORG"}]}, "doccano"),
        ({"text": "Acme SA", "label": ["DEALS"]}, "doccano"),
        ({"text": "Acme SA", "spans": [{"start": 0, "end": 4, "label": "ORG"}], "label": ["x"]}, "prodigy"),
        ({"text": "Acme SA"}, "prodigy"),
    ],
    ids=["doccano-labels", "doccano-entities", "doccano-classes", "spans-win", "bare-text"],
)
def test_imports_registry_routes_each_record_to_its_reader(record, name):
    assert detect_format(record).name == name


@pytest.mark.parametrize("name", sorted(READERS), ids=sorted(READERS))
def test_imports_registry_every_name_resolves_to_its_reader(name):
    reader = READERS[name]
    assert isinstance(reader, Reader) and reader.name == name
    assert callable(reader.detect) and callable(reader.read) and callable(reader.raw_labels)


def test_job_export_dataset_unknown_choice_is_a_usage_error(db, tmp_path):
    with pytest.raises(AnnotateError) as e:
        export_dataset("news", str(tmp_path / "o.jsonl"), db=db, resolve="newest")
    assert (e.value.code, e.value.exit_code) == ("E400", 2)
