"""Merging decisions per input: accepted spans and themes, rejected/ignored left out, conflicts."""

from __future__ import annotations

import pytest

from annotate.errors import AnnotateError
from annotate.formats.examples import ExampleBuilder
from annotate.formats.merge import merged_decisions, plan_merge
from annotate.tasks import set_hashes

THEMES = ["AI", "DEALS", "FINANCE"]
TEXT = "Airbus gagne 5 % en mars."


def _task(text: str = TEXT, spans=(), accept=None, **extra):
    t = {"text": text, "meta": {"lang": "fr"}, **extra}
    t["spans"] = [
        {"start": a, "end": b, "label": lab, **({"answer": ans} if ans else {})} for a, b, lab, ans in spans
    ]
    if accept is not None:
        t["accept"] = list(accept)
    return set_hashes(t)


def _examples(store, dataset="d", resolve="latest"):
    plan = plan_merge(store.iter_decisions(dataset), resolve=resolve)
    builder = ExampleBuilder(lang="fr", themes=THEMES)
    out = [builder.build(d).record for d in merged_decisions(store.iter_decisions(dataset), plan)]
    return plan, out


def test_export_merge_keeps_accepted_spans_and_themes_only(store):
    t = _task(spans=[(0, 6, "ORG", "accept"), (13, 16, "PERCENT", "reject"), (20, 24, "DATE", None)], accept=["FINANCE"])
    store.add_decision("d", t, answer="accept", annotator="a", session="s")
    plan, [ex] = _examples(store)
    assert [(s["start"], s["end"], s["label"]) for s in ex["spans"]] == [(0, 6, "ORG"), (20, 24, "DATE")]
    assert all("answer" not in s for s in ex["spans"])
    assert ex["accept"] == ["FINANCE"]
    assert ex["cats"] == {"AI": 0.0, "DEALS": 0.0, "FINANCE": 1.0}
    assert ex["answer"] == "accept"
    assert (ex["spans"][1]["token_start"], ex["spans"][1]["token_end"]) == (5, 5)


def test_export_merge_leaves_out_rejected_and_ignored(store):
    store.add_decision("d", _task("Un."), answer="reject", annotator="a", session="s")
    store.add_decision("d", _task("Deux."), answer="ignore", annotator="a", session="s")
    store.add_decision("d", _task("Trois."), answer="accept", annotator="a", session="s")
    plan, out = _examples(store)
    assert [e["text"] for e in out] == ["Trois."]
    assert plan.left_out() == {"rejected": 1, "ignored": 1}
    assert plan.conflicts == 0


def test_export_merge_agreeing_annotators_give_one_example_without_conflict(store):
    t = _task(spans=[(0, 6, "ORG", "accept")], accept=["AI"])
    store.add_decision("d", t, answer="accept", annotator="a", session="s1")
    store.add_decision("d", t, answer="accept", annotator="b", session="s2")
    plan, out = _examples(store)
    assert len(out) == 1 and plan.conflicts == 0
    assert out[0]["_annotator_id"] == "b"


@pytest.mark.parametrize(
    "first,second",
    [
        pytest.param(dict(spans=[(0, 6, "ORG", "accept")]), dict(spans=[(0, 6, "ORG", "reject")]), id="span-kept-vs-rejected"),
        pytest.param(dict(spans=[(0, 6, "ORG", None)]), dict(spans=[(0, 6, "DATE", None)]), id="label"),
        pytest.param(dict(accept=["AI"]), dict(accept=["FINANCE"]), id="themes"),
    ],
)
def test_export_merge_conflict_latest_wins_or_strict_leaves_out(store, first, second):
    store.add_decision("d", _task(**first), answer="accept", annotator="a", session="s", timestamp=1)
    store.add_decision("d", _task(**second), answer="accept", annotator="b", session="s", timestamp=2)
    plan, out = _examples(store)
    assert plan.conflicts == 1 and len(out) == 1
    expected = _task(**second)
    builder = ExampleBuilder(lang="fr", themes=THEMES)
    assert out[0]["spans"] == builder.build(expected).record["spans"]
    assert out[0].get("accept") == expected.get("accept")
    plan, out = _examples(store, resolve="strict")
    assert out == [] and plan.conflicts == 1
    assert plan.left_out() == {"conflict (--resolve strict)": 1}


def test_export_merge_accept_next_to_reject_is_a_conflict(store):
    t = _task(spans=[(0, 6, "ORG", None)])
    store.add_decision("d", t, answer="accept", annotator="a", session="s")
    store.add_decision("d", t, answer="reject", annotator="b", session="s")
    plan, out = _examples(store)
    assert plan.conflicts == 1 and len(out) == 1
    plan, out = _examples(store, resolve="strict")
    assert out == []


def test_export_merge_themes_come_from_the_latest_decision_that_reviewed_them(store):
    spans = [(0, 6, "ORG", None)]
    store.add_decision("d", _task(spans=spans, accept=["DEALS"]), answer="accept", annotator="a", session="s")
    store.add_decision("d", _task(spans=spans), answer="accept", annotator="b", session="s")  # themes not reviewed
    plan, out = _examples(store)
    assert plan.conflicts == 0
    assert out[0]["accept"] == ["DEALS"] and out[0]["_annotator_id"] == "b"


def test_export_merge_unreviewed_themes_have_no_cats(store):
    t = _task(spans=[(0, 6, "ORG", None)])
    t["cats"] = {"AI": 0.9}  # model scores, not reviewed: not training data
    store.add_decision("d", t, answer="accept", annotator="a", session="s")
    _, [ex] = _examples(store)
    assert "cats" not in ex and "accept" not in ex


