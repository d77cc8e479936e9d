"""atomic_output: the target appears whole or not at all, and temporary files
left by writers that were killed are removed by the next write to the same name."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from annotate import io as aio


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_atomic_output_replaces_whole_file(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    with pytest.raises(RuntimeError):
        with aio.atomic_output(out) as f:
            f.write("half")
            raise RuntimeError("writer failed")
    assert out.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    with aio.atomic_output(out) as f:
        f.write("new\n")
    assert out.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_atomic_output_sweeps_temp_files_of_dead_writers_only(tmp_path):
    host = aio._HOST
    stale = tmp_path / f".out.jsonl.{host}.{dead_pid()}.abc123.tmp"
    live = tmp_path / f".out.jsonl.{host}.{os.getppid()}.def456.tmp"  # a process that is running
    other_host = tmp_path / f".out.jsonl.{'0' * 8 if host != '0' * 8 else '1' * 8}.{dead_pid()}.x.tmp"
    other_name = tmp_path / f".other.jsonl.{host}.{dead_pid()}.y.tmp"
    for p in (stale, live, other_host, other_name):
        p.write_text("partial")
    with aio.atomic_output(tmp_path / "out.jsonl") as f:
        f.write("x\n")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert stale.name not in left
    assert {live.name, other_host.name, other_name.name, "out.jsonl"} == set(left)
