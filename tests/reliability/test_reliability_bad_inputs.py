"""Every case of the bad-input corpus (tests/reliability/bad_inputs/): exit code,
exactly one stderr line with the path (and line) and a fix, no traceback, and
nothing created, changed or left behind. Odd but valid inputs (exit 0) must work."""

from __future__ import annotations

import re
import sys
import traceback
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.store import Store

from .bad_inputs import CASES, Case, active_cases
from .helpers import diff, snapshot

LINE = re.compile(r"^annotate: error: \[E\d{3}\] .+ Fix: .+$")


@pytest.fixture(autouse=True)
def _short_busy_timeout(monkeypatch):
    # a locked database fails after the busy timeout (30 s by default); 1 s keeps the suite fast
    monkeypatch.setitem(Store.__init__.__kwdefaults__, "timeout", 1.0)


def behave(case: Case, t: Path, capfd) -> None:
    """Run one case in ``t``; raise AssertionError on any misbehaviour."""
    with case.make(t) as argv:
        before = snapshot(t)
        capfd.readouterr()
        try:
            code = main(argv)
        except BaseException:  # anything escaping main() is a traceback for the user
            code = -1
            print(traceback.format_exc(), file=sys.stderr)
        out, err = capfd.readouterr()
        changes = diff(before, snapshot(t))
        assert "Traceback" not in err, err
        if case.exit_code == 0:
            assert code == 0, err
            allowed = {f"created {p}" for p in case.may_change} | {f"changed {p}" for p in case.may_change}
            assert set(changes) <= allowed, changes
            assert case.check is not None
            case.check(t, out)
            return
        assert code == case.exit_code, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert LINE.match(lines[0]), lines[0]
        for piece in case.pieces:
            piece = piece.format(t=t)
            assert piece in lines[0], f"{piece!r} not in {lines[0]!r}"
        assert not [c for c in changes if c not in case.allowed], changes
        assert out == "", out
        if case.check is not None:
            case.check(t, out)


@pytest.mark.parametrize("case", active_cases(), ids=lambda c: c.id)
def test_reliability_bad_input(case: Case, tmp_path: Path, capfd):
    t = tmp_path / "t"
    t.mkdir()
    behave(case, t, capfd)


def test_reliability_bad_input_corpus_size():
    """The issue asks for at least 40 distinct bad inputs over every command that reads files."""
    bad = [c for c in CASES if c.exit_code != 0]
    assert len(bad) >= 40 and len({c.id for c in CASES}) == len(CASES)
    assert {c.command for c in CASES} >= {"pre", "evaluate", "review", "db-in", "export", "db-out", "db list", "db stats", "db drop"}
