"""Issue #12: the real ``annotate review`` in a pseudo-terminal: reject a span twice with ``r``, answer, quit,
then ``annotate db-out`` has the span rejected. Runs in CI (POSIX); a hard deadline keeps it under 20 s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import spacy

from reliability.helpers import make_task

pty = pytest.importorskip("pty")  # POSIX only
import fcntl  # noqa: E402
import struct  # noqa: E402
import termios  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEADLINE_S = 20.0


class Terminal:
    """A pty running ``argv``: collects everything it writes; keys are written as a terminal sends them."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 110, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.out = bytearray()
        self.last = time.monotonic()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.out += data
                self.last = time.monotonic()

    def wait_for(self, needle: bytes, deadline: float) -> None:
        while time.monotonic() < deadline:
            with self.lock:
                if needle in self.out:
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"{needle!r} never shown; the terminal got: {bytes(self.out[-1500:])!r}")

    def settle(self, deadline: float, quiet: float = 0.3) -> None:
        """Wait until nothing was written for ``quiet`` seconds."""
        while time.monotonic() < deadline:
            with self.lock:
                if time.monotonic() - self.last >= quiet:
                    return
            time.sleep(0.02)

    def key(self, data: bytes, deadline: float) -> None:
        with self.lock:
            n = len(self.out)
        os.write(self.master, data)
        while time.monotonic() < deadline:  # the key drew something (or the app ended)
            with self.lock:
                if len(self.out) > n:
                    break
            if self.proc.poll() is not None:
                return
            time.sleep(0.01)
        self.settle(deadline)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def test_review_pty_reject_a_span_twice_then_db_out_has_it_rejected(tmp_path: Path):
    deadline = time.monotonic() + DEADLINE_S
    nlp = spacy.blank("fr")
    tasks = [make_task(nlp, "Airbus recrute 300 ingénieurs à Toulouse.", [("Airbus", "ORG")]),
             make_task(nlp, "Safran gagne 2 % en 2024.", [("Safran", "ORG"), ("2 %", "PERCENT")])]
    src = tmp_path / "tasks.jsonl"
    src.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks), encoding="utf-8")
    db = tmp_path / "pty.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "NO_COLOR", "COLUMNS", "LINES"))}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", PYTHONPATH=str(ROOT))
    term = Terminal([sys.executable, "-m", "annotate", "review", str(src), "--dataset", "ptyds", "--db", str(db),
                     "--annotator", "pat"], env, tmp_path)
    try:
        term.wait_for(b"ptyds", deadline)  # the status bar
        term.wait_for(b"Airbus", deadline)  # the first task
        term.settle(deadline, quiet=0.5)
        for k in (b"r", b"r", b"a"):  # reject the current span twice (it stays rejected), accept the task
            term.key(k, deadline)
        term.wait_for(b"Safran", deadline)  # the next task is on screen: the first one is stored
        term.key(b"q", deadline)
        code = term.proc.wait(max(deadline - time.monotonic(), 0.1))
    finally:
        term.close()
    assert code == 0
    out = subprocess.run([sys.executable, "-m", "annotate", "db-out", "ptyds", "--db", str(db)], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=max(deadline - time.monotonic(), 1.0))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["text"], r["answer"], r["_annotator_id"]) for r in rows] == [(tasks[0]["text"], "accept", "pat")]
    assert [(s["text"], s["label"], s["answer"]) for s in rows[0]["spans"]] == [("Airbus", "ORG", "reject")]
    assert time.monotonic() < deadline
