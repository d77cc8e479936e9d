"""Issue #12: quitting with unsaved edits asks first; in-task undo, redo and reset to the pre-annotation."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from annotate.review.app import ReviewApp
from annotate.review.history import has_unsaved_edits
from annotate.review.screens import ConfirmQuit
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store
from reliability.helpers import make_task as build_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()

TASKS = [
    build_task(NLP, "Airbus et Safran investissent à Toulouse.", [("Airbus", "ORG"), ("Safran", "ORG")], cats={"AI": 0.2}),
    build_task(NLP, "Le Conseil a siégé lundi.", [("Conseil", "ORG")], cats={"AI": 0.2}),
]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "h.db") as s:
        s.add_tasks("eco", TASKS)
        yield s


def make_app(store: Store, **kw) -> ReviewApp:
    return ReviewApp(ReviewSession(store, "eco", "bea", LABELS), **kw)


def answers(store: Store) -> list[list[str]]:
    return [[s["answer"] for s in d["spans"]] for d in store.iter_decisions("eco")]


def span_answers(app: ReviewApp) -> list[str]:
    return [s["answer"] for s in app.session.state.spans]


# ---------------------------------------------------------------- confirm quit


async def test_review_history_quit_without_edits_does_not_ask(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("right", "left", "q")  # moving is not an edit
    assert app.return_value == 0


@pytest.mark.parametrize("key", ["n", "escape"], ids=["n", "esc"])
async def test_review_history_quit_with_edits_asks_and_n_keeps_them(store: Store, key: str):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("r", "q")
        assert isinstance(app.screen, ConfirmQuit)
        assert "unsaved edits (1 edit)" in str(app.screen.query_one("#confirm-text").render())
        await pilot.press(key)
        assert not isinstance(app.screen, ConfirmQuit)
        assert app.is_running
        assert span_answers(app) == ["reject", "accept"]  # nothing lost: the edit is still there
        await pilot.press("a")  # and saving works as before
        assert not has_unsaved_edits(app.session.state)
        await pilot.press("q")  # the next task has no edits: no question
    assert app.return_value == 1
    assert answers(store) == [["reject", "accept"]]


@pytest.mark.parametrize("keys", [("q", "y"), ("ctrl+c", "ctrl+c")], ids=["q-y", "ctrl-c-twice"])
async def test_review_history_quit_with_edits_y_quits_and_keeps_saved_decisions(store: Store, keys: tuple[str, str]):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("a", "r")  # one task saved, then an edit of the next one
        await pilot.press(keys[0])
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press(keys[1])
    assert app.return_value == 1
    assert answers(store) == [["accept", "accept"]]  # the saved one is intact, the dropped edit never stored


async def test_review_history_an_edit_undone_is_not_unsaved(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("r", "z", "q")
    assert app.return_value == 0


async def test_review_history_a_task_brought_back_by_undo_counts_what_was_saved(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("r", "a", "u")  # back, as saved: nothing unsaved
        assert span_answers(app) == ["reject", "accept"]
        assert not has_unsaved_edits(app.session.state)
        await pilot.press("t")  # now it differs from what the store holds
        assert has_unsaved_edits(app.session.state)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("y")


# ---------------------------------------------------------------- undo / redo / reset


async def test_review_history_undo_and_redo_every_kind_of_edit(store: Store):
    app = make_app(store)
    async with app.run_test(size=(110, 30)) as pilot:
        st = app.session.state
        first = [(s["start"], s["end"], s["label"], s["answer"]) for s in st.spans]
        # reject, relabel, widen, theme, delete, add
        steps = [("r",), ("2",), ("right_square_bracket",), ("f1",), ("d",), ("n", "end", "left", "m", "m", "3")]
        seen = [first]
        for k, keys in enumerate(steps, start=1):
            await pilot.press(*keys)
            seen.append(([(s["start"], s["end"], s["label"], s["answer"]) for s in st.spans], dict(st.themes)))
            assert len(app.session.state.edit_history.undo) == k, (keys, st.message)
        for _ in steps:
            await pilot.press("z")
        assert [(s["start"], s["end"], s["label"], s["answer"]) for s in st.spans] == first
        assert st.themes["AI"] is False
        await pilot.press("z")
        assert "no edit to undo" in st.message
        for _ in steps:
            await pilot.press("Z")
        assert [(s["start"], s["end"], s["label"], s["answer"]) for s in st.spans] == seen[-1][0]
        await pilot.press("Z")
        assert "nothing to redo" in st.message
        await pilot.press("a")
    stored = next(iter(store.iter_decisions("eco")))
    assert [(s["text"], s["label"]) for s in stored["spans"]] == [("Safran", "ORG"), ("Toulouse", "DATE")]
    assert "AI" in stored["accept"]


async def test_review_history_a_new_edit_after_undo_drops_the_redo(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("r", "z", "right", "r", "Z")
        assert "nothing to redo" in app.session.state.message
        assert span_answers(app) == ["accept", "reject"]


async def test_review_history_reset_to_the_pre_annotation_and_undo_it(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("r", "right", "d", "f1")
        assert len(app.session.state.spans) == 1
        await pilot.press("R")
        assert span_answers(app) == ["accept", "accept"] and app.session.state.themes["AI"] is False
        assert "reset to the pre-annotation" in app.session.state.message
        await pilot.press("z")  # the reset is undone: the edits are back
        assert span_answers(app) == ["reject"] and app.session.state.themes["AI"] is True
        await pilot.press("R", "a")
    assert answers(store) == [["accept", "accept"]]


async def test_review_history_reset_of_a_task_brought_back_goes_to_the_pre_annotation(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("r", "d", "a")
    app2 = make_app(store)  # a later session: u brings the stored decision back (one span, deleted the other)
    async with app2.run_test() as pilot:
        await pilot.press("u")
        assert len(app2.session.state.spans) == 1
        await pilot.press("R")
        assert span_answers(app2) == ["accept", "accept"]
        await pilot.press("a")
    assert answers(store) == [["accept", "accept"]]


async def test_review_history_keys_are_remappable(store: Store):
    app = make_app(store, keymap={"undo_edit": "ctrl+u", "redo_edit": "ctrl+o", "reset_task": "ctrl+e"})
    async with app.run_test() as pilot:
        await pilot.press("r", "z")  # z no longer undoes an edit
        assert span_answers(app) == ["reject", "accept"]
        await pilot.press("ctrl+u")
        assert span_answers(app) == ["accept", "accept"]
        await pilot.press("ctrl+o")
        assert span_answers(app) == ["reject", "accept"]
        await pilot.press("ctrl+e")
        assert span_answers(app) == ["accept", "accept"]


# ---------------------------------------------------------------- key press cost (issue #12: p95 regression)


async def test_review_history_add_mode_keeps_the_panel_line_count(store: Store):
    """Entering or leaving add mode repaints the panel lines that changed, not the whole panel (10 KB a press
    on the 5,000-word benchmark document before)."""
    from annotate.review.widgets import ThemePanel

    app = make_app(store)
    async with app.run_test(size=(110, 30)) as pilot:
        panel = app.query_one(ThemePanel)
        lines = len(panel.content.split("\n", allow_blank=True))
        await pilot.press("n")
        assert "adding a span" in panel.content.plain
        assert len(panel.content.split("\n", allow_blank=True)) == lines
        await pilot.press("escape", "d", "d")  # no span left: the same count again
        assert len(panel.content.split("\n", allow_blank=True)) == lines


async def test_review_history_the_status_timer_ticks_only_when_no_key_drew_it(store: Store, monkeypatch):
    app = make_app(store)
    async with app.run_test() as pilot:
        drawn = []
        monkeypatch.setattr(app.query_one("#status").__class__, "show", lambda self, *a: drawn.append(a))
        await pilot.press("right")
        assert len(drawn) == 1  # the key drew the status
        app._tick_status()  # a tick right after: nothing more
        assert len(drawn) == 1
        app._status_at -= 1.0  # a second later, idle: the tick draws the clock
        app._tick_status()
        assert len(drawn) == 2


async def test_review_history_a_span_move_renders_one_panel_line_not_the_panel(store: Store, monkeypatch):
    """The side panel draws through the Line API: moving to the next span renders the lines that changed (the
    current span's), never the whole panel again (Textual's render of the whole content, on each key before)."""
    from annotate.review.widgets import ThemePanel

    app = make_app(store)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        rendered: list[int] = []
        whole: list[int] = []
        real = ThemePanel.render_line
        monkeypatch.setattr(ThemePanel, "render_line", lambda self, y: rendered.append(y) or real(self, y))
        monkeypatch.setattr(ThemePanel, "_render_content", lambda self: whole.append(1))
        await pilot.press("right")
        await pilot.pause()
        panel = app.query_one(ThemePanel)
        assert whole == []
        assert rendered and len(set(rendered)) <= 3 < len(panel.content.split("\n"))
