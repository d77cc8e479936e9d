"""`annotate evaluate` on partial gold: per-record `labels`, `recall_only`, `alt`,
exact and overlap matching, error kinds, several files, JSON, bad input.

The scoring tests feed hand-made predictions to :func:`annotate.evaluation.score`
(no pipeline); the CLI tests at the end run the real pipeline on a few records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.evaluation import EvalResult, GoldSpan, match_exact, match_overlap, read_gold, score

# ---------------------------------------------------------------- helpers


def span(text: str, sub: str, label: str, *, nth: int = 0, alt: list[str] | None = None) -> dict[str, Any]:
    """A span over the ``nth`` occurrence of ``sub`` in ``text`` (offsets computed, not typed)."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    out: dict[str, Any] = {"start": start, "end": start + len(sub), "label": label, "text": sub}
    if alt:
        out["alt"] = []
        for a in alt:
            s = text.index(a, max(0, start - len(a)))
            out["alt"].append({"start": s, "end": s + len(a), "text": a})
    return out


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def run_score(tmp_path: Path, labels, files: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]]) -> EvalResult:
    """Score hand-made predictions: ``files`` maps a file name to (gold record, predicted spans) pairs."""
    paths, preds = [], []
    for name, pairs in files.items():
        paths.append(write_jsonl(tmp_path / name, [g for g, _ in pairs]))
        preds.extend({"spans": p, "cats": {}} for _, p in pairs)
    return score(read_gold(paths, labels), preds, labels)


def counts(prf) -> tuple[int, int, int]:  # noqa: ANN001
    return prf.tp, prf.fp, prf.fn


TEXT = "Globex a levé 30 millions d’euros le 4 mars 2024, selon la Banque de France."


# ---------------------------------------------------------------- labels: partial gold


def test_scoring_labels_ignore_other_labels(tmp_path, labels):
    gold = {"text": TEXT, "labels": ["MONEY"], "spans": [span(TEXT, "30 millions d’euros", "MONEY")]}
    preds = [span(TEXT, "30 millions d’euros", "MONEY"), span(TEXT, "Globex", "ORG"), span(TEXT, "4 mars 2024", "DATE")]
    res = run_score(tmp_path, labels, {"g.jsonl": [(gold, preds)]})
    assert list(res.exact.labels) == ["MONEY"]
    assert counts(res.labels["MONEY"]) == (1, 0, 0)
    assert res.errors == []  # the ORG and DATE predictions count nowhere


def test_scoring_labels_missing_span_of_scored_label_is_missed(tmp_path, labels):
    gold = {"text": TEXT, "labels": ["ORG"], "spans": [span(TEXT, "Globex", "ORG"), span(TEXT, "Banque de France", "ORG")]}
    preds = [span(TEXT, "Globex", "ORG"), span(TEXT, "30 millions d’euros", "MONEY")]
    res = run_score(tmp_path, labels, {"g.jsonl": [(gold, preds)]})
    assert counts(res.labels["ORG"]) == (1, 0, 1)
    assert [(e.kind, e.label) for e in res.errors] == [("missed", "ORG")]


@pytest.mark.parametrize(
    ("preds", "expected"),
    [
        pytest.param([], (0, 0, 0), id="nothing-predicted"),
        pytest.param([{"start": 0, "end": 6, "label": "ORG"}], (0, 1, 0), id="org-predicted-is-wrong"),
        pytest.param([{"start": 37, "end": 48, "label": "DATE"}], (0, 0, 0), id="other-label-ignored"),
    ],
)
def test_scoring_negative_record(tmp_path, labels, preds, expected):
    gold = {"text": TEXT, "labels": ["ORG"]}  # no spans: a negative for ORG
    res = run_score(tmp_path, labels, {"neg.jsonl": [(gold, preds)]})
    assert counts(res.labels["ORG"]) == expected
    assert res.labels["ORG"].docs == 1
    assert [e.kind for e in res.errors] == (["spurious"] if expected[1] else [])


