"""Helpers shared by the reliability modules: sample tasks, databases, a lock
held by another process, a small tmpfs, and directory snapshots."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FULL = os.environ.get("RELIABILITY_FULL", "") not in ("", "0")


def blank(lang: str = "fr") -> Any:
    import spacy

    return spacy.blank(lang)


def make_task(nlp: Any, text: str, ents: list[tuple[str, str]], *, cats: dict[str, float] | None = None) -> dict:
    """A task as ``annotate pre`` writes it (tokens, spans, cats, hashes), built with a blank tokenizer."""
    from annotate.tasks import doc_to_task

    doc = nlp.make_doc(text)
    spans = []
    for part, label in ents:
        i = text.index(part)
        spans.append(doc.char_span(i, i + len(part), label=label))
    doc.ents = spans
    doc.cats = cats if cats is not None else {"FINANCE": 0.9, "AI": 0.1}
    return doc_to_task(doc, meta={"lang": "fr"})


def sample_tasks(nlp: Any, n: int) -> list[dict]:
    return [make_task(nlp, f"Acme {i} a gagné 5 % en 2024.", [("Acme", "ORG"), ("5 %", "PERCENT")]) for i in range(n)]


def make_db(path: Path, nlp: Any, *, n_tasks: int = 5, n_decisions: int = 3, dataset: str = "news") -> Path:
    """A database with ``n_tasks`` tasks of which ``n_decisions`` are accepted by alice."""
    from annotate.store import Store

    tasks = sample_tasks(nlp, n_tasks)
    with Store(path) as s:
        s.add_tasks(dataset, tasks)
        for t in tasks[:n_decisions]:
            s.add_decision(dataset, t, answer="accept", annotator="alice", session="s1")
    return path


_LOCKER = textwrap.dedent(
    """
    import sqlite3, sys
    c = sqlite3.connect(sys.argv[1], isolation_level=None)
    for stmt in sys.argv[2].split(";"):
        c.execute(stmt)
    c.execute("SELECT count(*) FROM sqlite_master").fetchone()
    print("locked", flush=True)
    sys.stdin.read()
    """
)


@contextlib.contextmanager
def locked_db(path: Path, how: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    """Another process holds a write lock on the database until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(path), how], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


def can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and sys.platform.startswith("linux")


@contextlib.contextmanager
def tmpfs(folder: Path, size: str = "64k", *, readonly: bool = False) -> Iterator[Path]:
    """A small tmpfs at ``folder`` (a full or read-only disk). Skips the test when mounting is not permitted."""
    import pytest

    folder.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    if not can_mount():
        pytest.skip("mounting a tmpfs needs root on Linux")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(folder)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {res.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill_disk(folder: Path) -> None:
    """Fill a (tmpfs) folder up to the last byte."""
    chunk = b"x" * 4096
    with contextlib.suppress(OSError), open(folder / "filler", "wb") as f:
        while True:
            f.write(chunk)
            f.flush()


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) with a hash of its bytes. SQLite's ``-shm``
    (shared memory, rewritten by readers) is left out."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_dir():
            out[rel + "/"] = "dir"
        elif p.name.endswith("-shm"):
            continue
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    changes = []
    for k in sorted(set(before) | set(after)):
        if k not in before:
            changes.append(f"created {k}")
        elif k not in after:
            changes.append(f"deleted {k}")
        elif before[k] != after[k]:
            changes.append(f"changed {k}")
    return changes
