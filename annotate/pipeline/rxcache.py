"""A disk cache of the regular expressions that are slow to compile when a pipeline starts.

Python's ``re`` compiles a pattern anew in every process. One pattern
dominates the start of every French pipeline: spaCy's French tokenizer
exceptions (``spacy.lang.fr.tokenizer_exceptions.TOKEN_MATCH``, 1.45 million
characters, a ``(?iu)`` alternation of 805 classes of every Unicode letter),
compiled when ``spacy.lang.fr`` is imported. It takes about 2.2 s, half of
the time a French pipeline takes to load, in every ``annotate`` process and
in every worker.

While :func:`compiled_patterns` is active, a compile that takes at least
:data:`SLOW_S` is recorded: the arguments Python's own compiler passed to
``_sre.compile`` (the compiled matching program, its groups and flags). The
records go to one file per Python build (:func:`interpreter_key`) in the
build cache folder (:func:`~.buildcache.cache_dir`). In a later process,
inside the same block, a compile of the same pattern with the same flags
gets ``_sre.compile(*recorded)`` instead: the same program, in milliseconds.
A pattern that is not recorded compiles as always.

It uses two private parts of CPython's ``re`` (``re._compiler.compile``,
patched only inside the block, and the ``_sre`` module it calls). Where they
are not as expected, or the file is missing, unreadable, damaged (its
SHA-256 is checked) or written by another Python build, nothing is used and
every pattern compiles as always: the cache can only make a start faster,
never change what a pattern matches or fail a run. ``$ANNOTATE_CACHE=off``
turns it off with the build cache, ``$ANNOTATE_REGEX_CACHE=off`` alone.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import buildcache

FORMAT = 1
SLOW_S = 0.01  # a compile this slow is worth a record (most of the 300 patterns of a start take < 1 ms)
KEEP = 16  # records kept in the file: those this run used first, then the others, in their order

# pattern, flags as re._compile passes them, then the rest of _sre.compile's arguments: flags, the
# program (machine words as bytes: a fifth of the file marshal makes of a list of ints), groups, their names
Record = tuple[str, int, int, bytes, int, dict[str, int], tuple[Any, ...]]
_WORD = array("I")  # _sre's code word: CODESIZE 4 bytes (checked in _internals)

_lock = threading.RLock()
_depth = 0
_state: dict[str, Any] = {}


def _internals() -> tuple[Any, Any] | None:
    """``(re._compiler, _sre)`` when this Python has them as this module expects, else None."""
    try:
        import _sre

        compiler = re._compiler  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return None
    if sys.implementation.name != "cpython" or not callable(getattr(compiler, "compile", None)):
        return None
    if getattr(compiler, "_sre", None) is not _sre or not callable(getattr(_sre, "compile", None)):
        return None
    if getattr(_sre, "CODESIZE", None) != _WORD.itemsize:
        return None
    return compiler, _sre


def interpreter_key() -> str:
    """A digest of everything a compiled program depends on: the Python build, its ``_sre`` and Unicode data."""
    import unicodedata

    import _sre

    parts = (FORMAT, sys.version, sys.hexversion, sys.implementation.cache_tag, getattr(_sre, "MAGIC", None),
             getattr(_sre, "CODESIZE", None), getattr(_sre, "MAXREPEAT", None), getattr(_sre, "MAXGROUPS", None),
             unicodedata.unidata_version)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def cache_file(folder: Path | None = None) -> Path | None:
    """The records' file in ``folder`` (default: the build cache's), or None when the cache is off."""
    if os.environ.get("ANNOTATE_REGEX_CACHE", "on").strip().lower() in buildcache.OFF_VALUES:
        return None
    folder = folder if folder is not None else buildcache.cache_dir()
    return None if folder is None else folder / f"regex-{interpreter_key()}.bin"


def _valid_record(r: Any) -> bool:
    return (isinstance(r, tuple) and len(r) == 7 and isinstance(r[0], str) and type(r[1]) is int
            and type(r[2]) is int and isinstance(r[3], bytes) and len(r[3]) % _WORD.itemsize == 0
            and type(r[4]) is int and isinstance(r[5], dict) and isinstance(r[6], tuple) and len(r[6]) == r[4] + 1)


def load(path: Path | None) -> list[Record]:
    """The records of ``path``; [] when it is missing, unreadable, damaged or of another build."""
    if path is None:
        return []
    try:
        blob = path.read_bytes()
    except OSError:
        return []
    digest, payload = blob[:32], blob[32:]
    if hashlib.sha256(payload).digest() != digest:
        return []
    try:
        data = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return []
    if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("key") == interpreter_key()):
        return []
    records = data.get("records")
    if not isinstance(records, list) or not all(_valid_record(r) for r in records):
        return []
    return records


def store(path: Path, records: list[Record]) -> bool:
    """Write the records atomically (:func:`~.buildcache.write_atomic`); False when the folder is not writable."""
    payload = marshal.dumps({"format": FORMAT, "key": interpreter_key(), "records": records})
    return buildcache.write_atomic(path, hashlib.sha256(payload).digest() + payload)


class _Recorder:
    """What the patched ``re._compiler.compile`` does: replay a known pattern, record a slow new one."""

    def __init__(self, compiler: Any, sre: Any, known: list[Record]) -> None:
        self.compiler, self.sre = compiler, sre
        self.original = compiler.compile
        self.known = {(r[0], r[1]): r for r in known}
        self.used: dict[tuple[str, int], Record] = {}
        self.new = 0
        self.replayed = 0
        self.replayed_chars = 0
        self._seen = threading.local()  # the arguments of this thread's last _sre.compile
        # a copy of the _sre module whose compile() also keeps its arguments: the compiler looks
        # _sre's functions up in its module globals, so they stay as fast as before
        shim = type(sys)("_sre")
        shim.__dict__.update(sre.__dict__)

        def keep(*args: Any) -> Any:
            self._seen.args = args
            return sre.compile(*args)

        shim.compile = keep
        self.shim = shim

    def __call__(self, p: Any, flags: int = 0) -> Any:
        if not isinstance(p, str) or type(flags) is not int or flags & re.DEBUG:  # re.DEBUG prints as it compiles
            return self.original(p, flags)
        key = (p, flags)
        r = self.known.get(key)
        if r is not None:
            try:
                code = array("I", r[3]).tolist()
                compiled = self.sre.compile(p, r[2], code, r[4], r[5], r[6])
            except Exception:  # noqa: BLE001 - a program this _sre refuses: compile as always
                del self.known[key]
            else:
                self.used[key] = r
                self.replayed += 1
                self.replayed_chars += len(p)
                return compiled
        self._seen.args = None
        t = time.perf_counter()
        compiled = self.original(p, flags)
        a = self._seen.args
        if time.perf_counter() - t >= SLOW_S and a is not None and a[0] == p:
            self.used[key] = (p, flags, int(a[1]), array("I", a[2]).tobytes(), int(a[3]), dict(a[4]), tuple(a[5]))
            self.new += 1
        return compiled


@contextmanager
def compiled_patterns(folder: Path | None = None) -> Iterator[dict[str, Any]]:
    """``with compiled_patterns():`` slow patterns compiled inside come from, and go to, the cache file.

    Re-entrant and thread-safe (the outermost block patches and restores); yields counters filled
    in when the outermost block ends: ``replayed`` patterns (``replayed_chars``, their length) and
    ``new`` ones recorded.
    """
    global _depth
    stats: dict[str, Any] = {"replayed": 0, "replayed_chars": 0, "new": 0, "active": False}
    with _lock:
        if _depth == 0:
            internals = _internals()
            path = cache_file(folder) if internals is not None else None
            if internals is not None and path is not None:
                rec = _Recorder(*internals, load(path))
                rec.compiler.compile, rec.compiler._sre = rec, rec.shim
                _state.update(recorder=rec, path=path)
        _depth += 1
        stats["active"] = "recorder" in _state
    try:
        yield stats
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and "recorder" in _state:
                rec, path = _state.pop("recorder"), _state.pop("path")
                rec.compiler.compile, rec.compiler._sre = rec.original, rec.sre
                stats.update(replayed=rec.replayed, replayed_chars=rec.replayed_chars, new=rec.new)
                if rec.new:
                    others = [r for k, r in rec.known.items() if k not in rec.used]
                    mine = list(rec.used.values())
                    store(path, (mine + others)[:KEEP])
