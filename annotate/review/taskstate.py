"""One task under review (:class:`TaskState`), without any UI: its spans (each accepted or rejected), the
current span, the token cursor used to add a span, and the themes. Every edit keeps the accepted spans free
of overlaps, so the result always fits ``doc.ents``, and a span never starts or ends on whitespace or edge
punctuation nor crosses a line break.
"""

from __future__ import annotations

import bisect
import copy
import re
from typing import Any

from ..graphemes import cluster_tokens
from .labelset import ReviewLabels

ACCEPT, REJECT = "accept", "reject"
# a span edge is never a whitespace token nor a token made only of these (widening steps over them)
# control characters (C0 but \n and \t, DEL, C1) are shown as one visible character each, so a task's text
# never writes a terminal escape (a window title, leaving the alternate screen) and offsets stay the same
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
VISIBLE_CONTROLS = {c: 0x2400 + c for c in (*range(0x09), *range(0x0B, 0x20))} | {0x7F: 0x2421} | dict.fromkeys(range(0x80, 0xA0), 0xFFFD)


def visible_text(text: str) -> str:
    """``text`` with each control character replaced by one visible one (␛ for ESC, � for C1)."""
    return text.translate(VISIBLE_CONTROLS) if _CONTROL_RE.search(text) else text


EDGE_PUNCT = frozenset(",;:.!?…«»\"“”‘’'()[]{}—–-/·•*#|")


