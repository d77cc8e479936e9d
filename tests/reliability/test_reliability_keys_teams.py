"""Issue #13 item 1, the team side: routing (``review --overlap``), adjudication and the task browser key
tasks on the 128-bit task key too, so two texts whose 32-bit ``_task_hash`` collide are never one claim,
one adjudication case or one row's decisions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from annotate.review.adjudication import AdjudicationSession
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store
from annotate.store.adjudicate import adjudication_cases, decided_hashes, store_agreed
from annotate.store.browse import TaskBrowser
from annotate.tasks import set_hashes

from .test_reliability_keys import COLLIDING

LABELS = ReviewLabels.load()
A, B = COLLIDING[0]  # "Article 2591" / "Article 50873": one _task_hash


def _fill(store: Store) -> dict[str, dict]:
    tasks = [set_hashes({"text": t, "spans": []}) for t in (A, B)]
    assert tasks[0]["_task_hash"] == tasks[1]["_task_hash"]  # what makes the tests below able to fail
    store.add_tasks("news", tasks)
    return {t["text"]: t for t in store.pending("news", "nobody")}


def _answer(store: Store, task: dict, who: str, *, spans: list | None = None, answer: str = "accept") -> int:
    t = dict(task, spans=spans or [])
    dec = store.add_decision("news", t, answer=answer, annotator=who, session=f"s-{who}")
    assert dec is not None
    return dec


def test_reliability_keys_colliding_texts_are_claimed_separately_with_overlap_1(store: Store):
    _fill(store)
    got = store.claim_page("news", "alice", "s-a", overlap=1, limit=1)
    assert [t["text"] for _, t in got] == [A]
    # bob's session gets the other text: alice's claim is on "Article 2591" only
    bob = ReviewSession(store, "news", "bob", LABELS, overlap=1)
    assert bob.item is not None and bob.item.task["text"] == B
    assert bob.answer("accept") is not None and bob.routed_away == 0
    assert store.renew_claim("news", got[0][1]["_task_key"], "alice", "s-a", overlap=1)  # still alice's
    alice = ReviewSession(store, "news", "alice", LABELS, overlap=1)
    assert alice.item is not None and alice.item.task["text"] == A
    assert alice.answer("accept") is not None and alice.routed_away == 0
    assert sorted((d["text"], d["_annotator_id"]) for d in store.iter_decisions("news")) == [(A, "alice"), (B, "bob")]


def test_reliability_keys_old_claim_table_is_made_again_on_first_use(tmp_path: Path):
    path = tmp_path / "a.db"
    with Store(path) as s:
        _fill(s)
    c = sqlite3.connect(path)  # a database of the previous release: claims keyed on the 32-bit task_hash
    c.executescript("DROP TABLE claim; CREATE TABLE claim (dataset_id INTEGER NOT NULL, task_hash INTEGER NOT NULL,"
                    " annotator TEXT NOT NULL, session TEXT NOT NULL, expires INTEGER NOT NULL,"
                    " PRIMARY KEY (dataset_id, task_hash, annotator));"
                    " INSERT INTO claim VALUES (1, 5, 'carol', 's-c', 9999999999);")
    c.close()
    with Store(path) as s:
        assert len(s.claim_page("news", "alice", "s-a", overlap=1, limit=5)) == 2
        assert s.count_claims("news") == 2  # carol's old-style claim was dropped with the old table
    c = sqlite3.connect(path)
    cols = [r[1] for r in c.execute("PRAGMA table_info(claim)")]
    c.close()
    assert "task_key" in cols and "task_hash" not in cols


def test_reliability_keys_colliding_texts_are_adjudicated_as_two_tasks(store: Store):
    tasks = _fill(store)
    span_a = [{"start": 0, "end": 7, "label": "MISC"}]
    _answer(store, tasks[A], "alice", spans=span_a)
    _answer(store, tasks[A], "bob", spans=span_a)  # agreed
    _answer(store, tasks[B], "alice", spans=[{"start": 8, "end": 13, "label": "MISC"}])
    _answer(store, tasks[B], "bob")  # disputed
    cases = adjudication_cases(store, "news")
    assert [c.task["text"] for c in cases] == [A, B]
    assert [c.agreed for c in cases] == [True, False]
    assert [sorted(v.spans) for v in cases[1].versions] == [[(8, 13, "MISC")], []]
    # the agreed one stored into gold does not make the other one decided
    assert store_agreed(store, cases, "gold", adjudicator="ada", session="s", source="news").stored == 1
    assert len(decided_hashes(store, "gold")) == 1
    session = AdjudicationSession(store, "news", "gold", "ada", LABELS)
    assert session.already == 1 and session.item is not None and session.item.task["text"] == B
    assert session.answer("accept") is not None
    assert sorted(d["text"] for d in store.iter_decisions("gold")) == [A, B]


def test_reliability_keys_browser_counts_and_opens_each_colliding_text_apart(store: Store):
    tasks = _fill(store)
    _answer(store, tasks[B], "alice", spans=[{"start": 8, "end": 13, "label": "MISC"}])
    rows = TaskBrowser(store, "news", "alice").page(0, 10)
    assert [(r.text, r.annotators, r.answer) for r in rows] == [(A, 0, None), (B, 1, "accept")]
    session = ReviewSession(store, "news", "alice", LABELS)
    assert session.item is not None and session.item.task["text"] == A
    task, decision = TaskBrowser(store, "news", "alice").open(rows[1])
    session.open_task(task, decision)
    assert session.item is not None and session.item.task["text"] == B
    assert session.pre_annotated().original["text"] == B  # the stored task of this text, not of its hash
    assert session.pre_annotated().spans == []


def test_reliability_keys_agreement_never_compares_two_colliding_texts(store: Store):
    from annotate.evaluation.agreement import agreement

    tasks = _fill(store)
    _answer(store, tasks[A], "alice", spans=[{"start": 0, "end": 7, "label": "MISC"}])
    _answer(store, tasks[B], "bob")
    res = agreement(store.iter_decisions("news"), dataset="news")
    assert (res.tasks, res.tasks_single) == (0, 2)  # two tasks answered once each, no shared task
