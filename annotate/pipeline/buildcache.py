"""A disk cache of what building the pipeline's rule components costs: the tokenized patterns.

Most of the time :func:`~annotate.pipeline.build.build_pipeline` spends
beyond ``spacy.load`` goes into tokenizing the label data: 3,000 gazetteer
names, the theme cues and the ORG trigger phrases, each through a spaCy
tokenizer (two of them built for the purpose). The components get their
tokenizers from :func:`memo_tokenizer`; while a :class:`TokenMemo` is active
(inside ``build_pipeline``) it records every text's words and spaces, and on
the next run replays them as ``Doc(vocab, words, spaces)``: the same tokens,
without a tokenizer (the two extra ones are not even built).

An entry is one JSON file in :func:`cache_dir`, named by a digest of
everything its content depends on (:func:`cache_key`): the model (name,
version, folder and its modification time), the content of the labels files,
the toolkit's version and the source of the modules that tokenize, and
spaCy's version. Any change gives a new key; stale entries are never read.
Entries are written to a temporary file and renamed into place (concurrent
writers each write a whole file; the last rename wins, all with the same
content). A missing, unreadable, corrupt or inconsistent entry is ignored and
rebuilt: the cache can only make a build faster, never fail or change it.

``$ANNOTATE_CACHE``: the folder (default ``$XDG_CACHE_HOME/annotate``, else
``~/.cache/annotate``); ``off`` (or ``0``, ``none``, empty) turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

FORMAT = 1
OFF_VALUES = ("", "0", "off", "none", "no", "false")
# the modules whose code decides what is tokenized and how: an edit to one changes the key
_SOURCES = ("build.py", "components.py", "themes.py", "orgrules.py", "buildcache.py")

Tokenized = tuple[list[str], list[bool]]
_ACTIVE: ContextVar["TokenMemo | None"] = ContextVar("annotate_token_memo", default=None)


def cache_dir() -> Path | None:
    """The cache folder, or None when ``$ANNOTATE_CACHE`` turns the cache off."""
    env = os.environ.get("ANNOTATE_CACHE")
    if env is not None:
        return None if env.strip().lower() in OFF_VALUES else Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "annotate"


def _file_digest(h: Any, path: Path) -> None:
    h.update(str(path.name).encode() + b"\0")
    try:
        h.update(path.read_bytes())
    except OSError:
        h.update(b"<missing>")
    h.update(b"\0")


def labels_digest(root: Path) -> str:
    """A digest of the content of the labels files ``load_labels`` reads."""
    from ..labels import LABEL_FILES

    h = hashlib.sha256()
    for name in LABEL_FILES:
        _file_digest(h, root / name)
    return h.hexdigest()


def model_identity(name: str | None, meta: dict[str, Any]) -> dict[str, Any]:
    """Name, version, folder and modification time of the model ``name`` (None: a blank pipeline)."""
    out: dict[str, Any] = {"name": name, "meta_name": meta.get("name"), "version": meta.get("version"),
                           "lang": meta.get("lang")}
    if not name:
        return out
    folder: Path | None = Path(name) if Path(name).is_dir() else None
    if folder is None:
        import importlib.util

        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            folder = Path(spec.origin).parent
    if folder is not None:
        out["path"] = str(folder.resolve())
        try:
            out["mtime"] = max([folder.stat().st_mtime_ns] + [p.stat().st_mtime_ns for p in folder.iterdir()])
        except OSError:
            out["mtime"] = None
    return out


def cache_key(lang: str, model: str | None, meta: dict[str, Any], labels_root: Path) -> str:
    """The digest naming the entry of a pipeline built for ``lang`` with ``model`` and these labels."""
    import spacy

    from ..about import __version__

    here = Path(__file__).parent
    src = hashlib.sha256()
    for name in _SOURCES:
        _file_digest(src, here / name)
    parts = {
        "format": FORMAT, "lang": lang, "model": model_identity(model, meta), "labels": labels_digest(labels_root),
        "annotate": __version__, "sources": src.hexdigest(), "spacy": spacy.__version__,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


class TokenMemo:
    """Tokenizations recorded while building (``recorded``), replayed from ``known`` when given."""

    def __init__(self, known: dict[str, dict[str, Tokenized]] | None = None) -> None:
        self.known = known or {}
        self.recorded: dict[str, dict[str, Tokenized]] = {}
        self.misses = 0

    def tokenizer(self, kind: str, vocab: Any, make: Callable[[], Callable[[str], Any]]) -> Callable[[str], Any]:
        from spacy.tokens import Doc

        known = self.known.get(kind, {})
        record = self.recorded.setdefault(kind, {})
        real: list[Callable[[str], Any]] = []

        def tokenize(text: str) -> Any:
            hit = known.get(text)
            if hit is not None:
                record[text] = hit
                return Doc(vocab, words=hit[0], spaces=hit[1])
            if not real:
                real.append(make())
            doc = real[0](text)
            record[text] = ([t.text for t in doc], [bool(t.whitespace_) for t in doc])
            self.misses += 1
            return doc

        return tokenize


def memo_tokenizer(kind: str, vocab: Any, make: Callable[[], Callable[[str], Any]]) -> Callable[[str], Any]:
    """The tokenizer ``make()`` builds, or, while a build is recording, one that goes through its memo.

    ``kind`` names the tokenizer (one memo per kind): the same text may be cut differently by two.
    """
    memo = _ACTIVE.get()
    return make() if memo is None else memo.tokenizer(kind, vocab, make)


class recording:
    """``with recording(known) as memo:``: components built inside use ``memo`` (see :func:`memo_tokenizer`)."""

    def __init__(self, known: dict[str, dict[str, Tokenized]] | None) -> None:
        self.memo = TokenMemo(known)

    def __enter__(self) -> TokenMemo:
        self._token = _ACTIVE.set(self.memo)
        return self.memo

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.reset(self._token)


def _valid(memo: Any) -> bool:
    if not isinstance(memo, dict):
        return False
    for table in memo.values():
        if not isinstance(table, dict):
            return False
        for text, entry in table.items():
            if not (isinstance(entry, list) and len(entry) == 2):
                return False
            words, spaces = entry
            if not (isinstance(words, list) and isinstance(spaces, list) and len(words) == len(spaces) and words):
                return False
            # the tokens must give back the text exactly: a damaged entry cannot pass
            if "".join(w + (" " if s is True else "") for w, s in zip(words, spaces)) != text:
                return False
            if not all(isinstance(w, str) and w for w in words) or not all(isinstance(s, bool) for s in spaces):
                return False
    return True


def load(key: str, folder: Path | None = None) -> dict[str, dict[str, Tokenized]] | None:
    """The memo stored under ``key``, or None (no entry, or one that is unreadable or inconsistent)."""
    folder = folder if folder is not None else cache_dir()
    if folder is None:
        return None
    try:
        data = json.loads((folder / f"pipeline-{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
        return None
    memo = data.get("memo")
    if not _valid(memo):
        return None
    return {kind: {t: (e[0], e[1]) for t, e in table.items()} for kind, table in memo.items()}


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file renamed into place (synced first); False, and
    nothing left behind, when the folder cannot be written. Concurrent writers each write a whole file."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


def store(key: str, memo: dict[str, dict[str, Tokenized]], folder: Path | None = None) -> bool:
    """Write the entry atomically; False (and nothing written) when the folder is not writable."""
    folder = folder if folder is not None else cache_dir()
    if folder is None:
        return False
    payload = json.dumps({"format": FORMAT, "key": key, "memo": memo}, ensure_ascii=False, separators=(",", ":"))
    return write_atomic(folder / f"pipeline-{key}.json", payload.encode("utf-8"))
