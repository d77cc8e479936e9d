"""Issue #13 item 7: a killed `export --format spacy` never leaves the folder broken for good. The
export is killed at each of its file steps in turn (every rename, the READY mark, the final
rename): right after the kill the folder holds a complete set (the old one or the new one), and the
next export restores or finishes it and sweeps the staging folder away."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from annotate.formats import docbin, staging
from annotate.formats.job import export_dataset
from annotate.store import Store

from .helpers import blank, sample_tasks


class Killed(BaseException):
    """The process died here: nothing after it runs (no finally, no cleanup)."""


def _db(path: Path, n: int, offset: int = 0) -> Path:
    tasks = sample_tasks(blank("fr"), n + offset)[offset:]
    with Store(path) as s:
        s.add_decisions("news", [(t, "accept", "alice", "s", 1.0, 1700000000 + i) for i, t in enumerate(tasks)])
    return path


def _listing(out: Path) -> dict[str, int]:
    """name -> size of what the folder holds (shard folders by their shards)."""
    res = {}
    for p in sorted(out.rglob("*")):
        if p.is_file():
            res[str(p.relative_to(out))] = p.stat().st_size
    return res


def _complete(out: Path) -> bool:
    return all((out / n).exists() for n in docbin.SPACY_FILES)


def _export(db: Path, out: Path, **kw) -> None:
    export_dataset("news", str(out), format="spacy", db=db, force=True, **kw)


@pytest.fixture
def steps(monkeypatch):
    """Count (and on demand kill at) every file step of an export: os.replace in docbin and staging,
    the READY mark; the killed run's cleanup (rmtree of its staging folder) does not happen."""
    state = {"n": 0, "kill_at": None, "dead": False}
    real_replace, real_rmtree, real_ready = os.replace, staging.shutil.rmtree, staging.mark_ready

    def step() -> None:
        state["n"] += 1
        if state["kill_at"] is not None and state["n"] == state["kill_at"]:
            state["dead"] = True
            raise Killed

    def replace(a, b):  # noqa: ANN001, ANN202
        step()
        return real_replace(a, b)

    def rmtree(p, *a, **k):  # noqa: ANN001, ANN202
        if state["dead"]:
            return None  # a dead process cleans nothing up
        return real_rmtree(p, *a, **k)

    def ready(tmp):  # noqa: ANN001, ANN202
        real_ready(tmp)
        step()  # killed right after READY was written

    monkeypatch.setattr(docbin.os, "replace", replace)
    monkeypatch.setattr(staging.os, "replace", replace)
    monkeypatch.setattr(staging, "mark_ready", ready)
    monkeypatch.setattr(docbin.shutil, "rmtree", rmtree)
    return state


def test_reliability_export_kill_at_every_step_then_the_next_run_fixes_it(tmp_path: Path, steps):
    old_db, new_db = _db(tmp_path / "old.db", 6), _db(tmp_path / "new.db", 9, offset=50)
    out = tmp_path / "out"
    # the figures: the folder as the old and the new dataset export it
    _export(old_db, out)
    old_files = _listing(out)
    _export(new_db, tmp_path / "ref")
    new_files = _listing(tmp_path / "ref")
    steps["n"] = 0
    _export(new_db, tmp_path / "count")
    n_steps = steps["n"]
    assert n_steps >= 6  # shards x2, config, READY, 3 moves (+ old ones aside), the final rename
    for k in range(1, n_steps + 1):
        _export(old_db, out)
        assert _listing(out) == old_files
        steps.update(n=0, kill_at=k, dead=False)
        with pytest.raises(Killed):
            _export(new_db, out)
        steps.update(kill_at=None, dead=False)
        left = [p.name for p in out.glob(staging.PREFIX + "*")]
        # what a kill leaves: the old set in place (killed before READY), or a staging folder the next run finishes
        assert _listing(out) == old_files or left, k
        # a concurrent export still running is not touched, a dead one is swept
        _export(new_db, out)
        assert _complete(out) and not list(out.glob(staging.PREFIX + "*")), (k, _listing(out))
        assert _listing(out) == new_files, k
    # and the state right after a kill, swept by an export of the OLD data: the old data, complete
    for k in sorted({1, n_steps // 2, n_steps - 1, n_steps}):
        _export(new_db, out)
        steps.update(n=0, kill_at=k, dead=False)
        with pytest.raises(Killed):
            _export(old_db, out)
        steps.update(kill_at=None, dead=False)
        staging.sweep(out)  # what the next export does first
        assert _complete(out) and not list(out.glob(staging.PREFIX + "*")), k
        assert _listing(out) in (old_files, new_files), k


def test_reliability_export_kill_leaves_no_staging_of_a_live_export(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    live = out / (staging.PREFIX + "live")
    live.mkdir()
    (live / staging.OWNER).write_text(f"{os.getppid()}\n{staging._start_time(os.getppid())}\n")
    dead = out / (staging.PREFIX + "dead")
    (dead / "new").mkdir(parents=True)
    (dead / staging.OWNER).write_text("999999999\n\n")
    trash = out / (staging.PREFIX + "x" + staging.TRASH)
    trash.mkdir()
    done = staging.sweep(out)
    assert live.exists() and not dead.exists() and not trash.exists() and len(done) == 2


def test_reliability_export_kill_restores_an_older_annotates_staging(tmp_path: Path):
    # annotate before this change moved the previous train.spacy to .annotate-export-*/old/ and could die there
    db = _db(tmp_path / "a.db", 6)
    out = tmp_path / "out"
    _export(db, out)
    before = _listing(out)
    legacy = out / (staging.PREFIX + "abc123") / "old"
    legacy.mkdir(parents=True)
    os.replace(out / "train.spacy", legacy / "train.spacy")
    assert not _complete(out)
    assert any("restored" in line for line in staging.sweep(out))
    assert _listing(out) == before
