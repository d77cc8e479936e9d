"""The review state without a screen: span edits, adding spans, themes, decisions, undo, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from annotate.errors import AnnotateError
from annotate.review.loader import check_review_input, iter_review_tasks, load_tasks, validate_task
from annotate.review.session import ReviewLabels, ReviewSession, TaskState
from annotate.store import Store
from annotate.tasks import doc_to_task

NLP = spacy.blank("fr")
LABELS = ReviewLabels.load()
TEXT = "Microsoft et OpenAI ont signé un accord de 250 milliards de dollars en 2032."


def make_task(text: str = TEXT, ents: list[tuple[str, str]] | None = None, cats: dict | None = None) -> dict:
    doc = NLP.make_doc(text)
    spans = []
    for phrase, label in ents if ents is not None else [("Microsoft", "ORG"), ("OpenAI", "ORG"), ("2032", "DATE")]:
        i = text.index(phrase)
        spans.append(doc.char_span(i, i + len(phrase), label=label))
    doc.ents = spans
    doc.cats = cats if cats is not None else {"AI": 0.9, "DEALS": 0.7, "FINANCE": 0.2}
    return doc_to_task(doc, meta={"lang": "fr"})


def state(task: dict | None = None) -> TaskState:
    return TaskState(task or make_task(), LABELS)


def test_review_session_span_navigation_and_toggle():
    st = state()
    assert st.span["text"] == "Microsoft"
    assert st.next_span() and st.span["text"] == "OpenAI"
    assert st.toggle_span() and st.span["answer"] == "reject"
    assert st.toggle_span() and st.span["answer"] == "accept"
    st.next_span()
    st.next_span()  # stays on the last span
    assert st.span["text"] == "2032"
    st.prev_span()
    assert st.span["text"] == "OpenAI"


def test_review_session_relabel_keeps_offsets():
    st = state()
    st.next_span()
    assert st.relabel("MONEY")
    s = st.span
    assert (s["label"], s["text"], s["start"], s["source"]) == ("MONEY", "OpenAI", 13, "manual")
    assert not st.relabel("NOPE") and "unknown label" in st.message


@pytest.mark.parametrize(
    "action,expected",
    [
        ("widen_start", "et OpenAI"),
        ("widen_end", "OpenAI ont"),
        ("shrink_start", None),
        ("shrink_end", None),
    ],
    ids=["widen-start", "widen-end", "shrink-start-refused", "shrink-end-refused"],
)
def test_review_session_resize_by_a_token(action, expected):
    st = state()
    st.next_span()
    ok = getattr(st, action)()
    if expected is None:
        assert not ok and st.span["text"] == "OpenAI"
    else:
        assert ok and st.span["text"] == expected
        assert st.text[st.span["start"]:st.span["end"]] == expected


def test_review_session_widen_then_shrink_multi_token_span():
    st = state(make_task(ents=[("250 milliards", "MONEY")]))
    assert st.widen_end() and st.widen_end()
    assert st.span["text"] == "250 milliards de dollars"
    assert st.shrink_start() and st.span["text"] == "milliards de dollars"
    assert st.span["token_start"] == st._token_range(st.span["start"], st.span["end"])[0]


def test_review_session_widen_into_accepted_neighbour_is_refused():
    st = state(make_task(ents=[("Microsoft", "ORG"), ("et", "ORG")]))
    assert not st.widen_end() and "overlap" in st.message
    st.next_span()
    st.toggle_span()  # reject "et"
    st.prev_span()
    assert st.widen_end() and st.span["text"] == "Microsoft et"


def test_review_session_delete_span():
    st = state()
    st.next_span()
    assert st.delete_span()
    assert [s["text"] for s in st.spans] == ["Microsoft", "2032"]
    assert st.span["text"] == "2032"
    st.delete_span()
    st.delete_span()
    assert st.span is None and not st.delete_span()


def test_review_session_add_span_with_marks():
    st = state(make_task(ents=[]))
    assert st.span is None
    assert st.start_add() and st.adding
    for _ in range(8):
        st.next_span()  # moves the token cursor in add mode
    st.mark()
    st.move_cursor(3)
    st.mark()
    assert st.selection == (8, 11)
    assert st.relabel("MONEY")
    assert not st.adding
    assert st.span["text"] == "250 milliards de dollars" and st.span["label"] == "MONEY"
    assert st.span["answer"] == "accept" and st.span["source"] == "manual"


def test_review_session_add_single_token_and_cancel():
    st = state(make_task(ents=[]))
    st.start_add()
    st.move_cursor(2)
    assert st.relabel("ORG") and st.span["text"] == "OpenAI"
    st.start_add()
    st.cancel_add()
    assert not st.adding and len(st.spans) == 1


def test_review_session_add_over_accepted_span_refused():
    st = state()
    st.start_add()
    assert not st.relabel("MONEY") and "overlaps accepted ORG 'Microsoft'" in st.message
    assert len(st.spans) == 3


def test_review_session_themes_from_scores_and_toggle():
    st = state()
    assert st.accepted_themes == ["AI", "DEALS"]
    st.toggle_theme("DEALS")
    st.toggle_theme("FINANCE")
    task = st.to_task()
    assert task["accept"] == ["AI", "FINANCE"]


def test_review_session_themes_from_accept_list():
    task = make_task()
    task["accept"] = ["ENERGY"]
    assert state(task).accepted_themes == ["ENERGY"]


def test_review_session_to_task_keeps_everything():
    task = make_task()
    task["custom"] = {"x": 1}
    st = state(task)
    st.toggle_span()
    out = st.to_task()
    assert out["custom"] == {"x": 1} and out["_task_hash"] == task["_task_hash"]
    assert [s["answer"] for s in out["spans"]] == ["reject", "accept", "accept"]
    assert out["tokens"] == task["tokens"] and out["cats"] == task["cats"]


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "a.db") as s:
        yield s


def test_review_session_answers_undo_and_resume(store: Store):
    tasks = [make_task(f"Société {i} : Acme a gagné 5 % en 2024.", [("Acme", "ORG")]) for i in range(4)]
    store.add_tasks("news", tasks)
    sess = ReviewSession(store, "news", "alice", LABELS)
    assert sess.total == 4 and sess.done == 0
    first = sess.state.text
    sess.state.toggle_span()
    d1 = sess.answer("accept")
    sess.answer("reject")
    assert sess.counts == {"accept": 1, "reject": 1, "ignore": 0}
    assert sess.undo() and sess.state.text != first  # the second task is back
    sess.state.toggle_theme("ENERGY")
    sess.answer("ignore")
    assert sess.counts == {"accept": 1, "reject": 0, "ignore": 1}
    decisions = list(store.iter_decisions("news"))
    assert len(decisions) == 2  # replaced, not added
    assert decisions[0]["_decision_id"] == d1 and decisions[0]["spans"][0]["answer"] == "reject"
    assert decisions[1]["answer"] == "ignore" and "ENERGY" in decisions[1]["accept"]
    # a restarted session resumes on the third task
    again = ReviewSession(store, "news", "alice", LABELS)
    assert again.done == 2 and again.state.text == tasks[2]["text"]
    assert ReviewSession(store, "news", "bob", LABELS).state.text == tasks[0]["text"]


def test_review_session_undo_twice_then_redo_in_order(store: Store):
    tasks = [make_task(f"Acme {i} a payé.", [("Acme", "ORG")]) for i in range(3)]
    store.add_tasks("news", tasks)
    sess = ReviewSession(store, "news", "alice", LABELS)
    sess.answer("accept")
    sess.answer("accept")
    sess.undo()
    sess.undo()
    assert sess.state.text == tasks[0]["text"]
    sess.answer("reject")
    assert sess.state.text == tasks[1]["text"]
    sess.answer("reject")
    assert sess.state.text == tasks[2]["text"]
    assert [d["answer"] for d in store.iter_decisions("news")] == ["reject", "reject"]
    # issue #12: a new session's undo brings back the annotator's last stored decision
    later = ReviewSession(store, "news", "alice", LABELS)
    assert later.undo() and later.state.text == tasks[1]["text"]
    assert not ReviewSession(store, "news", "bob", LABELS).undo()


def test_review_session_accept_all(store: Store):
    store.add_tasks("news", [make_task(f"Acme {i} a payé.", [("Acme", "ORG")]) for i in range(5)])
    sess = ReviewSession(store, "news", "alice", LABELS)
    assert sess.accept_all() == 5 and sess.finished
    ds = list(store.iter_decisions("news"))
    assert all(d["answer"] == "accept" and d["spans"][0]["answer"] == "accept" for d in ds)
    assert all(d["accept"] == ["AI", "DEALS"] for d in ds)


def test_review_session_sees_tasks_loaded_later(store: Store):
    sess = ReviewSession(store, "news", "alice", LABELS, loading=True)
    assert sess.state is None and not sess.finished
    store.add_tasks("news", [make_task()])
    sess.tasks_added()
    assert sess.state is not None and sess.total == 1


# ---------------------------------------------------------------- input checks


def _write(path: Path, lines: list) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    return path


@pytest.mark.parametrize(
    "bad,code",
    [
        ("{not json", "E010"),
        ({"text": "Acme", "spans": [{"start": 0, "end": 40, "label": "ORG"}]}, "E031"),
        ({"text": "Acme SA", "spans": [{"start": 0, "end": 4, "label": "ORGG"}]}, "E032"),
        ({"text": "Acme SA", "spans": [{"start": 0, "end": 2, "label": "ORG"}]}, "E332"),
        ({"text": "Acme SA", "spans": [{"start": 0, "end": 7, "label": "ORG"}, {"start": 5, "end": 7, "label": "ORG"}]}, "E334"),
        ({"text": "Acme SA", "spans": [], "cats": {"FINANCES": 0.5}}, "E336"),
        ({"text": "Acme SA", "spans": [], "tokens": [{"text": "Acme", "start": 0, "end": 3, "id": 0, "ws": True}]}, "E331"),
    ],
    ids=["json", "outside", "unknown-label", "misaligned", "overlap", "unknown-theme", "bad-tokens"],
)
def test_review_loader_reports_bad_line_and_loads_the_rest(tmp_path: Path, bad, code):
    good = make_task()
    path = _write(tmp_path / "in.jsonl", [good, bad, make_task("Acme a payé.", [("Acme", "ORG")])])
    errors: list[AnnotateError] = []
    tasks = list(iter_review_tasks([path], LABELS, on_error=errors.append))
    assert len(tasks) == 2 and len(errors) == 1
    msg = str(errors[0])
    assert code in msg and f"{path}:2" in msg and "Fix:" in msg
    with pytest.raises(AnnotateError, match=code):
        check_review_input([path], LABELS)


def test_review_loader_rejected_spans_may_overlap():
    task = {"text": "Acme SA", "spans": [{"start": 0, "end": 7, "label": "ORG"}, {"start": 0, "end": 4, "label": "ORG", "answer": "reject"}]}
    out = validate_task(task, LABELS)
    assert [s["token_end"] for s in out["spans"]] == [1, 0] and "_task_hash" in out


def test_review_loader_tokenizes_tasks_without_tokens():
    out = validate_task({"text": "Acme a payé 5 %.", "spans": [{"start": 12, "end": 15, "label": "PERCENT"}], "meta": {"lang": "fr"}}, LABELS)
    assert out["tokens"][0]["text"] == "Acme" and out["spans"][0]["token_start"] == 3


def test_review_loader_refuses_stdin():
    with pytest.raises(AnnotateError) as e:
        list(iter_review_tasks(["-"], LABELS))
    assert e.value.exit_code == 2 and "terminal" in str(e.value)


def test_review_loader_batches_into_store(tmp_path: Path):
    calls = []
    with Store(tmp_path / "a.db") as s:
        tasks = [make_task(f"Acme {i} a payé.", [("Acme", "ORG")]) for i in range(23)]
        assert load_tasks(s, "news", tasks, batch=10, on_batch=lambda a, d: calls.append((a, d))) == (23, 0)
        assert load_tasks(s, "news", tasks, batch=10) == (0, 23)
    assert calls == [(10, 0), (20, 0), (23, 0)]