def test_scoring_plain_records_score_every_label(tmp_path, labels):
    gold = {"text": TEXT, "spans": [span(TEXT, "Globex", "ORG")]}
    res = run_score(tmp_path, labels, {"g.jsonl": [(gold, [span(TEXT, "4 mars 2024", "DATE")])]})
    assert list(res.labels) == labels.entity_names
    assert counts(res.labels["ORG"]) == (0, 0, 1)
    assert counts(res.labels["DATE"]) == (0, 1, 0)


# ---------------------------------------------------------------- recall_only


def test_scoring_recall_only_counts_no_false_positive(tmp_path, labels):
    text = "We met on Monday and again on 3 May, for two weeks in all."
    gold = {"text": text, "labels": [], "recall_only": ["DATE"],
            "spans": [span(text, "3 May", "DATE"), span(text, "two weeks", "DATE")]}
    preds = [span(text, "3 May", "DATE"), span(text, "Monday", "DATE")]  # Monday: maybe right, not a false positive
    res = run_score(tmp_path, labels, {"ro.jsonl": [(gold, preds)]})
    ro = res.exact.recall_only["DATE"]
    assert (ro.tp, ro.fn) == (1, 1) and ro.recall == 0.5
    assert ro.precision is None and ro.f1 is None
    assert res.exact.labels == {}  # nothing scored completely
    assert [(e.kind, e.gold["text"]) for e in res.errors] == [("missed", "two weeks")]
    d = ro.as_dict()
    assert d["p"] is None and d["f1"] is None and d["fp"] is None and d["r"] == 0.5


def test_scoring_recall_only_without_labels_scores_the_other_labels(tmp_path, labels):
    text = "Initech said on Monday that sales rose."
    gold = {"text": text, "recall_only": ["DATE"], "spans": []}
    res = run_score(tmp_path, labels, {"ro.jsonl": [(gold, [span(text, "Initech", "ORG"), span(text, "Monday", "DATE")])]})
    assert counts(res.labels["ORG"]) == (0, 1, 0)
    assert "DATE" not in res.labels and counts(res.exact.recall_only["DATE"]) == (0, 0, 0)


# ---------------------------------------------------------------- alt


ALT_TEXT = "Le conseil se réunira le 4 mars 2024 à Lyon."


@pytest.mark.parametrize(
    ("pred", "exact", "overlap", "kinds"),
    [
        pytest.param(("le 4 mars 2024", "DATE"), (1, 0, 0), (1, 0, 0), [], id="own-offsets"),
        pytest.param(("4 mars 2024", "DATE"), (1, 0, 0), (1, 0, 0), [], id="alt-offsets"),
        pytest.param(("mars 2024", "DATE"), (0, 1, 1), (1, 0, 0), ["boundary"], id="neither-but-overlapping"),
        pytest.param(("4 mars 2024", "MONEY"), (0, 0, 1), (0, 0, 1), ["label"], id="alt-offsets-other-label"),
    ],
)
def test_scoring_alt_matching(tmp_path, labels, pred, exact, overlap, kinds):
    gold = {"text": ALT_TEXT, "spans": [span(ALT_TEXT, "le 4 mars 2024", "DATE", alt=["4 mars 2024"])]}
    res = run_score(tmp_path, labels, {"alt.jsonl": [(gold, [span(ALT_TEXT, *pred)])]})
    assert counts(res.exact.labels["DATE"]) == exact
    assert counts(res.overlap.labels["DATE"]) == overlap
    assert [e.kind for e in res.errors] == kinds


def test_scoring_alt_own_offsets_are_matched_before_alts():
    # gold A reads "le 4 mars" or "4 mars"; gold B is "4 mars" itself: the one prediction goes to B
    a = GoldSpan(0, 9, "DATE", alts=((3, 9),))
    b = GoldSpan(3, 9, "DATE")
    assert match_exact([a, b], [(3, 9, "DATE")]) == {1: 0}


# ---------------------------------------------------------------- overlap vs exact


OV_TEXT = "Revenue rose 12.5 % to 40 million dollars in 2024."


