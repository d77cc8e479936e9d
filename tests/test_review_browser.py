"""Issue #12: the task browser (filter by state, label, text; open any task) and its paged store reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from annotate.review.app import ReviewApp
from annotate.review.screens import BrowserScreen
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.review.widgets.tasklist import PAGE, TaskList
from annotate.store import Store
from annotate.store.browse import BrowseFilter, TaskBrowser
from reliability.helpers import make_task as build_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()

TASKS = [
    build_task(NLP, "Airbus livre des avions.", [("Airbus", "ORG")]),
    build_task(NLP, "Le CAC 40 recule de 2 %.", [("2 %", "PERCENT")]),
    build_task(NLP, "Renault vend 50 millions d'euros d'actifs.", [("Renault", "ORG"), ("50 millions d'euros", "MONEY")]),
    build_task(NLP, "Pluie sur la Bretagne.", []),
]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "b.db") as s:
        s.add_tasks("eco", TASKS)
        yield s


def texts(b: TaskBrowser) -> list[str]:
    return [r.text for r in b.page(0, 50)]


def test_review_browser_filters_by_state_label_and_text(store: Store):
    session = ReviewSession(store, "eco", "bea", LABELS)
    session.answer("accept")  # Airbus
    session.state.reject_span()
    session.answer("reject")  # CAC 40, its one span rejected
    all_ = TaskBrowser(store, "eco", "bea")
    assert all_.count() == 4 and [r.answer for r in all_.page(0, 10)] == ["accept", "reject", None, None]
    # the labels of the accepted spans: of the decision when there is one, else of the pre-annotation
    assert [r.labels for r in all_.page(0, 10)] == [("ORG",), (), ("MONEY", "ORG"), ()]
    cases = {
        BrowseFilter("pending"): [TASKS[2]["text"], TASKS[3]["text"]],
        BrowseFilter("answered"): [TASKS[0]["text"], TASKS[1]["text"]],
        BrowseFilter("reject"): [TASKS[1]["text"]],
        BrowseFilter("accept"): [TASKS[0]["text"]],
        BrowseFilter("ignore"): [],
        BrowseFilter(label="ORG"): [TASKS[0]["text"], TASKS[2]["text"]],
        BrowseFilter(label="PERCENT"): [TASKS[1]["text"]],  # its span is rejected, still a PERCENT span
        BrowseFilter(label="MONEY"): [TASKS[2]["text"]],
        BrowseFilter(text="bretagne"): [TASKS[3]["text"]],  # case-insensitive
        BrowseFilter(text="d'euros"): [TASKS[2]["text"]],
        BrowseFilter(text="50%"): [],  # % is a character, not a wildcard
        BrowseFilter("pending", label="ORG"): [TASKS[2]["text"]],
    }
    for flt, want in cases.items():
        b = TaskBrowser(store, "eco", "bea", flt)
        assert texts(b) == want, flt
        assert b.count() == len(want), flt
    other = TaskBrowser(store, "eco", "zoe", BrowseFilter("pending"))  # another annotator: all pending
    assert other.count() == 4
    assert [r.annotators for r in other.page(0, 10)] == [1, 1, 0, 0]


def test_review_browser_label_filter_reads_the_decision_spans(store: Store):
    session = ReviewSession(store, "eco", "bea", LABELS)
    session.state.relabel("MONEY")  # Airbus, relabelled
    session.answer("accept")
    assert texts(TaskBrowser(store, "eco", "bea", BrowseFilter(label="ORG"))) == [TASKS[2]["text"]]
    assert texts(TaskBrowser(store, "eco", "bea", BrowseFilter(label="MONEY"))) == [TASKS[0]["text"], TASKS[2]["text"]]
    assert TaskBrowser(store, "eco", "zoe", BrowseFilter(label="ORG")).count() == 2  # zoe sees the pre-annotation


def test_review_browser_pages_by_keyset_and_offset_agree(tmp_path: Path):
    with Store(tmp_path / "p.db") as s:
        s.add_tasks("big", [build_task(NLP, f"Tâche numéro {i} de la liste.", []) for i in range(250)])
        b = TaskBrowser(s, "big", "bea")
        seq = b.page(0, 100) + b.page(100, 100) + b.page(200, 100)  # keyset after the first page
        jump = TaskBrowser(s, "big", "bea").page(200, 100)  # OFFSET: no page before it was read
        assert [r.row_id for r in seq[200:]] == [r.row_id for r in jump]
        assert len(seq) == 250 and len({r.row_id for r in seq}) == 250


async def test_review_browser_opens_with_one_count_and_the_pages_on_screen(tmp_path: Path):
    with Store(tmp_path / "m.db") as s:
        s.add_tasks("big", [build_task(NLP, f"Tâche numéro {i}.", []) for i in range(3 * PAGE + 5)])
        app = ReviewApp(ReviewSession(s, "big", "bea", LABELS))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("b")
            await pilot.pause()
            lst = app.screen.query_one(TaskList)
            assert lst.count == 3 * PAGE + 5
            assert lst.browser.queries == 2  # the count and the first page, nothing else
            await pilot.press("end")
            assert lst.current.text == f"Tâche numéro {3 * PAGE + 4}."
            top = lst.scroll_offset.y
            assert top > 2 * PAGE
            assert lst.browser.queries == 2 + len({i // PAGE for i in range(top, lst.count)})  # the pages on screen


async def test_review_browser_open_a_pending_task_then_the_queue_goes_on(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("r")  # an edit of the task on screen: kept while another one is opened
        await pilot.press("b")
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("down", "down", "enter")
        assert not isinstance(app.screen, BrowserScreen)
        assert app.session.state.text == TASKS[2]["text"]
        await pilot.press("a")  # saved; the task that was on screen comes back, with its edit
        assert app.session.state.text == TASKS[0]["text"]
        assert app.session.state.spans[0]["answer"] == "reject"
        await pilot.press("a", "a", "a")
        assert app.session.state is None
    ds = list(store.iter_decisions("eco"))
    assert [d["text"] for d in ds] == [TASKS[2]["text"], TASKS[0]["text"], TASKS[1]["text"], TASKS[3]["text"]]


async def test_review_browser_open_an_answered_task_and_change_its_answer(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("x")  # Airbus rejected
        await pilot.press("b", "s", "s", "s", "s")  # state: pending, answered, accepted, rejected
        assert app.screen.filter.state == "reject"
        assert "state: rejected" in str(app.screen.query_one("#browser-head").render())
        assert app.screen.query_one(TaskList).count == 1
        await pilot.press("enter")
        assert app.session.state.text == TASKS[0]["text"]
        assert "it was reject" in app.session.state.message
        await pilot.press("a")
    ds = list(store.iter_decisions("eco"))
    assert [(d["text"], d["answer"]) for d in ds] == [(TASKS[0]["text"], "accept")]  # replaced, not added


async def test_review_browser_text_search_label_filter_and_escape(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("b", "slash", *"renault", "enter")
        lst = app.screen.query_one(TaskList)
        assert lst.count == 1 and lst.current.text == TASKS[2]["text"]
        assert "text: renault" in str(app.screen.query_one("#browser-head").render())
        await pilot.press("slash", *["backspace"] * 7, "enter", "l")  # no text; label ORG
        assert app.screen.filter.label == "ORG" and lst.count == 2
        await pilot.press("l")
        assert app.screen.filter.label == "MONEY" and lst.count == 1
        await pilot.press("a", "x", "r", "1", "z")  # the review keys do nothing under the browser
        assert list(store.iter_decisions("eco")) == [] and app.session.state.spans[0]["answer"] == "accept"
        await pilot.press("q")
        assert not isinstance(app.screen, BrowserScreen)
        assert app.session.state.text == TASKS[0]["text"]  # nothing opened: the same task


async def test_review_browser_click_selects_and_double_click_opens(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.press("b")
        lst = app.screen.query_one(TaskList)
        await pilot.click(TaskList, offset=(5, 2))  # the border is row 0: row 1 is the second task
        assert lst.cursor == 1
        await pilot.click(TaskList, offset=(5, 2), times=2)
        assert app.session.state.text == TASKS[1]["text"]
