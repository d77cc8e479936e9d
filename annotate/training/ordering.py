"""Review order with a trained model: ``annotate review ... --model models/NAME/ --order uncertain|disagree|input``.

``uncertain``: the tasks whose model predictions are least certain first. A theme's certainty is
``2 * |p - 0.5|``; an entity's is ``2 * |s - 0.5|`` where ``s`` is its probability under the NER's
beam (:meth:`spacy.pipeline.EntityRecognizer.scored_ents`, beam width :data:`BEAM_WIDTH`); a task's
certainty is the lowest of its predictions (1.0 when the model predicts nothing).

``disagree``: the tasks where the model and the task's own proposals (the rules') differ most first:
the number of spans (start, end, label; labels the model knows) found by one and not the other,
plus the themes one puts at or above 0.5 and the other below; ties by certainty.

Ties keep the input order, scores are rounded (:data:`DIGITS`) before sorting, and inference has no
randomness: the order is the same for a given model and input on every run.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..errors import Errors

from ..pipeline.trained import BEAM_WIDTH  # noqa: F401  (the width TrainedModel.scored_ents uses)
DIGITS = 4


class Order(StrEnum):
    input = "input"
    uncertain = "uncertain"
    disagree = "disagree"


ORDERS = tuple(o.value for o in Order)


def parse_order(order: str) -> Order:
    try:
        return Order(order)
    except ValueError:
        raise Errors.E605(order=order, choices=", ".join(ORDERS)) from None


def check_order(order: Order | str, model: str | Path | None) -> Order:
    o = parse_order(str(order))
    if o is not Order.input and model is None:
        raise Errors.E606(order=o.value)
    return o


def predictions(model: Any, task: dict[str, Any]) -> tuple[dict[tuple[int, int, str], float], dict[str, float]]:
    """The model's entity probabilities (character offsets) and theme scores for one task."""
    nlp = model.nlp
    doc = model.make_doc(task)
    for name, proc in nlp.pipeline:
        if name != "ner":
            doc = proc(doc)
    ents = model.scored_ents(doc) if "ner" in nlp.pipe_names else {}
    return ents, {k: float(v) for k, v in doc.cats.items()}


def certainty(ents: dict[Any, float], cats: dict[str, float]) -> float:
    values = [2 * abs(p - 0.5) for p in list(ents.values()) + list(cats.values())]
    return round(min(values), DIGITS) if values else 1.0


def disagreement(task: dict[str, Any], ents: dict[tuple[int, int, str], float], cats: dict[str, float], labels: set[str]) -> int:
    mine = {k for k, p in ents.items() if p >= 0.5}
    theirs = {(int(s["start"]), int(s["end"]), str(s["label"])) for s in task.get("spans") or []
              if s.get("label") in labels and not str(s.get("source", "")).startswith("model:")}
    tc = task.get("cats") or {}
    themes = sum(1 for k, p in cats.items() if k in tc and (p >= 0.5) != (float(tc[k]) >= 0.5))
    return len(mine ^ theirs) + themes


def order_tasks(tasks: Iterable[dict[str, Any]], model: Any, order: Order | str) -> list[dict[str, Any]]:
    """``tasks`` in review order (``model``: a :class:`~annotate.pipeline.trained.TrainedModel`).

    Each task the model scored gets ``meta.model_certainty`` (and ``meta.model_disagreement``
    with ``disagree``); tasks in another language than the model's keep their order, after the others.
    """
    o = parse_order(str(order))
    items = list(tasks)
    if o is Order.input:
        return items
    labels = set(model.nlp.get_pipe("ner").labels) if "ner" in model.nlp.pipe_names else set()
    keys = []
    for i, t in enumerate(items):
        if not model.applies(t):
            keys.append((1, 0, 0.0, i))
            continue
        ents, cats = predictions(model, t)
        c = certainty(ents, cats)
        meta = dict(t.get("meta") or {})
        meta["model_certainty"] = c
        if o is Order.disagree:
            d = disagreement(t, ents, cats, labels)
            meta["model_disagreement"] = d
            keys.append((0, -d, c, i))
        else:
            keys.append((0, 0, c, i))
        t["meta"] = meta
    return [items[k[3]] for k in sorted(keys)]
