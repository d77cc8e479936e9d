"""Label Studio in and out: its JSON and JSON_MIN exports, offsets checked, our export loaded by its own SDK."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.formats.imports import import_records, normalize_record
from annotate.formats.job import export_dataset, import_dataset
from annotate.formats.native import BadRecord
from annotate.formats.offsets import check_span, from_utf16

FIXTURES = Path(__file__).parent / "fixtures" / "formats" / "labelstudio"
LABELS = ["ORG", "MONEY", "DATE", "PERCENT"]
THEMES = ["AI", "DEALS", "FINANCE", "MARKETS", "INFRASTRUCTURE"]


def _decisions(store, dataset):
    return {d["text"][:12]: d for d in store.iter_decisions(dataset)}


def _spans(d):
    return sorted((s["start"], s["end"], s["label"], s["text"]) for s in d["spans"])


def _ts(iso):
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp())


def test_labelstudio_export_keeps_the_latest_non_cancelled_annotation_as_the_decision(store):
    report = import_records(store, "ls", [FIXTURES / "project_export.json"], entity_labels=LABELS, theme_names=THEMES)
    assert (report.records, report.decisions, report.tasks, report.skipped) == (6, 5, 1, [])
    assert report.formats == {"labelstudio": 6} and report.answers == {"accept": 4, "ignore": 1}
    d = _decisions(store, "ls")
    bce = d["La Banque ce"]
    # alice's annotation (updated 12:00) wins over bob's (10:00); carol's later one was cancelled
    assert bce["_annotator_id"] == "alice@example.com" and bce["answer"] == "accept"
    assert _spans(bce) == [(0, 29, "ORG", "La Banque centrale européenne"), (49, 59, "PERCENT", "0,25 point"), (60, 65, "DATE", "jeudi")]
    assert bce["accept"] == ["FINANCE", "MARKETS"]
    assert bce["_seconds"] == 20.25 and bce["_timestamp"] == _ts("2026-01-05T12:00:00")
    assert bce["meta"] == {"source": "labelstudio", "labelstudio_id": 2, "labelstudio_data": {"source": "afp"}}
    airbus = d["Airbus a liv"]
    assert airbus["_annotator_id"] == "1" and airbus["accept"] == ["DEALS"]
    assert d["Un texte que"]["answer"] == "ignore"  # every annotation cancelled
    assert "accept" not in d["Siemens Ener"]  # no choices result: themes not reviewed
    assert _spans(d["Siemens Ener"]) == [(0, 14, "ORG", "Siemens Energy"), (45, 48, "DATE", "mai")]
    lines = "\n".join(report.lines())
    assert "task 2: 2 other annotation(s) left out" in lines
    assert "result of type 'relation' left out" in lines
    assert "--format auto found in" in lines and "labelstudio (6 record(s))" in lines


def test_labelstudio_predictions_of_an_unannotated_task_become_its_pre_annotations(store):
    import_records(store, "ls", [FIXTURES / "project_export.json"], theme_names=THEMES)
    (task,) = list(store.iter_tasks("ls"))
    assert task["text"].startswith("Orange")
    spans = {(s["start"], s["end"], s["label"]): (s["source"], s["score"]) for s in task["spans"]}
    assert spans == {(0, 6, "ORG"): ("ner-v2", 0.87), (16, 35, "MONEY"): ("ner-v2", 0.64), (56, 60, "DATE"): ("ner-v2", 0.87)}
    assert task["cats"] == {"INFRASTRUCTURE": 1.0}
    assert task["meta"]["predictions"] == [{"model_version": "ner-v2", "score": 0.87}, {"model_version": "themes-v1", "score": 0.7}]


def test_labelstudio_utf16_offsets_are_converted_and_reported(store):
    report = import_records(store, "ls", [FIXTURES / "project_export.json"])
    nvidia = _decisions(store, "ls")["🚀 Nvidia gri"]
    assert _spans(nvidia) == [(2, 8, "ORG", "Nvidia"), (19, 22, "PERCENT", "8 %"), (25, 36, "ORG", "Wall Street")]
    notes = [n for n in report.notes if "UTF-16" in n]
    assert len(notes) == 3 and notes[0].startswith(f"{FIXTURES / 'project_export.json'}:289: span 3-9 ORG 'Nvidia'")


def test_labelstudio_json_min_is_read_as_label_studio_not_doccano(store):
    rec = json.loads((FIXTURES / "project_json_min.json").read_text(encoding="utf-8"))[0]
    task, answer, fmt = normalize_record(rec)
    assert fmt == "labelstudio" and answer == "accept"
    report = import_records(store, "min", [FIXTURES / "project_json_min.json"], theme_names=THEMES)
    assert (report.decisions, report.tasks, report.skipped) == (2, 1, [])
    d = _decisions(store, "min")
    assert d["Airbus a liv"]["accept"] == ["DEALS"]  # one choice: a bare string, a theme of labels/
    assert d["La Banque ce"]["accept"] == ["FINANCE", "MARKETS"]
    assert d["La Banque ce"]["_annotator_id"] == "alice@example.com"
    assert d["La Banque ce"]["meta"]["labelstudio_data"] == {"source": "afp"}  # a data field, not a theme


@pytest.mark.parametrize(
    ("value", "piece"),
    [
        ({"start": 4, "end": 10, "text": "Airbus", "labels": ["ORG"]}, "task 9 annotation 1: span 4-10 ORG 'Airbus' does not match the text at 4-10 ('n Airb')"),
        ({"start": 40, "end": 90, "text": "Airbus", "labels": ["ORG"]}, "task 9 annotation 1: span 40-90 ORG 'Airbus' falls outside the text (length 37)"),
        ({"start": "a", "end": 6, "labels": ["ORG"]}, "region start is 'a', not an integer"),
        ({"start": 0, "end": 6}, "has no value.start, value.end and value.labels"),
    ],
    ids=["shifted", "outside", "not-int", "no-labels"],
)
def test_labelstudio_bad_region_is_one_line_naming_file_line_and_span(tmp_path, capsys, value, piece):
    task = {"id": 9, "data": {"text": "Selon Airbus, la demande reste forte."},
            "annotations": [{"id": 1, "result": [{"id": "x", "from_name": "label", "to_name": "text", "type": "labels", "value": value}]}]}
    src = tmp_path / "ls.json"
    src.write_text(json.dumps([{"id": 8, "data": {"text": "ok"}, "annotations": []}, task], indent=1), encoding="utf-8")
    line = src.read_text(encoding="utf-8").splitlines().index(" {", 2) + 1
    code = main(["db-in", "x", str(src), "--db", str(tmp_path / "a.db"), "--strict"])
    _, err = capsys.readouterr()
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert f"{src}:{line}: " in err and piece in err and "Fix:" in err and "nothing was imported" in err


def test_labelstudio_predictions_exported_as_ids_are_left_out_with_a_note(store, tmp_path):
    src = tmp_path / "ls.json"
    src.write_text(json.dumps([{"id": 7, "data": {"text": "Orange recrute."}, "annotations": [], "predictions": [286]}]), encoding="utf-8")
    report = import_records(store, "ids", [src])
    assert (report.tasks, report.skipped) == (1, [])
    assert report.notes == [f"{src}:1: task 7: predictions given as ids, not results; left out"]


def test_labelstudio_unknown_import_format_is_a_usage_error(tmp_path):
    with pytest.raises(AnnotateError) as e:
        import_dataset("x", [str(FIXTURES / "project_export.json")], db=tmp_path / "a.db", fmt="labelbox")
    assert e.value.code == "E800" and e.value.exit_code == 2 and "labelstudio" in str(e.value)


def test_labelstudio_forced_format_reads_a_record_auto_would_give_doccano(store, tmp_path):
    src = tmp_path / "min.jsonl"
    src.write_text(json.dumps({"text": "Orange recrute.", "label": [{"start": 0, "end": 6, "text": "Orange", "labels": ["ORG"]}]}) + "\n", encoding="utf-8")
    report = import_records(store, "f", [src], fmt="labelstudio")
    assert report.formats == {"labelstudio": 1} and not report.auto and report.skipped == []
    assert "--format auto" not in "\n".join(report.lines())


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("Airbus vole.", {"start": 0, "end": 6, "text": "Airbus"}, (0, 6, None)),
        ("🚀 Airbus", {"start": 3, "end": 9, "text": "Airbus"}, (2, 8, "span 3-9  'Airbus' had UTF-16 offsets; converted to 2-8")),
        ("🚀 Airbus", {"start": 2, "end": 8}, (2, 8, None)),
    ],
    ids=["code-points", "utf16", "no-text"],
)
def test_offsets_check_span(text, span, expected):
    assert check_span(text, span) == expected


def test_offsets_utf16_inside_a_surrogate_pair_is_not_a_conversion():
    assert from_utf16("🚀 Airbus", 1, 8) is None
    with pytest.raises(BadRecord, match="does not match the text"):
        check_span("🚀 Airbus", {"start": 1, "end": 7, "text": "Airbus", "label": "ORG"})


# ---------------------------------------------------------------- round trip


def _our_dataset(store):
    """Reviewed decisions (themes reviewed or not, an empty theme list, UTF-16-sensitive text) and pending tasks."""
    texts = [
        ("Airbus livre 60 avions à Toulouse en mars.", [(0, 6, "ORG"), (37, 41, "DATE")], ["DEALS"], "alice", 1767600000),
        ("🚀 Nvidia gagne 8 % à Wall Street.", [(2, 8, "ORG"), (15, 18, "PERCENT"), (21, 32, "ORG")], [], "bob", 1767600100),
        ("La BCE maintient ses taux.", [(3, 6, "ORG")], None, "alice", 1767600200),
    ]
    for text, spans, accept, who, ts in texts:
        task = {"text": text, "meta": {"lang": "fr", "feed": "t"},
                "spans": [{"start": a, "end": b, "label": lab, "text": text[a:b], "source": "rules"} for a, b, lab in spans]}
        if accept is not None:
            task["accept"] = accept
        store.add_decision("news", task, answer="accept", annotator=who, session="s1", seconds=4.5, timestamp=ts)
    # inputs nobody accepted: a rejected suggestion, a skipped text
    rejected = "Le Monde titre sur la réforme."
    store.add_decision("news", {"text": rejected, "spans": [{"start": 0, "end": 8, "label": "ORG", "text": "Le Monde", "answer": "reject"}]},
                       answer="reject", annotator="bob", session="s1", seconds=2.0, timestamp=1767600300)
    store.add_decision("news", {"text": "Texte illisible.", "spans": []}, answer="ignore", annotator="alice", session="s1",
                       timestamp=1767600400)
    pending = "Orange investit 2 milliards d'euros dans la fibre."
    store.add_tasks("news", [{
        "text": pending, "meta": {"lang": "fr"},
        "spans": [{"start": 0, "end": 6, "label": "ORG", "text": "Orange", "source": "gazetteer", "score": 0.9},
                  {"start": 16, "end": 35, "label": "MONEY", "text": "2 milliards d'euros", "source": "rules"}],
        "cats": {"INFRASTRUCTURE": 0.8, "FINANCE": 0.2},
    }])


def _comparable(d):
    return (d["text"], _spans(d), d.get("accept"), d["answer"], d["_annotator_id"], d["_timestamp"], d.get("meta"), d["_task_hash"])


@pytest.mark.parametrize("fmt", ["labelstudio", "argilla"])
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_round_trip_every_span_label_theme_and_answer_intact(store, tmp_path, fmt, suffix):
    _our_dataset(store)
    before = sorted(_comparable(d) for d in store.iter_decisions("news"))
    out = tmp_path / f"news{suffix}"
    result = export_dataset("news", str(out), format=fmt, db=store.path)
    assert result.examples == 3
    side = tmp_path / ("news.config.xml" if fmt == "labelstudio" else "news.settings.json")
    assert side.exists() and str(side) in result.report.outputs
    back = import_dataset("back", [str(out)], db=tmp_path / "back.db")
    assert back.error() is None and back.report.formats == {fmt: 6}
    assert back.report.answers == {"accept": 3, "reject": 1, "ignore": 1}
    from annotate.store import Store

    with Store(tmp_path / "back.db", create=False) as again:
        after = sorted(_comparable(d) for d in again.iter_decisions("back"))
        (task,) = list(again.iter_tasks("back"))
    if fmt == "argilla":  # Argilla records no time: the import gives the time of import
        before = [b[:5] + b[6:] for b in before]
        after = [a[:5] + a[6:] for a in after]
    assert after == before
    assert {(s["start"], s["end"], s["label"], s["source"]) for s in task["spans"]} == {
        (0, 6, "ORG", "gazetteer"), (16, 35, "MONEY", "rules")}
    assert task["cats"] == ({"INFRASTRUCTURE": 1.0} if fmt == "labelstudio" else {"INFRASTRUCTURE": 0.8})


def test_labelstudio_export_of_tasks_only_and_to_stdout(store, tmp_path, capsys):
    store.add_tasks("todo", [{"text": "Orange recrute.", "spans": [{"start": 0, "end": 6, "label": "ORG", "source": "gazetteer"}]}])
    code = main(["export", "todo", "--format", "labelstudio", "-o", "-", "--db", str(store.path)])
    out, err = capsys.readouterr()
    assert code == 0
    (task,) = json.loads(out)
    assert "annotations" not in task and task["predictions"][0]["model_version"] == "gazetteer"
    assert "no labeling config written for stdout" in err


def test_labelstudio_export_refuses_an_output_that_is_not_json(store, tmp_path, capsys):
    _our_dataset(store)
    code = main(["export", "news", "--format", "labelstudio", "-o", str(tmp_path / "out.xml"), "--db", str(store.path)])
    _, err = capsys.readouterr()
    assert code == 2 and "[E801]" in err and not (tmp_path / "out.xml").exists()


# ---------------------------------------------------------------- Label Studio's own SDK


def test_labelstudio_export_loads_with_label_studios_sdk(store, tmp_path):
    sdk = pytest.importorskip("label_studio_sdk")
    from label_studio_sdk.converter import Converter
    from label_studio_sdk.label_interface import LabelInterface

    _our_dataset(store)
    out = tmp_path / "news.json"
    export_dataset("news", str(out), format="labelstudio", db=store.path)
    config = (tmp_path / "news.config.xml").read_text(encoding="utf-8")
    li = LabelInterface(config)
    li.validate()  # the config itself
    tasks = json.loads(out.read_text(encoding="utf-8"))
    data_keys = {obj.value_name for obj in li.objects}
    for t in tasks:
        assert data_keys <= set(t["data"])  # (validate_task itself fails on annotations in this SDK version)
        for a in t.get("annotations", []):
            assert li.validate_annotation(a), a
        for p in t.get("predictions", []):
            assert li.validate_prediction(p, return_errors=True) == [], p
    # the converter reads Label Studio's own export of the project (every task then has an id and an
    # annotations list): its JSON_MIN goes back into annotate with the same spans and themes
    exported = tmp_path / "as_exported.json"
    as_exported = [dict(t, id=i, annotations=t.get("annotations", [])) for i, t in enumerate(tasks, 1)]
    exported.write_text(json.dumps(as_exported, ensure_ascii=False), encoding="utf-8")
    Converter(config, str(tmp_path)).convert_to_json_min(str(exported), str(tmp_path / "min"), is_dir=False)
    back = import_dataset("min", [str(tmp_path / "min" / "result.json")], db=tmp_path / "min.db")
    # JSON_MIN leaves out cancelled annotations (the rejected and the ignored input), as Label Studio does
    assert back.report.formats == {"labelstudio": 4} and back.report.decisions == 3
    from annotate.store import Store

    with Store(tmp_path / "min.db", create=False) as again:
        got = sorted(_comparable(d)[:5] + _comparable(d)[6:] for d in again.iter_decisions("min"))
    want = sorted(_comparable(d)[:5] + _comparable(d)[6:] for d in store.iter_decisions("news") if d["answer"] == "accept")
    # data.annotate survives the converter: meta, hashes and annotator come back with the spans and themes
    assert got == want  # an empty theme list too: JSON_MIN writes {"choices": []}
    assert sdk.__name__ == "label_studio_sdk"


@pytest.mark.parametrize("fmt", ["labelstudio", "argilla"])
def test_export_config_offers_labels_and_themes_outside_labels_dir(store, tmp_path, fmt):
    text = "Le bitcoin dépasse 100 000 dollars."
    store.add_decision("x", {"text": text, "spans": [{"start": 3, "end": 10, "label": "PRODUCT"}], "accept": ["CRYPTO"]},
                       answer="reject", annotator="a", session="s")
    export_dataset("x", str(tmp_path / "x.json"), format=fmt, db=store.path)
    if fmt == "labelstudio":
        config = (tmp_path / "x.config.xml").read_text(encoding="utf-8")
        assert '<Label value="PRODUCT"/>' in config and '<Choice value="CRYPTO"/>' in config
        assert '<Label value="ORG" background="#7aecec"/>' in config
    else:
        settings = json.loads((tmp_path / "x.settings.json").read_text(encoding="utf-8"))
        options = {q["name"]: [o["value"] for o in q["settings"]["options"]] for q in settings["questions"]}
        assert "PRODUCT" in options["spans"] and "ORG" in options["spans"] and "CRYPTO" in options["themes"]
