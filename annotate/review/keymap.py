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
from typing import Any, NamedTuple

from ..errors import Errors


class Action(NamedTuple):
    id: str
    keys: str  # Textual key names, comma-separated
    description: str  # the help screen
    short: str  # the key line ("" = not on it)


ACTIONS: tuple[Action, ...] = (
    Action("next_span", "right,l", "next span (in add mode: next token)", "span"),
    Action("prev_span", "left,h", "previous span (in add mode: previous token)", ""),
    Action("first_span", "home", "first span (in add mode: first word)", ""),
    Action("last_span", "end", "last span (in add mode: last word)", ""),
    Action("next_same_label", "s", "next span with the current span's label", ""),
    Action("accept_span", "t,enter", "accept (keep) the current span; again: it stays kept", "keep"),
    Action("reject_span", "r", "reject the current span; again: it stays rejected", "drop"),
    Action("widen_start", "left_square_bracket", "widen the span by a word at the start", "widen"),
    Action("widen_end", "right_square_bracket", "widen the span by a word at the end", ""),
    Action("shrink_start", "left_curly_bracket", "shrink the span by a word at the start", "shrink"),
    Action("shrink_end", "right_curly_bracket", "shrink the span by a word at the end", ""),
    Action("delete_span", "d,delete", "delete the current span", "delete"),
    Action("add_span", "n", "add a span: start the token cursor (again: cancel)", "new"),
    Action("mark", "m", "add mode: mark the start, then the end", "mark"),
    Action("cancel", "escape", "cancel adding a span", ""),
    Action("accept", "a", "accept the task (saves every span's state and the themes)", "ACCEPT"),
    Action("reject", "x", "reject the task", "REJECT"),
    Action("ignore", "space", "ignore the task", "ignore"),
    Action("undo", "u,backspace", "undo the last decision (it comes back, editable; also from an earlier session)", "undo"),
    Action("undo_edit", "z", "undo the last edit of this task (span, label, resize, add, delete, theme)", ""),
    Action("redo_edit", "Z", "redo the edit undone last", ""),
    Action("reset_task", "R", "reset this task to its pre-annotation (undo brings the edits back)", ""),
    Action("cues", "c", "highlight the cue words of the themes switched on (again: hide); toggling a theme shows its own", ""),
    Action("browse", "b", "task browser: every task and who answered it; filter by state, label, annotator, text; open one (answered ones too)", ""),
    Action("release_mouse", "M", "release the mouse: select and copy text with the terminal (again: the screen takes the mouse back)", ""),
    Action("scroll_down", "down,j", "scroll the text down", ""),
    Action("scroll_up", "up,k", "scroll the text up", ""),
    Action("page_down", "pagedown", "scroll the text down by a page", ""),
    Action("page_up", "pageup", "scroll the text up by a page", ""),
    Action("help", "question_mark,f12", "this help", "help"),
    Action("quit", "q", "quit (every decision is already saved; with unsaved edits on this task, asks first; Ctrl-C too)", "quit"),
)

ACTION_IDS: tuple[str, ...] = tuple(a.id for a in ACTIONS)

