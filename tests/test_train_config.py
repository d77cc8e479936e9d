"""The CPU training config of `annotate export --format spacy`: step budget, stratified split, span group, languages."""

from __future__ import annotations

import pytest
import spacy

from annotate.formats.docbin import export_spacy
from annotate.formats.split import split_dev, stratified_dev
from annotate.formats.train_config import MAX_STEPS, MIN_STEPS, TRAIN_LONGER, cpu_budget
from annotate.store import Store
from annotate.tasks import set_hashes, tokens_of

_BLANK = {"fr": spacy.blank("fr"), "en": spacy.blank("en")}


def _task(text, spans=(), accept=None, lang="fr"):
    doc = _BLANK[lang].make_doc(text)
    t = {"text": text, "tokens": tokens_of(doc), "meta": {"lang": lang}, "spans": []}
    for sub, label in spans:
        a = text.index(sub)
        t["spans"].append({"start": a, "end": a + len(sub), "label": label, "answer": "accept"})
    if accept is not None:
        t["accept"] = accept
    return set_hashes(t)


@pytest.mark.parametrize(
    ("words", "steps"), [(10, MIN_STEPS), (700 * 30, 600), (10**7, MAX_STEPS)], ids=["tiny", "mid", "huge"]
)
def test_train_config_cpu_budget_scales_with_the_data(words, steps):
    b = cpu_budget(words)
    assert b["max_steps"] == steps and b["patience"] < b["max_steps"] and 20 <= b["eval_frequency"] <= 200


def test_train_config_stratified_dev_keeps_a_train_positive_for_every_theme():
    # a theme with 2 examples whose hashes would both land in dev under a plain split
    themes = {ih: frozenset() for ih in range(40)}
    plain_dev = split_dev(list(themes), 0.2, 3)
    pair = sorted(plain_dev)[:2]  # both in dev under the plain split
    for ih in pair:
        themes[ih] = frozenset({"RARE"})
    for ih in range(20, 30):
        themes[ih] = themes[ih] | {"COMMON"}
    dev = stratified_dev(themes, 0.2, 3)
    assert dev == stratified_dev(themes, 0.2, 3)  # deterministic
    assert any(ih not in dev for ih in pair)  # RARE keeps a training positive
    common = [ih for ih in range(20, 30) if ih in dev]
    assert 1 <= len(common) <= 3  # about a fifth of COMMON in dev
    assert len(dev) in range(6, 11)


def test_train_config_export_no_span_group_without_overlaps_budget_and_mixed_language_note(tmp_path):
    with Store(tmp_path / "a.db") as s:
        for i in range(12):
            s.add_decision("m", _task(f"Airbus vend {i} avions.", [("Airbus", "ORG")], ["DEALS"]), answer="accept", annotator="a", session="s")
        for i in range(3):
            s.add_decision("m", _task(f"Boeing sells {i} planes.", [("Boeing", "ORG")], [], lang="en"), answer="accept", annotator="a", session="s")
        report = export_spacy(lambda: s.iter_decisions("m"), tmp_path / "out", themes=["DEALS"], base_model="none")
    assert report.components == ["ner", "textcat_multilabel"]  # no overlap: no span group, no spancat
    cfg = spacy.util.load_config(tmp_path / "out" / "config.cfg")
    assert cfg["training"]["max_steps"] == MIN_STEPS and cfg["training"]["patience"] < MIN_STEPS
    lines = "\n".join(report.lines())
    assert TRAIN_LONGER in lines
    assert "mixed languages: 3 en example(s)" in lines and "fr (majority)" in lines
    from spacy.tokens import DocBin

    docs = list(DocBin().from_disk(tmp_path / "out" / "train.spacy").get_docs(spacy.blank("fr").vocab))
    assert docs and all("sc" not in d.spans for d in docs) and all(d.ents for d in docs)
