"""Binary answers (Prodigy's ``ner.teach``, ``textcat.teach``, ``mark``): one question per task, kept as such.

A *binary* decision answers one question about a text: is this suggested
span right (``_view_id`` ``"ner"``: the task's spans), or does this label
apply (a top-level ``"label"``; ``_view_id`` ``"classification"``)? Its answer
is about that question only; it says nothing about the rest of the text.
Every other decision is *manual*: its accepted spans are the text's whole
annotation (tokens outside them are "no entity").

All the decisions on one text merge into one example (:class:`Partial`):

* spans: the manual winner's accepted spans, plus every span a binary
  decision accepted (the union), minus those answered ``reject`` later;
* ``rejected_spans``: spans binary decisions rejected (and not accepted later);
* ``binary_cats``: each answered label, 1.0 (accept) or 0.0 (reject), the
  latest answer winning; labels never asked are absent, not 0;
* ``binary``: True when no manual decision is among them, so the DocBin
  marks tokens outside the spans as missing, not O.
"""

from __future__ import annotations

from typing import Any

from ..store import span_accepted

BINARY_VIEWS = frozenset({"ner", "classification", "binary"})
SPAN_VIEWS = frozenset({"ner", "binary"})


def is_binary(d: dict[str, Any]) -> bool:
    """Whether decision ``d`` answers one binary question (see the module docstring)."""
    view = d.get("_view_id")
    if isinstance(view, str):
        return view in BINARY_VIEWS
    return isinstance(d.get("label"), str) and not isinstance(d.get("accept"), list)


def _span_key(s: dict[str, Any]) -> tuple[int, int, str]:
    return int(s["start"]), int(s["end"]), str(s["label"])


class Partial:
    """The decisions on one text gathered in pass 2, in the order made; :meth:`merged` is the example."""

    def __init__(self) -> None:
        self.winner: dict[str, Any] | None = None
        self.themes: list[str] | None = None
        self.binary: list[dict[str, Any]] = []
        self.conflicts = 0

    def add(self, d: dict[str, Any], role: int) -> None:
        if role == WINNER:
            self.winner = d
        elif role == THEMES:
            acc = d.get("accept")
            self.themes = [str(t) for t in acc] if isinstance(acc, list) else []
        else:
            self.binary.append(d)

    def merged(self) -> dict[str, Any]:
        base = self.winner
        if not self.binary:
            assert base is not None
            if self.themes is not None:
                base = dict(base)
                base["accept"] = self.themes
            return base
        last = self.binary[-1]
        out = dict(base) if base is not None else {k: v for k, v in last.items() if k not in ("spans", "label", "accept")}
        if base is None:
            out["spans"] = []
            out["answer"] = "accept"
        if self.themes is not None:
            out["accept"] = self.themes
        state: dict[tuple[int, int, str], tuple[bool, dict[str, Any]]] = {}
        cats: dict[str, float] = {}
        for d in self.binary:
            answer = d.get("answer")
            view = d.get("_view_id")
            label = d.get("label")
            if isinstance(label, str) and view not in SPAN_VIEWS:
                value = 1.0 if answer == "accept" else 0.0
                if label in cats and cats[label] != value:
                    self.conflicts += 1
                cats[label] = value
            if view in SPAN_VIEWS or not isinstance(label, str):
                for s in d.get("spans") or []:
                    if not isinstance(s, dict):
                        continue
                    try:
                        key = _span_key(s)
                    except (KeyError, TypeError, ValueError):
                        continue
                    ok = answer == "accept" and span_accepted(s)
                    if key in state and state[key][0] != ok:
                        self.conflicts += 1
                    state[key] = (ok, s)
        manual = {_span_key(s) for s in out.get("spans") or [] if isinstance(s, dict) and span_accepted(s)}
        spans = [s for s in out.get("spans") or [] if isinstance(s, dict) and span_accepted(s)]
        spans += [{k: v for k, v in s.items() if k != "answer"} for key, (ok, s) in state.items() if ok and key not in manual]
        out["spans"] = spans
        rejected = [{k: v for k, v in s.items() if k != "answer"} for key, (ok, s) in state.items() if not ok and key not in manual]
        if rejected:
            out["rejected_spans"] = rejected
        if cats:
            out["binary_cats"] = cats
        out.pop("label", None)
        if base is None:
            out.pop("_view_id", None)
        out["binary"] = base is None
        return out


# the role of a decision in its text's example (pass 2)
WINNER, THEMES, BINARY = 0, 1, 2
