"""Reading inputs and writing outputs safely.

* Inputs are streamed: ``.jsonl`` line by line, ``-`` from stdin (JSONL),
  ``.txt`` as one document each, folders as their ``.txt`` and ``.jsonl``
  files in sorted order.
* Every problem is one :class:`AnnotateError` with ``path:line`` and a fix.
* Outputs go to a temporary file beside the target and are moved into place
  only when complete (:func:`atomic_output`); ``-`` means stdout.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import stat
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import AnnotateError, Errors, StdoutClosed

INPUT_SUFFIXES = (".txt", ".jsonl")
_PARA_RE = re.compile(r"\n[ \t\u00a0\u202f]*(?:\r?\n[ \t\u00a0\u202f]*)+")


@dataclass
class Record:
    """One input record: the JSON object (``text`` at least) and where it came from."""

    data: dict[str, Any]
    source: str
    line: int | None = None
    extra_meta: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.data["text"]

    @property
    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


def expand_sources(
    sources: Iterable[str | Path], *, skip: Callable[[Path], bool] | None = None, suffixes: tuple[str, ...] | None = None
) -> list[str]:
    """Resolve folders into their input files; check every path exists.

    ``skip``, when given, leaves out the files of a folder for which it is true
    (files named one by one are always kept). ``suffixes``: the input file
    types (default :data:`INPUT_SUFFIXES`).
    """
    suffixes = INPUT_SUFFIXES if suffixes is None else suffixes
    out: list[str] = []
    for src in sources:
        s = str(src)
        if s == "-":
            out.append(s)
            continue
        p = Path(s)
        if p.is_dir():
            files = sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in suffixes and not _hidden(f, p)
            )
            if skip is not None:
                files = [f for f in files if not skip(f)]
            if not files:
                raise Errors.E001(where=p)
            out.extend(str(f) for f in files)
        elif p.is_file():
            if p.suffix.lower() not in suffixes:
                raise Errors.E002(suffix=p.suffix or '(no suffix)', where=p)
            out.append(str(p))
        elif p.exists():
            raise Errors.E003(where=p)
        else:
            raise Errors.E004(where=p)
    return out


def check_not_empty(sources: Iterable[str | Path], *, suffixes: tuple[str, ...] | None = None) -> list[str]:
    """Expand ``sources`` and raise when every file holds nothing but whitespace.

    Reads only up to the first non-blank byte of each file; stdin (``-``) is
    not checked (it can be read once only). Returns the expanded sources.
    """
    srcs = expand_sources(sources, suffixes=suffixes)
    if not srcs or "-" in srcs:
        return srcs
    for src in srcs:
        with open_binary(src) as f:
            while chunk := f.read(1 << 16):
                if chunk.replace(b"\xef\xbb\xbf", b"").strip():
                    return srcs
    raise empty_input(srcs[0], many=len(srcs) > 1)


def empty_input(where: str, *, many: bool = False) -> AnnotateError:
    """The error for an input that holds no record."""
    return Errors.E014(detail="every file is empty" if many else "the file is empty or blank", where=where)


def _hidden(f: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in f.relative_to(root).parts)


def read_records(sources: Iterable[str | Path], *, split: str | None = None, stdin: IO[bytes] | None = None) -> Iterator[Record]:
    """Stream every record of every source, optionally cut into paragraphs.

    ``split="sentences"`` is applied later, by the pipeline (it needs a
    sentence splitter); here it behaves like ``"paragraphs"`` first.
    """
    for src in expand_sources(sources):
        if src == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            records = _read_jsonl_stream(stream, "<stdin>")
        elif src.lower().endswith(".jsonl"):
            records = _read_jsonl_path(src)
        else:
            records = _read_txt(src)
        yield from split_records(records, split)


def split_records(records: Iterable[Record], split: str | None) -> Iterator[Record]:
    """``records``, each cut into paragraphs with ``split`` ``"paragraphs"`` or ``"sentences"`` (see :func:`read_records`)."""
    for rec in records:
        if split in ("paragraphs", "sentences"):
            yield from split_paragraphs(rec)
        else:
            yield rec


def open_binary(path: str) -> IO[bytes]:
    """Open an input file for reading bytes; unreadable paths become one AnnotateError line."""
    try:
        return open(path, "rb")
    except PermissionError:
        raise Errors.E005(reason="permission denied", where=path) from None
    except OSError as e:
        raise Errors.E005(reason=e.strerror, where=path) from None


def _decode(raw: bytes, where: str, line: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Errors.E006(start=e.start, where=where, line=line) from None


def _read_txt(path: str) -> Iterator[Record]:
    with open_binary(path) as f:
        raw = f.read()
    text = _decode(raw, path, None)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise Errors.E007(where=path, line=line)
    yield Record(data={"text": text}, source=path, line=None, extra_meta={"source": path})


def _read_jsonl_path(path: str) -> Iterator[Record]:
    f = open_binary(path)
    with f:
        yield from _read_jsonl_stream(f, path)


def read_jsonl_range(path: str, start: int, end: int, first_line: int) -> Iterator[Record]:
    """The records of bytes ``start``..``end`` of a JSONL file (cut at line ends), whose first line is
    ``first_line``: each with its own line number, as :func:`read_records` gives them."""
    f = open_binary(path)
    with f:
        f.seek(start)
        yield from _read_jsonl_stream(f, path, first_line=first_line, limit=end - start)


def _read_jsonl_stream(stream: IO[bytes], where: str, *, first_line: int = 1, limit: int | None = None) -> Iterator[Record]:
    for i, raw in enumerate(stream, start=first_line):
        if limit is not None:
            if limit <= 0:
                return
            limit -= len(raw)
        if i == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        line = _decode(raw, where, i).strip()
        if not line:
            continue
        yield parse_record(line, where, i)


class _NotJSON(ValueError):
    """A JSON constant or number that standard JSON does not have (NaN, Infinity, 1e400)."""


def _no_constant(name: str) -> Any:
    raise _NotJSON(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _NotJSON(f"{text} does not fit in a 64-bit float")
    return value


def _lone_surrogate(obj: Any, depth: int = 0) -> str | None:
    """The first string (key or value) in ``obj`` holding a lone UTF-16 surrogate, if any."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return obj
        return None
    if isinstance(obj, dict):
        for k, v in obj.items():
            bad = _lone_surrogate(k) or _lone_surrogate(v, depth + 1)
            if bad is not None:
                return bad
    elif isinstance(obj, list):
        for v in obj:
            bad = _lone_surrogate(v, depth + 1)
            if bad is not None:
                return bad
    return None