@pytest.mark.parametrize(
    ("gold_sub", "pred", "exact", "overlap"),
    [
        pytest.param("40 million dollars", ("to 40", "MONEY"), (0, 1, 1), (1, 0, 0), id="shares-characters"),
        pytest.param("40 million dollars", ("dollars in", "MONEY"), (0, 1, 1), (1, 0, 0), id="shares-a-tail"),
        pytest.param("40 million dollars", ("to", "MONEY"), (0, 1, 1), (0, 1, 1), id="touching-no-shared-character"),
        pytest.param("12.5 %", ("12.5 %", "MONEY"), (0, 0, 1), (0, 0, 1), id="other-label-never-matches"),
        pytest.param("40 million dollars", ("40 million dollars", "MONEY"), (1, 0, 0), (1, 0, 0), id="exact-is-also-overlap"),
    ],
)
def test_scoring_overlap_vs_exact(tmp_path, labels, gold_sub, pred, exact, overlap):
    label = "PERCENT" if "%" in gold_sub else "MONEY"
    gold = {"text": OV_TEXT, "labels": [label], "spans": [span(OV_TEXT, gold_sub, label)]}
    res = run_score(tmp_path, labels, {"ov.jsonl": [(gold, [span(OV_TEXT, *pred)])]})
    assert counts(res.exact.labels[label]) == exact
    assert counts(res.overlap.labels[label]) == overlap


def test_scoring_overlap_is_one_to_one_and_prefers_more_shared_characters():
    g1, g2 = GoldSpan(0, 10, "DATE"), GoldSpan(15, 25, "DATE")
    # one prediction over both gold spans matches one of them only
    assert len(match_overlap([g1, g2], [(0, 25, "DATE")])) == 1
    # two predictions over one gold span: the one sharing more characters wins
    assert match_overlap([g1], [(8, 12, "DATE"), (2, 12, "DATE")]) == {0: 1}
    # exact pairs are kept first even when another prediction shares as much
    assert match_overlap([g1, g2], [(0, 10, "DATE"), (0, 25, "DATE")]) == {0: 0, 1: 1}


# ---------------------------------------------------------------- error kinds


ERR_TEXT = "Hooli a racheté Pied Piper pour 12 millions d’euros."


@pytest.mark.parametrize(
    ("gold_spans", "pred_spans", "expected"),
    [
        pytest.param([("Pied Piper", "ORG")], [], [("missed", "ORG")], id="missed"),
        pytest.param([], [("Hooli", "ORG")], [("spurious", "ORG")], id="spurious"),
        pytest.param([("Pied Piper", "ORG")], [("Piper", "ORG")], [("boundary", "ORG")], id="boundary"),
        pytest.param([("12 millions d’euros", "MONEY")], [("12 millions d’euros", "PERCENT")], [("label", "MONEY")], id="label-same-offsets"),
        pytest.param([("12 millions d’euros", "MONEY")], [("12 millions", "DATE")], [("label", "MONEY")], id="label-overlapping"),
        pytest.param(
            [("Pied Piper", "ORG")], [("Pied", "ORG"), ("Pied Piper", "DATE")], [("boundary", "ORG"), ("spurious", "DATE")],
            id="boundary-preferred-to-label",
        ),
    ],
)
def test_scoring_error_kinds(tmp_path, labels, gold_spans, pred_spans, expected):
    gold = {"text": ERR_TEXT, "spans": [span(ERR_TEXT, s, lab) for s, lab in gold_spans]}
    res = run_score(tmp_path, labels, {"err.jsonl": [(gold, [span(ERR_TEXT, s, lab) for s, lab in pred_spans])]})
    assert [(e.kind, e.label) for e in res.errors] == expected
    # every false negative and false positive is in exactly one error
    for label, prf in res.labels.items():
        c = res.error_counts().get(label, dict.fromkeys(("missed", "spurious", "boundary", "label"), 0))
        assert prf.fn == c["missed"] + c["boundary"] + c["label"]
        paired = sum(1 for e in res.errors if e.pred and e.pred["label"] == label and e.kind in ("boundary", "label"))
        assert prf.fp == c["spurious"] + paired


