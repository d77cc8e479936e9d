"""Issue #12: the task browser's annotator filter (the tasks an annotator answered) and who answered each row."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from annotate.review.app import ReviewApp
from annotate.review.screens import BrowserScreen
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.review.widgets.tasklist import TaskList, row_text
from annotate.store import Store
from annotate.store.browse import BrowseFilter, TaskBrowser, annotators
from reliability.helpers import make_task as build_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()
TEXTS = ["Airbus livre des avions.", "Le CAC 40 recule.", "Renault vend des actifs.", "Pluie sur la Bretagne."]


@pytest.fixture
def store(tmp_path: Path):
    """Four tasks; ana answers the first two (accept, reject), zoe the second and the third (ignore, accept)."""
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("eco", [build_task(NLP, t, []) for t in TEXTS])
        ana = ReviewSession(s, "eco", "ana", LABELS)
        ana.answer("accept")
        ana.answer("reject")
        zoe = ReviewSession(s, "eco", "zoe", LABELS)
        zoe.answer("ignore")
        zoe.answer("ignore")
        zoe.answer("accept")  # zoe's queue: tasks 1 (ignored), 2 (ignored), 3 (accepted)
        yield s


def texts(b: TaskBrowser) -> list[str]:
    return [r.text for r in b.page(0, 50)]


@pytest.mark.parametrize("who,want", [
    ("ana", TEXTS[:2]),
    ("zoe", TEXTS[:3]),
    ("nobody", []),
], ids=["ana", "zoe", "unknown"])
def test_review_browser_answered_by_keeps_the_tasks_that_annotator_answered(store: Store, who, want):
    b = TaskBrowser(store, "eco", "bea", BrowseFilter(answered_by=who))
    assert texts(b) == want and b.count() == len(want)


def test_review_browser_answered_by_combines_with_the_state_of_the_reviewer(store: Store):
    # as ana: the tasks zoe answered that ana has not answered yet
    b = TaskBrowser(store, "eco", "ana", BrowseFilter("pending", answered_by="zoe"))
    assert texts(b) == [TEXTS[2]]
    b = TaskBrowser(store, "eco", "ana", BrowseFilter("reject", answered_by="zoe"))
    assert texts(b) == [TEXTS[1]]


def test_review_browser_rows_name_who_answered(store: Store):
    rows = TaskBrowser(store, "eco", "bea").page(0, 10)
    assert [r.answered_by for r in rows] == [("ana", "zoe"), ("ana", "zoe"), ("zoe",), ()]
    assert "ana,zoe" in row_text(rows[0], 100) and " - " in row_text(rows[3], 100)
    assert annotators(store, "eco") == ["ana", "zoe"] and annotators(store, "nope") == []


async def test_review_browser_a_cycles_the_annotator_filter(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("b")
        lst = app.screen.query_one(TaskList)
        assert lst.count == 4
        await pilot.press("a")
        assert app.screen.filter.answered_by == "ana" and lst.count == 2
        assert lst.browser.queries == 2  # paged from the store like the other filters: a count and one page
        assert "answered by: ana" in str(app.screen.query_one("#browser-head").render())
        await pilot.press("a")
        assert app.screen.filter.answered_by == "zoe" and lst.count == 3
        await pilot.press("s")  # the other filters keep it: zoe's tasks pending for bea
        assert app.screen.filter == BrowseFilter("pending", answered_by="zoe")
        await pilot.press("a")
        assert app.screen.filter.answered_by is None and lst.count == 4
        await pilot.press("a", "a", "end", "enter")  # zoe's last task opens
        assert not isinstance(app.screen, BrowserScreen)
        assert app.session.state.text == TEXTS[2]
