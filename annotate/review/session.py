"""The review state, without any UI: what the review screen shows and changes.

* :class:`TaskState` is one task being reviewed: its spans (each accepted or
  rejected), the current span, the token cursor used to add a span, and the
  themes. Every edit keeps the accepted spans free of overlaps, so the result
  always fits ``doc.ents``.
* :class:`ReviewSession` is the controller the app talks to: it pulls
  pending tasks from the :class:`~annotate.store.Store`, stores each decision
  (committed before the next task is shown), undoes, and counts progress.

The Textual app only calls these methods and renders what they return.
"""

from __future__ import annotations

import bisect
import copy
import getpass
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import EXIT_USAGE, AnnotateError
from ..store import Store

ACCEPT, REJECT = "accept", "reject"


@dataclass(frozen=True)
class EntityStyle:
    name: str
    color: str
    key: str


@dataclass(frozen=True)
class ThemeStyle:
    name: str
    key: str
    description: str = ""


@dataclass(frozen=True)
class ReviewLabels:
    """What the review screen needs from ``labels/``: entity labels and themes with their keys."""

    entities: tuple[EntityStyle, ...]
    themes: tuple[ThemeStyle, ...]
    threshold: float = 0.5

    @property
    def entity_names(self) -> list[str]:
        return [e.name for e in self.entities]

    @property
    def theme_names(self) -> list[str]:
        return [t.name for t in self.themes]

    def color(self, label: str) -> str:
        for e in self.entities:
            if e.name == label:
                return e.color
        return "#aaaaaa"

    @classmethod
    def from_labels(cls, labels: Any) -> ReviewLabels:
        return cls(
            entities=tuple(EntityStyle(e.name, e.color, e.key) for e in labels.labels.entity),
            themes=tuple(ThemeStyle(t.name, t.key, t.description) for t in labels.taxonomy.theme),
            threshold=float(labels.taxonomy.settings.threshold),
        )

    @classmethod
    def load(cls, path: str | None = None) -> ReviewLabels:
        """Read the entity labels and themes of a labels folder (``labels.toml`` and ``themes.toml``)."""
        from pathlib import Path

        from .. import labels as L

        try:
            return cls.from_labels(L.load_labels(path))
        except AnnotateError as e:
            # review only needs labels.toml and themes.toml; tolerate the other files being absent
            root = Path(path) if path is not None else L.default_labels_dir()
            if e.code != "E100" or not (root / L.ENTITY_LABELS_FILE).exists() or not (root / L.THEMES_FILE).exists():
                raise
            from pydantic import ValidationError

            out = []
            for name, model in ((L.ENTITY_LABELS_FILE, L.LabelSet), (L.THEMES_FILE, L.Taxonomy)):
                try:
                    out.append(model.model_validate(L._read_toml(root / name)))
                except ValidationError as err:
                    raise L._flatten(err, root / name) from None
            labelset, taxonomy = out
            return cls(
                entities=tuple(EntityStyle(x.name, x.color, x.key) for x in labelset.entity),
                themes=tuple(ThemeStyle(t.name, t.key, t.description) for t in taxonomy.theme),
                threshold=float(taxonomy.settings.threshold),
            )


def default_annotator() -> str:
    env = os.environ.get("ANNOTATE_ANNOTATOR")
    if env:
        return env
    try:
        return getpass.getuser() or "default"
    except Exception:  # pragma: no cover - no user name on this system
        return "default"


