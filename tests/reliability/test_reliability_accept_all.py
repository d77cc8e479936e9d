"""Issue #13 item 14: `review --accept-all` keeps nothing it answered (memory flat on any number of
tasks), and a task too big for the store is refused up front with one clear line."""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store
from annotate.store import schema

from .helpers import blank, sample_tasks


def _peak_accept_all(path: Path, n: int, tasks: list[dict]) -> tuple[int, int]:
    with Store(path) as s:
        s.add_tasks("news", tasks[:n])
        gc.collect()
        tracemalloc.start()
        session = ReviewSession(s, "news", "alice", ReviewLabels.load())
        saved = session.accept_all()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert s.count_pending("news", "alice") == 0
    return saved, peak


def test_reliability_accept_all_memory_is_flat(tmp_path: Path):
    tasks = sample_tasks(blank("fr"), 1000)
    _peak_accept_all(tmp_path / "warm.db", 50, tasks)  # caches (labels, SQL statements) filled once
    small = _peak_accept_all(tmp_path / "small.db", 250, tasks)
    big = _peak_accept_all(tmp_path / "big.db", 1000, tasks)
    assert (small[0], big[0]) == (250, 1000)
    # 4x the tasks: the peak (the page of tasks read, one batch) stays about the same; keeping every
    # answered task (before) made it grow 4x
    print(f"peak traced memory: 250 tasks {small[1] / 1e6:.1f} MB, 1,000 tasks {big[1] / 1e6:.1f} MB")
    assert big[1] < 1.5 * small[1], (small, big)


def test_reliability_accept_all_task_too_big_for_the_store(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(schema, "MAX_TASK_BYTES", 10_000)
    with Store(tmp_path / "a.db") as s:
        with pytest.raises(AnnotateError, match="E904"):
            s.add_tasks("news", [{"text": "x" * 20_000, "spans": []}])
        with pytest.raises(AnnotateError, match="E904"):
            s.add_decision("news", {"text": "x" * 20_000}, answer="accept", annotator="a", session="s")
        assert s.count_tasks("news") == 0 and s.count_decisions("news") == 0


def test_reliability_accept_all_record_too_big_is_refused_before_annotation(tmp_path: Path, monkeypatch, capfd):
    from annotate.review import loader

    monkeypatch.setattr(loader, "MAX_RAW_CHARS", 1_000)
    src = tmp_path / "in.jsonl"
    good = sample_tasks(blank("fr"), 2)
    src.write_text(json.dumps(good[0]) + "\n" + json.dumps({"text": "Acme gagne. " * 200}) + "\n"
                   + json.dumps(good[1]) + "\n")
    db = tmp_path / "a.db"
    code = main(["review", str(src), "--dataset", "news", "--accept-all", "--db", str(db)])
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert f"{src}:2" in err and "E905" in err and "too big to review" in err, err
    with Store(db) as s:
        assert s.count_decisions("news") == 2  # the good tasks around it are stored
    assert code != 0 or "warning" in err
