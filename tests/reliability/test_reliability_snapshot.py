"""Issue #13 item 2: an export is a snapshot. A `db drop` committed by another connection while the
export reads gives the full old data (or, dropped before it began, a clean error and the previous file
kept), never a partial file; a review that goes on after its dataset was dropped stops with E902
instead of recreating it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.review.session import ReviewLabels, ReviewSession
from annotate.store import Store

from .helpers import blank, sample_tasks

N = 1200  # more than two pages of the store's paged reads (500)


def _db(path: Path, n: int = N) -> Path:
    tasks = sample_tasks(blank("fr"), n)
    with Store(path) as s:
        s.add_tasks("news", tasks)
        s.add_decisions("news", [(t, "accept", "alice", "s1", 1.0, 1700000000 + i) for i, t in enumerate(tasks)])
    return path


def _drop_from_another_connection(path: Path) -> None:
    def drop() -> None:
        with Store(path) as other:
            other.drop("news")

    t = threading.Thread(target=drop)
    t.start()
    t.join(timeout=60)
    assert not t.is_alive()


@pytest.mark.parametrize("command", ["export", "db-out"])
def test_reliability_snapshot_drop_during_export_gives_the_full_old_data(tmp_path: Path, monkeypatch, command):
    db = _db(tmp_path / "a.db")
    out = tmp_path / "out.jsonl"
    argv = [command, "news", "-o", str(out), "--db", str(db), "--force"]
    assert main(argv) == 0
    complete = out.read_bytes()
    assert len(complete.splitlines()) == N
    real = Store.iter_decisions
    calls = []

    def dropping(self, dataset, **kw):  # noqa: ANN001, ANN202
        calls.append(1)
        for i, d in enumerate(real(self, dataset, **kw)):
            if len(calls) == 1 and i == 600:  # mid-read: another connection drops the dataset and commits
                _drop_from_another_connection(db)
            yield d

    monkeypatch.setattr(Store, "iter_decisions", dropping)
    assert main(argv) == 0
    assert out.read_bytes() == complete  # every line of the snapshot, not the 600 read before the drop
    with Store(db) as s:
        assert not s.has_dataset("news")  # the drop did happen
    # dropped before the export begins: a clean error, the previous file kept
    assert main(argv) != 0
    assert out.read_bytes() == complete


def test_reliability_snapshot_drop_in_another_process_while_exporting(tmp_path: Path, capfd):
    db = _db(tmp_path / "a.db", 3000)
    out = tmp_path / "out.jsonl"
    assert main(["db-out", "news", "-o", str(out), "--db", str(db)]) == 0
    complete = out.read_bytes()
    code = "import sys; from annotate.store import Store; Store(sys.argv[1]).drop('news'); print('dropped')"
    drop = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    rc = main(["db-out", "news", "-o", str(out), "--db", str(db), "--force"])
    assert drop.communicate(timeout=60)[0].strip() == "dropped"
    capfd.readouterr()
    # whichever came first: the whole old data, or a clean error with the old file kept
    assert out.read_bytes() == complete
    assert rc in (0, 1)


def test_reliability_snapshot_review_after_drop_stops_with_an_error(tmp_path: Path):
    db = tmp_path / "a.db"
    with Store(db) as s:
        s.add_tasks("news", sample_tasks(blank("fr"), 5))
        session = ReviewSession(s, "news", "alice", ReviewLabels.load())
        session.answer("accept")
        _drop_from_another_connection(db)
        with pytest.raises(AnnotateError, match="E902"):
            session.answer("accept")
        assert not s.has_dataset("news")  # not recreated
        with pytest.raises(AnnotateError, match="E902"):
            session.accept_all()
        assert s.datasets() == []


def test_reliability_snapshot_loading_tasks_after_drop_stops(tmp_path: Path):
    db = tmp_path / "a.db"
    tasks = sample_tasks(blank("fr"), 1200)

    def stream():  # noqa: ANN202
        for i, t in enumerate(tasks):
            if i == 700:
                _drop_from_another_connection(db)
            yield t

    with Store(db) as s:
        with pytest.raises(AnnotateError, match="E902"):
            s.add_tasks("news", stream())
        assert s.datasets() == []


async def test_reliability_snapshot_review_screen_closes_after_drop(tmp_path: Path):
    from annotate.review.app import ReviewApp

    db = tmp_path / "a.db"
    with Store(db) as s:
        s.add_tasks("news", sample_tasks(blank("fr"), 5))
        app = ReviewApp(ReviewSession(s, "news", "alice", ReviewLabels.load()))
        async with app.run_test() as pilot:
            await pilot.press("a")
            assert s.count_decisions("news") == 1
            _drop_from_another_connection(db)
            await pilot.press("a")
            await pilot.pause()
        assert app.fatal_error is not None and app.fatal_error.code == "E902"
        assert s.datasets() == []  # not recreated by the answer given after the drop
