"""`annotate train` on small data (a step budget of a few steps), the trained model beside the rules, its policy."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest
import spacy
from spacy.tokens import Span

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.pipeline.trained import ModelPolicy, load_policy, merge_into, usable
from annotate.store import Store
from annotate.tasks import set_hashes, tokens_of
from annotate.training.train import train_model

_FR = spacy.blank("fr")
COMPANIES = ["Airbus", "Renault", "Orange", "Danone", "Safran", "Thales", "Engie", "Sanofi"]


def _task(i):
    name = COMPANIES[i % len(COMPANIES)]
    text = f"{name} annonce {i + 2} milliards d'euros de ventes en 2024, selon la direction."
    doc = _FR.make_doc(text)
    spans = [{"start": 0, "end": len(name), "label": "ORG", "answer": "accept"}]
    return set_hashes({"text": text, "tokens": tokens_of(doc), "meta": {"lang": "fr"}, "spans": spans,
                       "accept": ["FINANCE"] if i % 2 else ["DEALS"]})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("train") / "t.db"
    with Store(path) as s:
        for i in range(24):
            s.add_decision("news", _task(i), answer="accept", annotator="a", session="s")
    return path


@pytest.fixture(scope="module")
def trained(db, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "news"
    result = train_model(["news"], out, db=db, max_steps=6, base_model="none", seed=1)
    return out, result


def test_train_end_to_end_scores_model_and_rules_into_meta(trained):
    out, result = trained
    meta = json.loads((out / "meta.json").read_text())
    block = meta["annotate"]
    assert meta["name"] == "news" and meta["version"] == "0.1.0"
    assert block["labels"] == ["ORG"] and set(block["themes"]) == {"DEALS", "FINANCE"}
    assert block["n_train"] + block["n_heldout"] == 24 and block["n_heldout"] >= 2 and block["steps"] == 6
    for who in ("model", "rules", "combined"):
        assert set(block["heldout"][who]["labels"]) == {"ORG"} if who != "combined" else True
        assert {"p", "r", "f", "n"} <= set(result.heldout[who]["labels"]["ORG"])
    text = "\n".join(result.lines())
    assert "model P/R/F1" in text and "rules P/R/F1" in text and "label ORG" in text


def test_train_model_loads_in_a_fresh_process_without_annotate(trained):
    out, _ = trained
    code = ("import spacy; nlp = spacy.load(%r); d = nlp('Airbus vend.');"
            " print(sorted(nlp.pipe_names), sorted(d.cats))") % str(out)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert "'ner'" in proc.stdout and "'textcat_multilabel'" in proc.stdout and "FINANCE" in proc.stdout


def test_train_refuses_to_replace_a_folder_and_bad_budget(trained, db, tmp_path):
    out, _ = trained
    with pytest.raises(AnnotateError) as e:
        train_model(["news"], out, db=db, max_steps=2, base_model="none")
    assert e.value.code == "E600"
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "notes.txt").write_text("mine")
    with pytest.raises(AnnotateError) as e:
        train_model(["news"], tmp_path / "keep", db=db, max_steps=2, base_model="none", force=True)
    assert e.value.code == "E600" and (tmp_path / "keep" / "notes.txt").exists()  # never replaces a non-model
    assert main(["train", "news", "-o", str(tmp_path / "m"), "--db", str(db), "--max-minutes", "0"]) == 2


def test_train_curve_trains_on_growing_shares(db, tmp_path):
    result = train_model(["news"], tmp_path / "c", db=db, max_steps=3, base_model="none", curve=True)
    assert [p["fraction"] for p in result.curve] == [0.25, 0.5, 0.75, 1.0]
    ns = [p["n_train"] for p in result.curve]
    assert ns == sorted(ns) and ns[-1] == result.n_train and ns[0] < ns[-1]
    assert all("ORG" in p["labels"] for p in result.curve)
    assert "learning curve" in "\n".join(result.lines())


def test_train_time_budget_stops_spacys_loop(db, tmp_path):
    result = train_model(["news"], tmp_path / "t", db=db, max_steps=10**6, max_minutes=0.05, base_model="none")
    assert result.stopped == "time budget" and 0 < result.steps < 10**6
    assert (tmp_path / "t" / "meta.json").is_file()


def _stub(labels, themes=(), policy=None):
    return SimpleNamespace(_labels=frozenset(labels), themes=list(themes), policy=policy or load_policy(),
                           source="model:m@1", name="m", version="1")


def _doc(text, ents, cats=None):
    doc = _FR.make_doc(text)
    doc.ents = [Span(doc, a, b, label=lab) for a, b, lab in ents]
    doc.cats = cats or {}
    return doc


@pytest.mark.parametrize(
    ("rule", "model_ent", "want"),
    [
        (("DATE", 0, 1), ("DATE", 0, 2), [("DATE", "rules")]),  # rules own DATE shapes
        (("ORG", 0, 1), ("ORG", 0, 2), [("ORG", "model:m@1")]),  # the model wins ORG overlaps (default)
        (None, ("ORG", 0, 2), [("ORG", "model:m@1")]),  # the model adds what the rules miss
        (("ORG", 0, 1), ("DATE", 0, 2), [("ORG", "rules")]),  # model DATE not used (dropped label)
    ],
    ids=["rules-own-date", "model-wins-org", "model-adds", "label-not-used"],
)
def test_train_policy_merge(rule, model_ent, want):
    text = "Crédit Agricole gagne."
    doc = _doc(text, [(model_ent[1], model_ent[2], model_ent[0])], {"FINANCE": 0.9})
    spans = []
    if rule:
        d = _FR.make_doc(text)
        sp = d[rule[1]:rule[2]]
        spans = [{"start": sp.start_char, "end": sp.end_char, "label": rule[0], "source": "rules"}]
    task = {"text": text, "spans": spans, "cats": {"FINANCE": 0.1}, "meta": {"lang": "fr"}}
    used = {"ORG"} | ({"DATE"} if rule is None or rule[0] == "DATE" else set())
    merge_into(task, doc, _stub(used, ["FINANCE"]))
    assert [(s["label"], s["source"]) for s in task["spans"]] == want
    assert task["cats"]["FINANCE"] == 0.9 and task["meta"]["trained_model"] == "m"


def test_train_model_worse_than_rules_drops_the_label():
    heldout = {"model": {"labels": {"ORG": {"f": 0.8, "n": 5}, "DATE": {"f": 0.3, "n": 5}, "MONEY": {"f": 0.0, "n": 0}}},
               "rules": {"labels": {"ORG": {"f": 0.6, "n": 5}, "DATE": {"f": 0.9, "n": 5}, "MONEY": {"f": 0.0, "n": 0}}}}
    used, dropped = usable(heldout, "labels")
    assert used == ["ORG"] and list(dropped) == ["DATE", "MONEY"] and "0.30 < rules F1 0.90" in dropped["DATE"]
    assert "0 held-out example(s), fewer than 5" in dropped["MONEY"]


def test_train_pre_with_a_worse_model_says_so_and_keeps_the_rules(trained, tmp_path, capsys):
    """A model whose held-out scores are below the rules' adds nothing, and the output says which labels."""
    out, _ = trained
    meta = json.loads((out / "meta.json").read_text())
    worse = tmp_path / "worse"
    import shutil

    shutil.copytree(out, worse)
    for kind in ("labels", "themes"):
        for who in ("model", "combined"):
            for v in meta["annotate"]["heldout"][who][kind].values():
                v.update(f=0.0, n=max(5, v["n"]))
        for v in meta["annotate"]["heldout"]["rules"][kind].values():
            v.update(f=1.0)
    (worse / "meta.json").write_text(json.dumps(meta))
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "Airbus annonce 3 milliards d'euros de ventes en 2024.", "lang": "fr"}) + "\n")
    for name, model in (("rules", None), ("model", worse)):
        args = ["pre", str(src), "-o", str(tmp_path / f"{name}.jsonl"), "-q"] + (["--model", str(model)] if model else [])
        assert main(args) == 0
    err = capsys.readouterr().err
    assert "label ORG not used (model F1 0.00 < rules F1 1.00" in err
    a, b = (json.loads((tmp_path / f"{n}.jsonl").read_text()) for n in ("rules", "model"))
    assert a["spans"] == b["spans"] and b["meta"]["trained_model"] == "news" and b["meta"]["model_themes"] == []