# ---------------------------------------------------------------- several files, themes, JSON


def test_scoring_several_files_rows_and_total(tmp_path, labels):
    t1 = "Umbrella a gagné 5 %."
    t2 = "Vought a perdu 3 millions d’euros."
    res = run_score(tmp_path, labels, {
        "one.jsonl": [({"text": t1, "labels": ["PERCENT"], "spans": [span(t1, "5 %", "PERCENT")]}, [span(t1, "5 %", "PERCENT")])],
        "two.jsonl": [
            ({"text": t2, "labels": ["MONEY", "PERCENT"], "spans": [span(t2, "3 millions d’euros", "MONEY")]}, [span(t2, "3 millions", "MONEY")]),
            ({"text": t1, "labels": ["PERCENT"]}, [span(t1, "5 %", "PERCENT")]),
        ],
    })
    assert [Path(f.name).name for f in res.files] == ["one.jsonl", "two.jsonl"]
    one, two = res.files
    assert list(one.labels) == ["PERCENT"] and counts(one.labels["PERCENT"]) == (1, 0, 0)
    assert counts(two.labels["MONEY"]) == (0, 1, 1) and counts(two.overlap.labels["MONEY"]) == (1, 0, 0)
    assert counts(two.labels["PERCENT"]) == (0, 1, 0) and two.labels["PERCENT"].docs == 2
    assert res.n_docs == 3
    assert counts(res.labels["PERCENT"]) == (1, 1, 0) and res.labels["PERCENT"].docs == 3
    assert list(res.labels) == ["MONEY", "PERCENT"]  # the label set's order
    assert {e.file for e in res.errors} == {str(tmp_path / "two.jsonl")}


def test_scoring_themes_only_on_records_with_cats(tmp_path, labels):
    t = "Nvidia et OpenAI signent un accord."
    write_jsonl(tmp_path / "g.jsonl", [{"text": t, "cats": {"AI": 1}}, {"text": t}])
    files = read_gold([tmp_path / "g.jsonl"], labels)
    preds = [{"spans": [], "cats": {"AI": 0.9, "DEALS": 0.9}}, {"spans": [], "cats": {"AI": 0.9, "DEALS": 0.9}}]
    res = score(files, preds, labels)
    assert res.n_theme_docs == 1
    assert counts(res.themes["AI"]) == (1, 0, 0) and counts(res.themes["DEALS"]) == (0, 1, 0)
    # a file whose records have no cats scores no theme
    write_jsonl(tmp_path / "h.jsonl", [{"text": t, "labels": ["ORG"]}])
    res = score(read_gold([tmp_path / "h.jsonl"], labels), preds[:1], labels)
    assert res.themes == {} and res.n_theme_docs == 0


def test_scoring_json_shape(tmp_path, labels):
    t = "Wayne Enterprises a gagné 5 % le 2 mai."
    res = run_score(tmp_path, labels, {
        "a.jsonl": [({"text": t, "labels": ["PERCENT"], "spans": [span(t, "5 %", "PERCENT")]}, [span(t, "5 %", "PERCENT")])],
        "b.jsonl": [({"text": t, "labels": [], "recall_only": ["DATE"], "spans": [span(t, "le 2 mai", "DATE")]}, [span(t, "2 mai", "DATE")])],
    })
    d = json.loads(json.dumps(res.as_dict()))
    assert {"n_docs", "entities", "entities_micro", "recall_only", "overlap", "themes", "themes_micro", "n_theme_docs",
            "error_counts", "errors", "theme_errors", "files"} <= set(d)
    assert set(d["overlap"]) == {"entities", "entities_micro", "recall_only"}
    assert set(d["entities"]["PERCENT"]) == {"p", "r", "f1", "tp", "fp", "fn", "docs"}
    assert set(d["entities_micro"]) == {"p", "r", "f1", "tp", "fp", "fn"}
    assert d["recall_only"]["DATE"]["p"] is None and d["overlap"]["recall_only"]["DATE"]["tp"] == 1
    assert [Path(f["file"]).name for f in d["files"]] == ["a.jsonl", "b.jsonl"]
    assert "errors" not in d["files"][0] and d["files"][1]["error_counts"] == {"DATE": {"missed": 0, "spurious": 0, "boundary": 1, "label": 0}}
    assert d["errors"][0]["kind"] == "boundary" and d["errors"][0]["file"].endswith("b.jsonl") and d["errors"][0]["label"] == "DATE"


