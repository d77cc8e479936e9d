"""Argilla 2 in and out: records with responses per user and suggestions, nested and flattened; SDK models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.formats import argilla as fmt_argilla
from annotate.formats.imports import import_records, normalize_record
from annotate.formats.job import export_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "formats" / "argilla"
U1 = "5f3c1c6e-2a7d-4a57-9e0b-1f2e3d4c5b6a"
U2 = "0b9d8c7e-6f5a-4b3c-8d2e-1a0f9e8d7c6b"


def _spans(d):
    return sorted((s["start"], s["end"], s["label"], s["text"]) for s in d["spans"])


def test_argilla_responses_per_user_become_decisions_with_their_status(store):
    report = import_records(store, "ar", [FIXTURES / "records.json"])
    assert (report.records, report.decisions, report.tasks, report.skipped) == (4, 4, 1, [])
    assert report.answers == {"accept": 2, "reject": 1, "ignore": 1}
    got = {(d["meta"]["argilla_id"], d["_annotator_id"]): d for d in store.iter_decisions("ar")}
    total = got[("r1", U1)]
    assert total["answer"] == "accept" and total["accept"] == ["ENERGY", "DEALS"]
    assert _spans(total) == [(0, 13, "ORG", "TotalEnergies"), (34, 56, "MONEY", "3 milliards de dollars"), (65, 70, "ORG", "Qatar")]
    assert total["meta"]["argilla_metadata"] == {"source": "lesechos"}
    assert got[("r1", U2)]["answer"] == "reject" and got[("r1", U2)]["spans"] == []  # discarded
    assert got[("r2", U1)]["answer"] == "ignore"  # draft
    assert got[("r4", U2)]["answer"] == "accept"  # no status, as records.to_json writes them: submitted
    assert got[("r4", U2)]["accept"] == ["DEALS"]


def test_argilla_suggestions_of_a_record_without_responses_are_its_pre_annotations(store):
    import_records(store, "ar", [FIXTURES / "records.json"])
    (task,) = list(store.iter_tasks("ar"))
    assert [(s["text"], s["label"], s["source"], s["score"]) for s in task["spans"]] == [
        ("EDF", "ORG", "gliner-fr", 0.97), ("2035", "DATE", "gliner-fr", 0.58)]
    assert task["cats"] == {"ENERGY": 0.81}


def test_argilla_flattened_records_read_like_nested_ones(store):
    report = import_records(store, "flat", [FIXTURES / "records_flat.jsonl"])
    assert (report.formats, report.decisions, report.tasks) == ({"argilla": 2}, 1, 1)
    (d,) = list(store.iter_decisions("flat"))
    assert d["_annotator_id"] == U1 and d["accept"] == ["DEALS", "AI"] and _spans(d) == [(0, 18, "ORG", "Schneider Electric")]
    (task,) = list(store.iter_tasks("flat"))
    assert [(s["label"], s["score"]) for s in task["spans"]] == [("ORG", 0.88), ("PERCENT", 0.99), ("DATE", 0.95)]
    assert task["cats"] == {"MARKETS": 0.77}


@pytest.mark.parametrize(
    ("record", "piece"),
    [
        ({"fields": {"text": "Airbus vole."}, "responses": {"spans": [{"value": [{"start": 0, "end": 60, "label": "ORG"}], "user_id": U1}]}},
         "span 0-60 ORG falls outside the text (length 12)"),
        ({"fields": {"text": "Airbus vole."}, "responses": {"spans": [{"value": [], "user_id": U1, "status": "done"}]}},
         "unknown response status ['done']"),
        ({"fields": {"text": "Airbus vole."}, "responses": {"spans": [{"value": []}]}}, "a response to 'spans' has no user_id"),
        ({"fields": {"a": "x", "b": "y"}}, 'record has no "text" field'),
    ],
    ids=["outside", "status", "no-user", "no-text"],
)
def test_argilla_bad_record_is_one_line_naming_file_and_line(tmp_path, capsys, record, piece):
    src = tmp_path / "records.jsonl"
    src.write_text(json.dumps({"fields": {"text": "ok"}}) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    code = main(["db-in", "x", str(src), "--db", str(tmp_path / "a.db"), "--strict"])
    _, err = capsys.readouterr()
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert f"{src}:2: " in err and piece in err and "Fix:" in err


def test_argilla_record_is_recognised_by_auto():
    _, answer, name = normalize_record({"fields": {"text": "Orange."}, "responses": {"themes": [{"value": ["AI"], "user_id": U1}]}})
    assert (name, answer) == ("argilla", "accept")


def test_argilla_user_ids_are_stable_uuids():
    assert fmt_argilla.user_id("alice") == fmt_argilla.user_id("alice") != fmt_argilla.user_id("bob")
    assert len(fmt_argilla.user_id("alice")) == 36


# ---------------------------------------------------------------- the argilla SDK's own models


def _seed(store):
    text = "Airbus livre 60 avions à Toulouse en mars."
    store.add_decision("news", {"text": text, "spans": [{"start": 0, "end": 6, "label": "ORG"}, {"start": 37, "end": 41, "label": "DATE"}],
                                "accept": ["DEALS"]}, answer="accept", annotator="alice", session="s")
    store.add_decision("news", {"text": "La BCE maintient ses taux.", "spans": [{"start": 3, "end": 6, "label": "ORG"}], "accept": []},
                       answer="accept", annotator="bob", session="s")
    store.add_decision("news", {"text": "Le Monde titre.", "spans": [{"start": 0, "end": 8, "label": "ORG"}]},
                       answer="reject", annotator="bob", session="s")
    store.add_tasks("news", [{"text": "Orange investit 2 milliards d'euros.",
                              "spans": [{"start": 0, "end": 6, "label": "ORG", "source": "gazetteer", "score": 0.9},
                                        {"start": 16, "end": 35, "label": "MONEY", "source": "rules"}],
                              "cats": {"INFRASTRUCTURE": 0.8, "AI": 0.1}}])


def test_argilla_export_validates_against_the_sdks_record_models(store, tmp_path, monkeypatch):
    rg = pytest.importorskip("argilla")
    from argilla._api import _client

    _seed(store)
    out = tmp_path / "news.json"
    export_dataset("news", str(out), format="argilla", db=store.path)
    records = json.loads(out.read_text(encoding="utf-8"))
    # a client that never calls a server: only the SDK's local models are used
    monkeypatch.setattr(_client.APIClient, "_validate_connection", lambda self: None)
    client = rg.Argilla(api_url="http://127.0.0.1:9", api_key="offline")
    settings = rg.Settings.from_json(tmp_path / "news.settings.json")
    spans_q, themes_q = settings.questions["spans"], settings.questions["themes"]
    assert isinstance(spans_q, rg.SpanQuestion) and isinstance(themes_q, rg.MultiLabelQuestion)
    dataset = rg.Dataset(name="news", settings=settings, client=client)
    statuses = []
    for d in records:
        record = rg.Record.from_dict(d, dataset=dataset)
        model = record.api_model()  # pydantic: fields, UUID user ids, statuses, suggestion scores
        assert model.fields == {"text": d["fields"]["text"]}
        for r in model.responses:
            statuses.append(r.status.value)
            for q, v in r.values.items():
                labels = spans_q.labels if q == "spans" else themes_q.labels
                values = [x["label"] for x in v["value"]] if q == "spans" else v["value"]
                assert set(values) <= set(labels), (q, values)
        for s in model.suggestions:
            assert s.question_name in ("spans", "themes") and s.agent
    assert sorted(statuses) == ["discarded", "submitted", "submitted"]
    assert [s.question_name for s in rg.Record.from_dict(records[-1]).suggestions] == ["spans", "themes"]


def test_argilla_export_record_ids_differ_for_texts_whose_32_bit_hashes_collide():
    from annotate.formats.argilla import record_id
    from annotate.tasks import set_hashes

    a, b = set_hashes({"text": "Article 2591", "spans": []}), set_hashes({"text": "Article 50873", "spans": []})
    assert a["_task_hash"] == b["_task_hash"]  # the pair collides in 32 bits
    assert record_id(a) != record_id(b)
    assert record_id(a) == record_id(dict(a)) and len(record_id(a)) == 32
