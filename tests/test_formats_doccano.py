"""doccano in and out: sequence labelling, relations, intents, doccano 1.0, JSON arrays, CSV; export to doccano."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.formats.imports import import_records
from annotate.formats.job import export_dataset, import_dataset
from annotate.labels import load_labels

F = Path(__file__).parent / "fixtures" / "formats"
LABELS = load_labels(None)


def _import(store, name, *files, **kw):
    kw.setdefault("entity_labels", LABELS.entity_names)
    kw.setdefault("theme_names", LABELS.theme_names)
    return import_records(store, name, [F / f for f in files], **kw)


def _spans(d):
    return [(s["text"], s["label"]) for s in d["spans"]]


@pytest.mark.parametrize("fixture", ["doccano_seq.jsonl", "doccano_seq.json"], ids=["jsonl", "json-array"])
def test_doccano_sequence_labelling_with_utf16_offsets(store, fixture):
    report = _import(store, "seq", fixture)
    assert report.formats == {"doccano": 2} and report.decisions == 2 and not report.skipped
    first, second = store.iter_decisions("seq")
    assert _spans(first) == [("Orange", "ORG"), ("40 millions d'euros", "MONEY")]
    assert _spans(second) == [("Airbus", "ORG"), ("12 %", "PERCENT"), ("mai", "DATE")]  # not 'irbus ', shifted
    assert report.converted == {"utf16": 3}
    assert second["meta"]["doccano_id"] == 102 and second["meta"]["doccano_comments"] == [{"text": "vérifié"}]
    assert f'found in {F / fixture}: doccano (2 record(s): "label" holds [start, end, label] lists)' in " ".join(report.lines())


def test_doccano_relations_keep_entity_ids(store):
    _import(store, "rel", "doccano_relations.jsonl")
    [d] = store.iter_decisions("rel")
    ids = {s["text"]: s["doccano_id"] for s in d["spans"]}
    assert ids == {"Capgemini": 7, "Altran": 8, "2019": 9}
    rels = [(r["from_id"], r["to_id"], r["type"]) for r in d["meta"]["doccano_relations"]]
    assert rels == [(7, 8, "acquired"), (7, 9, "when")]


def test_doccano_intent_detection_entities_and_cats(store):
    report = _import(store, "intent", "doccano_intent.jsonl")
    assert report.decisions == 2 and not report.skipped
    a, b = store.iter_decisions("intent")
    assert _spans(a) == [("Nvidia", "ORG"), ("aujourd'hui", "DATE")] and a["accept"] == ["MARKETS"]
    assert b["accept"] == ["DEALS", "MARKETS"] and "cats" not in b


def test_doccano_v1_annotations_label_ids_and_approver(store):
    report = _import(store, "v1", "doccano_v1.jsonl", label_map={"3": "ORG", "4": "MONEY"})
    assert report.decisions == 2 and report.renamed == {"3->ORG": 2, "4->MONEY": 1} and report.unknown_labels == {}
    approved, other = store.iter_decisions("v1")
    assert _spans(approved) == [("Schneider Electric", "ORG"), ("500 millions", "MONEY")]
    assert approved["_annotator_id"] == "marie" and approved["_timestamp"] == 1583143500  # 2020-03-02T10:05Z
    assert other["_annotator_id"] == "import" and _spans(other) == [("SNCF", "ORG")]


def test_doccano_v1_without_label_map_reports_the_label_ids(store):
    report = _import(store, "v1", "doccano_v1.jsonl")
    assert report.unknown_labels == {"3": 2, "4": 1}


def test_doccano_csv_rows_of_one_text_merge(store):
    report = _import(store, "csv", "doccano_classification.csv")
    assert report.records == 3 and not report.skipped
    by_text = {d["text"]: d for d in store.iter_decisions("csv")}
    assert by_text["TotalEnergies rachète un producteur solaire."]["accept"] == ["DEALS", "ENERGY"]
    assert by_text["Le CAC 40 termine en hausse."]["accept"] == ["MARKETS"]


def test_doccano_json_array_bad_element_names_its_line(store, tmp_path):
    src = tmp_path / "x.json"
    src.write_text('[\n  {"text": "Bon.", "label": []},\n  {"text": "Mauvais.", "label": [[0, "ORG"]]}\n]\n')
    report = import_records(store, "j", [src])
    assert report.records == 1 and [(i.line, "is not [start, end" in i.message) for i in report.skipped] == [(3, True)]


def test_doccano_records_with_nothing_usable_is_an_error_and_imports_nothing(store, tmp_path, capsys):
    """A file whose records hold no annotation in any known shape: exit 1, not an empty import with exit 0."""
    src = tmp_path / "odd.jsonl"
    src.write_text(json.dumps({"id": 1, "text": "Airbus.", "tags": [{"from": 0, "to": 6, "tag": "ORG"}]}) + "\n")
    code = main(["db-in", "odd", str(src), "--db", str(store.path)])
    err = capsys.readouterr().err
    assert code == 1 and "[E840]" in err and "none holds an annotation" in err and "tags" in err
    assert not store.has_dataset("odd") or store.count_decisions("odd") == 0
    assert main(["db-in", "odd", str(src), "--db", str(store.path), "--as-tasks"]) == 0


def test_doccano_export_in_doccano_import_shape_and_back(tmp_path):
    db = tmp_path / "a.db"
    import_dataset("seq", [str(F / "doccano_seq.jsonl"), str(F / "doccano_intent.jsonl")], db=db)
    out = tmp_path / "out.jsonl"
    export_dataset("seq", str(out), format="doccano", db=db, lang="fr")
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert set(recs[0]) <= {"id", "text", "label", "cats"}
    by_text = {r["text"]: r for r in recs}
    b = by_text["Record 🚀 pour Airbus : 12 % de hausse en mai."]
    assert [b["text"][s:e] for s, e, _ in b["label"]] == ["Airbus", "12 %", "mai"]
    assert by_text["Achète 10 actions Thales demain."]["cats"] == ["DEALS", "MARKETS"]
    # doccano's own import shape reads back to the same spans and themes
    import_dataset("back", [str(out)], db=db)
    back = export_dataset("back", str(tmp_path / "back.jsonl"), format="doccano", db=db, lang="fr")
    assert (tmp_path / "back.jsonl").read_bytes() == out.read_bytes() and back.examples == 4


def _per_user(decisions):
    return sorted((d["text"], d["_annotator_id"], tuple(_spans(d)), d["_timestamp"]) for d in decisions)


DOCCANO_USERS = [
    # record 7: users 2 and 5 (approved by marie), each with their own spans, at their latest annotation
    ("Airbus livre 40 avions à Air France pour 3 milliards.", "2",
     (("Airbus", "ORG"), ("Air France", "ORG"), ("3 milliards", "MONEY")), 1620115320),
    ("Airbus livre 40 avions à Air France pour 3 milliards.", "5", (("Airbus", "ORG"), ("3 milliards", "MONEY")),
     1620223380),
    # record 8: the two users disagree, nobody approved it: both answers kept
    ("La Poste recrute 500 facteurs en mai.", "2", (("La Poste", "ORG"),), 1620118800),
    ("La Poste recrute 500 facteurs en mai.", "5", (("Poste", "ORG"), ("mai", "DATE")), 1620226810),
    # record 9: one user, approved: one decision by the approver, as before
    ("La Poste recrute à Lyon.", "marie", (("La Poste", "ORG"),), 1620122400),
]


def test_doccano_v1_several_users_one_decision_per_user(store):
    report = _import(store, "v1", "doccano_v1_users.jsonl", label_map={"3": "ORG", "4": "MONEY", "5": "DATE"})
    assert report.decisions == 5 and report.tasks == 0 and report.unknown_labels == {}
    decisions = list(store.iter_decisions("v1"))
    assert _per_user(decisions) == sorted(DOCCANO_USERS)
    assert {d["answer"] for d in decisions} == {"accept"}
    airbus = [d for d in decisions if d["text"].startswith("Airbus")]
    assert {d["meta"]["doccano_annotation_approver"] for d in airbus} == {"marie"}
    assert {d["meta"]["doccano_id"] for d in airbus} == {7} and {d["meta"]["rubrique"] for d in airbus} == {"industrie"}
    assert len({d["_input_hash"] for d in decisions}) == 3  # three texts, five versions


def test_doccano_v1_several_users_round_trip_db_in_db_out(tmp_path, capsys):
    db, out, again = tmp_path / "a.db", tmp_path / "out.jsonl", tmp_path / "again.jsonl"
    src = str(F / "doccano_v1_users.jsonl")
    assert main(["db-in", "v1", src, "--db", str(db), "--label-map", "3=ORG", "--label-map", "4=MONEY",
                 "--label-map", "5=DATE"]) == 0
    assert main(["db-out", "v1", "-o", str(out), "--db", str(db)]) == 0
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert _per_user(recs) == sorted(DOCCANO_USERS)
    # our own export read back gives the same decisions (all but the store's new decision ids)
    assert main(["db-in", "back", str(out), "--db", str(db)]) == 0
    assert main(["db-out", "back", "-o", str(again), "--db", str(db)]) == 0

    def same(path):
        return [{k: v for k, v in json.loads(x).items() if k != "_decision_id"}
                for x in path.read_text(encoding="utf-8").splitlines()]

    assert same(again) == same(out) and len(recs) == 5
    # the same doccano file again adds nothing (every user's decision is found by its identity)
    assert main(["db-in", "v1", src, "--db", str(db), "--label-map", "3=ORG", "--label-map", "4=MONEY",
                 "--label-map", "5=DATE"]) == 0
    capsys.readouterr()
    assert main(["db-out", "v1", "-o", str(out), "--db", str(db), "--force"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 5


def test_doccano_v1_classification_of_several_users_one_decision_per_user(store, tmp_path):
    ann = {"prob": 0.0, "document": 1}
    rec = {"id": 1, "text": "Airbus rachète un concurrent.", "meta": {}, "annotation_approver": None, "annotations": [
        dict(ann, id=1, label=1, user=2, created_at="2021-05-04T08:00:00Z", updated_at="2021-05-04T08:00:00Z"),
        dict(ann, id=2, label=2, user=5, created_at="2021-05-04T09:00:00Z", updated_at="2021-05-04T09:00:00Z"),
    ]}
    src = tmp_path / "cls.jsonl"
    src.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    report = import_records(store, "c", [src], entity_labels=LABELS.entity_names, theme_names=LABELS.theme_names,
                            label_map={"1": "DEALS", "2": "FINANCE"})
    assert report.decisions == 2
    assert sorted((d["_annotator_id"], d["accept"], d["_timestamp"]) for d in store.iter_decisions("c")) == [
        ("2", ["DEALS"], 1620115200), ("5", ["FINANCE"], 1620118800)]
