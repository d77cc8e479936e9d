"""Issue #12, the review screen's second edition: each fixed bug and each new key, through Textual's pilot."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from annotate.review.app import ReviewApp
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store
from reliability.helpers import make_task as build_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()


def make_task(text: str, ents: list[tuple[str, str]]) -> dict:
    return build_task(NLP, text, ents, cats={"AI": 0.2})


TASKS = [
    make_task("Airbus et Safran investissent 40 millions d'euros à Toulouse.", [("Airbus", "ORG"), ("Safran", "ORG")]),
    make_task("La Banque de France relève sa prévision de 2 %.", [("Banque de France", "ORG"), ("2 %", "PERCENT")]),
    make_task("Le Conseil a siégé lundi.", [("Conseil", "ORG")]),
]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "r.db") as s:
        s.add_tasks("eco", TASKS)
        yield s


def make_app(store: Store, annotator: str = "bea", **kw) -> ReviewApp:
    return ReviewApp(ReviewSession(store, "eco", annotator, LABELS), **kw)


def decisions(store: Store) -> list[dict]:
    return list(store.iter_decisions("eco"))


# ---------------------------------------------------------------- 1. accept / reject a span, its state visible


async def test_review_app_accept_and_reject_span_are_idempotent(store: Store):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t", "t")
        assert app.session.state.span["answer"] == "accept"
        assert "✓ORG" in app.visible_text()
        await pilot.press("r", "r")
        assert app.session.state.span["answer"] == "reject"
        assert "✗ORG" in app.visible_text()
        await pilot.press("enter", "enter")
        assert app.session.state.span["answer"] == "accept"
        await pilot.press("a")
    assert [s["answer"] for s in decisions(store)[0]["spans"]] == ["accept", "accept"]


@pytest.mark.parametrize(
    ("keys", "mark"),
    [(("right_square_bracket",), "✎ORG"), (("n", "right", "right", "right", "4"), "+PERCENT"), (("r",), "✗ORG")],
    ids=["edited", "added", "rejected"],
)
async def test_review_app_current_span_state_is_marked_not_only_coloured(store: Store, keys: tuple[str, ...], mark: str):
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*keys)
        assert mark in app.visible_text()


# ---------------------------------------------------------------- 2. undo of an answer, also in a later session


def history_answers(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as c:
        return [r[0] for r in c.execute("SELECT answer FROM decision_history ORDER BY id")]


@pytest.mark.parametrize("answer_key", ["a", "x", "space"], ids=["accept", "reject", "ignore"])
async def test_review_app_undo_brings_the_answered_task_back_editable(store: Store, answer_key: str):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press(answer_key, "u")
        assert app.session.state.text == TASKS[0]["text"]
        await pilot.press("r", "a")
        assert app.session.state.text == TASKS[1]["text"]
    (d,) = decisions(store)
    assert d["answer"] == "accept" and d["spans"][0]["answer"] == "reject"


async def test_review_app_undo_in_a_later_session_replaces_the_stored_decision(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("a", "x", "q")
    later = make_app(store)
    async with later.run_test() as pilot:
        await pilot.pause()
        assert later.session.state.text == TASKS[2]["text"]
        await pilot.press("u")
        assert later.session.state.text == TASKS[1]["text"]
        assert "undo" in later.visible_text()
        await pilot.press("r", "a")  # answered again: replaces the stored decision
        assert later.session.state.text == TASKS[2]["text"]
        await pilot.press("u", "u")  # this session's answer, then the first session's first one
        assert later.session.state.text == TASKS[0]["text"]
        await pilot.press("x")
        assert later.session.counts == {"accept": 1, "reject": 1, "ignore": 0}
    ds = decisions(store)
    assert [(d["answer"], d["text"]) for d in ds] == [("reject", TASKS[0]["text"]), ("accept", TASKS[1]["text"])]
    assert ds[1]["spans"][0]["answer"] == "reject"
    assert history_answers(store.path) == ["reject", "accept"]


async def test_review_app_undo_with_nothing_stored_says_so(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("u")
        assert app.session.state.text == TASKS[0]["text"] and "nothing to undo" in app.visible_text()


# ---------------------------------------------------------------- 4. spans never start/end on whitespace, never cross a break

NNBSP_TEXT = "Le rapport de\u202fl’AMF sort demain."
BREAK_TEXT = "Tout sur l’IA.\n\n# Semaine suivante"


async def _one_task_app(tmp_path: Path, text: str, ents: list[tuple[str, str]]) -> tuple[ReviewApp, Store]:
    store = Store(tmp_path / "one.db")
    store.add_tasks("eco", [make_task(text, ents)])
    return make_app(store), store


@pytest.mark.parametrize(
    ("text", "ents", "keys", "span_text", "message"),
    [
        (NNBSP_TEXT, [("AMF", "ORG")], ("left_square_bracket", "left_square_bracket"), "de\u202fl’AMF", "ORG is now"),
        (NNBSP_TEXT, [("de\u202fl’AMF", "ORG")], ("left_curly_bracket",), "l’AMF", "ORG is now"),
        (BREAK_TEXT, [("IA", "ORG")], ("right_square_bracket",), "IA", "does not cross a line or paragraph break"),
        (BREAK_TEXT, [("Semaine", "ORG")], ("left_square_bracket",), "Semaine", "does not cross a line or paragraph break"),
    ],
    ids=["widen-steps-over-narrow-nbsp", "shrink-steps-over-narrow-nbsp", "widen-end-refused-at-break",
         "widen-start-refused-at-break"],
)
async def test_review_app_resize_never_lands_on_whitespace_nor_crosses_a_break(
    tmp_path: Path, text: str, ents: list, keys: tuple[str, ...], span_text: str, message: str
):
    app, store = await _one_task_app(tmp_path, text, ents)
    with store:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press(*keys)
            span = app.session.state.span
            assert span["text"] == span_text and span["text"] == span["text"].strip()
            assert message in app.visible_text()


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (("n", "m", "right", "right", "m"), "does not cross a line or paragraph break"),
        (("n", "m", "right", "right", "2"), "does not cross a line or paragraph break"),
        (("n", "right", "2"), "does not start or end on '.'"),
    ],
    ids=["end-mark-across-break", "label-across-break", "punctuation-only"],
)
async def test_review_app_add_mode_refuses_breaks_and_punctuation_edges(tmp_path: Path, keys: tuple[str, ...], message: str):
    app, store = await _one_task_app(tmp_path, BREAK_TEXT, [("IA", "ORG")])
    with store:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press(*keys)
            st = app.session.state
            assert message in app.visible_text()
            assert [s["text"] for s in st.spans] == ["IA"]
            assert not st.tokens[st.cursor]["text"].isspace()


# ---------------------------------------------------------------- 5. quitting, counts, relabelling, a misspelt dataset


async def test_review_app_ctrl_c_quits_like_q(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("a", "ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert app.return_value == 1 and len(decisions(store)) == 1


async def test_review_app_saved_counts_decisions_as_the_store_has_them(store: Store):
    app = make_app(store)
    async with app.run_test() as pilot:
        await pilot.press("a", "u", "x", "a", "u", "u", "space", "q")
    assert app.return_value == 2 == len(decisions(store))
    assert app.session.saved == 2 and app.session.replaced == 0
    later = make_app(store)
    async with later.run_test() as pilot:
        await pilot.press("u", "a", "u", "x", "q")  # the same earlier decision replaced twice
    assert later.session.saved == 0 and later.session.replaced == 1 and len(decisions(store)) == 2


def _with_sources(task: dict) -> dict:
    task = dict(task, spans=[dict(s, source="model", value="v") for s in task["spans"]])
    return task


async def test_review_app_relabel_back_restores_source_and_rejected_relabel_says_it_is_kept(tmp_path: Path):
    with Store(tmp_path / "s.db") as store:
        store.add_tasks("eco", [_with_sources(TASKS[0])])
        app = make_app(store)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            assert app.session.state.span["source"] == "manual"
            await pilot.press("1")
            span = app.session.state.span
            assert (span["label"], span["source"], span.get("value")) == ("ORG", "model", "v")
            await pilot.press("right", "r", "3")
            assert app.session.state.span["answer"] == "accept"
            screen = app.visible_text()
            assert "it was rejected, it is kept now" in screen and "✎DATE" in screen


def test_review_cli_stats_says_1_session(tmp_path: Path, capsys):
    from annotate.cli.main import main

    db = tmp_path / "c.db"
    with Store(db) as s:
        s.add_tasks("eco", TASKS[:1])
        s.add_decision("eco", TASKS[0], answer="accept", annotator="bea", session="s1")
    assert main(["db", "stats", "eco", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "1 task, 1 decision, 1 session," in out


def test_review_cli_resume_of_a_misspelt_dataset_says_did_you_mean(tmp_path: Path, store: Store, capsys):
    from annotate.cli.main import main

    code = main(["review", "-d", "ecoo", "--db", str(store.path)])
    err = capsys.readouterr().err
    assert code != 0 and "[E313]" in err and "did you mean 'eco'" in err


# ---------------------------------------------------------------- 6. control characters are drawn visibly, never sent raw

HOSTILE = "Acme \x1b]2;PWNED\x1b\\ signe\x1b[?1049l un accord \x07 de 3\x9b1m millions\r fin.\tOK"


async def test_review_app_control_characters_are_drawn_visibly(tmp_path: Path):
    with Store(tmp_path / "h.db") as store:
        store.add_tasks("eco", [make_task(HOSTILE, [("Acme", "ORG"), ("accord", "ORG")])])
        app = make_app(store)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("right")
            doc = app.query_one("#doc")
            drawn = "".join(seg.text for y in range(doc.size.height) for seg in doc.render_line(y))
            screen = app.visible_text()
            for shown in (drawn, screen):
                assert "␛]2;PWNED␛\\" in shown and "␛[?1049l" in shown and "␇" in shown and "␍" in shown
                assert not any(ord(c) < 0x20 and c not in "\n\t" or 0x7F <= ord(c) < 0xA0 for c in shown)
            assert app.session.state.span["text"] == "accord"
            await pilot.press("a")
        (d,) = decisions(store)
    assert d["text"] == HOSTILE  # stored as it came: offsets unchanged
    assert [HOSTILE[s["start"]:s["end"]] for s in d["spans"]] == ["Acme", "accord"]


# ---------------------------------------------------------------- features: moving around


async def test_review_app_home_end_and_next_span_of_the_same_label(tmp_path: Path):
    text = "Airbus vend à Safran 5 % de parts ; Thales reste à 2 %."
    with Store(tmp_path / "m.db") as store:
        store.add_tasks("eco", [make_task(text, [("Airbus", "ORG"), ("Safran", "ORG"), ("5 %", "PERCENT"),
                                                 ("Thales", "ORG"), ("2 %", "PERCENT")])])
        app = make_app(store)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("end")
            assert app.session.state.span["text"] == "2 %"
            await pilot.press("home")
            assert app.session.state.span["text"] == "Airbus"
            await pilot.press("s", "s")
            assert app.session.state.span["text"] == "Thales"
            await pilot.press("s")
            assert app.session.state.span["text"] == "Airbus" and "from the start again" in app.visible_text()
            await pilot.press("right", "right", "s")
            assert app.session.state.span["text"] == "2 %"
            await pilot.press("n", "end")
            st = app.session.state
            assert st.tokens[st.cursor]["text"] == "."
            await pilot.press("home")
            assert st.cursor == 0


async def test_review_app_page_down_and_up_scroll_a_page(tmp_path: Path):
    words = " ".join(f"mot{i}" for i in range(900))
    with Store(tmp_path / "p.db") as store:
        store.add_tasks("eco", [make_task(f"Airbus {words}.", [("Airbus", "ORG")])])
        app = make_app(store)
        async with app.run_test(size=(80, 24)) as pilot:
            doc = app.query_one("#doc")
            await pilot.pause()
            page = doc.scrollable_content_region.height - 1
            await pilot.press("pagedown")
            await pilot.pause()
            assert doc.scroll_offset.y == page > 3
            await pilot.press("pagedown", "pageup")
            await pilot.pause()
            assert doc.scroll_offset.y == page


# ---------------------------------------------------------------- features: the status bar


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_review_app_status_shows_the_task_timer_and_tasks_per_hour(store: Store):
    clock = FakeClock()
    app = ReviewApp(ReviewSession(store, "eco", "bea", LABELS, clock=clock))
    async with app.run_test(size=(120, 30)) as pilot:
        clock.now += 75
        app.redraw_status()
        await pilot.pause()
        screen = app.visible_text()
        assert "⏱ 1:15" in screen and "tasks/h" not in screen
        clock.now += 45  # 2 minutes for the first task
        await pilot.press("a")
        clock.now += 5
        app.redraw_status()
        screen = app.visible_text()
        assert "⏱ 0:05" in screen and "29 tasks/h" in screen  # 1 task in 125 s


# ---------------------------------------------------------------- features: theme and label keys through the keymap


async def test_review_app_theme_and_label_keys_are_remapped_by_the_keymap(store: Store):
    app = make_app(store, keymap={"theme_AI": "ctrl+a", "label_ORG": "o"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")  # no longer AI's key
        assert app.session.state.themes["AI"] is False
        await pilot.press("ctrl+a", "2")
        assert app.session.state.themes["AI"] is True and app.session.state.span["label"] == "MONEY"
        await pilot.press("1")  # no longer ORG's key
        assert app.session.state.span["label"] == "MONEY"
        await pilot.press("o")
        assert app.session.state.span["label"] == "ORG"
        assert "CTRL+A" in app.visible_text()
        await pilot.press("question_mark")
        assert "CTRL+A" in app.screen.text.plain


@pytest.mark.parametrize(
    ("content", "needle"),
    [('theme_IA = "ctrl+a"\n', "did you mean 'theme_AI'"), ('theme_AI = "a"\n', "key 'a' is bound to accept and to theme AI")],
    ids=["unknown-theme", "theme-key-clash"],
)
def test_review_keymap_theme_entries_are_checked_with_the_labels(tmp_path: Path, content: str, needle: str):
    from annotate.errors import AnnotateError
    from annotate.review.keymap import check_keys, read_keymap

    km = tmp_path / "k.toml"
    km.write_text(content)
    with pytest.raises(AnnotateError) as info:
        check_keys(read_keymap(km), LABELS, keymap_path=km)
    assert needle in str(info.value) and str(km) in str(info.value) and info.value.exit_code == 2


# ---------------------------------------------------------------- features: the current span in the panel


async def test_review_app_panel_shows_the_current_span_source_and_value(tmp_path: Path):
    task = make_task("Le 6 août 2026, Airbus signe.", [("6 août 2026", "DATE"), ("Airbus", "ORG")])
    task["spans"][0].update(source="rules", value="2026-08-06")
    task["spans"][1].update(source="model")
    with Store(tmp_path / "v.db") as store:
        store.add_tasks("eco", [task])
        app = make_app(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            screen = app.visible_text()
            assert "DATE ✓ kept" in screen and "source rules · 2026-08-06" in screen
            side = app.query_one("#side")
            assert len(side.content.plain.rstrip("\n").split("\n")) <= side.content_region.height  # fits at 80×24
            await pilot.press("right", "r")
            screen = app.visible_text()
            assert "ORG ✗ rejected" in screen and "source model" in screen and "2026-08-06" not in screen


# ---------------------------------------------------------------- features: 80×24


@pytest.mark.parametrize(("size", "side"), [((80, 24), 32), ((110, 30), 40), ((160, 40), 44)], ids=["80x24", "110x30", "160x40"])
async def test_review_app_footer_keeps_help_and_quit_and_the_panel_follows_the_width(store: Store, size, side: int):
    app = make_app(store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        keys = app.query_one("#keys")
        rows = keys.content_region.height
        lines = [line.plain for line in keys.content.wrap(app.console, keys.content_region.width)]
        shown = " ".join(" ".join(lines).split())
        assert len(lines) <= rows and ("? help" in shown or "?/f12 help" in shown) and "q quit" in shown
        assert app.query_one("#side").outer_size.width == side
        panel = app.query_one("#side")
        assert all(len(line) <= panel.content_region.width for line in panel.content.plain.split("\n"))