def test_export_merge_rejects_unknown_resolve_mode():
    with pytest.raises(AnnotateError) as e:
        plan_merge([], resolve="newest")
    assert e.value.exit_code == 2 and "latest" in str(e.value)


def test_export_merge_does_not_merge_different_texts_with_colliding_input_hashes(store):
    a, b = _task("Un texte."), _task("Un autre texte.")
    b["_input_hash"] = a["_input_hash"]  # 32-bit hashes collide about once per 100,000 inputs
    store.add_decision("d", a, answer="accept", annotator="a", session="s")
    store.add_decision("d", b, answer="accept", annotator="a", session="s")
    plan, out = _examples(store)
    assert [e["text"] for e in out] == ["Un texte.", "Un autre texte."] and plan.conflicts == 0


def _reference_merge(decisions, resolve):
    """The merge rules one input at a time, with a dict of every input: what plan_merge computes by sorting."""
    inputs = {}
    for d in decisions:
        st = inputs.setdefault((d["_input_hash"], d["text"]), {"acc": [], "rej": 0})
        if d["answer"] == "accept":
            st["acc"].append(d)
        elif d["answer"] == "reject":
            st["rej"] += 1
    winners, conflicts, left_out = {}, 0, {}
    for st in inputs.values():
        acc = st["acc"]
        spans = {tuple(sorted((s["start"], s["end"], s["label"]) for s in a["spans"] if s.get("answer") != "reject")) for a in acc}
        themes = [tuple(sorted(set(a["accept"]))) for a in acc if "accept" in a]
        conflict = bool(acc) and (st["rej"] > 0 or len(spans) > 1 or len(set(themes)) > 1)
        conflicts += conflict
        if not acc or (conflict and resolve == "strict"):
            why = "conflict (--resolve strict)" if acc else "rejected" if st["rej"] else "ignored"
            left_out[why] = left_out.get(why, 0) + 1
            continue
        themed = [a for a in acc if "accept" in a]
        winners[acc[-1]["_decision_id"]] = themed[-1]["accept"] if themed else None
    return winners, conflicts, left_out


@pytest.mark.parametrize("resolve", ["latest", "strict"])
def test_export_merge_interleaved_inputs_match_the_rules_one_input_at_a_time(store, resolve):
    """Inputs whose decisions are interleaved (several annotators, a collision, every answer) merge as the rules say."""
    texts = ["Airbus gagne 5 % en mars.", "Orange recule.", "Mistral AI signe avec Microsoft.", "Total perd 2 %.", "Un texte."]
    plans = [  # (text, answer, spans, themes)
        (0, "accept", [(0, 6, "ORG", None)], ["AI"]), (1, "ignore", [], None), (2, "accept", [(0, 10, "ORG", None)], None),
        (3, "reject", [], None), (0, "accept", [(0, 6, "ORG", None)], None), (2, "accept", [(0, 10, "ORG", None)], ["DEALS"]),
        (4, "accept", [], ["FINANCE"]), (3, "accept", [(0, 5, "ORG", None)], None), (0, "accept", [(0, 6, "ORG", "reject")], None),
        (1, "reject", [], None), (2, "accept", [(0, 10, "ORG", None)], ["AI", "DEALS"]), (4, "accept", [], None),
        (5, "accept", [(0, 2, "ORG", None)], None), (2, "accept", [(0, 10, "ORG", None)], None), (6, "ignore", [], None),
    ]
    texts += ["Un autre texte.", "Encore un."]
    tasks = [_task(t) for t in texts]
    tasks[5]["_input_hash"] = tasks[4]["_input_hash"]  # a collision: not merged
    for i, (k, answer, spans, themes) in enumerate(plans):
        t = _task(texts[k], spans=spans, accept=themes)
        t["_input_hash"] = tasks[k]["_input_hash"]
        store.add_decision("d", t, answer=answer, annotator=f"a{i % 3}", session="s", timestamp=i)
    decisions = list(store.iter_decisions("d"))
    winners, conflicts, left_out = _reference_merge(decisions, resolve)
    plan, out = _examples(store, resolve=resolve)
    assert (plan.decisions, plan.conflicts, plan.examples) == (len(plans), conflicts, len(winners))
    assert list(plan.left_out().items()) == list(left_out.items())  # the same order in the report, too
    # pass 2 gives the winners in the order made, with the themes of the latest decision that reviewed them
    assert [d["_decision_id"] for d in merged_decisions(iter(decisions), plan)] == sorted(winners)
    assert [e.get("accept") for e in out] == [
        None if winners[w] is None else sorted(set(winners[w]), key=THEMES.index) for w in sorted(winners)
    ]
    assert conflicts >= 2 and left_out


def test_export_merge_refuses_hashes_beyond_64_bits_in_one_line():
    """The plan keeps decision ids in 64-bit arrays (inputs are keyed by their text, whatever their
    ``_input_hash``); the store's always fit, a hand-made list may not."""
    with pytest.raises(AnnotateError) as e:
        plan_merge([{"_decision_id": 1 << 64, "text": TEXT, "answer": "accept", "spans": []}])
    assert e.value.code == "E411" and "\n" not in str(e.value) and "64-bit" in str(e.value)
    plan = plan_merge([{"_input_hash": -(1 << 63), "_decision_id": (1 << 63) - 1, "text": TEXT, "answer": "accept"}])
    assert plan.examples == 1 and plan.is_winner((1 << 63) - 1)