def test_train_policy_file_is_validated(tmp_path, root):
    import shutil

    labels = tmp_path / "labels"
    shutil.copytree(root / "labels", labels)
    assert load_policy(labels).of("MONEY").wins == "rules" and load_policy(labels).of("ORG").wins == "model"
    (labels / "model_policy.toml").write_text('[label.ORGG]\nwins = "rules"\n')
    with pytest.raises(AnnotateError) as e:
        load_policy(labels)
    assert e.value.code == "E610" and "ORG" in str(e.value)
    (labels / "model_policy.toml").write_text('[label.ORG]\nwins = "both"\n')
    with pytest.raises(AnnotateError) as e:
        load_policy(labels)
    assert e.value.code == "E101"
    assert isinstance(ModelPolicy().of("X").model_adds, bool)


@pytest.fixture(scope="module")
def model(trained):
    from annotate.pipeline.trained import TrainedModel

    return TrainedModel(trained[0])


def _pre_tasks(n=8):
    texts = [f"{COMPANIES[i % 8]} et {COMPANIES[(i + 3) % 8]} signent un accord de {i} millions." for i in range(n)]
    return [set_hashes({"text": t, "tokens": tokens_of(_FR.make_doc(t)), "spans": [], "cats": {"FINANCE": 0.5},
                        "meta": {"lang": "fr"}}) for t in texts]