class TaskState:
    """One task under review. Token indices are those of ``task["tokens"]``."""

    def __init__(self, task: dict[str, Any], labels: ReviewLabels) -> None:
        self.original = task
        self.labels = labels
        self.text: str = task["text"]
        self.tokens: list[dict[str, Any]] = task.get("tokens") or []
        self._starts = [t["start"] for t in self.tokens]
        self._ends = [t["end"] for t in self.tokens]
        spans = []
        for s in task.get("spans") or []:
            d = dict(s)
            d["answer"] = ACCEPT if d.get("answer", ACCEPT) == ACCEPT else REJECT
            if "token_start" not in d or "token_end" not in d:
                d["token_start"], d["token_end"] = self._token_range(d["start"], d["end"])
            spans.append(d)
        self.spans: list[dict[str, Any]] = sorted(spans, key=lambda s: (s["start"], s["end"]))
        # the spans as they came, by (start, end, label): an edit that goes back to one of them gets its
        # source (and value) back; the spans added on screen (by id of their dict: a span dict lives in spans)
        self._original = {(s["start"], s["end"], s["label"]): s for s in self.spans}
        self._added: set[int] = set()
        self.current: int | None = 0 if self.spans else None
        cats = task.get("cats") if isinstance(task.get("cats"), dict) else {}
        self.scores: dict[str, float] = {}
        for name in labels.theme_names:
            try:
                self.scores[name] = float(cats.get(name, 0.0))
            except (TypeError, ValueError):
                self.scores[name] = 0.0
        if isinstance(task.get("accept"), list):
            chosen = set(task["accept"])
        else:
            chosen = {k for k, v in self.scores.items() if v >= labels.threshold}
        self.themes: dict[str, bool] = {name: name in chosen for name in labels.theme_names}
        # extra accepted themes not in our taxonomy are kept as they were
        self._extra_accept = [t for t in task.get("accept", []) if t not in self.themes] if isinstance(task.get("accept"), list) else []
        # add-span mode: a token cursor, an anchor (start mark) and an optional end mark
        self.adding = False
        self.cursor = 0
        self.anchor: int | None = None
        self.end_mark: int | None = None
        self.message = ""
        self.version = 0  # bumped on every change; the UI redraws when it moves

    # ------------------------------------------------------------ helpers

    def _token_range(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, start) - 1
        j = bisect.bisect_left(self._ends, end)
        return max(i, 0), min(j, len(self.tokens) - 1)

    def _changed(self, message: str = "") -> bool:
        self.message = message
        self.version += 1
        return True

    def _refuse(self, message: str) -> bool:
        self.message = message
        self.version += 1
        return False

    def _make_span(self, ts: int, te: int, label: str, base: dict[str, Any] | None = None) -> dict[str, Any]:
        start, end = self.tokens[ts]["start"], self.tokens[te]["end"]
        d = {k: v for k, v in (base or {}).items() if k != "value"}
        d.update(
            start=start, end=end, token_start=ts, token_end=te, label=label, text=self.text[start:end],
            answer=d.get("answer", ACCEPT),
        )
        if base is None or (base["start"], base["end"]) != (start, end) or base.get("label") != label:
            d["source"] = "manual"
        if base is not None and "value" in base and (base["start"], base["end"], base["label"]) == (start, end, label):
            d["value"] = base["value"]
        orig = self._original.get((start, end, label))
        if orig is not None:  # back to a span as it came (X -> Y -> X): its source and value come back too
            for k in ("source", "value"):
                if k in orig:
                    d[k] = orig[k]
                else:
                    d.pop(k, None)
        return d

    def _put(self, i: int, new: dict[str, Any]) -> None:
        """Span ``i`` becomes ``new`` (an edit of it): an added span stays added."""
        old = self.spans[i]
        if id(old) in self._added:
            self._added.discard(id(old))
            self._added.add(id(new))
        self.spans[i] = new

    def span_state(self, span: dict[str, Any]) -> str:
        """``rejected``, ``added`` (on screen), ``edited`` (offsets or label changed) or ``kept``."""
        if span["answer"] != ACCEPT:
            return "rejected"
        if id(span) in self._added:
            return "added"
        if (span["start"], span["end"], span["label"]) not in self._original:
            return "edited"
        return "kept"

    def conflict(self, ts: int, te: int, skip: int | None = None) -> dict[str, Any] | None:
        """An accepted span (other than ``skip``) overlapping tokens ts..te."""
        for i, s in enumerate(self.spans):
            if i == skip or s["answer"] != ACCEPT:
                continue
            if s["token_start"] <= te and ts <= s["token_end"]:
                return s
        return None

    def _sort(self, keep: dict[str, Any] | None) -> None:
        self.spans.sort(key=lambda s: (s["start"], s["end"]))
        if keep is not None:
            self.current = next(i for i, s in enumerate(self.spans) if s is keep)

    @property
    def span(self) -> dict[str, Any] | None:
        return None if self.current is None else self.spans[self.current]

    # ------------------------------------------------------------ span navigation and edits

    def next_span(self) -> bool:
        if self.adding:
            return self.move_cursor(1)
        if not self.spans:
            return self._refuse("no span: press n to add one")
        self.current = 0 if self.current is None else min(self.current + 1, len(self.spans) - 1)
        return self._changed()

    def prev_span(self) -> bool:
        if self.adding:
            return self.move_cursor(-1)
        if not self.spans:
            return self._refuse("no span: press n to add one")
        self.current = 0 if self.current is None else max(self.current - 1, 0)
        return self._changed()

    def accept_span(self) -> bool:
        """Keep the current span (again: it stays kept)."""
        s = self.span
        if s is None:
            return self._refuse("no span to accept")
        if s["answer"] == ACCEPT:
            return self._changed(f"{s['label']} {s['text']!r} is kept")
        other = self.conflict(s["token_start"], s["token_end"], skip=self.current)
        if other is not None:
            return self._refuse(f"overlaps accepted {other['label']} {other['text']!r}: reject or delete it first")
        s["answer"] = ACCEPT
        return self._changed(f"accepted {s['label']} {s['text']!r}")

    def toggle_span(self) -> bool:
        """Kept -> rejected, rejected -> kept (the library's shortcut; the screen has accept_span and reject_span)."""
        s = self.span
        if s is not None and s["answer"] == ACCEPT:
            return self.reject_span()
        return self.accept_span()

    def reject_span(self) -> bool:
        """Reject the current span (again: it stays rejected)."""
        s = self.span
        if s is None:
            return self._refuse("no span to reject")
        if s["answer"] != ACCEPT:
            return self._changed(f"{s['label']} {s['text']!r} is rejected")
        s["answer"] = REJECT
        return self._changed(f"rejected {s['label']} {s['text']!r}")

    def relabel(self, label: str) -> bool:
        if label not in self.labels.entity_names:
            return self._refuse(f"unknown label {label}")
        if self.adding:
            return self.finish_add(label)
        s = self.span
        if s is None:
            return self._refuse("no span to relabel: press n to add one")
        new = self._make_span(s["token_start"], s["token_end"], label, s)
        new["answer"] = ACCEPT
        other = self.conflict(new["token_start"], new["token_end"], skip=self.current)
        if other is not None:
            return self._refuse(f"overlaps accepted {other['label']} {other['text']!r}: reject or delete it first")
        self._put(self.current, new)  # type: ignore[arg-type]
        return self._changed(f"relabelled {s['text']!r} as {label}")

    def resize(self, edge: str, delta: int) -> bool:
        """Move one end of the current span by one token: edge "start"/"end", delta -1/+1."""
        s = self.span
        if s is None:
            return self._refuse("no span to resize")
        ts, te = s["token_start"], s["token_end"]
        if edge == "start":
            ts += delta
        else:
            te += delta
        if ts < 0 or te >= len(self.tokens):
            return self._refuse("the span is at the edge of the text")
        if ts > te:
            return self._refuse("a span keeps at least one token: delete it with d")
        if s["answer"] == ACCEPT:
            other = self.conflict(ts, te, skip=self.current)
            if other is not None:
                return self._refuse(f"would overlap {other['label']} {other['text']!r}")
        new = self._make_span(ts, te, s["label"], s)
        self._put(self.current, new)  # type: ignore[arg-type]
        self._sort(new)
        return self._changed(f"{new['label']} is now {new['text']!r}")

    def widen_start(self) -> bool:
        return self.resize("start", -1)

    def shrink_start(self) -> bool:
        return self.resize("start", +1)

    def widen_end(self) -> bool:
        return self.resize("end", +1)

    def shrink_end(self) -> bool:
        return self.resize("end", -1)

    def delete_span(self) -> bool:
        s = self.span
        if s is None:
            return self._refuse("no span to delete")
        del self.spans[self.current]  # type: ignore[arg-type]
        self._added.discard(id(s))
        self.current = None if not self.spans else min(self.current, len(self.spans) - 1)  # type: ignore[type-var]
        return self._changed(f"deleted {s['label']} {s['text']!r}")

    # ------------------------------------------------------------ adding a span

    def start_add(self) -> bool:
        if not self.tokens:
            return self._refuse("the text has no token")
        if self.adding:
            return self.cancel_add()
        self.adding = True
        s = self.span
        self.cursor = s["token_start"] if s is not None else 0
        self.anchor = self.end_mark = None
        return self._changed("add a span: ←/→ move, m marks start then end, a label key creates it, esc cancels")

    def cancel_add(self) -> bool:
        if not self.adding:
            return False
        self.adding = False
        self.anchor = self.end_mark = None
        return self._changed("add cancelled")

    def move_cursor(self, delta: int) -> bool:
        if not self.adding:
            return False
        new = min(max(self.cursor + delta, 0), len(self.tokens) - 1)
        if self.end_mark is not None:
            self.end_mark = None  # moving again re-opens the selection
        self.cursor = new
        return self._changed()

    def mark(self) -> bool:
        if not self.adding:
            return self.start_add()
        if self.anchor is None:
            self.anchor = self.cursor
            return self._changed("start marked: move to the last token, press m again or a label key")
        if self.end_mark is None:
            self.end_mark = self.cursor
            return self._changed("end marked: press a label key")
        self.anchor, self.end_mark = self.cursor, None
        return self._changed("start marked again")

    @property
    def selection(self) -> tuple[int, int] | None:
        if not self.adding:
            return None
        a = self.anchor if self.anchor is not None else self.cursor
        b = self.end_mark if self.end_mark is not None else self.cursor
        return (min(a, b), max(a, b))

    def finish_add(self, label: str) -> bool:
        sel = self.selection
        if sel is None:
            return self._refuse("press n to add a span first")
        ts, te = sel
        other = self.conflict(ts, te)
        if other is not None:
            return self._refuse(f"overlaps accepted {other['label']} {other['text']!r}: reject or delete it first")
        new = self._make_span(ts, te, label)
        new["answer"] = ACCEPT
        self.spans.append(new)
        self._added.add(id(new))
        self._sort(new)
        self.adding = False
        self.anchor = self.end_mark = None
        return self._changed(f"added {label} {new['text']!r}")

    # ------------------------------------------------------------ themes

    def toggle_theme(self, name: str) -> bool:
        if name not in self.themes:
            return self._refuse(f"unknown theme {name}")
        self.themes[name] = not self.themes[name]
        return self._changed(f"{name} {'on' if self.themes[name] else 'off'}")

    # ------------------------------------------------------------ result

    @property
    def accepted_themes(self) -> list[str]:
        return [t for t in self.labels.theme_names if self.themes[t]] + self._extra_accept

    def to_task(self) -> dict[str, Any]:
        """The reviewed task: every span with its ``answer``, the accepted themes in ``accept``."""
        task = copy.deepcopy(self.original)
        task["spans"] = [dict(s) for s in self.spans]
        task["accept"] = self.accepted_themes
        task.pop("answer", None)
        return task

    def counts(self) -> tuple[int, int]:
        acc = sum(1 for s in self.spans if s["answer"] == ACCEPT)
        return acc, len(self.spans) - acc


