"""annotate.review.run.run_review: the review job as a library function (the no-screen paths)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from annotate.errors import AnnotateError
from annotate.review.run import ReviewResult, run_review
from annotate.store import Store
from annotate.tasks import doc_to_task

NLP = spacy.blank("fr")


def _task(text: str, phrase: str, label: str) -> dict:
    doc = NLP.make_doc(text)
    i = text.index(phrase)
    doc.ents = [doc.char_span(i, i + len(phrase), label=label)]
    doc.cats = {"FINANCE": 0.7}
    return doc_to_task(doc, meta={"lang": "fr"})


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    p = tmp_path / "in.jsonl"
    lines = [
        _task("Globex rachète une usine à Lyon.", "Globex", "ORG"),
        {"text": "Initech", "spans": [{"start": 0, "end": 7, "label": "COMPANY"}]},  # not a label of labels/
        _task("Le fonds lève 40 millions d'euros.", "40 millions d'euros", "MONEY"),
    ]
    p.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return p


def test_review_run_accept_all_returns_counts(tmp_path: Path, tasks_file: Path):
    told: list[AnnotateError] = []
    r = run_review([str(tasks_file)], dataset="news", annotator="carol", db=tmp_path / "a.db", accept_all=True,
                   on_bad_line=told.append)
    assert isinstance(r, ReviewResult)
    assert (r.added, r.duplicates, r.saved, r.bad) == (2, 0, 2, 1)
    assert len(told) == 1 and f"{tasks_file}:2" in r.bad_lines[0] and "COMPANY" in r.bad_lines[0]
    with Store(tmp_path / "a.db") as s:
        assert [d["_annotator_id"] for d in s.iter_decisions("news")] == ["carol", "carol"]
    again = run_review([str(tasks_file)], dataset="news", annotator="carol", db=tmp_path / "a.db", accept_all=True)
    assert (again.added, again.duplicates, again.saved) == (0, 2, 0)


def test_review_run_refuses_stdin(tmp_path: Path):
    with pytest.raises(AnnotateError) as info:
        run_review(["-"], dataset="news", db=tmp_path / "a.db")
    assert info.value.code == "E321" and info.value.exit_code == 2


def test_review_run_screen_needs_a_terminal(tmp_path: Path, tasks_file: Path):
    # under pytest stdin is not a terminal: no screen, nothing stored
    with pytest.raises(AnnotateError) as info:
        run_review([str(tasks_file)], dataset="news", db=tmp_path / "a.db")
    assert info.value.code == "E325"
    with Store(tmp_path / "a.db") as s:
        assert s.count_tasks("news") == 0
