"""db-in --format auto says what it recognised in each file; a forced or unknown --format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.formats import doccano
from annotate.formats.imports import import_records, normalize_record
from annotate.formats.native import BadRecord
from annotate.formats.merge import split_key
from annotate.tasks import input_hash

F = Path(__file__).parent / "fixtures" / "formats"


def test_sniff_report_names_each_files_formats_and_why(store, tmp_path):
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(
        json.dumps({"text": "Airbus vole.", "label": [[0, 6, "ORG"]]}) + "\n"
        + json.dumps({"text": "Airbus vole.", "spans": [{"start": 0, "end": 6, "label": "ORG"}], "answer": "accept"}) + "\n"
        + json.dumps({"text": "La BCE.", "label": "FINANCE", "answer": "reject", "_view_id": "classification"}) + "\n",
        encoding="utf-8",
    )
    report = import_records(store, "m", [mixed, F / "doccano_intent.jsonl"])
    lines = "\n".join(report.lines())
    assert (f"--format auto found in {mixed}: doccano (1 record(s): \"label\" holds [start, end, label] lists), "
            f"prodigy (2 record(s): Prodigy/annotate task shape: \"spans\")") in lines
    assert f"--format auto found in {F / 'doccano_intent.jsonl'}: doccano (2 record(s): intent detection: \"entities\" and \"cats\")" in lines


def test_sniff_label_studio_json_min_is_not_read_as_doccano_or_prodigy(store, tmp_path):
    src = tmp_path / "ls.json"
    src.write_text(json.dumps([{"id": 3, "text": "Airbus vole.", "label": [{"start": 0, "end": 6, "text": "Airbus", "labels": ["ORG"]}],
                                "annotator": 1, "annotation_id": 2}]), encoding="utf-8")
    report = import_records(store, "ls", [src])
    assert report.formats == {"labelstudio": 1} and not report.skipped
    # read as doccano or Prodigy, a "label" list of objects is an error, never an empty import
    with pytest.raises(BadRecord, match="not Prodigy's task shape"):
        normalize_record({"text": "Airbus vole.", "label": [{"start": 0}]}, fmt="prodigy")
    assert not doccano.detect({"text": "Airbus vole.", "label": [{"start": 0}]})


def test_sniff_unknown_format_is_a_usage_error(store, capsys):
    code = main(["db-in", "x", str(F / "doccano_seq.jsonl"), "--format", "brat", "--db", str(store.path)])
    err = capsys.readouterr().err
    assert code == 2 and "[E800]" in err and "auto, annotate, conll, labelstudio, argilla, doccano, prodigy" in err


def test_sniff_forced_format_reads_every_record_with_it(store):
    report = import_records(store, "f", [F / "doccano_seq.jsonl"], fmt="doccano")
    assert report.formats == {"doccano": 2}
    assert report.found == {str(F / "doccano_seq.jsonl"): {"doccano": 2}} and not report.auto


def test_sniff_txt_needs_format_conll(store, tmp_path):
    src = tmp_path / "tags.txt"
    src.write_text("Airbus\tB-ORG\nvole\tO\n", encoding="utf-8")
    code = main(["db-in", "t", str(src), "--db", str(store.path)])
    assert code == 2
    assert main(["db-in", "t", str(src), "--db", str(store.path), "--format", "conll"]) == 0
    [d] = store.iter_decisions("t")
    assert [(s["text"], s["label"]) for s in d["spans"]] == [("Airbus", "ORG")]


def test_sniff_split_key_is_the_input_hash_of_the_text():
    """Inputs merge and split by text; for our own data the split key is the _input_hash it always had."""
    for text in ["Airbus.", 'Société "x" \\ \n\t😀 \u2028', ""]:
        assert split_key(text) == input_hash({"text": text})
