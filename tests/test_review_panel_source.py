"""The side panel says what is behind the proposal on screen: source, value, the model's score, and where the
record comes from (id, file and line, language)."""

from __future__ import annotations

import pytest
import spacy

from annotate.review.session import ReviewLabels
from annotate.review.taskstate import TaskState
from annotate.review.widgets.themes import record_line, render_themes
from reliability.helpers import make_task


@pytest.fixture(scope="module")
def labels() -> ReviewLabels:
    return ReviewLabels.load(None)


def _task(**meta) -> dict:
    task = make_task(spacy.blank("fr"), "Acme a gagné 5 % en 2024.", [("Acme", "ORG"), ("5 %", "PERCENT")])
    task["meta"].update(meta)
    return task


def test_review_panel_shows_the_model_score_of_the_current_span(labels):
    task = _task()
    task["spans"][0].update(source="model:news@1", score=0.8731)
    text = render_themes(TaskState(task, labels), labels, width=60).plain
    assert "source model:news@1 · score 0.87" in text


def test_review_panel_has_no_score_for_rule_spans(labels):
    text = render_themes(TaskState(_task(), labels), labels, width=60).plain
    assert "score" not in text.split("Spans:")[1]


@pytest.mark.parametrize(
    "task,want",
    [
        ({"id": "dev-fr-01", "meta": {"source": "news.jsonl", "line": 3, "lang": "fr"}}, "id dev-fr-01 · news.jsonl:3 · fr"),
        ({"meta": {"source": "article.txt", "lang": "en"}}, "article.txt · en"),
        ({"meta": {}}, "no source recorded"),
        ({"lang": "fr"}, "fr"),
    ],
    ids=["jsonl-line", "txt-file", "nothing", "top-level-lang"],
)
def test_review_panel_record_line(task, want):
    assert record_line(task) == want


def test_review_panel_shows_where_the_record_comes_from(labels):
    state = TaskState(_task(source="in/news.jsonl", line=12, id="a7"), labels)
    assert "in/news.jsonl:12 · fr" in render_themes(state, labels, width=60).plain
