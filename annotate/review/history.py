"""In-task undo, redo and reset of a :class:`~.taskstate.TaskState`, without any UI.

Every edit that changes what answering the task would store (a span's state, label or offsets, a span added
or deleted, a theme toggled) is recorded: :func:`apply_edit` takes a snapshot before the edit and keeps it
when the edit changed the task's content (moving between spans or the token cursor is not an edit).
:func:`undo_edit` / :func:`redo_edit` walk these snapshots; :func:`reset_to` puts the task back as it was
pre-annotated (itself an edit that undo reverts).

*Unsaved* means: the task on screen differs from what the store holds for it, i.e. from its pre-annotation
when it was never answered, or from its last stored answer when it came back (undo, task browser).
Decisions are committed as they are made, so these in-progress edits are the only thing quitting can lose:
:func:`has_unsaved_edits` tells the screen to ask first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .taskstate import TaskState

# the actions that may change a task's content (the others only move the cursor or the view)
CONTENT_EDITS = frozenset({
    "accept_span", "reject_span", "relabel", "widen_start", "widen_end", "shrink_start", "shrink_end",
    "delete_span", "toggle_theme",
})
_LIMIT = 500  # snapshots kept per task


@dataclass(frozen=True)
class Snapshot:
    """The task's content at one moment, cheaply: the span dicts themselves (an edit replaces a span's dict,
    never changes it, except its ``answer``, kept apart), which were added, the current span and the themes."""

    spans: tuple[dict[str, Any], ...]
    answers: tuple[str, ...]
    added: frozenset[int]
    current: int | None
    themes: tuple[bool, ...]
    extra_accept: tuple[str, ...]

    def same_content(self, other: Snapshot) -> bool:
        return (self.answers == other.answers and self.themes == other.themes and len(self.spans) == len(other.spans)
                and all(a is b for a, b in zip(self.spans, other.spans)) and self.extra_accept == other.extra_accept)


@dataclass
class EditHistory:
    base: tuple[Any, ...]  # content key of what the store holds for the task (unsaved edits differ from it)
    undo: list[Snapshot] = field(default_factory=list)
    redo: list[Snapshot] = field(default_factory=list)


def _span_key(s: dict[str, Any]) -> tuple[Any, ...]:
    return (s["start"], s["end"], s["label"], s["answer"], s.get("source"), repr(s.get("value")))


def content_key(state: TaskState) -> tuple[Any, ...]:
    """What answering the task now would store, as a comparable key by value (spans and themes)."""
    return (tuple(_span_key(s) for s in state.spans), tuple(state.themes.items()), tuple(state._extra_accept))


def snapshot(state: TaskState) -> Snapshot:
    spans = tuple(state.spans)
    return Snapshot(
        spans=spans, answers=tuple(s["answer"] for s in spans), added=frozenset(state._added),
        current=state.current, themes=tuple(state.themes.values()), extra_accept=tuple(state._extra_accept),
    )


def restore(state: TaskState, snap: Snapshot) -> None:
    """``state`` takes the content of ``snap``."""
    for s, a in zip(snap.spans, snap.answers):
        s["answer"] = a
    state.spans = list(snap.spans)
    state._added = set(snap.added)
    state.current = snap.current if snap.current is None or snap.current < len(state.spans) else None
    if state.current is None and state.spans:
        state.current = 0
    state.themes = dict(zip(state.themes, snap.themes))
    state._extra_accept = list(snap.extra_accept)
    state.adding = False
    state.anchor = state.end_mark = None


def history_of(state: TaskState) -> EditHistory:
    """The task's edit history (made on first use: what it holds then counts as saved)."""
    h: EditHistory | None = getattr(state, "edit_history", None)
    if h is None:
        h = EditHistory(base=content_key(state))
        state.edit_history = h  # type: ignore[attr-defined]
    return h


def apply_edit(state: TaskState, edit: Callable[..., bool], *args: Any) -> bool:
    """Run ``edit(state, *args)``; keep a snapshot for undo when it changed the task's content."""
    h = history_of(state)
    before = snapshot(state)
    done = edit(state, *args)
    if not before.same_content(snapshot(state)):
        h.undo.append(before)
        del h.undo[:-_LIMIT]
        h.redo.clear()
    return done


def undo_edit(state: TaskState) -> bool:
    h = history_of(state)
    if not h.undo:
        return state._refuse("no edit to undo in this task (u undoes the last answer)")
    h.redo.append(snapshot(state))
    restore(state, h.undo.pop())
    return state._changed(f"edit undone ({len(h.undo)} more to undo; redo brings it back)")


def redo_edit(state: TaskState) -> bool:
    h = history_of(state)
    if not h.redo:
        return state._refuse("nothing to redo")
    h.undo.append(snapshot(state))
    restore(state, h.redo.pop())
    return state._changed(f"edit redone ({len(h.redo)} more)")


def reset_to(state: TaskState, pre: TaskState) -> bool:
    """Put ``state`` back as ``pre`` (the task as pre-annotated); undo reverts it."""
    if content_key(pre) == content_key(state):
        return state._changed("the task is as pre-annotated")
    h = history_of(state)
    h.undo.append(snapshot(state))
    h.redo.clear()
    restore(state, snapshot(pre))  # the span dicts of ``pre`` (a fresh TaskState) become the task's
    return state._changed("reset to the pre-annotation (undo brings the edits back)")


def mark_saved(state: TaskState) -> None:
    """The task was just answered: what it holds now is what the store holds."""
    history_of(state).base = content_key(state)


def has_unsaved_edits(state: TaskState | None) -> bool:
    if state is None:
        return False
    h: EditHistory | None = getattr(state, "edit_history", None)
    return h is not None and content_key(state) != h.base


def unsaved_summary(state: TaskState) -> str:
    """A short account of the unsaved edits: how many edits since the task was last stored."""
    n = len(history_of(state).undo)
    return f"{n} edit{'s' if n != 1 else ''}"