# ---------------------------------------------------------------- backward compatibility


def _old_scores(gold_records: list[dict[str, Any]], tasks: list[dict[str, Any]], labels, threshold: float) -> dict[str, Any]:
    """The scorer before partial gold (exact match on every label, themes on every record), for comparison."""
    ents = {n: [0, 0, 0] for n in labels.entity_names}
    themes = {n: [0, 0, 0] for n in labels.theme_names}
    for rec, task in zip(gold_records, tasks):
        key = lambda s: (int(s["start"]), int(s["end"]), s["label"])  # noqa: E731
        gold = {key(s) for s in rec.get("spans", []) if s["label"] in ents}
        pred = {key(s) for s in task["spans"] if s["label"] in ents}
        for k in gold & pred:
            ents[k[2]][0] += 1
        for k in pred - gold:
            ents[k[2]][1] += 1
        for k in gold - pred:
            ents[k[2]][2] += 1
        for th in themes:
            g = float((rec.get("cats") or {}).get(th, 0.0)) >= 0.5
            p = float(task["cats"].get(th, 0.0)) >= threshold
            themes[th][0 if g and p else 1 if p else 2 if g else 0] += 1 if (g or p) else 0
    return {"entities": ents, "themes": themes}


def _new_scores(res: EvalResult) -> dict[str, Any]:
    return {"entities": {k: list(counts(v)) for k, v in res.labels.items()}, "themes": {k: list(counts(v)) for k, v in res.themes.items()}}


def test_scoring_dev_gold_same_counts_as_before_on_imperfect_predictions(dev_gold, dev_gold_path, labels):
    """The dev gold is scored perfectly by the pipeline; shift, drop, relabel and add spans to test every count."""
    tasks = []
    for i, rec in enumerate(dev_gold):
        spans = []
        for j, s in enumerate(rec["spans"]):
            n = i + j
            if n % 5 == 0:
                continue  # dropped
            s = dict(s)
            if n % 3 == 0:
                s["end"] -= 1  # boundary
            elif n % 7 == 0:
                s["label"] = "DATE" if s["label"] != "DATE" else "MONEY"
            spans.append(s)
        if i % 4 == 0:
            spans.append({"start": 0, "end": 2, "label": "ORG"})
        cats = {k: (0.7 if (v >= 0.5) != (i % 6 == 0) else 0.1) for k, v in rec["cats"].items()}
        tasks.append({"spans": spans, "cats": cats})
    res = score(read_gold([dev_gold_path], labels), tasks, labels)
    old = _old_scores(dev_gold, tasks, labels, labels.taxonomy.settings.threshold)
    assert _new_scores(res) == old
    assert res.n_docs == len(dev_gold) == res.n_theme_docs
    assert all(res.labels[k].fp + res.labels[k].fn for k in res.labels)  # every label had errors to count


