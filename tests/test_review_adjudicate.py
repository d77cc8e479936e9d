"""The adjudication screen (annotate review --adjudicate), driven by Textual's pilot on a store with three
annotators' decisions (tests/adjudication_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adjudication_data import TASKS, fill, gold_of
from annotate.cli.main import main
from annotate.review.adjudication import AdjudicationSession
from annotate.review.screens.adjudicate import AdjudicationApp
from annotate.review.session import ReviewLabels
from annotate.store import Store

LABELS = ReviewLabels.load()


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "t.db") as s:
        fill(s)
        yield s


def make_app(store: Store, **kw) -> AdjudicationApp:
    return AdjudicationApp(AdjudicationSession(store, "news", "gold", "judge", LABELS, **kw))


async def test_review_adjudicate_session_produces_the_expected_gold_dataset(store: Store):
    app = make_app(store)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        shown = app.visible_text()
        assert "alice accept · bob accept · carol accept" in shown
        assert "spans 1 agreed, 3 disputed · themes 8 agreed, 2 disputed" in shown
        assert "adjudicating" in shown and "news →" in shown
        # the majority version is pre-selected: Airbus and Safran kept, bob's MONEY span and Toulouse rejected
        assert [s["answer"] for s in app.session.state.spans] == ["accept", "accept", "reject", "reject"]
        await pilot.press("right", "right", "t")  # keep the MONEY span that only bob kept
        assert "▸≠ MONEY" in app.visible_text()
        await pilot.press("f2")  # DEALS (2 of 3) off
        await pilot.press("a")
        assert app.session.state.text == TASKS[1]["text"]
        assert "spans 2 agreed, 0 disputed" in app.visible_text()
        await pilot.press("a")  # the agreed task, as it is
        assert app.session.state.text == TASKS[2]["text"]
        assert "→ majority reject" in app.visible_text()
        await pilot.press("x")
        assert app.session.state is None
    assert gold_of(store) == [
        (TASKS[0]["text"], "accept",
         [("Airbus", "ORG", "accept"), ("Safran", "ORG", "accept"), ("40 millions d'euros", "MONEY", "accept"),
          ("Toulouse", "ORG", "reject")], ["FINANCE"]),
        (TASKS[1]["text"], "accept", [("Banque de France", "ORG", "accept"), ("2 %", "PERCENT", "accept")],
         ["FINANCE"]),
        (TASKS[2]["text"], "reject", [("Conseil", "ORG", "accept")], ["AI"]),
    ]
    decisions = list(store.iter_decisions("gold"))
    assert {d["_annotator_id"] for d in decisions} == {"judge"}
    assert [d["meta"]["adjudication"]["answers"] for d in decisions][2] == {
        "alice": "reject", "bob": "accept", "carol": "reject"}
    assert store.count_tasks("gold") == 3
    assert store.count_decisions("news") == 10  # the annotators' decisions are untouched


async def test_review_adjudicate_auto_accept_agreed_shows_only_the_disputed_tasks(store: Store):
    app = make_app(store, auto_accept_agreed=True)
    seen = []
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        assert "1 agreed merged" in app.visible_text()
        while app.session.state is not None:
            seen.append(app.session.state.text)
            await pilot.press("a")
    assert seen == [TASKS[0]["text"], TASKS[2]["text"]]
    gold = gold_of(store)
    assert [g[0] for g in gold] == [TASKS[1]["text"], TASKS[0]["text"], TASKS[2]["text"]]
    # accepted as pre-selected: the majority version of each
    assert gold[1][2] == [("Airbus", "ORG", "accept"), ("Safran", "ORG", "accept"),
                          ("40 millions d'euros", "MONEY", "reject"), ("Toulouse", "ORG", "reject")]
    assert gold[1][3] == ["DEALS", "FINANCE"]


async def test_review_adjudicate_resumes_and_undo_replaces_the_final_version(store: Store):
    app = make_app(store)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("a", "q")
    later = make_app(store)
    assert later.session.already == 1
    async with later.run_test(size=(130, 40)) as pilot:
        await pilot.pause()
        assert later.session.state.text == TASKS[1]["text"]
        await pilot.press("u")  # the first session's final version comes back, with its versions panel
        assert later.session.state.text == TASKS[0]["text"]
        assert "alice accept · bob accept" in later.visible_text()
        await pilot.press("x")
    assert [(g[0], g[1]) for g in gold_of(store)] == [(TASKS[0]["text"], "reject")]


def test_review_adjudicate_cli_auto_accept_without_screen_when_all_agree(tmp_path: Path, capsys):
    db = tmp_path / "t.db"
    with Store(db) as s:
        fill(s)
        s.drop("news")
        from adjudication_data import DECISIONS, version

        s.add_tasks("news", TASKS)
        for who, i, answer, keep, themes, add in DECISIONS:
            if i == 1:
                s.add_decision("news", version(TASKS[i], keep, themes, add=add), answer=answer, annotator=who,
                               session="s")
    code = main(["review", "--dataset", "news", "--adjudicate", "-o", "gold", "--auto-accept-agreed",
                 "--db", str(db), "--annotator", "judge"])
    assert code == 0
    assert "1 task(s) answered by 2+ annotators; 0 decided before, 1 agreed merged, 0 adjudicated now, 0 left" in (
        capsys.readouterr().err)
    with Store(db) as s:
        assert [g[1] for g in gold_of(s)] == ["accept"]


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--adjudicate"], "E730"), (["-o", "gold"], "E733"), (["--adjudicate", "-o", "news"], "E731"),
     (["in.jsonl", "--adjudicate", "-o", "gold"], "E732"), (["--adjudicate", "-o", "gold", "--accept-all"], "E736")],
    ids=["no-output", "output-alone", "gold-is-source", "input-file", "accept-all"],
)
def test_review_adjudicate_cli_usage_errors(tmp_path: Path, capsys, args: list[str], code: str):
    db = tmp_path / "t.db"
    with Store(db) as s:
        fill(s)
    assert main(["review", "--dataset", "news", "--db", str(db), *args]) == 2
    err = capsys.readouterr().err
    assert f"[{code}]" in err and err.count("\n") == 1


async def test_review_adjudicate_gold_dataset_exports_like_any_other(store: Store, tmp_path: Path, capsys):
    import json

    app = make_app(store, auto_accept_agreed=True)
    async with app.run_test(size=(130, 40)) as pilot:
        await pilot.press("a", "a")
    out = tmp_path / "gold.jsonl"
    assert main(["export", "gold", "-o", str(out), "--db", str(store.path)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["text"] for r in rows) == sorted(t["text"] for t in TASKS[:3])
    first = next(r for r in rows if r["text"] == TASKS[0]["text"])
    assert [(s["text"], s["label"]) for s in first["spans"] if s.get("answer", "accept") == "accept"] == [
        ("Airbus", "ORG"), ("Safran", "ORG")]


def test_review_adjudicate_cli_without_a_terminal_stores_nothing(tmp_path: Path, capsys):
    db = tmp_path / "t.db"
    with Store(db) as s:
        fill(s)
    code = main(["review", "--dataset", "news", "--adjudicate", "-o", "gold", "--auto-accept-agreed", "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "[E737]" in err and "2 task(s) to adjudicate" in err
    with Store(db) as s:
        assert not s.has_dataset("gold")  # the agreed task was not merged either


def test_review_adjudicate_panel_keeps_the_current_span_in_view_and_marks_spans_of_the_adjudicator(tmp_path: Path):
    from adjudication_data import NLP, version
    from reliability.helpers import make_task

    from annotate.review.widgets.versions import render_versions

    words = [f"Firme{i}" for i in range(30)]
    task = make_task(NLP, " et ".join(words) + ".", [(w, "ORG") for w in words], cats={"AI": 0.1})
    with Store(tmp_path / "w.db") as s:
        s.add_tasks("news", [task])
        s.add_decision("news", version(task, set(words), []), answer="accept", annotator="ann", session="a")
        s.add_decision("news", version(task, set(words[::2]), []), answer="accept", annotator="ben", session="b")
        session = AdjudicationSession(s, "news", "gold", "judge", LABELS)
        state = session.state
        state.last_span()
        text = render_versions(state, LABELS, width=100, height=12).plain.splitlines()
        assert len(text) == 12 and text[-1].startswith("▸≠ ORG") and "Firme29" in text[-1]
        assert not any("Firme0 " in line for line in text)  # scrolled past the first spans
        state.delete_span()  # Firme29
        state.start_add()
        state.move_cursor(len(state.tokens), to_end=True)
        while state.tokens[state.cursor]["text"] != "Firme29":
            state.move_cursor(-1)
        assert state.finish_add("MONEY"), state.message  # the adjudicator's own span: in no version
        text = render_versions(state, LABELS, width=100, height=40).plain
        assert "+ MONEY" in text and "new" in text


def test_review_adjudicate_two_adjudicators_at_once_keep_one_final_version_per_task(store: Store):
    first = AdjudicationSession(store, "news", "gold", "judge", LABELS)
    second = AdjudicationSession(store, "news", "gold", "judy", LABELS)
    assert first.state.text == second.state.text == TASKS[0]["text"]
    first.answer("accept")
    assert second.answer("reject") is None  # judge decided it meanwhile
    assert "judge stored a final version of the previous task meanwhile" in second.state.message
    assert second.state.text == TASKS[1]["text"]
    assert [(d["_annotator_id"], d["answer"]) for d in store.iter_decisions("gold")] == [("judge", "accept")]
