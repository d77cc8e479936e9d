"""The review screen, driven by Textual's pilot: every action on its key."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from annotate.review.app import ReviewApp
from annotate.review.keymap import ACTION_IDS
from annotate.review.layout import Layout
from annotate.review.screens import HelpScreen
from annotate.review.widgets import DocView
from annotate.review.loader import iter_review_tasks, load_tasks
from annotate.review.session import ReviewLabels, ReviewSession, TaskState
from annotate.store import Store
from annotate.tasks import doc_to_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()


def make_task(text: str, ents: list[tuple[str, str]], cats: dict | None = None) -> dict:
    doc = NLP.make_doc(text)
    spans = []
    for phrase, label in ents:
        i = text.index(phrase)
        spans.append(doc.char_span(i, i + len(phrase), label=label))
    doc.ents = spans
    doc.cats = cats if cats is not None else {"AI": 0.9, "FINANCE": 0.1}
    return doc_to_task(doc, meta={"lang": "fr"})


TASKS = [
    make_task("Microsoft et OpenAI ont signé en 2032 un accord de 250 milliards de dollars.",
              [("Microsoft", "ORG"), ("OpenAI", "ORG"), ("2032", "DATE")]),
    make_task("Nvidia a gagné 5 % mardi.", [("Nvidia", "ORG"), ("5 %", "PERCENT")]),
    make_task("La BCE garde ses taux.", [("BCE", "ORG")]),
]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("news", TASKS)
        yield s


def make_app(store: Store, **kw) -> ReviewApp:
    return ReviewApp(ReviewSession(store, "news", "alice", LABELS), **kw)


def decisions(store: Store) -> list[dict]:
    return list(store.iter_decisions("news"))


async def test_review_app_shows_text_spans_themes_and_progress(store: Store):
    app = make_app(store)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        screen = app.visible_text()
        for needle in ("Microsoft", "ORG", "DATE", "news", "alice", "0 / 3 done", "FINANCE", "ACCEPT", "relabel"):
            assert needle in screen, needle


async def test_review_app_accept_saves_span_states_and_themes(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("right", "r", "f2", "f1", "a")
        assert app.session.state.text == TASKS[1]["text"]
    (d,) = decisions(store)
    assert d["answer"] == "accept" and d["_annotator_id"] == "alice"
    assert [s["answer"] for s in d["spans"]] == ["accept", "reject", "accept"]
    assert d["accept"] == ["DEALS"]
    assert d["_seconds"] >= 0


async def test_review_app_reject_ignore_and_progress(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("x", "space")
        assert app.session.counts == {"accept": 0, "reject": 1, "ignore": 1}
        assert "2 / 3 done" in app.visible_text()
    assert [d["answer"] for d in decisions(store)] == ["reject", "ignore"]


async def test_review_app_prev_span_and_relabel_keys(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("right", "right", "left", "2")
        assert app.session.state.span["label"] == "MONEY"
        await pilot.press("l", "h", "h", "3", "a")
    d = decisions(store)[0]
    assert [s["label"] for s in d["spans"]] == ["DATE", "MONEY", "DATE"]


async def test_review_app_widen_shrink_keys(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("right", "right_square_bracket", "right_square_bracket")
        assert app.session.state.span["text"] == "OpenAI ont signé"
        await pilot.press("right_curly_bracket")
        assert app.session.state.span["text"] == "OpenAI ont"
        await pilot.press("left_square_bracket")
        assert app.session.state.span["text"] == "et OpenAI ont"
        await pilot.press("left_curly_bracket", "a")
    assert decisions(store)[0]["spans"][1]["text"] == "OpenAI ont"


async def test_review_app_delete_key(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("d", "a")
    assert [s["text"] for s in decisions(store)[0]["spans"]] == ["OpenAI", "2032"]


async def test_review_app_add_span_with_token_cursor(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        # from "2032" (token 6), the cursor goes to "250" (token 10), marks, extends to "dollars" (13)
        await pilot.press("right", "right", "n")
        assert app.session.state.adding and "ADD MODE" in app.visible_text()
        await pilot.press(*["right"] * 4, "m", *["right"] * 3, "m", "2")
        st = app.session.state
        assert not st.adding and st.span["text"] == "250 milliards de dollars" and st.span["label"] == "MONEY"
        await pilot.press("a")
    assert [s["label"] for s in decisions(store)[0]["spans"]] == ["ORG", "ORG", "DATE", "MONEY"]


async def test_review_app_escape_cancels_add(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("n", "right", "escape")
        assert not app.session.state.adding
        await pilot.press("a")
    assert len(decisions(store)[0]["spans"]) == 3


async def test_review_app_undo_brings_back_editable_and_replaces(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("a", "x")
        await pilot.press("u")
        assert app.session.state.text == TASKS[1]["text"]
        await pilot.press("backspace")
        assert app.session.state.text == TASKS[0]["text"]
        await pilot.press("r", "x")
        assert app.session.state.text == TASKS[1]["text"]
        await pilot.press("a")
    ds = decisions(store)
    assert [d["answer"] for d in ds] == ["reject", "accept"]
    assert ds[0]["spans"][0]["answer"] == "reject"


async def test_review_app_quit_keeps_decisions_and_resumes(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("a", "q")
    assert app.return_value == 1
    app2 = make_app(store)
    async with app2.run_test() as pilot:
        await pilot.pause()
        assert app2.session.state.text == TASKS[1]["text"]
        assert "1 / 3 done" in app2.visible_text()


async def test_review_app_help_screen_lists_every_action(store: Store):
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text.plain
        for needle in ("next span", "widen", "shrink", "delete", "add a span", "undo", "ORG", "F10", "EMPLOYMENT"):
            assert needle in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_review_app_keymap_remaps_actions(store: Store):
    app = make_app(store, keymap={"accept": "y", "next_span": "j"})
    async with app.run_test() as pilot:
        await pilot.press("j", "r", "a")  # "a" no longer accepts
        assert decisions(store) == []
        await pilot.press("y")
        assert "y ACCEPT" in app.key_line().plain
    assert decisions(store)[0]["spans"][1]["answer"] == "reject"


async def test_review_app_finished_screen(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("a", "a", "a")
        assert app.session.state is None
        assert "All tasks of this dataset are reviewed" in app.visible_text()
        await pilot.press("u")
        assert app.session.state.text == TASKS[2]["text"]


async def test_review_app_background_loader_shows_first_batch(tmp_path: Path):
    import json

    src = tmp_path / "in.jsonl"
    bad = {"text": "x", "spans": [{"start": 0, "end": 5, "label": "ORG"}]}
    src.write_text("\n".join(json.dumps(t) for t in [TASKS[0], bad, TASKS[1]]) + "\n")
    with Store(tmp_path / "a.db") as s:
        sess = ReviewSession(s, "news", "alice", LABELS, loading=True)

        def loader(progress, bad_line, stop):
            with Store(tmp_path / "a.db") as own:
                load_tasks(own, "news", iter_review_tasks([src], LABELS, on_error=bad_line), on_batch=progress)

        app = ReviewApp(sess, loader=loader)
        async with app.run_test() as pilot:
            for _ in range(50):
                await pilot.pause(0.05)
                if not sess.loading:
                    break
            assert sess.state is not None and sess.state.text == TASKS[0]["text"]
            assert sess.total == 2 and len(app.bad_lines) == 1
            assert "1 bad line(s) not loaded" in app.visible_text()


def test_review_app_layout_wraps_and_finds_the_current_span():
    words = " ".join(f"mot{i}" for i in range(400)) + " Acme fin.\n\nDeuxième paragraphe : la BCE."
    st = TaskState(make_task(words, [("Acme", "ORG"), ("BCE", "ORG")]), LABELS)
    lay = Layout()
    lay.update(st, 40)
    lines = [[(st.text[a:b] if not t else f" {st.spans[o]['label']}") for a, b, o, t in line] for line in lay.lines]
    assert all(sum(len(x) for x in line) <= 40 for line in lines)
    assert "Acme" in "".join(lines[lay.first_line[0]]) and "BCE" in "".join(lines[lay.first_line[1]])
    assert "".join("".join(line) for line in lines).replace(" ", "").startswith("mot0mot1")
    assert "".join(lines[-1]).startswith("Deuxième") and lines[-2] == []
    # a span edit in the second paragraph re-wraps that paragraph only
    before = lay.wrapped
    st.next_span()
    st.widen_start()
    lay.update(st, 40)
    assert lay.wrapped == before + 1
    assert "la BCE ORG" in "".join("".join(x for x in line) for line in
                                   [[(st.text[a:b] if not t else f" {st.spans[o]['label']}") for a, b, o, t in line] for line in lay.lines[-2:]])


async def test_review_app_long_document_keeps_current_span_in_view(tmp_path: Path):
    text = " ".join(f"mot{i}" for i in range(3000)) + " Acme paie. " + " ".join(f"fin{i}" for i in range(500)) + " BCE."
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("news", [make_task(text, [("Acme", "ORG"), ("BCE", "ORG")])])
        app = make_app(s)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            view = app.query_one(DocView)
            assert "Acme" in app.visible_text() and view.scroll_offset.y > 50
            await pilot.press("right")
            await pilot.pause()
            assert "BCE" in app.visible_text()


def _long_paragraph_task(n_words: int = 1200) -> dict:
    import random

    rnd = random.Random(0)
    words = [rnd.choice(["Acme", "le", "marché", "a", "gagné", "5", "%", "en", "2024", "la", "BCE", "taux"]) for _ in range(n_words)]
    text = " ".join(words)
    doc = NLP.make_doc(text)
    doc.ents = [doc.char_span(t.idx, t.idx + len(t.text), label="DATE" if t.text == "2024" else "ORG")
                for t in doc if t.text in ("Acme", "BCE", "2024")]
    doc.cats = {"FINANCE": 0.8}
    return doc_to_task(doc)


def test_review_app_layout_rewrap_matches_a_fresh_wrap():
    # relabels (label width changes), resizes and deletes near the start of one long paragraph: the lines kept
    # from the previous layout and the re-wrapped ones are exactly what wrapping from scratch gives
    import random

    rnd = random.Random(1)
    for width in (40, 116):
        st = TaskState(_long_paragraph_task(), LABELS)
        lay = Layout()
        lay.update(st, width)
        for _ in range(60):
            for _ in range(rnd.randint(0, 4)):
                st.next_span()
            rnd.choice([lambda: st.relabel(rnd.choice(["ORG", "MONEY", "DATE", "PERCENT"])), st.widen_end, st.shrink_end,
                        st.widen_start, st.shrink_start, st.toggle_span, st.delete_span, st.prev_span])()
            lay.update(st, width)
            fresh = Layout()
            fresh.update(st, width)
            assert lay.lines == fresh.lines and lay.first_line == fresh.first_line


async def test_review_app_partial_repaints_leave_the_screen_as_a_full_repaint_would(tmp_path: Path):
    # keys repaint only the rows and panel lines they change: the screen then equals a full repaint of everything
    with Store(tmp_path / "a.db") as s:
        s.add_tasks("news", [_long_paragraph_task()])
        app = make_app(s)
        async with app.run_test(size=(100, 30)) as pilot:
            app.task_timer.pause()  # the status bar's clock would tick between the two screenshots
            await pilot.pause()
            for key in ["right", "right", "t", "right_square_bracket", "2", "f1", "left", "right_curly_bracket", "4", "n",
                        "right", "m", "right", "escape", "1", "down", "t", "up", "left_square_bracket", "d", "f1"]:
                await pilot.press(key)
                await pilot.pause()
                partial = app.export_screenshot()
                for widget in app.query("*"):
                    widget.refresh()
                await pilot.pause()
                assert app.export_screenshot() == partial, key


@pytest.mark.parametrize("action", [*ACTION_IDS, "relabel", "toggle_theme"])
def test_review_app_every_action_has_a_handler(action: str):
    # a binding whose action has no handler does nothing, silently: every id of the table is handled
    assert callable(getattr(ReviewApp, f"action_{action}", None)), action


async def test_review_app_freezes_the_heap_once_and_collects_at_task_changes(store: Store, monkeypatch):
    import gc

    import annotate.review.app as review_app

    calls: list[str] = []
    monkeypatch.setattr(review_app.gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(review_app.gc, "collect", lambda *a: calls.append("collect"))
    before = gc.get_threshold()
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert calls == ["freeze"] and gc.get_threshold()[2] > before[2]  # automatic full collections off
        await pilot.press("right", "t", "f1")  # edits of the task on screen: nothing
        await pilot.pause()
        assert calls == ["freeze"]
        await pilot.press("a", "x")  # two other tasks shown: a full collection after each
        await pilot.pause()
        assert calls == ["freeze", "collect", "collect"]
    assert app.heap_settled == {"first screen": 1, "task": 2}
    assert gc.get_threshold() == before


async def test_review_app_span_styles_come_from_the_stylesheet_and_the_label_colours(store: Store):
    from rich.style import Style

    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.pause()
        st = app.query_one(DocView).styles_
    for e in LABELS.entities:  # labels/labels.toml colours, with the ink and text styles of review.tcss
        assert st.span[e.name] == Style(color="#000000", bgcolor=e.color)
        assert st.current[e.name] == Style(color="#000000", bgcolor=e.color, bold=True, underline=True)
        assert st.rejected[e.name] == Style(color=e.color, strike=True, dim=True)
    assert st.cursor == Style(color="#000000", bgcolor="#ffd75f", bold=True)
    assert st.selection == Style(color="#ffffff", bgcolor="#5f5fd7", underline=True)
    assert st.unknown == Style(color="#000000", bgcolor="#aaaaaa")


async def test_review_app_background_loader_turns_full_collections_off_only_when_done(tmp_path: Path):
    import gc
    import json
    import threading

    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(t) for t in TASKS) + "\n")
    release = threading.Event()
    before = gc.get_threshold()
    with Store(tmp_path / "a.db") as s:
        sess = ReviewSession(s, "news", "alice", LABELS, loading=True)

        def loader(progress, bad_line, stop):
            with Store(tmp_path / "a.db") as own:
                load_tasks(own, "news", iter_review_tasks([src], LABELS, on_error=bad_line), on_batch=progress)
            release.wait(10)  # still loading until the test lets it end

        app = ReviewApp(sess, loader=loader)
        async with app.run_test() as pilot:
            for _ in range(50):
                await pilot.pause(0.05)
                if sess.state is not None:
                    break
            await pilot.pause(0.1)
            assert sess.loading and gc.get_threshold() == before  # the collector keeps its pace while loading
            release.set()
            for _ in range(50):
                await pilot.pause(0.05)
                if not sess.loading:
                    break
            await pilot.pause(0.1)
            assert app.heap_settled.get("loader done") == 1 and gc.get_threshold()[2] > before[2]
        assert gc.get_threshold() == before
