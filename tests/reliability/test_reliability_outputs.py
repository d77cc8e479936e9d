"""Outputs that are special files, links or pipes; SIGTERM; a reader that goes away (issue #13, items 4, 11, 12)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.io import dumps_jsonl

GOOD = {"text": "Acme a gagné 5 % en 2024."}
ROOT = Path(__file__).resolve().parents[2]


def _input(tmp_path: Path, n: int = 1) -> Path:
    p = tmp_path / "in.jsonl"
    p.write_text("".join(json.dumps({"text": f"{GOOD['text']} ({i})"}) + "\n" for i in range(n)), encoding="utf-8")
    return p


def test_outputs_fifo_is_written_into_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert main(["pre", str(_input(tmp_path)), "-o", str(fifo), "-q"]) == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0].decode("utf-8"))["text"].startswith("Acme")


def test_outputs_symlink_kept_and_its_target_replaced(tmp_path):
    target = tmp_path / "real.jsonl"
    target.write_text("", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert main(["pre", str(_input(tmp_path)), "-o", str(link), "-q"]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text(encoding="utf-8"))["text"].startswith("Acme")


def test_outputs_never_copy_setuid_or_setgid_bits(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("", encoding="utf-8")
    os.chmod(out, 0o6755)
    assert main(["pre", str(_input(tmp_path)), "-o", str(out), "-q"]) == 0
    mode = os.stat(out).st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID) and mode & 0o777 == 0o755


def test_outputs_dumps_refuses_nan():
    with pytest.raises(ValueError):
        dumps_jsonl({"text": "x", "score": float("nan")})


def _cli(*args: str, **kw):  # noqa: ANN202
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "annotate", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=kw.get("cwd"))


def test_outputs_reader_going_away_exits_quietly(tmp_path):
    src = _input(tmp_path, 400)
    p = _cli("pre", str(src), "-o", "-", "-q", "--lang", "fr")
    p.stdout.readline()
    p.stdout.close()  # like `| head -1`
    code = p.wait(timeout=300)
    err = p.stderr.read().decode()
    assert code == 0, err
    assert err == ""


def test_outputs_sigterm_exits_143_and_leaves_no_temporary_file(tmp_path):
    src = _input(tmp_path, 3000)
    out = tmp_path / "out.jsonl"
    p = _cli("pre", str(src), "-o", str(out), "-q", "--lang", "fr", "-n", "2", "--batch-size", "8", cwd=str(tmp_path))
    deadline = time.time() + 240
    # wait until it is writing (its temporary file exists), then terminate it
    while time.time() < deadline and not any(f.name.endswith(".tmp") for f in tmp_path.iterdir()):
        time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    code = p.wait(timeout=120)
    err = p.stderr.read().decode()
    assert code == 143, err
    assert err.strip().splitlines()[-1] == "annotate: terminated", err
    assert "Traceback" not in err
    assert not out.exists()
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]
