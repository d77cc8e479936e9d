"""Issue #12, mouse: a drag over tokens marks a span (a label key creates it); a key releases the mouse."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from textual import events

from annotate.review.app import ReviewApp
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.review.widgets import DocView, ThemePanel
from annotate.store import Store
from reliability.helpers import make_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()
TEXT = "La BNP prête à Renault, Peugeot.\n\nLe groupe Stellantis paie."


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "m.db") as s:
        s.add_tasks("eco", [make_task(NLP, TEXT, [("BNP", "ORG")])])
        yield s


def cell(st, word: str, k: int = 0) -> tuple[int, int]:
    """The widget offset of character ``k`` of ``word`` (row 1 col 1 hold the first character: border and padding);
    the first line only carries the BNP span, whose tag (" ORG": 4 cells) follows it."""
    i = st.text.index(word) + k
    line = st.text.count("\n", 0, i)
    col = i - (st.text.rfind("\n", 0, i) + 1)
    if line == 0 and i >= st.text.index("BNP") + 3:
        col += len("ORG") + 1
    return (col + 2, line + 1)


async def drag(pilot, a: tuple[int, int], b: tuple[int, int]) -> None:
    """Mouse down on ``a``, move, mouse up on ``b``; then the Click a terminal's driver sends after a mouse up on
    the widget of the mouse down (the pilot's mouse_up does not send it)."""
    await pilot.mouse_down(DocView, offset=a)
    await pilot.hover(DocView, offset=b)
    await pilot.mouse_up(DocView, offset=b)
    await pilot._post_mouse_events([events.Click], DocView, offset=b, button=1)


async def test_review_mouse_drag_over_tokens_marks_them_and_a_label_key_creates_the_span(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(120, 30)) as pilot:
        st = app.session.state
        await drag(pilot, cell(st, "Renault", 3), cell(st, "Peugeot", 2))  # mid-token both ends: whole tokens
        assert st.adding and st.selection is not None
        assert st.text[st.tokens[st.selection[0]]["start"]:st.tokens[st.selection[1]]["end"]] == "Renault, Peugeot"
        assert "press a label key" in st.message
        await pilot.press("1")
        label = next(e.name for e in LABELS.entities if e.key == "1")
        assert ("Renault, Peugeot", label) in [(s["text"], s["label"]) for s in st.spans]
        assert not st.adding


@pytest.mark.parametrize("a,b,expect", [
    (("prête", 0), ("Renault", 6), "prête à Renault"),  # the drag ends on the comma after Renault: snapped off it
    (("à", 0), (",", 0), "à Renault"),  # ends ON the comma itself: not a span end
], ids=["ends-after-word", "ends-on-comma"])
async def test_review_mouse_drag_snaps_off_punctuation(store: Store, a, b, expect):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(120, 30)) as pilot:
        st = app.session.state
        await drag(pilot, cell(st, *a), cell(st, *b))
        ts, te = st.selection
        assert st.text[st.tokens[ts]["start"]:st.tokens[te]["end"]] == expect
        assert st.end_mark is not None


async def test_review_mouse_drag_over_a_paragraph_break_is_refused(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(120, 30)) as pilot:
        st = app.session.state
        n = len(st.spans)
        await drag(pilot, cell(st, "Peugeot", 1), cell(st, "groupe", 1))
        assert st.message == "a span does not cross a line or paragraph break"  # the keyboard's message
        assert st.end_mark is None
        await pilot.press("1")  # a label key does not make the span either
        assert len(st.spans) == n


async def test_review_mouse_plain_click_still_selects_a_span_after_a_drag(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    async with app.run_test(size=(120, 30)) as pilot:
        st = app.session.state
        await drag(pilot, cell(st, "Renault"), cell(st, "Peugeot"))
        await pilot.press("1", "right")
        assert st.current != 0
        await pilot.click(DocView, offset=cell(st, "BNP", 1))  # a click, not a drag: selects BNP
        assert not st.adding and st.spans[st.current]["text"] == "BNP"


async def test_review_mouse_release_key_ignores_clicks_until_pressed_again(store: Store):
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS))
    calls: list[str] = []
    async with app.run_test(size=(120, 30)) as pilot:
        driver = app._driver
        driver._disable_mouse_support = lambda: calls.append("off")  # type: ignore[method-assign]
        driver._enable_mouse_support = lambda: calls.append("on")  # type: ignore[method-assign]
        st = app.session.state
        await pilot.press("M")
        assert app.mouse_released and calls == ["off"]
        assert "mouse released: select text with the terminal; press M again" in app.visible_text()
        themes = dict(st.themes)
        await drag(pilot, cell(st, "Renault"), cell(st, "Peugeot"))
        await pilot.click(ThemePanel, offset=(4, 2))
        assert not st.adding and st.themes == themes  # neither the drag nor the click did anything
        await pilot.press("M")
        assert not app.mouse_released and calls == ["off", "on"]
        assert "mouse released" not in app.visible_text()
        await pilot.click(ThemePanel, offset=(4, 2))
        assert st.themes != themes


# ---------------------------------------------------------------- a drag past the edge of the text scrolls it

LONG = " ".join(f"mot{i}" for i in range(400)) + "."


@pytest.fixture
def long_app(tmp_path: Path):
    with Store(tmp_path / "long.db") as s:
        s.add_tasks("eco", [make_task(NLP, LONG, [("mot0", "ORG")])])
        yield ReviewApp(ReviewSession(s, "eco", "bea", LABELS))


async def test_review_drag_below_the_text_scrolls_it_and_marks_up_to_the_last_line_shown(long_app):
    async with long_app.run_test(size=(80, 16)) as pilot:
        doc = long_app.query_one(DocView)
        st = long_app.session.state
        height = doc.scrollable_content_region.height
        assert len(doc.layout_.lines) > height + 5  # the text does not fit
        await pilot.mouse_down(DocView, offset=(2 + len("mot0 ORG "), 1))  # on mot1
        for _ in range(4):
            await pilot.hover(DocView, offset=(10, height + 2))  # below the text: each move scrolls a line
        assert doc.scroll_offset.y == 4
        await pilot.mouse_up(DocView, offset=(10, height + 2))
        await pilot.pause()
        assert st.selection is not None
        ts, te = st.selection
        assert st.tokens[ts]["text"] == "mot1"
        first_hidden = doc.layout_.lines[height][0][0]  # where the first line off the screen at the start begins
        assert st.tokens[te]["end"] > first_hidden


async def test_review_drag_above_the_text_scrolls_it_back(long_app):
    async with long_app.run_test(size=(80, 16)) as pilot:
        doc = long_app.query_one(DocView)
        await pilot.press("pagedown", "pagedown")
        top = doc.scroll_offset.y
        assert top > 2
        await pilot.mouse_down(DocView, offset=(3, 2))
        await pilot.hover(DocView, offset=(3, 0))  # the border row above the text
        await pilot.hover(DocView, offset=(4, 0))
        assert doc.scroll_offset.y == top - 2
