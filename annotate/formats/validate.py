"""Every value an imported record carries, checked before anything is stored (issue #13, item 6).

:func:`check_record` runs on the finished task of every import format
(:func:`.native.finish_task`): the types and ranges the store, the exports and
``db stats`` rely on. A value that does not fit is a :class:`~.native.BadRecord`
(one line: what, and the fix), never a row that breaks a later command.

* decision fields: ``_timestamp`` a finite number of seconds in [0, 2**53];
  ``_seconds`` a finite number in [0, 10**9]; ``_annotator_id`` and
  ``_session_id`` strings (or integers) without line breaks; ``_input_hash`` and
  ``_task_hash`` integers that fit in 64 bits;
* ``meta`` an object; ``accept`` (the accepted themes) a list of non-empty
  strings; ``cats`` an object of finite numbers;
* ``tokens`` objects with integer ``start``/``end`` and a string ``text``
  (``id`` an integer, ``ws`` a boolean when given);
* ``spans`` objects with a non-empty string ``label``, integer
  ``token_start``/``token_end`` when given, a string ``source``, and an
  ``answer`` that is accept, reject or ignore when given.
"""

from __future__ import annotations

import math
from typing import Any

from .native import BadRecord

_INT64 = (-(1 << 63), (1 << 63) - 1)
MAX_TIMESTAMP = 2**53
MAX_SECONDS = 10**9
SPAN_ANSWERS = ("accept", "reject", "ignore")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def check_decision_fields(data: dict[str, Any]) -> None:
    """The decision keys of an input record (they are not part of the task)."""
    ts = data.get("_timestamp")
    if ts is not None and not (_is_number(ts) and 0 <= ts <= MAX_TIMESTAMP):
        raise BadRecord(f"_timestamp is {_short(ts)}, not a time in seconds since 1970",
                        "give _timestamp as a number of seconds (e.g. 1700000000) or leave it out")
    sec = data.get("_seconds")
    if sec is not None and not (_is_number(sec) and 0 <= sec <= MAX_SECONDS):
        raise BadRecord(f"_seconds is {_short(sec)}, not a duration in seconds",
                        "give _seconds as a number from 0 to 1e9, or leave it out")
    for key in ("_annotator_id", "_session_id"):
        v = data.get(key)
        if v is not None and not ((isinstance(v, str) and not any(c in v for c in "\n\r")) or _is_int(v)):
            raise BadRecord(f"{key} is {_short(v)}, not a name", f"give {key} as a string on one line, or leave it out")


def check_task(task: dict[str, Any]) -> None:
    """The finished task of a record: every field the store and the exports use."""
    for key in ("_input_hash", "_task_hash"):
        v = task.get(key)
        if v is not None and not (_is_int(v) and _INT64[0] <= v <= _INT64[1]):
            raise BadRecord(f"{key} is {_short(v)}, not a 64-bit integer", f"remove {key} so it is computed again")
    if "meta" in task and not isinstance(task["meta"], dict):
        raise BadRecord('"meta" is not an object', 'write "meta" as a JSON object or leave it out')
    acc = task.get("accept")
    if acc is not None and not (isinstance(acc, list) and all(isinstance(a, str) and a.strip() for a in acc)):
        raise BadRecord(f'"accept" is {_short(acc)}, not a list of theme names',
                        'write "accept" as a list of theme names such as ["FINANCE"]')
    cats = task.get("cats")
    if cats is not None and not (isinstance(cats, dict) and all(_is_number(v) for v in cats.values())):
        raise BadRecord('"cats" is not an object of theme scores', 'write "cats" as {"THEME": 0.0..1.0} or leave it out')
    tokens = task.get("tokens")
    if tokens is not None:
        for i, t in enumerate(tokens):
            if not (isinstance(t, dict) and _is_int(t.get("start")) and _is_int(t.get("end"))
                    and isinstance(t.get("text"), str)):
                raise BadRecord(f"token {i} is {_short(t)}: it needs integer start and end and a text",
                                'correct the tokens or drop "tokens"')
            if ("id" in t and not _is_int(t["id"])) or ("ws" in t and not isinstance(t["ws"], bool)):
                raise BadRecord(f"token {i} has an id that is not an integer or a ws that is not true/false",
                                'correct the tokens or drop "tokens"')
    for i, s in enumerate(task.get("spans") or []):
        label = s.get("label")
        if not isinstance(label, str) or not label.strip():
            raise BadRecord(f"span {i} has label {_short(label)}", "give each span a label name (a string)")
        for key in ("token_start", "token_end"):
            if key in s and not (_is_int(s[key]) and s[key] >= 0):
                raise BadRecord(f"span {i} has {key} {_short(s[key])}, not a token index",
                                f"give {key} as an integer, or leave it out")
        if "source" in s and not isinstance(s["source"], str):
            raise BadRecord(f"span {i} has source {_short(s['source'])}, not a string", "give source as a string or leave it out")
        if "answer" in s and s["answer"] not in SPAN_ANSWERS:
            raise BadRecord(f"span {i} has answer {_short(s['answer'])}", "give a span answer of accept, reject or ignore")
