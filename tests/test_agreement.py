"""Agreement between annotators (annotate/evaluation/agreement.py, `annotate agreement`): a hand-made
dataset whose figures are computed by hand below, and Cohen's kappa on a textbook table."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("krippendorff")

from annotate.cli.main import main  # noqa: E402
from annotate.evaluation.agreement import agreement, cohen_kappa, match_count, token_labels  # noqa: E402
from annotate.tasks import set_hashes  # noqa: E402


def _task(text: str) -> dict:
    toks, pos = [], 0
    for i, w in enumerate(text.split(" ")):
        toks.append({"text": w, "start": pos, "end": pos + len(w), "id": i})
        pos += len(w) + 1
    return set_hashes({"text": text, "tokens": toks, "spans": [], "cats": {"eco": 0.5, "pol": 0.5}})


def _answer(store, task: dict, who: str, spans, themes, answer: str = "accept") -> None:
    t = dict(task, spans=[{"start": s, "end": e, "label": lab} for s, e, lab in spans], accept=list(themes))
    store.add_decision("news", t, answer=answer, annotator=who, session=f"s-{who}")


@pytest.fixture
def hand(store):
    """Two annotators on four shared tasks (T1 T2 T5 T6), one task each seen alone (T3, T4)."""
    t1, t2, t3, t4 = _task("aaaa bbbb cccc dddd"), _task("eeee ffff gggg hhhh"), _task("iiii jjjj"), _task("kkkk llll")
    t5, t6 = _task("x"), _task("y")
    store.add_tasks("news", [t1, t2, t3, t4, t5, t6])
    _answer(store, t1, "a", [(0, 4, "ORG"), (10, 19, "LOC")], ["eco", "pol"])
    _answer(store, t1, "b", [(0, 4, "ORG"), (10, 14, "LOC")], ["eco", "pol"])
    _answer(store, t2, "a", [(5, 9, "PER")], [])
    _answer(store, t2, "b", [(5, 9, "PER")], ["eco"], answer="reject")  # reject: no span, no theme
    _answer(store, t3, "a", [(0, 4, "ORG")], [])  # seen by a only
    _answer(store, t4, "a", [], [], answer="ignore")  # ignore: not a version
    _answer(store, t4, "b", [(0, 4, "ORG")], [])
    _answer(store, t5, "a", [], ["pol"])
    _answer(store, t5, "b", [], [])
    _answer(store, t6, "a", [], ["pol"])
    _answer(store, t6, "b", [], ["pol"])
    return {"t1": t1, "t2": t2, "t5": t5, "t6": t6}


def test_agreement_hand_dataset_counts(store, hand):
    res = agreement(store.iter_decisions("news"), dataset="news")
    assert (res.tasks, res.tasks_single, res.annotators) == (4, 2, ["a", "b"])
    assert res.tokens == 4 + 4 + 1 + 1


def test_agreement_hand_dataset_span_f1(store, hand):
    res = agreement(store.iter_decisions("news"))
    # spans: T1 a {ORG 0-4, LOC 10-19} b {ORG 0-4, LOC 10-14}; T2 a {PER 5-9} b (reject) {}: 5 spans in all
    # exact: 1 matched (ORG) -> 2*1/5; overlap: LOC 10-19 ~ LOC 10-14 too -> 2*2/5
    assert res.spans["exact_f1"] == pytest.approx(2 / 5)
    assert res.spans["overlap_f1"] == pytest.approx(4 / 5)
    assert {k: (v["exact_f1"], v["overlap_f1"], v["spans"]) for k, v in res.labels.items()} == {
        "ORG": (1.0, 1.0, 2), "LOC": (0.0, 1.0, 2), "PER": (0.0, 0.0, 1),
    }
    [pair] = res.pairs
    assert pair["annotators"] == ["a", "b"] and pair["tasks"] == 4 and pair["spans"] == [3, 2]
    assert pair["exact_f1"] == pytest.approx(0.4)


def test_agreement_hand_dataset_token_alpha(store, hand):
    res = agreement(store.iter_decisions("news"))
    # token labels, a: ORG O LOC LOC | O PER O O | O | O ; b: ORG O LOC O | O O O O | O | O
    # 10 units of 2 values, n = 20; disagreeing units: 2 (LOC/O, PER/O), so 4 off-diagonal coincidences
    # marginals ORG 2, LOC 3, PER 1, O 14: sum over c != k of n_c n_k = 400 - (4 + 9 + 1 + 196) = 190
    # alpha = 1 - (n - 1) * 4 / 190 = 1 - 76/190 = 0.6
    assert res.spans["alpha_tokens"] == pytest.approx(0.6)
    assert res.pairs[0]["alpha_tokens"] == pytest.approx(0.6)
    # PER alone: values PER / not PER; units: 1 disagreeing of 10, n = 20, n_PER = 1, n_not = 19
    # alpha = 1 - 19 * 2 / (2 * 1 * 19) = 0
    assert res.labels["PER"]["alpha_tokens"] == pytest.approx(0.0)


def test_agreement_hand_dataset_themes(store, hand):
    res = agreement(store.iter_decisions("news"))
    # pol over T1 T2 T5 T6: a 1 0 1 1, b 1 0 0 1 (T2 rejected by b: no theme)
    # kappa: po = 3/4, pe = 3/4 * 2/4 + 1/4 * 2/4 = 1/2 -> (3/4 - 1/2) / (1/2) = 0.5
    # alpha: coincidences o11 = 4, o00 = 2, o10 = o01 = 1; n = 8, n1 = 5, n0 = 3 -> 1 - 7 * 2 / 30 = 16/30
    assert res.themes["pol"]["kappa"] == pytest.approx(0.5)
    assert res.themes["pol"]["alpha"] == pytest.approx(16 / 30)
    # eco: a 1 0 0 0, b 1 0 0 0 (b's eco on T2 is in a rejected task): full agreement
    assert res.themes["eco"]["kappa"] == pytest.approx(1.0)
    assert res.themes["eco"]["alpha"] == pytest.approx(1.0)
    assert res.themes["pol"]["on"] == 5


def test_agreement_hand_dataset_documents_lowest_first(store, hand):
    res = agreement(store.iter_decisions("news"))
    by_text = {d["text"]: d for d in res.documents}
    # T1: exact 2*1/4, overlap 1, themes equal; T2: 1 span vs none, themes both empty; T5: no span, {pol} vs {}
    assert by_text["aaaa bbbb cccc dddd"]["spans_exact_f1"] == pytest.approx(0.5)
    assert by_text["aaaa bbbb cccc dddd"]["spans_overlap_f1"] == pytest.approx(1.0)
    assert [d["agreement"] for d in res.documents] == [0.0, 0.0, 0.5, 1.0]
    assert {d["text"] for d in res.documents[:2]} == {"eeee ffff gggg hhhh", "x"}
    assert res.documents[-1]["text"] == "y"
    assert by_text["eeee ffff gggg hhhh"]["answers"] == {"a": "accept", "b": "reject"}


def test_agreement_latest_decision_per_annotator_wins(store):
    t = _task("aaaa bbbb")
    store.add_tasks("news", [t])
    _answer(store, t, "a", [(0, 4, "ORG")], [])
    _answer(store, t, "b", [(5, 9, "ORG")], [])
    _answer(store, t, "b", [(0, 4, "ORG")], [])  # a later decision of b (an import): this one counts
    res = agreement(store.iter_decisions("news"))
    assert res.tasks == 1 and res.spans["exact_f1"] == 1.0


def test_agreement_three_annotators_kappa_is_mean_over_pairs(store):
    tasks = [_task(w) for w in ("p", "q", "r", "s")]
    store.add_tasks("news", tasks)
    # theme eco: a 1 1 0 0; b 1 1 0 0; c 1 0 0 (c did not see s)
    for t, themes in zip(tasks, (["eco"], ["eco"], [], [])):
        _answer(store, t, "a", [], themes)
        _answer(store, t, "b", [], themes)
    for t, themes in zip(tasks[:3], (["eco"], [], [])):
        _answer(store, t, "c", [], themes)
    res = agreement(store.iter_decisions("news"))
    # a/b: kappa 1; a/c and b/c on p q r: 1 0 0 vs 1 1 0 -> po 2/3, pe 1/3*2/3 + 2/3*1/3 = 4/9 -> (2/9)/(5/9) = 0.4
    assert res.themes["eco"]["kappa"] == pytest.approx((1 + 0.4 + 0.4) / 3)
    assert [p["annotators"] for p in res.pairs] == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert [p["tasks"] for p in res.pairs] == [4, 3, 3]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> po 0.7, pe 0.5*0.6 + 0.5*0.4 = 0.5 -> 0.4
        ([1] * 25 + [0] * 25, [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15, 0.4),
        ([1, 0, 1, 0], [0, 1, 0, 1], -1.0),
        ([1, 1, 0], [1, 1, 0], 1.0),
        ([1, 1, 1], [1, 1, 1], None),  # one value only: chance agreement 1, kappa 0/0
    ],
    ids=["textbook", "opposite", "same", "one-value"],
)
def test_agreement_cohen_kappa_by_hand(a, b, expected):
    got = cohen_kappa(a, b)
    assert got == (None if expected is None else pytest.approx(expected))


def test_agreement_overlap_match_is_one_to_one():
    a = [(0, 10, "ORG")]
    b = [(0, 4, "ORG"), (5, 10, "ORG"), (0, 10, "LOC")]
    assert match_count(a, b, overlap=False) == 0
    assert match_count(a, b, overlap=True) == 1
    assert token_labels([(0, 4), (5, 10), (11, 12)], b[:2]) == ["ORG", "ORG", "O"]


def test_agreement_cli_text_and_json(store, hand, capsys):
    store.close()
    db = str(store.path)
    assert main(["agreement", "news", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "4 task(s) seen by 2 or more annotators counted (2 seen by one only, not counted)" in out
    assert "alpha on token labels 0.600" in out
    assert main(["agreement", "news", "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tasks"] == 4 and data["themes"]["pol"]["kappa"] == pytest.approx(0.5)
    assert len(data["documents"]) == 4


def test_agreement_cli_unknown_dataset_is_one_line(store, hand, capsys):
    store.close()
    assert main(["agreement", "nwes", "--db", str(store.path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "E313" in err and "news" in err


def test_agreement_simulated_team_orders_pairs_by_error_rate(tmp_path):
    from agreement_sim import simulate

    res = simulate(200, seed=15, folder=tmp_path)
    assert res.tasks == 200 and res.tasks_single == 0
    f1 = {tuple(p["annotators"]): p["exact_f1"] for p in res.pairs}
    # error rates alice 0.05 < bob 0.10 < carol 0.20: the closer two annotators, the higher their F1
    assert f1[("alice", "bob")] > f1[("alice", "carol")] > f1[("bob", "carol")]
    assert res.spans["overlap_f1"] > res.spans["exact_f1"]  # boundary errors match by overlap only
    assert 0.5 < res.spans["alpha_tokens"] < 1.0


def test_agreement_without_krippendorff_says_which_extra(store, hand, monkeypatch):
    import sys

    from annotate.errors import AnnotateError

    monkeypatch.setitem(sys.modules, "krippendorff", None)  # as if not installed: import raises ImportError
    with pytest.raises(AnnotateError, match=r"E700.*teams"):
        agreement(store.iter_decisions("news"))


def test_agreement_no_shared_task_says_so(store, capsys):
    t = _task("aaaa")
    store.add_tasks("news", [t])
    _answer(store, t, "a", [], [])
    res = agreement(store.iter_decisions("news"))
    assert (res.tasks, res.tasks_single, res.pairs, res.documents) == (0, 1, [], [])
    store.close()
    assert main(["agreement", "news", "--db", str(store.path)]) == 0
    assert "nothing to compare" in capsys.readouterr().out
