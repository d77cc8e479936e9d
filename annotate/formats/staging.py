"""Replacing the files of a spaCy export folder so that a killed export never leaves it broken.

An export builds everything in a hidden staging folder inside the output
folder, ``.annotate-export-XXXX/``, holding an ``owner`` file (the process id)
and ``new/`` (the finished ``train.spacy``, ``dev.spacy`` and ``config.cfg``).
Then:

1. ``READY`` is written (and synced): from here on the new set is complete and
   any later run rolls it *forward*;
2. each file in turn: the previous one moves to ``old/``, the new one from
   ``new/`` into place (:func:`roll_forward`, which can be run again after a
   kill at any point and ends in the same state);
3. the staging folder is renamed ``….trash`` (one atomic step: the export is
   done) and deleted.

The next export into the folder first sweeps what dead runs left
(:func:`sweep`): a staging folder whose owner is not running any more is
rolled forward when it holds ``READY`` (so the folder gets the complete new
set), or deleted when it does not (the folder was never touched: the
previous complete set is still in place); ``….trash`` folders are deleted.
Staging folders of exports still running are left alone. A staging folder of
an older annotate (an ``old/`` but no ``owner``) is restored: what ``old/``
holds goes back in place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

PREFIX = ".annotate-export-"
TRASH = ".trash"
READY = "READY"
OWNER = "owner"


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exists(p: Path) -> bool:
    return p.exists() or p.is_symlink()


def write_owner(tmp: Path) -> None:
    (tmp / OWNER).write_text(f"{os.getpid()}\n{_start_time(os.getpid())}\n")


def _start_time(pid: int) -> str:
    """The process's start time (Linux), so that a reused pid is not taken for the dead owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _owner_alive(tmp: Path) -> bool:
    try:
        pid_s, start = ((tmp / OWNER).read_text().split("\n") + [""])[:2]
        pid = int(pid_s)
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False  # an earlier export of this very process that was interrupted
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not start or _start_time(pid) == start


def mark_ready(tmp: Path) -> None:
    """Step 1: the new set in ``new/`` is complete (synced before anything in the folder is replaced)."""
    for p in (tmp / "new").iterdir():
        if p.is_file():
            with contextlib.suppress(OSError), open(p, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(tmp / "new")
    with open(tmp / READY, "w") as f:
        f.write("ready\n")
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(tmp)


def roll_forward(tmp: Path, out: Path) -> None:
    """Step 2: move every file of ``new/`` into ``out`` (the one it replaces into ``old/``). Idempotent."""
    new, old = tmp / "new", tmp / "old"
    old.mkdir(exist_ok=True)
    for p in sorted(new.iterdir()) if new.is_dir() else []:
        dst = out / p.name
        if _exists(dst) and not _exists(old / p.name):
            os.replace(dst, old / p.name)
        elif _exists(dst):  # cannot happen by the steps above; never lose the new file over it
            _remove(dst)
        os.replace(p, dst)
    _fsync_dir(out)


def finish(tmp: Path) -> None:
    """Step 3: the export is done; the staging folder goes (renamed first, so a kill midway is no harm)."""
    trash = tmp.with_name(tmp.name + TRASH)
    os.replace(tmp, trash)
    shutil.rmtree(trash, ignore_errors=True)


def commit(tmp: Path, out: Path) -> None:
    mark_ready(tmp)
    roll_forward(tmp, out)
    finish(tmp)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            p.unlink()


def sweep(out: Path) -> list[str]:
    """Finish or remove what dead exports left in ``out``; what was done, one line each."""
    done: list[str] = []
    if not out.is_dir():
        return done
    for tmp in sorted(out.glob(PREFIX + "*")):
        if not tmp.is_dir() or tmp.is_symlink():
            continue
        if tmp.name.endswith(TRASH):
            shutil.rmtree(tmp, ignore_errors=True)
            done.append(f"removed {tmp.name} (a finished export's staging folder)")
        elif (tmp / OWNER).exists():
            if _owner_alive(tmp):
                continue
            if (tmp / READY).exists():
                roll_forward(tmp, out)
                finish(tmp)
                done.append(f"finished the export a killed run had completed ({tmp.name})")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
                done.append(f"removed {tmp.name} (a killed export that had not replaced anything)")
        else:
            # an older annotate's staging folder: put back the previous files it had moved aside
            old = tmp / "old"
            for p in sorted(old.iterdir()) if old.is_dir() else []:
                dst = out / p.name
                if _exists(dst):
                    _remove(dst)
                os.replace(p, dst)
            shutil.rmtree(tmp, ignore_errors=True)
            done.append(f"restored the previous files a killed export had moved to {tmp.name}/old")
    return done