@dataclass
class _Item:
    task: dict[str, Any]
    decision_id: int | None = None  # set when the task was already answered (after undo)
    state: TaskState | None = None
    seconds: float = 0.0
    answer: str | None = None


class ReviewSession:
    """Feeds tasks to the screen and stores decisions. Pure Python; the app calls it."""

    def __init__(
        self,
        store: Store,
        dataset: str,
        annotator: str,
        labels: ReviewLabels,
        *,
        session_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        loading: bool = False,
    ) -> None:
        if not annotator or not annotator.strip():
            raise AnnotateError("empty annotator name", fix="pass --annotator NAME", code="E320", exit_code=EXIT_USAGE)
        self.store = store
        self.dataset = dataset
        self.annotator = annotator
        self.labels = labels
        self.session_id = session_id or f"{dataset}-{annotator}-{time.strftime('%Y%m%dT%H%M%S')}"
        self.clock = clock
        self.loading = loading  # True while a loader is still adding tasks
        self.rejected_lines = 0
        self.queue: deque[_Item] = deque()
        self.history: list[_Item] = []
        self._last_task_id = 0
        self._queued: set[int] = set()
        counts = store.answer_counts(dataset, annotator)
        self.counts = dict(counts)
        self.total = store.count_tasks(dataset)
        self.item: _Item | None = None
        self.state: TaskState | None = None
        self._shown_at = clock()
        self.saved = 0
        self.answered_elsewhere = 0  # tasks answered meanwhile by this annotator in another session
        self.refill()
        self.advance()

    # ------------------------------------------------------------ queue

    def refill(self, low: int = 50) -> int:
        """Pull more pending tasks from the store when the queue runs low."""
        if len(self.queue) >= low:
            return 0
        rows = self.store.pending_page(self.dataset, self.annotator, after=self._last_task_id, limit=200)
        for row_id, task in rows:
            self._last_task_id = row_id
            th = task.get("_task_hash")
            if th in self._queued:
                continue
            self._queued.add(th)
            self.queue.append(_Item(task))
        return len(rows)

    def tasks_added(self) -> None:
        """The loader stored more tasks: update the total and show a task if none is on screen."""
        self.total = self.store.count_tasks(self.dataset)
        if self.item is None:
            self.refill()
            self.advance()

    def advance(self) -> None:
        self.refill()
        if self.queue:
            self.item = self.queue.popleft()
            if self.item.state is None:
                self.item.state = TaskState(self.item.task, self.labels)
            self.state = self.item.state
        else:
            self.item = None
            self.state = None
        self._shown_at = self.clock()

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def finished(self) -> bool:
        return self.item is None and not self.loading

    # ------------------------------------------------------------ decisions

    def answer(self, answer: str) -> int | None:
        """Store the current task with this answer (committed), then show the next task."""
        if self.item is None or self.state is None:
            return None
        item, state = self.item, self.state
        if state.adding:
            state.cancel_add()
        task = state.to_task()
        seconds = round(item.seconds + (self.clock() - self._shown_at), 3)
        if item.decision_id is None:
            dec_id = self.store.add_decision(
                self.dataset, task, answer=answer, annotator=self.annotator, session=self.session_id, seconds=seconds,
                once=True,
            )
            if dec_id is None:
                # this annotator answered it meanwhile in another session (a second terminal): keep that answer
                self.answered_elsewhere += 1
                self.advance()
                if self.state is not None:
                    self.state.message = "the previous task was already answered in another session: kept that answer"
                return None
            item.decision_id = dec_id
        else:
            self.store.replace_decision(item.decision_id, task, answer=answer, seconds=seconds)
            if item.answer is not None:
                self.counts[item.answer] -= 1
        self.counts[answer] += 1
        item.answer = answer
        item.seconds = seconds
        self.saved += 1
        self.history.append(item)
        self.advance()
        return item.decision_id

    def undo(self) -> bool:
        """Bring the last decision back on screen, editable; answering it again replaces it."""
        if self.history:
            last = self.history.pop()
        else:
            last = self._stored_decision()
            if last is None:
                if self.state is not None:
                    self.state.message = "nothing to undo"
                    self.state.version += 1
                return False
        if self.item is not None:
            # the task on screen goes back to the front of the queue, edits kept
            self.item.seconds += self.clock() - self._shown_at
            self.queue.appendleft(self.item)
        self.item = last
        self.state = last.state
        assert self.state is not None
        self.state.message = f"undo: this task was {last.answer}ed; answer it again to replace that"
        if last.answer == "ignore":
            self.state.message = "undo: this task was ignored; answer it again to replace that"
        self.state.version += 1
        self._shown_at = self.clock()
        return True

    def _stored_decision(self) -> _Item | None:
        """Nothing to undo in this session: this annotator's latest stored decision (of an earlier session)
        not yet brought back, as an item whose next answer replaces it."""
        on_screen = self.item.decision_id if self.item is not None else None
        ids = [i.decision_id for i in self.queue if i.decision_id is not None]
        ids += [x for x in (on_screen,) if x is not None]
        d = self.store.last_decision(self.dataset, self.annotator, before=min(ids) if ids else None)
        if d is None:
            return None
        answer = d["answer"]
        seconds = d["_seconds"]
        dec_id = d["_decision_id"]
        for k in ("answer", "_annotator_id", "_session_id", "_timestamp", "_seconds", "_decision_id"):
            d.pop(k, None)
        item = _Item(d, decision_id=dec_id, seconds=seconds, answer=answer)
        item.state = TaskState(d, self.labels)
        return item

    def accept_all(self) -> int:
        """Store every pending task as accepted, as it is (no screen)."""
        n = 0
        while self.item is not None:
            if self.answer("accept") is not None:
                n += 1
        return n
