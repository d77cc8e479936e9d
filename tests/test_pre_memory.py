"""Long runs of `annotate pre` keep memory flat: after a bounded warm-up, every
chunk is annotated in a spaCy memory zone, so strings and lexemes of new words
are freed, while the warm-up's cache of frequent words is kept."""

from __future__ import annotations

import pytest

from annotate.pipeline import pre
from annotate.io import Record
from annotate.pipeline.build import cached_pipeline


def records(start: int, n: int) -> list[Record]:
    # every record brings words no earlier record had: their strings must not pile up
    return [
        Record({"text": f"La société Zorvex{i} a levé {i} millions d'euros auprès de Kliptar{i} le 3 mars 2025."}, "mem.jsonl", i)
        for i in range(start, start + n)
    ]


@pytest.mark.usefixtures("fr_nlp")
def test_strings_stay_flat_after_the_warm_up(monkeypatch):
    monkeypatch.setattr(pre, "WARM_CHARS", 30_000)  # one chunk of 256 records (~24,000 characters)
    monkeypatch.setattr(pre, "_WARMED", {})
    nlp = cached_pipeline("fr", None, None)
    first = list(pre.pre_annotate(records(0, 600), lang="fr"))
    warmed = pre._WARMED[id(nlp)]
    assert 0 < warmed <= 30_000  # whole chunks only, never past the budget
    size = len(nlp.vocab.strings)
    more = list(pre.pre_annotate(records(600, 900), lang="fr"))
    assert len(nlp.vocab.strings) == size  # 900 records of new words, not one string kept
    assert pre._WARMED[id(nlp)] == warmed
    # the zones change nothing in the output
    assert [t["spans"] for t in first[:3]] != [] and all(t["spans"] for t in more)
    assert "Zorvex1499" in more[-1]["text"]


@pytest.mark.usefixtures("fr_nlp")
def test_a_chunk_larger_than_the_budget_is_not_warmed(monkeypatch):
    monkeypatch.setattr(pre, "WARM_CHARS", 100)
    monkeypatch.setattr(pre, "_WARMED", {})
    nlp = cached_pipeline("fr", None, None)
    list(pre.pre_annotate(records(0, 10), lang="fr"))
    assert pre._WARMED.get(id(nlp), 0) == 0
