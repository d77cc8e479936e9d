"""Issue #12: theme cue words highlighted in the text; the mouse selects spans and toggles themes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from annotate.review.app import ReviewApp
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.review.widgets import DocView, ThemePanel
from annotate.review.widgets.cues import cue_ranges
from annotate.store import Store
from reliability.helpers import make_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()
GOLDEN = Path(__file__).parent / "fixtures" / "pre" / "golden.jsonl"


def key_of(theme: str) -> str:
    return next(t.key for t in LABELS.themes if t.name == theme)


def with_cues_task() -> dict:
    """The first task of the pre-annotation golden output that has cues (as `annotate pre` stores them)."""
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        t = json.loads(line)
        if t.get("cues"):
            return t
    raise AssertionError("the golden output has no cue")


def cue_cells(app: ReviewApp) -> str:
    """The characters the document draws in the cue style."""
    doc = app.query_one(DocView)
    style = doc.styles_.cue
    return "".join(seg.text for line in doc._lines for seg in line if style.bgcolor and seg.style and seg.style.bgcolor == style.bgcolor)


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "c.db") as s:
        s.add_tasks("eco", [with_cues_task(),
                            make_task(NLP, "Airbus et Safran à Toulouse.", [("Airbus", "ORG"), ("Safran", "ORG")])])
        yield s


def test_review_cues_ranges_of_the_themes_asked_for():
    task = {"text": "Une acquisition et une participation.", "cues": [
        {"start": 4, "end": 15, "label": "DEALS"}, {"start": 23, "end": 36, "label": "DEALS"},
        {"start": 4, "end": 15, "label": "FINANCE"}, {"start": 30, "end": 99, "label": "DEALS"}]}  # the last: outside
    assert cue_ranges(task, ["DEALS"]) == ((4, 15), (23, 36))
    assert cue_ranges(task, ["AI"]) == ()
    assert cue_ranges({"text": "x"}, ["DEALS"]) == ()


async def test_review_cues_toggling_a_theme_highlights_its_cue_words(store: Store):
    task = with_cues_task()
    deals = sorted({c["text"] for c in task["cues"] if c["label"] == "DEALS"})
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(140, 50)) as pilot:
        assert cue_cells(app) == ""  # nothing highlighted before asked
        await pilot.press(key_of("DEALS"))  # DEALS scored above the threshold: on, so this turns it off
        shown = cue_cells(app)
        assert shown and all(w in shown for w in deals)
        assert "cue word" in app.session.state.message and "DEALS" in app.session.state.message
        others = {c["text"] for c in task["cues"] if c["label"] != "DEALS"} - set(deals)
        assert not any(w in shown for w in others)
        await pilot.press("c")  # hide
        assert cue_cells(app) == ""
        assert not any(app.session.state.themes.values())  # no theme on now
        await pilot.press("c")  # the themes switched on; none is: every theme's cues
        assert all(c["text"] in cue_cells(app) for c in task["cues"])
        await pilot.press(key_of("DEALS"), "c", "c")  # DEALS on again; c hides, c shows the themes on: DEALS
        assert all(w in cue_cells(app) for w in deals)
        assert not any(w in cue_cells(app) for w in others)
        await pilot.press("a")  # the next task: nothing highlighted, and it has no cue stored
        assert cue_cells(app) == ""
        await pilot.press("c")
        assert "no cue stored" in app.session.state.message


async def test_review_mouse_click_on_a_span_selects_it(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")  # "Airbus et Safran à Toulouse."
        st = app.session.state
        assert st.current == 0
        x = st.text.index("Safran") + len("ORG") + 1 + 2  # after "Airbus" + its tag; +1 border, +1 padding
        await pilot.click(DocView, offset=(x + 2, 1))
        assert st.current == 1
        await pilot.press("r")
        assert st.spans[1]["answer"] == "reject" and st.spans[0]["answer"] == "accept"
        await pilot.click(DocView, offset=(3, 1))  # on "Airbus"
        assert st.current == 0


async def test_review_mouse_click_in_add_mode_moves_the_token_cursor(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a", "n")
        st = app.session.state
        x = st.text.index("Toulouse") + 2 * (len("ORG") + 1) + 2
        await pilot.click(DocView, offset=(x + 1, 1))
        assert st.tokens[st.cursor]["text"] == "Toulouse"
        await pilot.press("3")
        assert [(s["text"], s["label"]) for s in st.spans][-1] == ("Toulouse", "DATE")


async def test_review_mouse_click_on_a_theme_toggles_it(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        st = app.session.state
        first, second = LABELS.themes[0].name, LABELS.themes[1].name
        before = dict(st.themes)
        await pilot.click(ThemePanel, offset=(4, 2))  # border, heading row, then the first theme
        assert st.themes[first] is not before[first] and st.themes[second] is before[second]
        await pilot.click(ThemePanel, offset=(4, 3))
        assert st.themes[second] is not before[second]
        await pilot.press("z")  # a click is an edit like a key: undone the same way
        assert st.themes[second] is before[second]
