"""Adjudication logic (annotate/store/adjudicate.py): versions, majority, agreement, auto-accepting agreed tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from adjudication_data import TASKS, fill, gold_of, version
from annotate.store import Store
from annotate.store.adjudicate import adjudication_cases, store_agreed


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "t.db") as s:
        fill(s)
        yield s


def spans_of(case, keys) -> list[tuple[str, str]]:
    return sorted((case.task["text"][a:b], label) for a, b, label in keys)


def test_adjudicate_cases_are_the_tasks_of_two_or_more_annotators_in_load_order(store: Store):
    cases = adjudication_cases(store, "news")
    assert [c.task["text"] for c in cases] == [t["text"] for t in TASKS[:3]]
    assert [c.annotators for c in cases] == [["alice", "bob", "carol"]] * 3


def test_adjudicate_majority_per_span_and_theme_is_more_than_half_of_the_voters(store: Store):
    case = adjudication_cases(store, "news")[0]
    assert spans_of(case, case.majority_spans) == [("Airbus", "ORG"), ("Safran", "ORG")]
    votes = {case.task["text"][a:b]: case.span_votes((a, b, lab)) for a, b, lab in case.spans}
    assert votes == {"Airbus": ["alice", "bob", "carol"], "Safran": ["alice", "carol"],
                     "40 millions d'euros": ["bob"], "Toulouse": ["bob"]}
    assert case.majority_themes(["AI", "DEALS", "FINANCE"]) == ["DEALS", "FINANCE"]
    assert case.span_counts() == (1, 3)  # Airbus agreed; Safran, MONEY, Toulouse disputed
    assert case.theme_counts(["AI", "DEALS", "FINANCE"]) == (1, 2)  # AI: nobody
    assert case.majority_answer == "accept" and not case.agreed


def test_adjudicate_majority_task_keeps_every_span_seen_and_names_its_sources(store: Store):
    case = adjudication_cases(store, "news")[0]
    task = case.majority_task(["AI", "DEALS", "FINANCE"], source="news")
    assert [(s["text"], s["answer"]) for s in task["spans"]] == [
        ("Airbus", "accept"), ("Safran", "accept"), ("40 millions d'euros", "reject"), ("Toulouse", "reject")]
    assert task["accept"] == ["DEALS", "FINANCE"]
    assert task["meta"]["adjudication"] == {
        "dataset": "news", "annotators": ["alice", "bob", "carol"],
        "answers": {"alice": "accept", "bob": "accept", "carol": "accept"}, "agreed": False, "auto": False}
    assert task["_task_hash"] == TASKS[0]["_task_hash"]


def test_adjudicate_voters_are_the_annotators_who_accepted_the_task(store: Store):
    case = adjudication_cases(store, "news")[2]
    assert [v.annotator for v in case.voters] == ["bob"]
    assert case.majority_answer == "reject"
    assert spans_of(case, case.majority_spans) == [("Conseil", "ORG")]  # bob alone annotated it


@pytest.mark.parametrize(
    ("answers", "expected"),
    [(("accept", "accept"), "accept"), (("accept", "reject", "reject"), "reject"), (("ignore", "accept"), None)],
    ids=["agreeing-pair", "two-of-three", "tie"],
)
def test_adjudicate_majority_answer(tmp_path: Path, answers: tuple[str, ...], expected: str | None):
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("d", TASKS[:1])
        for i, a in enumerate(answers):
            s.add_decision("d", version(TASKS[0], {"Airbus"}, []), answer=a, annotator=f"a{i}", session="s")
        (case,) = adjudication_cases(s, "d")
    assert case.majority_answer == expected
    assert case.agreed == (len(set(answers)) == 1)


def test_adjudicate_latest_decision_of_an_annotator_counts_once(tmp_path: Path):
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("d", TASKS[:1])
        s.add_decision("d", version(TASKS[0], {"Airbus"}, []), answer="accept", annotator="alice", session="s")
        s.add_decision("d", version(TASKS[0], {"Safran"}, []), answer="accept", annotator="alice", session="s2")
        assert adjudication_cases(s, "d") == []  # one annotator
        s.add_decision("d", version(TASKS[0], {"Safran"}, []), answer="accept", annotator="bob", session="s")
        (case,) = adjudication_cases(s, "d")
    assert case.agreed and spans_of(case, case.majority_spans) == [("Safran", "ORG")]


def test_adjudicate_store_agreed_merges_only_the_agreed_cases(store: Store):
    cases = adjudication_cases(store, "news")
    out = store_agreed(store, cases, "gold", adjudicator="judge", session="j", source="news")
    assert out.stored == 1 and [c.task["text"] for c in out.left] == [TASKS[0]["text"], TASKS[2]["text"]]
    assert gold_of(store) == [(TASKS[1]["text"], "accept",
                               [("Banque de France", "ORG", "accept"), ("2 %", "PERCENT", "accept")], ["FINANCE"])]
    (d,) = store.iter_decisions("gold")
    assert d["_annotator_id"] == "judge" and d["meta"]["adjudication"]["auto"] is True
    assert store.count_tasks("gold") == 1
    again = store_agreed(store, cases, "gold", adjudicator="judge", session="j2", source="news")
    assert again.stored == 0 and store.count_decisions("gold") == 1