def test_train_uncertain_order_is_deterministic_least_certain_first(model):
    from annotate.training.ordering import order_tasks

    a = [t["text"] for t in order_tasks(_pre_tasks(), model, "uncertain")]
    tasks = order_tasks(_pre_tasks(), model, "uncertain")
    assert [t["text"] for t in tasks] == a
    c = [t["meta"]["model_certainty"] for t in tasks]
    assert c == sorted(c) and all(0.0 <= x <= 1.0 for x in c)
    assert [t["text"] for t in order_tasks(_pre_tasks(), model, "input")] == [t["text"] for t in _pre_tasks()]


def test_train_disagree_order_puts_model_rules_disagreement_first(model):
    from annotate.training.ordering import order_tasks, predictions

    agree, differ = _pre_tasks(2)
    ents, cats = predictions(model, agree)
    agree["spans"] = [{"start": a, "end": b, "label": lab, "source": "rules"} for (a, b, lab), p in ents.items() if p >= 0.5]
    agree["cats"] = {k: (1.0 if v >= 0.5 else 0.0) for k, v in cats.items()}
    differ["spans"] = [{"start": 0, "end": 2, "label": "ORG", "source": "rules"}, {"start": 3, "end": 5, "label": "ORG", "source": "rules"}]
    differ["cats"] = {k: (0.0 if v >= 0.5 else 1.0) for k, v in cats.items()}
    ordered = order_tasks([agree, differ], model, "disagree")
    assert ordered[0] is differ and ordered[1]["meta"]["model_disagreement"] == 0


def test_train_review_cli_order_needs_a_model_and_orders_the_store(trained, tmp_path):
    from annotate.pipeline.trained import TrainedModel
    from annotate.training.ordering import order_tasks

    out, _ = trained
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in _pre_tasks()))
    db = tmp_path / "r.db"
    assert main(["review", str(path), "-d", "x", "--accept-all", "--order", "uncertain", "--db", str(db)]) == 2
    assert main(["review", str(path), "-d", "x", "--accept-all", "--order", "sideways", "--model", str(out), "--db", str(db)]) == 2
    assert main(["review", str(path), "-d", "x", "--accept-all", "--order", "uncertain", "--model", str(out), "--db", str(db)]) == 0
    with Store(db) as s:
        stored = [d["text"] for d in s.iter_decisions("x")]
    assert stored == [t["text"] for t in order_tasks(_pre_tasks(), TrainedModel(out), "uncertain")]


def test_train_review_order_applies_to_a_stored_dataset_when_resumed(trained, tmp_path):
    """`review NAME --model M --order uncertain` without input: the pending stored tasks come in the model's
    order, not in load order; a task the annotator answered before is not served again."""
    from annotate.pipeline.trained import TrainedModel
    from annotate.training.ordering import order_tasks

    out, _ = trained
    db = tmp_path / "s.db"
    with Store(db) as s:
        s.add_tasks("x", _pre_tasks())
        loaded = [t["text"] for t in s.pending("x", "bea")]
    expected = [t["text"] for t in order_tasks(_pre_tasks(), TrainedModel(out), "uncertain")]
    assert expected != loaded  # else this test could not tell the orders apart
    with Store(db) as s:  # bea answered the model's first task in an earlier session
        first = next(t for t in s.pending("x", "bea") if t["text"] == expected[0])
        s.add_decision("x", first, answer="accept", annotator="bea", session="earlier")
    argv = ["review", "-d", "x", "--accept-all", "--order", "uncertain", "--model", str(out), "--db", str(db), "-a", "bea"]
    assert main(argv) == 0
    with Store(db) as s:
        stored = [d["text"] for d in s.iter_decisions("x")]
    assert stored == expected  # the earlier one first (stored first), then the rest in the model's order


def test_review_session_order_serves_the_given_rows_and_skips_answered_ones(tmp_path):
    from annotate.review.session import ReviewLabels, ReviewSession

    with Store(tmp_path / "o.db") as s:
        s.add_tasks("x", _pre_tasks(5))
        rows = s.pending_page("x", "bea")
        ids = [r for r, _ in rows]
        s.add_decision("x", rows[1][1], answer="accept", annotator="bea", session="earlier")
        session = ReviewSession(s, "x", "bea", ReviewLabels.load(), order=[ids[4], ids[1], ids[0], ids[3], ids[2]])
        served = []
        while session.state is not None:
            served.append(session.state.text)
            session.answer("accept")
        assert served == [rows[i][1]["text"] for i in (4, 0, 3, 2)]


def test_train_pre_with_an_unreadable_model_folder_is_e612_with_the_reason(tmp_path, capsys):
    bad = tmp_path / "m"
    bad.mkdir()
    (bad / "meta.json").write_text(json.dumps({"name": "x", "annotate": {"heldout": {"labels": {}, "themes": {}}}}))
    (bad / "config.cfg").write_text("not a config [[\n")
    src = tmp_path / "in.txt"
    src.write_text("Airbus gagne.\n")
    out = tmp_path / "out.jsonl"
    assert main(["pre", str(src), "-o", str(out), "--model", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "E612" in err and "cannot load the trained model (Config" in err
    assert not out.exists()
