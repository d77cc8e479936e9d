"""`annotate db-in`: Prodigy, doccano and annotate JSONL; decisions vs tasks; labels; malformed lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.formats.imports import import_records, normalize_record, parse_label_map
from annotate.io import text_stream

FIXTURES = Path(__file__).parent / "fixtures" / "export"
LABELS = ["ORG", "MONEY", "DATE", "PERCENT"]
THEMES = ["AI", "DEALS", "FINANCE", "MARKETS"]


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_prodigy_fixture_as_tasks_answers_become_decisions_others_tasks(store):
    report = import_records(store, "p", [FIXTURES / "prodigy_ner_manual.jsonl"], entity_labels=LABELS, theme_names=THEMES,
                            as_tasks=True)
    assert (report.records, report.decisions, report.tasks) == (5, 4, 1)
    assert report.answers == {"accept": 3, "reject": 1}
    assert report.unknown_labels == {"PER": 1}
    decisions = list(store.iter_decisions("p"))
    first = decisions[0]
    # kept as given: hashes, annotator, session, timestamp, tokens, view id
    assert (first["_input_hash"], first["_task_hash"]) == (1018347791, -1409520390)
    assert (first["_annotator_id"], first["_session_id"], first["_timestamp"]) == ("news-alice", "news-alice", 1700000000)
    assert first["_view_id"] == "ner_manual" and len(first["tokens"]) == 8
    assert [(s["text"], s["label"]) for s in first["spans"]] == [("Airbus", "ORG"), ("3 milliards d'euros", "MONEY")]
    # spans without tokens get their text; no token indices invented
    second = decisions[1]
    assert [s["text"] for s in second["spans"]] == ["Orange", "2 %", "mars"]
    assert "token_start" not in second["spans"][0]
    assert isinstance(second["_input_hash"], int)
    assert decisions[3]["accept"] == ["FINANCE"]
    [task] = list(store.iter_tasks("p"))
    assert task["text"].startswith("Capgemini") and "answer" not in task


def test_import_doccano_fixture_with_label_map(store):
    report = import_records(
        store, "d", [FIXTURES / "doccano.jsonl"], label_map=parse_label_map(["ORGANIZATION=ORG"]),
        entity_labels=LABELS, theme_names=THEMES, lang="fr", as_tasks=True,
    )
    assert (report.records, report.decisions, report.tasks) == (3, 0, 3)
    assert report.formats == {"doccano": 3}
    assert report.renamed == {"ORGANIZATION->ORG": 2} and report.unknown_labels == {}
    tasks = list(store.iter_tasks("d"))
    assert [(s["text"], s["label"]) for s in tasks[0]["spans"]] == [
        ("Mistral AI", "ORG"), ("600 millions d'euros", "MONEY"), ("juin", "DATE")
    ]
    assert [(s["text"], s["label"]) for s in tasks[1]["spans"]] == [("Nvidia", "ORG"), ("8 %", "PERCENT")]
    assert tasks[2]["accept"] == ["MARKETS"] and tasks[2]["spans"] == []
    assert tasks[0]["meta"] == {"source": "doccano", "doccano_id": 12, "lang": "fr"}
    assert "label" not in tasks[0] and "entities" not in tasks[1]


def test_import_unknown_labels_are_reported_with_the_fix(store, tmp_path, capsys):
    src = tmp_path / "x.jsonl"
    src.write_text(json.dumps({"text": "Airbus.", "label": [[0, 6, "ORGA"]]}) + "\n")
    code, _, err = _run(capsys, "db-in", "x", src, "--db", store.path)
    assert code == 0
    assert "unknown label 'ORGA'" in err and "did you mean 'ORG'" in err and "--label-map ORGA=NEW" in err


def test_import_twice_adds_no_duplicate_task(store):
    import_records(store, "d", [FIXTURES / "doccano.jsonl"], as_tasks=True)
    report = import_records(store, "d", [FIXTURES / "doccano.jsonl"], as_tasks=True)
    assert (report.tasks, report.duplicates) == (0, 3)


BAD_LINES = [
    pytest.param("not json", "invalid JSON", id="json"),
    pytest.param('["text"]', "expected a JSON object", id="not-object"),
    pytest.param('{"txt": "a"}', 'no "text"', id="no-text"),
    pytest.param('{"text": "abc", "spans": [{"start": 0, "end": 9, "label": "ORG"}]}', "outside the text", id="offsets"),
    pytest.param('{"text": "abc", "spans": [{"start": "0", "end": 2, "label": "ORG"}]}', "not an integer", id="str-offset"),
    pytest.param('{"text": "abc", "spans": [{"start": 0, "end": 2}]}', "no start, end and label", id="no-label"),
    pytest.param('{"text": "abc", "answer": "maybe"}', "unknown answer", id="answer"),
    pytest.param('{"text": "abc", "label": [[0, 2]]}', "is not [start, end", id="doccano-pair"),
    pytest.param('{"text": "ab c", "tokens": [{"text": "ab", "start": 0, "end": 3}]}', "does not match the text", id="tokens"),
]


@pytest.mark.parametrize("line,message", BAD_LINES)
def test_import_malformed_line_is_named_and_skipped(store, tmp_path, capsys, line, message):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "bon", "answer": "accept"}\n' + line + "\n", encoding="utf-8")
    code, _, err = _run(capsys, "db-in", "b", src, "--db", store.path)
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert f"{src}:2" in last and message in last and "Fix:" in last and "Traceback" not in err
    assert store.count_decisions("b") == 1  # the good line went in


def test_import_strict_imports_nothing_when_a_line_is_bad(store, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "bon", "answer": "accept"}\n{"text": 3}\n', encoding="utf-8")
    code, _, err = _run(capsys, "db-in", "s", src, "--db", store.path, "--strict")
    assert code == 1 and f"{src}:2" in err and "nothing was imported" in err
    assert len(err.strip().splitlines()) == 1
    assert not store.has_dataset("s")


def test_import_invalid_utf8_line(store, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    report = import_records(store, "u", [src], as_tasks=True)
    assert report.records == 1 and report.skipped[0].line == 2 and "UTF-8" in report.skipped[0].message


def test_import_from_stdin_strict(store):
    data = '{"text": "un", "answer": "accept"}\n{"text": "deux"}\n'
    report = import_records(store, "in", ["-"], strict=True, stdin=text_stream(data), as_tasks=True)
    assert (report.decisions, report.tasks) == (1, 1)


def test_import_label_map_must_be_old_equals_new():
    with pytest.raises(AnnotateError) as e:
        parse_label_map(["ORG"])
    assert e.value.exit_code == 2


def test_import_prodigy_binary_textcat_label_is_kept_as_a_field():
    task, answer, fmt = normalize_record({"text": "La BCE.", "label": "FINANCE", "answer": "accept"})
    assert fmt == "prodigy" and answer == "accept" and task["label"] == "FINANCE" and task["spans"] == []
