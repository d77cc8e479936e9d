"""Prodigy semantics on import and export: binary answers kept, spans of several accepted tasks
united, answers defaulting to accept, choice ids kept apart from themes, inputs merged by text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from annotate.formats.docbin import export_spacy
from annotate.formats.imports import import_records
from annotate.formats.jsonl import export_jsonl, export_raw
from annotate.labels import load_labels
from annotate.store import Store

FIXTURE = Path(__file__).parent / "fixtures" / "formats" / "prodigy_binary.jsonl"
LABELS = load_labels(None)
THEMES = LABELS.theme_names


@pytest.fixture
def teach(store):
    report = import_records(store, "teach", [FIXTURE], entity_labels=LABELS.entity_names, theme_names=THEMES)
    return store, report


def _examples(store, tmp_path):
    out = tmp_path / "ex.jsonl"
    report = export_jsonl(lambda: store.iter_decisions("teach"), out, dataset="teach", themes=THEMES)
    return report, {r["text"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def test_prodigy_import_every_record_is_a_decision_no_answer_accepted(teach):
    store, report = teach
    assert (report.records, report.decisions, report.tasks) == (9, 9, 0)
    assert report.accepted_by_default == 1
    assert report.answers == {"accept": 6, "reject": 2, "ignore": 1}
    assert report.unknown_themes == {}  # Q90 is an entity id, not a theme
    [nel] = [d for d in store.iter_decisions("teach") if d.get("options")]
    assert nel["choice_accept"] == ["Q90"] and "accept" not in nel


def test_prodigy_as_tasks_keeps_records_without_answer_as_tasks(store):
    report = import_records(store, "t", [FIXTURE], theme_names=THEMES, as_tasks=True)
    assert (report.decisions, report.tasks, report.accepted_by_default) == (8, 1, 0)


def test_prodigy_teach_spans_united_rejects_kept_ignored_dropped(teach, tmp_path):
    store, _ = teach
    report, ex = _examples(store, tmp_path)
    t1 = ex["Airbus et Safran ont signé un accord avec Renault."]
    assert [s["text"] for s in t1["spans"]] == ["Airbus", "Safran"]  # not only the latest accepted task
    assert [(s["text"], s["label"]) for s in t1["rejected_spans"]] == [("accord", "PRODUCT")]
    assert t1["binary"] is True and "cats" not in t1
    assert report.binary_examples == 2 and report.rejected_spans == 1


def test_prodigy_textcat_binary_answers_become_cats_of_the_answered_labels_only(teach, tmp_path):
    store, _ = teach
    report, ex = _examples(store, tmp_path)
    t2 = ex["La BCE relève ses taux de 0,25 point."]
    assert t2["cats"] == {"AI": 0.0, "FINANCE": 1.0}  # DEALS, MARKETS, ... never asked: absent, not 0
    assert t2["spans"] == [] and "accept" not in t2


def test_prodigy_hashed_and_unhashed_copies_of_a_text_export_once(teach, tmp_path):
    store, _ = teach
    report, ex = _examples(store, tmp_path)
    assert report.examples == len(ex) == 4
    t4 = ex["Nvidia dépasse Microsoft en Bourse."]
    assert [s["text"] for s in t4["spans"]] == ["Nvidia", "Microsoft"] and "binary" not in t4


def test_prodigy_docbin_binary_ner_is_missing_outside_spans_manual_is_o(teach, tmp_path):
    store, _ = teach
    out = tmp_path / "spacy"
    export_spacy(lambda: store.iter_decisions("teach"), out, dataset="teach", themes=THEMES, base_model="none",
                 dev_split=0.5)
    docs = []
    for name in ("train.spacy", "dev.spacy"):
        docs += list(DocBin().from_disk(out / name).get_docs(Vocab()))
    by_text = {d.text: d for d in docs}
    assert len(docs) == len(by_text) == 4  # each text once, on one side of the split
    teach_doc = by_text["Airbus et Safran ont signé un accord avec Renault."]
    assert [(e.text, e.label_) for e in teach_doc.ents] == [("Airbus", "ORG"), ("Safran", "ORG")]
    outside = [t.ent_iob_ for t in teach_doc if not t.ent_type_]
    assert outside and set(outside) == {""}  # missing: a binary answer does not say "no entity here"
    assert [(s.text, s.label_) for s in teach_doc.spans["incorrect_spans"]] == [("accord", "PRODUCT")]
    manual = by_text["Nvidia dépasse Microsoft en Bourse."]
    assert {t.ent_iob_ for t in manual if not t.ent_type_} == {"O"}
    assert by_text["La BCE relève ses taux de 0,25 point."].cats == {"AI": 0.0, "FINANCE": 1.0}
    assert "incorrect_spans_key = \"incorrect_spans\"" in (out / "config.cfg").read_text()


def test_prodigy_db_out_db_in_db_out_is_byte_identical(teach, tmp_path):
    store, _ = teach
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    export_raw(store.iter_decisions("teach"), first)
    with Store(tmp_path / "other.db", create=True) as other:  # a fresh database: the same decision ids
        import_records(other, "teach", [first], theme_names=THEMES)
        export_raw(other.iter_decisions("teach"), second)
    assert first.read_bytes() == second.read_bytes()


def test_prodigy_contradicting_binary_answers_latest_wins_and_is_counted(store, tmp_path):
    text = "Safran livre Airbus."
    span = {"start": 0, "end": 6, "label": "ORG", "text": "Safran"}
    src = tmp_path / "t.jsonl"
    src.write_text("".join(json.dumps({"text": text, "spans": [span], "_view_id": "ner", "answer": a}) + "\n"
                           for a in ("accept", "reject")), encoding="utf-8")
    import_records(store, "c", [src])
    out = tmp_path / "o.jsonl"
    report = export_jsonl(lambda: store.iter_decisions("c"), out, dataset="c", themes=THEMES)
    [ex] = map(json.loads, out.read_text(encoding="utf-8").splitlines())
    assert ex["spans"] == [] and [s["text"] for s in ex["rejected_spans"]] == ["Safran"]
    assert report.binary_conflicts == 1 and "1 answer(s) contradicted by a later one" in "\n".join(report.lines())


def test_prodigy_rejected_binary_answer_exports_once_to_label_studio(store, tmp_path):
    """A text with only a rejected ner.teach answer is an example (a rejected span), not also a cancelled task."""
    from annotate.formats.interop import export_tool

    src = tmp_path / "t.jsonl"
    src.write_text(json.dumps({"text": "Safran livre Airbus.", "spans": [{"start": 0, "end": 6, "label": "PRODUCT"}],
                               "_view_id": "ner", "answer": "reject"}) + "\n", encoding="utf-8")
    import_records(store, "r", [src])
    out = tmp_path / "ls.json"
    export_tool("labelstudio", lambda: store.iter_decisions("r"), out, dataset="r", themes=THEMES)
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 1