MAX_DEPTH = 64  # nesting deeper than this in one record is refused (no record of ours needs it)


def _depth(obj: Any) -> int:
    """Levels of nested lists and objects in ``obj`` (a scalar is 0), counted up to MAX_DEPTH + 1."""
    depth, level = 0, [obj]
    while depth <= MAX_DEPTH:
        containers = [o for o in level if isinstance(o, (dict, list))]
        if not containers:
            break
        depth += 1
        level = [c for o in containers for c in (o.values() if isinstance(o, dict) else o)]
    return depth


def loads_strict(line: str, where: str, lineno: int | None) -> Any:
    """``json.loads`` for user data: standard JSON only (no NaN/Infinity, no number that overflows a
    float), no lone surrogates, nesting of at most :data:`MAX_DEPTH`; each violation one error line."""
    try:
        data = json.loads(line, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise Errors.E010(msg=e.msg, colno=e.colno, where=where, line=lineno) from None
    except _NotJSON as e:
        raise Errors.E015(detail=str(e), where=where, line=lineno) from None
    except RecursionError:
        raise Errors.E016(depth=MAX_DEPTH, where=where, line=lineno) from None
    if line.count("[") + line.count("{") > MAX_DEPTH and _depth(data) > MAX_DEPTH:
        raise Errors.E016(depth=MAX_DEPTH, where=where, line=lineno)
    if "\\u" in line:  # a lone surrogate can only come from a \u escape
        bad = _lone_surrogate(data)
        if bad is not None:
            shown = bad.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            raise Errors.E017(value=shown[:60], where=where, line=lineno)
    return data


def parse_record(line: str, where: str, lineno: int) -> Record:
    """Parse one JSONL line into a :class:`Record` (object with a string ``text``)."""
    data = loads_strict(line, where, lineno)
    if not isinstance(data, dict):
        raise Errors.E011(type=type(data).__name__, where=where, line=lineno)
    if "text" not in data:
        raise Errors.E012(where=where, line=lineno)
    if not isinstance(data["text"], str):
        raise Errors.E013(type=type(data['text']).__name__, where=where, line=lineno)
    if "\x00" in data["text"]:
        raise Errors.E007(where=where, line=lineno)
    return Record(data=data, source=where, line=lineno, extra_meta={"source": where, "line": lineno})


def split_paragraphs(rec: Record) -> Iterator[Record]:
    """Cut a record's text at blank lines; each piece keeps its offset in ``meta``."""
    text = rec.text
    start = 0
    part = 0
    pieces: list[tuple[int, int]] = []
    for m in _PARA_RE.finditer(text):
        pieces.append((start, m.start()))
        start = m.end()
    pieces.append((start, len(text)))
    for a, b in pieces:
        chunk = text[a:b]
        stripped = chunk.strip()
        if not stripped:
            continue
        lead = len(chunk) - len(chunk.lstrip())
        offset = a + lead
        data = {k: v for k, v in rec.data.items() if k not in ("text", "spans", "tokens", "_input_hash", "_task_hash")}
        data["text"] = stripped
        meta = dict(rec.extra_meta)
        meta.update({"part": part, "offset": offset})
        part += 1
        yield Record(data=data, source=rec.source, line=rec.line, extra_meta=meta)


# ---------------------------------------------------------------- output


@contextlib.contextmanager
def atomic_output(path: str | Path, *, mode: str = "w", force: bool = True) -> Iterator[IO[Any]]:
    """Write to ``path`` through a temporary file moved into place on success.

    ``-`` yields stdout. On any exception the temporary file is removed and an
    existing target is left untouched.
    """
    if str(path) == "-":
        out = sys.stdout.buffer if "b" in mode else sys.stdout
        try:
            yield out
            out.flush()
        except BrokenPipeError:
            raise StdoutClosed from None
        return
    target = Path(path)
    try:
        st: os.stat_result | None = target.stat()  # follows links: /dev/stdout -> /proc/self/fd/1 -> a pipe
    except OSError:
        st = None
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        # a device (/dev/stdout, /dev/null) or a named pipe: write into it, never replace it
        yield from _write_special(target, mode)
        return
    if target.is_symlink():
        # replace what the link points at and keep the link itself
        target = Path(os.path.realpath(target))
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise Errors.E020(where=target)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise Errors.E024(where=target)
    if st is not None and not force:
        raise Errors.E021(where=target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{target.name}.{_HOST}.{os.getpid()}."
        _sweep_stale_temps(parent, target.name)
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=parent)
    except OSError as e:
        raise Errors.E022(strerror=e.strerror, where=parent) from None
    try:
        # mkstemp creates the file 0600; give the output the mode a plain open() would
        # (or the mode of the file it replaces)
        os.chmod(tmp, _output_mode(target))
        kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        _unlink(tmp)
        raise Errors.E023(strerror=e.strerror, where=target) from None
    except BaseException:
        _unlink(tmp)
        raise


# temporary outputs are named .NAME.HOST.PID.RANDOM.tmp: a later write to NAME removes the ones
# whose process (on this host) is gone, e.g. killed mid-write; other hosts' files are left alone
_HOST = format(zlib.crc32(socket.gethostname().encode("utf-8")), "08x")


def _sweep_stale_temps(folder: Path, name: str) -> None:
    head = f".{name}.{_HOST}."
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(head) and e.name.endswith(".tmp")]
    except OSError:
        return
    for e in entries:
        pid = e.name[len(head):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            _unlink(e.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _write_special(target: Path, mode: str) -> Iterator[IO[Any]]:
    kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
    try:
        f = open(target, mode, **kwargs)
    except OSError as e:
        raise Errors.E023(strerror=e.strerror, where=target) from None
    with f:
        yield f
        f.flush()


def _output_mode(target: Path) -> int:
    """The mode of the file being replaced (never its setuid, setgid or sticky bits), else open()'s default."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _unlink(p: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(p)


def dumps_jsonl(record: dict[str, Any]) -> str:
    """One JSONL line with sorted keys (stable, diff-friendly, byte for byte)."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(", ", ": "), allow_nan=False) + "\n"


def text_stream(data: str) -> io.BytesIO:
    """Bytes stream of ``data`` (tests and stdin emulation)."""
    return io.BytesIO(data.encode("utf-8"))
