"""`annotate review --n-process`: raw input pre-annotated by a worker pool (real French model)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import ClassVar

import pytest

from annotate.pipeline import pre
from bench import corpus
from annotate.cli.main import main
from annotate.review.loader import iter_review_tasks, load_tasks
from annotate.review.session import ReviewLabels
from annotate.store import Store

LABELS = ReviewLabels.load()
# decision fields that differ between two runs of the same job
RUN_FIELDS = {"_session_id", "_timestamp", "_seconds", "_decision_id"}


class PoolSpy(pre._Workers):
    started: ClassVar[list[int]] = []
    closed: ClassVar[list[int]] = []

    def prepare(self, lg: str) -> None:
        if self._pool is None:
            PoolSpy.started.append(self.n)
        super().prepare(lg)

    def close(self) -> None:
        if self._pool is not None:
            PoolSpy.closed.append(self.n)
        super().close()


@pytest.fixture
def pool_spy(monkeypatch, fr_nlp):
    """Count worker pools; a small threshold lets a test-sized input use one (the model is loaded first, so
    forked workers inherit it)."""
    PoolSpy.started, PoolSpy.closed = [], []
    monkeypatch.setattr(pre, "_Workers", PoolSpy)
    monkeypatch.setattr(pre, "MIN_CHARS_PER_PROCESS", 2_000)
    return PoolSpy


@pytest.fixture(scope="module")
def raw_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("raw") / "raw.jsonl"
    p.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in corpus(150)), encoding="utf-8")
    return p


def _run(src: Path, db: Path, n: str, capsys) -> tuple[int, str]:
    code = main(["review", str(src), "--dataset", "news", "--db", str(db), "--accept-all", "--n-process", n])
    return code, capsys.readouterr().err


def _stored(db: Path) -> tuple[list[dict], list[dict]]:
    with Store(db) as s:
        tasks = list(s.iter_tasks("news"))
        decisions = [{k: v for k, v in d.items() if k not in RUN_FIELDS} for d in s.iter_decisions("news")]
    return tasks, decisions


def test_review_n_process_2_stores_the_same_tasks_in_the_same_order(tmp_path: Path, raw_file: Path, pool_spy, capsys):
    code1, _ = _run(raw_file, tmp_path / "one.db", "1", capsys)
    assert code1 == 0 and pool_spy.started == []
    code2, err2 = _run(raw_file, tmp_path / "two.db", "2", capsys)
    assert code2 == 0, err2
    assert pool_spy.started == [2] and pool_spy.closed == [2]  # the pool did the work, and was shut down
    assert "warning" not in err2 and "Traceback" not in err2
    one, two = _stored(tmp_path / "one.db"), _stored(tmp_path / "two.db")
    assert len(one[0]) > 100
    assert [t["text"] for t in two[0]] == [t["text"] for t in one[0]]
    assert two == one
    assert multiprocessing.active_children() == []


def test_review_n_process_small_input_warns_and_runs_in_one_process(tmp_path: Path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("La BCE a relevé ses taux de 0,25 % jeudi, a annoncé Christine Lagarde.\n", encoding="utf-8")
    code, err = _run(src, tmp_path / "a.db", "2", capsys)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("annotate: warning:")]
    assert len(warnings) == 1 and "--n-process 2 ignored" in warnings[0] and "too small" in warnings[0]
    assert "Traceback" not in err
    assert len(_stored(tmp_path / "a.db")[0]) == 1


def test_review_n_process_on_tasks_only_says_it_has_no_effect(tmp_path: Path, capsys):
    src = tmp_path / "pre.jsonl"
    src.write_text(json.dumps({"text": "Acme SA", "spans": [{"start": 0, "end": 4, "label": "ORG"}]}) + "\n", encoding="utf-8")
    code, err = _run(src, tmp_path / "a.db", "-1", capsys)  # -1: one per core
    assert code == 0, err
    if (multiprocessing.cpu_count() or 1) > 1:
        assert "has no effect" in err and "no raw text" in err


@pytest.mark.parametrize("value", ["0", "-2"])
def test_review_n_process_bad_value_is_a_one_line_usage_error(tmp_path: Path, raw_file: Path, value: str, capsys):
    db = tmp_path / "a.db"
    code, err = _run(raw_file, db, value, capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "--n-process" in err and f"(got {value})" in err and "Fix:" in err and "Traceback" not in err
    assert not db.exists()  # nothing stored


def test_review_loader_annotates_the_head_in_process_then_pools_the_rest_in_order(tmp_path: Path, pool_spy):
    texts = corpus(120)
    task = {"text": "Acme SA", "spans": [{"start": 0, "end": 4, "label": "ORG"}]}
    lines = [{"text": t} for t in texts[:60]] + [task] + [{"text": t} for t in texts[60:]]
    src = tmp_path / "mixed.jsonl"
    src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    warned: list[str] = []
    one = list(iter_review_tasks([src], LABELS))
    assert pool_spy.started == []
    two = list(iter_review_tasks([src], LABELS, pre_options={"n_process": 2}, in_process_first=20, on_warning=warned.append))
    assert two == one and [t["text"] for t in two] == [x["text"] for x in lines]
    # the first 20 records in this process, then one pool per run of raw records
    assert pool_spy.started == [2, 2] and pool_spy.closed == [2, 2] and warned == []


def test_review_loader_closed_mid_load_shuts_the_pool_down(tmp_path: Path, raw_file: Path, pool_spy):
    tasks = iter_review_tasks([raw_file], LABELS, pre_options={"n_process": 2})
    with Store(tmp_path / "a.db") as s:
        added, _ = load_tasks(s, "news", tasks, batch=10, should_stop=lambda: True)  # the user quit
    assert added == 10 and pool_spy.started == [2] and pool_spy.closed == []
    tasks.close()
    assert pool_spy.closed == [2] and multiprocessing.active_children() == []


def test_review_screen_shows_the_small_input_warning_and_prints_it_after(tmp_path: Path, monkeypatch, capsys):
    import sys

    from annotate.review.app import ReviewApp

    notices: list[tuple[str, str]] = []
    real_notify, real_run, real_done = ReviewApp.notify, ReviewApp.run, ReviewApp._on_loader_done

    def notify(self, message, **kw):
        notices.append((kw.get("title", ""), str(message)))
        return real_notify(self, message, **kw)

    def done(self):
        real_done(self)
        self.exit(self.session.saved)  # the user quits once everything is loaded

    monkeypatch.setattr(ReviewApp, "notify", notify)
    monkeypatch.setattr(ReviewApp, "_on_loader_done", done)
    monkeypatch.setattr(ReviewApp, "run", lambda self, **kw: real_run(self, headless=True))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    src = tmp_path / "in.txt"
    src.write_text("La BCE a relevé ses taux de 0,25 % jeudi.\n", encoding="utf-8")
    code = main(["review", str(src), "--dataset", "news", "--db", str(tmp_path / "a.db"), "--n-process", "2"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert [t for t, m in notices if "--n-process 2 ignored" in m] == ["--n-process"]
    assert err.count("annotate: warning: --n-process 2 ignored") == 1 and "Traceback" not in err


@pytest.mark.parametrize(("text", "says"), [("La BCE garde ses taux.", "too small"), ("Acme a payé. " * 400, "only 1 record(s)")])
def test_review_loader_warns_when_the_raw_input_all_fits_in_the_first_batch(tmp_path: Path, pool_spy, text: str, says: str):
    src = tmp_path / "in.txt"
    src.write_text(text, encoding="utf-8")
    warned: list[str] = []
    tasks = list(iter_review_tasks([src], LABELS, pre_options={"n_process": 2}, in_process_first=64, on_warning=warned.append))
    assert len(tasks) == 1 and pool_spy.started == []
    assert len(warned) == 1 and warned[0].startswith("--n-process 2 ignored") and says in warned[0]