def test_cli_evaluate_dev_gold_same_figures_as_before(dev_gold, dev_gold_path, labels, capsys):
    from annotate.evaluation import evaluate
    from annotate.io import read_records
    from annotate.pipeline.pre import pre_annotate

    tasks = list(pre_annotate(read_records([dev_gold_path])))
    expected = _old_scores(dev_gold, tasks, labels, labels.taxonomy.settings.threshold)
    assert _new_scores(evaluate(dev_gold_path)) == expected
    assert main(["evaluate", str(dev_gold_path), "--json", "-q"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {k: [v["tp"], v["fp"], v["fn"]] for k, v in d["entities"].items()} == expected["entities"]
    assert {k: [v["tp"], v["fp"], v["fn"]] for k, v in d["themes"].items()} == expected["themes"]


# ---------------------------------------------------------------- bad input


GOOD = {"text": "Acme a gagné 5 %.", "labels": ["PERCENT"], "spans": [{"start": 13, "end": 16, "label": "PERCENT", "text": "5 %"}]}


def _bad_span(**kw: Any) -> dict[str, Any]:
    return {**GOOD, "spans": [{**GOOD["spans"][0], **kw}]}


BAD = [
    pytest.param('{"text": "x", ', "E010", "invalid JSON", id="invalid-json"),
    pytest.param(_bad_span(end=40), "E031", "outside the text", id="span-out-of-range"),
    pytest.param(_bad_span(text="5%"), "E500", "span text '5%' is not the text at 13-16", id="span-text-mismatch"),
    pytest.param({**GOOD, "labels": ["PERCENTS"]}, "E502", "did you mean 'PERCENT'", id="unknown-label-in-labels"),
    pytest.param({**GOOD, "labels": "PERCENT"}, "E501", "not a list of label names", id="labels-not-a-list"),
    pytest.param({**GOOD, "labels": [], "recall_only": ["DAT"]}, "E504", "did you mean 'DATE'", id="unknown-label-in-recall-only"),
    pytest.param({**GOOD, "recall_only": "DATE"}, "E503", "not a list of label names", id="recall-only-not-a-list"),
    pytest.param({**GOOD, "recall_only": ["PERCENT"]}, "E505", "both in 'labels' and in 'recall_only'", id="label-in-both"),
    pytest.param({**GOOD, "labels": ["ORG"]}, "E506", "does not score PERCENT", id="span-of-unscored-label"),
    pytest.param(_bad_span(alt={"start": 13, "end": 14}), "E507", '"alt" of span 1', id="alt-not-a-list"),
    pytest.param(_bad_span(alt=[{"start": "13"}]), "E513", "no integer start/end", id="alt-without-offsets"),
    pytest.param(_bad_span(alt=[{"start": 13, "end": 99}]), "E508", "outside the text", id="alt-out-of-range"),
    pytest.param(_bad_span(alt=[{"start": 0, "end": 4}]), "E514", "does not overlap its span", id="alt-not-overlapping"),
    pytest.param(_bad_span(alt=[{"start": 13, "end": 14, "text": "5 %"}]), "E509", "alt text '5 %'", id="alt-text-mismatch"),
    pytest.param({**GOOD, "cats": {"AI": "yes"}}, "E512", "non-numeric", id="cats-not-a-number"),
]


@pytest.mark.parametrize(("bad", "code", "message"), BAD)
def test_cli_evaluate_bad_gold_one_line(tmp_path, capsys, bad, code, message):
    path = tmp_path / "gold.jsonl"
    bad_line = bad if isinstance(bad, str) else json.dumps(bad, ensure_ascii=False)
    path.write_text(json.dumps(GOOD) + "\n" + bad_line + "\n", encoding="utf-8")
    assert main(["evaluate", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"[{code}] {path}:2:" in err and message in err and "Fix:" in err
    with pytest.raises(AnnotateError):
        from annotate.labels import load_labels

        read_gold([path], load_labels())


def _bad_path(tmp_path: Path, kind: str) -> Path:
    if kind == "folder-without-jsonl":
        (tmp_path / "notes.md").write_text("not gold", encoding="utf-8")
        return tmp_path
    if kind == "txt-file":
        (tmp_path / "gold.txt").write_text("Acme a gagné 5 %.", encoding="utf-8")
        return tmp_path / "gold.txt"
    if kind == "empty-file":
        (tmp_path / "gold.jsonl").write_text("\n", encoding="utf-8")
        return tmp_path / "gold.jsonl"
    return tmp_path / "missing.jsonl"


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        pytest.param("folder-without-jsonl", "E511", "no .jsonl gold file", id="folder-without-jsonl"),
        pytest.param("txt-file", "E510", "must be JSONL", id="txt-file"),
        pytest.param("empty-file", "E014", "no record", id="empty-file"),
        pytest.param("missing-file", "E004", "no such file", id="missing-file"),
    ],
)
def test_cli_evaluate_bad_gold_paths(tmp_path, capsys, kind, code, message):
    target = _bad_path(tmp_path, kind)
    assert main(["evaluate", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"[{code}] {target}" in err and message in err and "Fix:" in err


def test_gold_folder_reads_jsonl_files_sorted(tmp_path, labels):
    for name in ("b.jsonl", "a.jsonl", ".hidden.jsonl"):
        write_jsonl(tmp_path / name, [{"text": name}])
    (tmp_path / "README.md").write_text("not gold")
    files = read_gold([tmp_path, tmp_path / "a.jsonl"], labels)  # a file named twice is read once
    assert [Path(f.path).name for f in files] == ["a.jsonl", "b.jsonl"]


# ---------------------------------------------------------------- the CLI, real pipeline


FR = "Globex a levé 30 millions d’euros le 4 mars 2024."
EN = "Initech raised $5 million on Tuesday, up 8% from last year."


@pytest.fixture()
def gold_folder(tmp_path: Path) -> Path:
    d = tmp_path / "gold"
    d.mkdir()
    # the languages alternate from file to file; predictions must come back to the right records
    write_jsonl(d / "a_en.jsonl", [{"id": "a1", "lang": "en", "text": EN, "labels": ["MONEY"], "spans": [span(EN, "$5 million", "MONEY")]}])
    write_jsonl(d / "b_fr.jsonl", [
        {"id": "b1", "lang": "fr", "text": FR, "labels": ["DATE"], "spans": [span(FR, "le 4 mars 2024", "DATE", alt=["4 mars 2024"])]},
        {"id": "b2", "lang": "fr", "text": "Il pleuvait sur la ville.", "labels": ["DATE"], "spans": []},
    ])
    write_jsonl(d / "c_en.jsonl", [
        {"id": "c1", "lang": "en", "text": EN, "labels": [], "recall_only": ["DATE"],
         "spans": [span(EN, "Tuesday", "DATE"), span(EN, "from last year", "DATE")]},
    ])
    return d


def test_cli_evaluate_folder_rows_per_file_and_total(gold_folder, capsys):
    assert main(["evaluate", str(gold_folder), "--errors", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 documents in 3 files")
    rows: dict[str, list[str]] = {}
    for line in out.splitlines():  # the first row of each name: its label's table (the micro table comes last)
        if line.split():
            rows.setdefault(line.split()[0], line.split())
    assert rows["a_en"][:8] == ["a_en", "1", "1.000", "1.000", "1.000", "1", "0", "0"]  # MONEY
    assert "b_fr" in rows and "c_en" in rows and "total" in rows
    assert "DATE: missed 0, spurious 0, boundary 1, label 0" in out
    assert "c_en  c1" in out and "'from last year'" in out


def test_cli_evaluate_json_per_file(gold_folder, capsys):
    assert main(["evaluate", str(gold_folder / "b_fr.jsonl"), str(gold_folder / "a_en.jsonl"), str(gold_folder / "c_en.jsonl"), "--json", "-q"]) == 0
    d = json.loads(capsys.readouterr().out)
    a_en, b_fr, c_en = (f for f in sorted(d["files"], key=lambda f: f["file"]))
    assert [Path(f["file"]).name for f in d["files"]] == ["b_fr.jsonl", "a_en.jsonl", "c_en.jsonl"]  # the order given
    assert list(a_en["entities"]) == ["MONEY"] and a_en["entities"]["MONEY"]["tp"] == 1
    assert b_fr["entities"]["DATE"] == {"p": 1.0, "r": 1.0, "f1": 1.0, "tp": 1, "fp": 0, "fn": 0, "docs": 2}  # alt, negative
    assert c_en["entities"] == {} and c_en["recall_only"]["DATE"]["tp"] == 1 and c_en["recall_only"]["DATE"]["fn"] == 1
    assert c_en["overlap"]["recall_only"]["DATE"]["tp"] == 2
    assert d["n_docs"] == 4 and d["themes"] == {} and d["n_theme_docs"] == 0
    assert d["entities"]["DATE"]["docs"] == 2 and d["recall_only"]["DATE"]["docs"] == 1