_KEY_NAMES = {
    "right": "→", "left": "←", "up": "↑", "down": "↓", "left_square_bracket": "[", "right_square_bracket": "]",
    "left_curly_bracket": "{", "right_curly_bracket": "}", "space": "space", "question_mark": "?",
    "escape": "esc", "enter": "⏎", "backspace": "⌫", "delete": "del", "pagedown": "PgDn", "pageup": "PgUp",
    "home": "Home", "end": "End",
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
        raise Errors.E323(where=path) from None
    except tomllib.TOMLDecodeError as e:
        raise Errors.E340(e=e, where=path) from None
    out: dict[str, str] = {}
    for k, v in data.items():
        if k not in ACTION_IDS and not k.startswith(KEYED_PREFIXES):  # label_/theme_ ids: checked with the labels
            from ..labels import did_you_mean

            raise Errors.E324(k=k, fix=did_you_mean(k, list(ACTION_IDS)), where=path)
        if not isinstance(v, str):
            raise Errors.E341(k=k, where=path)
        if not v.strip() or not all(x.strip() for x in v.split(",")):
            raise Errors.E342(k=k, v=v, default_keys=_default_keys(k), where=path)
        out[k] = ",".join(x.strip() for x in v.split(","))
    return out


def _default_keys(action: str) -> str:
    return next((a.keys for a in ACTIONS if a.id == action), "f1")


# the ids of the relabel and theme keys in a keymap: label_ORG = "1", theme_AI = "ctrl+a"
KEYED_PREFIXES = ("label_", "theme_")


def apply_label_keys(labels: Any, overrides: dict[str, str], *, keymap_path: str | Path | None = None) -> Any:
    """``labels`` (a :class:`~annotate.review.labelset.ReviewLabels`) with the keys of ``label_NAME`` and
    ``theme_NAME`` entries of ``overrides``. An unknown name is E324 with a "did you mean" (exit 2)."""
    import dataclasses

    from ..labels import did_you_mean

    entity_ids = {f"label_{e.name}" for e in labels.entities}
    theme_ids = {f"theme_{t.name}" for t in labels.themes}
    for k in overrides:
        if k.startswith(KEYED_PREFIXES) and k not in entity_ids | theme_ids:
            known = sorted(entity_ids | theme_ids)
            raise Errors.E343(k=k, fix=did_you_mean(k, known), where=keymap_path or '--keymap')
    return dataclasses.replace(
        labels,
        entities=tuple(dataclasses.replace(e, key=overrides.get(f"label_{e.name}", e.key)) for e in labels.entities),
        themes=tuple(dataclasses.replace(t, key=overrides.get(f"theme_{t.name}", t.key)) for t in labels.themes),
    )


# Textual's names of the keys that are not a character (a character is itself or its Unicode name:
# "question_mark", "left_square_bracket"); a modifier comes before, joined with "+": "ctrl+s"
NAMED_KEYS = frozenset(
    {"backspace", "delete", "down", "end", "enter", "escape", "home", "insert", "left", "pagedown", "pageup",
     "return", "right", "space", "tab", "up"} | {f"f{i}" for i in range(1, 25)}
)
MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


def is_key_name(key: str) -> bool:
    """A key name Textual knows: ``j``, ``J``, ``ctrl+s``, ``f5``, ``pageup``, ``question_mark``."""
    import unicodedata

    *mods, base = key.split("+") if key != "+" else ["+"]
    if any(m not in MODIFIERS for m in mods) or not base:
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    if base in NAMED_KEYS:
        return True
    try:
        char = unicodedata.lookup(base.replace("_", " ").upper())
    except KeyError:
        return False
    return char.isprintable() and not char.isspace()


def check_keys(overrides: dict[str, str], labels: object, *, keymap_path: str | Path | None = None,
               labels_path: str | Path | None = None) -> None:
    """Refuse a key name Textual does not know and a key bound twice, among the actions' keys (the defaults
    with ``overrides``, action id -> keys, from ``keymap_path``), the label keys and the theme keys of
    ``labels`` (a :class:`~annotate.review.session.ReviewLabels` from ``labels_path``). The message names the
    file to change: the keymap when one of the two keys comes from it. E327 (unknown key), E328 (clash), exit 2.
    """
    where_map = keymap_path if keymap_path is not None else "--keymap"
    where_labels = labels_path if labels_path is not None else "labels/"
    owners: list[tuple[str, str, str | Path]] = []  # (key, what, where)
    for a in ACTIONS:
        for key in keys_of({k: v for k, v in overrides.items() if k in ACTION_IDS})[a.id].split(","):
            owners.append((key.strip(), a.id, where_map if a.id in overrides else "the default keys"))
    labels = apply_label_keys(labels, overrides, keymap_path=keymap_path)
    for e in labels.entities:
        remapped = f"label_{e.name}" in overrides
        owners.append((e.key, f"label {e.name}" + ("" if remapped else " (labels.toml)"), where_map if remapped else where_labels))
    for th in labels.themes:
        remapped = f"theme_{th.name}" in overrides
        owners.append((th.key, f"theme {th.name}" + ("" if remapped else " (themes.toml)"), where_map if remapped else where_labels))
    seen: dict[str, tuple[str, str | Path]] = {}
    owners = [(k.strip(), what, where) for keys, what, where in owners for k in keys.split(",")]
    for key, what, where in owners:
        if not is_key_name(key):
            raise Errors.E327(key=key, what=what, where=where)
        if key in seen:
            first, first_where = seen[key]
            culprit = next((w for w in (where, first_where) if w == where_map),
                           next((w for w in (where, first_where) if w == where_labels), where))
            raise Errors.E328(key=key, first=first, what=what, detail=keymap_path or 'a --keymap file', where=culprit)
        seen[key] = (what, where)
