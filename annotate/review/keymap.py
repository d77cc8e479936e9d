"""The review screen's actions and their keys: the table behind every ``Binding(..., id=...)``.

Each action has an id (the Textual action name and the binding id), default keys, a description for the
help screen and a short label for the key line. ``--keymap FILE`` (TOML, ``action = "keys"``) remaps
actions by id; :func:`read_keymap` loads and validates such a file. Relabel and theme keys are not here:
they come from ``labels/`` (``labels.toml``, ``themes.toml``).

No Textual here: the app turns this table into bindings.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import NamedTuple

from ..errors import EXIT_USAGE, AnnotateError


class Action(NamedTuple):
    id: str
    keys: str  # Textual key names, comma-separated
    description: str  # the help screen
    short: str  # the key line ("" = not on it)


ACTIONS: tuple[Action, ...] = (
    Action("next_span", "right,l", "next span (in add mode: next token)", "span"),
    Action("prev_span", "left,h", "previous span (in add mode: previous token)", ""),
    Action("accept_span", "t,enter", "accept (keep) the current span; again: it stays kept", "keep"),
    Action("reject_span", "r", "reject the current span; again: it stays rejected", "drop"),
    Action("widen_start", "left_square_bracket", "widen the span by a token at the start", "widen"),
    Action("widen_end", "right_square_bracket", "widen the span by a token at the end", ""),
    Action("shrink_start", "left_curly_bracket", "shrink the span by a token at the start", "shrink"),
    Action("shrink_end", "right_curly_bracket", "shrink the span by a token at the end", ""),
    Action("delete_span", "d,delete", "delete the current span", "delete"),
    Action("add_span", "n", "add a span: start the token cursor (again: cancel)", "new"),
    Action("mark", "m", "add mode: mark the start, then the end", "mark"),
    Action("cancel", "escape", "cancel adding a span", ""),
    Action("accept", "a", "accept the task (saves every span's state and the themes)", "ACCEPT"),
    Action("reject", "x", "reject the task", "REJECT"),
    Action("ignore", "space", "ignore the task", "ignore"),
    Action("undo", "u,backspace", "undo the last decision (it comes back, editable; also from an earlier session)", "undo"),
    Action("scroll_down", "down,j", "scroll the text down", ""),
    Action("scroll_up", "up,k", "scroll the text up", ""),
    Action("help", "question_mark,f12", "this help", "help"),
    Action("quit", "q", "quit (every decision is already saved)", "quit"),
)

ACTION_IDS: tuple[str, ...] = tuple(a.id for a in ACTIONS)

_KEY_NAMES = {
    "right": "→", "left": "←", "up": "↑", "down": "↓", "left_square_bracket": "[", "right_square_bracket": "]",
    "left_curly_bracket": "{", "right_curly_bracket": "}", "space": "space", "question_mark": "?",
    "escape": "esc", "enter": "⏎", "backspace": "⌫", "delete": "del",
}


def key_display(keys: str) -> str:
    """Keys as the screen shows them: ``"left_square_bracket,d"`` -> ``"[/d"``."""
    return "/".join(_KEY_NAMES.get(k, k) for k in keys.split(","))


def keys_of(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The keys of every action: the defaults, with ``overrides`` (action id -> keys) applied."""
    keys = {a.id: a.keys for a in ACTIONS}
    keys.update(overrides or {})
    return keys


def read_keymap(path: Path | None) -> dict[str, str]:
    """Read a ``--keymap`` TOML file (``next_span = "j,right"``): action id -> keys. ``None``: no remapping.

    Raises E323 (file missing: exit 2; not TOML: exit 1) and E324 (unknown action, with a "did you mean";
    keys that are not a non-empty string).
    """
    if path is None:
        return {}
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise AnnotateError("keymap file not found", where=path, fix="check the path", code="E323", exit_code=EXIT_USAGE) from None
    except tomllib.TOMLDecodeError as e:
        raise AnnotateError(f"invalid TOML: {e}", where=path, fix="write lines like next_span = \"j\"", code="E323") from None
    out: dict[str, str] = {}
    for k, v in data.items():
        if k not in ACTION_IDS:
            from ..labels import did_you_mean

            raise AnnotateError(f"unknown action {k!r}", where=path, fix=did_you_mean(k, list(ACTION_IDS)), code="E324")
        if not isinstance(v, str) or not v.strip():
            raise AnnotateError(f"keys of {k} must be a string such as \"j,down\"", where=path, fix="quote the keys", code="E324")
        out[k] = v
    return out
