"""The store's keys: 128-bit digests of a task's content (schema version 2).

The 32-bit ``_input_hash`` / ``_task_hash`` (Prodigy's MurmurHash3) collide
about once per 77,000 distinct texts, so they are kept as fields only (written
back on export exactly as they came). The store keys on content instead:

* the **input key** is blake2b-128 of the canonical JSON (sorted keys, no
  spaces, UTF-8) of the input fields (:data:`~annotate.tasks.INPUT_KEYS`,
  the text);
* the **task key** is blake2b-128 of the canonical JSON of ``[input key (hex),
  sorted [start, end, label] of every span]``: the same identity as Prodigy's
  task hash (same text and same spans: same task), without collisions;
* the **decision key** (a decision's identity: the same decision imported
  twice is stored once) is blake2b-128 of ``[dataset, task key, annotator,
  answer, timestamp (null when the record had none), content digest]``.

Keys are 16-byte BLOBs in the database; the store's methods take and return
them as 32-character hex strings. A task read from
:meth:`~annotate.store.Store.pending` carries its key in ``_task_key`` (never
stored in the content, never exported): a decision stored from it keeps the
task's key even when the reviewer changed its spans.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..tasks import INPUT_KEYS

# fields the store adds to tasks it hands out; never stored in the content
STORE_KEYS = ("_task_key", "_input_key")


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces); lone surrogates kept (they are refused elsewhere)."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return s.encode("utf-8", "surrogatepass")


def digest(obj: Any) -> bytes:
    return hashlib.blake2b(canonical(obj), digest_size=16).digest()


def input_key(task: dict[str, Any]) -> bytes:
    return digest({k: task.get(k) for k in INPUT_KEYS})


def _span_triple(s: Any) -> list[Any]:
    if isinstance(s, dict):
        return [s.get("start"), s.get("end"), s.get("label")]
    return [None, None, s]


def task_key(task: dict[str, Any], in_key: bytes | None = None) -> bytes:
    ik = input_key(task) if in_key is None else in_key
    spans = task.get("spans")
    triples = [_span_triple(s) for s in spans] if isinstance(spans, list) else []
    triples.sort(key=canonical)
    return digest([ik.hex(), triples])


def decision_key(dataset: str, tkey: bytes, annotator: str, answer: str, timestamp: int | None, content: str) -> bytes:
    content_digest = hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return digest([dataset, tkey.hex(), annotator, answer, timestamp, content_digest])


def parse_key(value: Any) -> bytes | None:
    """A key given back by a caller (32 hex characters) as bytes, or None when it is not one."""
    if isinstance(value, str) and len(value) == 32:
        try:
            return bytes.fromhex(value)
        except ValueError:
            return None
    return None