class TaskState:
    """One task under review. Token indices are those of :attr:`tokens`: ``task["tokens"]`` with the tokens of
    one grapheme cluster (a joined emoji, a flag, a letter and its accent) made one unit, so that the cursor
    and every edit move over whole clusters; :meth:`to_task` gives the spans back their indices in
    ``task["tokens"]``."""

    def __init__(self, task: dict[str, Any], labels: ReviewLabels) -> None:
        self.original = task
        self.labels = labels
        self.text: str = task["text"]
        self.display_text = visible_text(self.text)  # what the screen draws: same length, no control character
        self._raw_tokens: list[dict[str, Any]] = task.get("tokens") or []
        self.tokens: list[dict[str, Any]] = cluster_tokens(self.text, self._raw_tokens)
        self._merged = self.tokens is not self._raw_tokens
        self._starts = [t["start"] for t in self.tokens]
        self._ends = [t["end"] for t in self.tokens]
        spans = []
        for s in task.get("spans") or []:
            d = dict(s)
            d["answer"] = ACCEPT if d.get("answer", ACCEPT) == ACCEPT else REJECT
            if self._merged or "token_start" not in d or "token_end" not in d:
                # a stored span with an edge inside a cluster keeps its offsets; its units are those around them
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
        self.highlight: tuple[tuple[int, int], ...] = ()  # character ranges drawn as theme cues (the screen sets them)
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

    def first_span(self) -> bool:
        """The first span (in add mode: the cursor to the first word)."""
        return self._jump(0)

    def last_span(self) -> bool:
        """The last span (in add mode: the cursor to the last word)."""
        return self._jump(-1)

    def _jump(self, end: int) -> bool:
        if self.adding:
            return self.move_cursor(-len(self.tokens) if end == 0 else len(self.tokens), to_end=True)
        if not self.spans:
            return self._refuse("no span: press n to add one")
        self.current = end % len(self.spans)
        return self._changed()

    def next_same_label(self) -> bool:
        """The next span with the label of the current one (after the last: the first again)."""
        s = self.span
        if s is None or self.adding:
            return self._refuse("no current span" if not self.adding else "not in add mode")
        n, cur = len(self.spans), self.current
        for k in range(1, n + 1):
            i = (cur + k) % n  # type: ignore[operator]
            if self.spans[i]["label"] == s["label"]:
                if k == n:
                    return self._changed(f"the only {s['label']} span")
                self.current = i
                return self._changed(f"next {s['label']}" + (" (from the start again)" if i < cur else ""))  # type: ignore[operator]
        return self._changed()  # pragma: no cover - the current span itself always matches

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
        if s["answer"] != ACCEPT:  # a rejected span relabelled is kept, with its new label
            return self._changed(f"relabelled {s['text']!r} as {label}: it was rejected, it is kept now (r rejects it)")
        return self._changed(f"relabelled {s['text']!r} as {label}")

    def _blank(self, i: int) -> bool:
        return self.tokens[i]["text"].isspace()

    def _breaks(self, i: int) -> bool:
        """Token ``i`` is a line or paragraph break (a span never crosses one)."""
        return "\n" in self.tokens[i]["text"]

    def _no_edge(self, i: int) -> bool:
        """Token ``i`` cannot start or end a span: whitespace or punctuation of EDGE_PUNCT only."""
        t = self.tokens[i]["text"]
        return t.isspace() or all(c in EDGE_PUNCT for c in t)

    def _bad_range(self, ts: int, te: int) -> str:
        """Why tokens ts..te cannot be a span ("" if they can)."""
        if any(self._breaks(i) for i in range(ts, te + 1)):
            return "a span does not cross a line or paragraph break"
        for i in (ts, te):
            if self._no_edge(i):
                return f"a span does not start or end on {self.tokens[i]['text']!r}: move the mark to a word"
        return ""

    def resize(self, edge: str, delta: int) -> bool:
        """Move one end of the current span by one word: edge "start"/"end", delta -1/+1. Whitespace and
        punctuation tokens (EDGE_PUNCT) are stepped over, never landed on; a line break is never crossed."""
        s = self.span
        if s is None:
            return self._refuse("no span to resize")
        ts, te = s["token_start"], s["token_end"]
        n = len(self.tokens)
        i = (ts if edge == "start" else te) + delta
        if (edge == "start") == (delta < 0):  # widen
            while 0 <= i < n and self._no_edge(i) and not self._breaks(i):
                i += delta
            if not 0 <= i < n:
                return self._refuse("the span is at the edge of the text")
            if self._breaks(i):
                return self._refuse("a span does not cross a line or paragraph break")
        else:  # shrink
            while ts <= i <= te and self._no_edge(i):
                i += delta
            if not ts <= i <= te:
                return self._refuse("a span keeps at least one token: delete it with d")
        if edge == "start":
            ts = i
        else:
            te = i
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
        while self.cursor < len(self.tokens) - 1 and self._blank(self.cursor):
            self.cursor += 1
        self.anchor = self.end_mark = None
        return self._changed("add a span: ←/→ move, m marks start then end, a label key creates it, esc cancels")

    def cancel_add(self) -> bool:
        if not self.adding:
            return False
        self.adding = False
        self.anchor = self.end_mark = None
        return self._changed("add cancelled")

    def move_cursor(self, delta: int, to_end: bool = False) -> bool:
        """Move the token cursor by ``delta`` words (``to_end``: as far as it goes)."""
        if not self.adding:
            return False
        new = self.cursor + delta
        if to_end:
            new = min(max(new, 0), len(self.tokens) - 1)
            step = 1 if delta < 0 else -1  # back inside, off whitespace
            while 0 <= new + step < len(self.tokens) and self._blank(new):
                new += step
        step = 1 if delta > 0 else -1
        while 0 <= new < len(self.tokens) and self._blank(new):  # the cursor never stops on whitespace
            new += step
        if not 0 <= new < len(self.tokens):
            new = self.cursor
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
            why = self._bad_range(min(self.anchor, self.cursor), max(self.anchor, self.cursor))
            if why:
                return self._refuse(why)
            self.end_mark = self.cursor
            return self._changed("end marked: press a label key")
        self.anchor, self.end_mark = self.cursor, None
        return self._changed("start marked again")

    def token_at(self, offset: int) -> int:
        """The token that holds character ``offset`` (or the last one starting before it)."""
        return max(bisect.bisect_right(self._starts, offset) - 1, 0)

    def select_tokens(self, first: int, last: int) -> bool:
        """A drag of the mouse from token ``first`` to ``last`` (either order): add mode with the start and
        end marked over those whole tokens, snapped inward off whitespace and punctuation (EDGE_PUNCT); then
        a label key creates the span. Refused as the keyboard's marks are: a range over a line or paragraph
        break, or nothing but whitespace and punctuation."""
        if not self.tokens:
            return self._refuse("the text has no token")
        ts, te = sorted((min(max(first, 0), len(self.tokens) - 1), min(max(last, 0), len(self.tokens) - 1)))
        a, b = ts, te
        while a < b and self._no_edge(a) and not self._breaks(a):
            a += 1
        while b > a and self._no_edge(b) and not self._breaks(b):
            b -= 1
        self.adding = True
        self.cursor = b
        self.anchor = a
        self.end_mark = None
        why = self._bad_range(a, b)
        if why:
            return self._refuse(why)
        self.end_mark = b
        return self._changed(f"{self.text[self.tokens[a]['start']:self.tokens[b]['end']]!r} marked: press a label key "
                             "(esc cancels)")

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
        why = self._bad_range(ts, te)
        if why:
            return self._refuse(why)
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
        if self._merged:  # unit indices back to indices of task["tokens"], which every span edge falls on
            raw = self._raw_tokens
            starts, ends = [t["start"] for t in raw], [t["end"] for t in raw]
            for s in task["spans"]:
                s["token_start"] = max(bisect.bisect_right(starts, s["start"]) - 1, 0)
                s["token_end"] = min(bisect.bisect_left(ends, s["end"]), len(raw) - 1)
        task["accept"] = self.accepted_themes
        task.pop("answer", None)
        return task

    def counts(self) -> tuple[int, int]:
        acc = sum(1 for s in self.spans if s["answer"] == ACCEPT)
        return acc, len(self.spans) - acc
