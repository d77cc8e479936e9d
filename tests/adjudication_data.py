"""A store with three annotators' decisions on the same tasks, for the adjudication tests.

* task 0 (disputed): everyone keeps Airbus; alice and carol keep Safran, bob rejects it; only bob keeps the MONEY
  span and adds Toulouse as ORG; themes: alice FINANCE, bob FINANCE + DEALS, carol DEALS;
* task 1 (agreed): all three keep both spans and accept FINANCE;
* task 2 (answers differ): alice and carol reject the task, bob accepts it keeping Conseil with AI;
* task 3: alice alone (not a case).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import spacy

from annotate.store import Store
from reliability.helpers import make_task

NLP = spacy.blank("fr")

TEXTS = [
    ("Airbus et Safran investissent 40 millions d'euros à Toulouse.",
     [("Airbus", "ORG"), ("Safran", "ORG"), ("40 millions d'euros", "MONEY")]),
    ("La Banque de France relève sa prévision de 2 %.", [("Banque de France", "ORG"), ("2 %", "PERCENT")]),
    ("Le Conseil a siégé lundi.", [("Conseil", "ORG")]),
    ("Nvidia a gagné 5 % mardi.", [("Nvidia", "ORG"), ("5 %", "PERCENT")]),
]
TASKS = [make_task(NLP, text, ents, cats={"AI": 0.2, "FINANCE": 0.6}) for text, ents in TEXTS]


def version(task: dict[str, Any], keep: set[str], themes: list[str], *, add: tuple[tuple[str, str], ...] = ()) -> dict:
    """The task as an annotator stored it: the spans whose text is in ``keep`` accepted, the others rejected,
    ``add`` (text, label) added, ``themes`` accepted."""
    out = copy.deepcopy(task)
    for s in out["spans"]:
        s["answer"] = "accept" if s["text"] in keep else "reject"
    for text, label in add:
        start = out["text"].index(text)
        end = start + len(text)
        ts = next(i for i, t in enumerate(out["tokens"]) if t["start"] == start)
        te = next(i for i, t in enumerate(out["tokens"]) if t["end"] == end)
        out["spans"].append({"start": start, "end": end, "label": label, "text": text, "token_start": ts,
                             "token_end": te, "answer": "accept", "source": "manual"})
    out["accept"] = themes
    return out


# (annotator, task index, answer, kept span texts, themes, added spans)
DECISIONS = [
    ("alice", 0, "accept", {"Airbus", "Safran"}, ["FINANCE"], ()),
    ("bob", 0, "accept", {"Airbus", "40 millions d'euros"}, ["FINANCE", "DEALS"], (("Toulouse", "ORG"),)),
    ("carol", 0, "accept", {"Airbus", "Safran"}, ["DEALS"], ()),
    ("alice", 1, "accept", {"Banque de France", "2 %"}, ["FINANCE"], ()),
    ("bob", 1, "accept", {"Banque de France", "2 %"}, ["FINANCE"], ()),
    ("carol", 1, "accept", {"Banque de France", "2 %"}, ["FINANCE"], ()),
    ("alice", 2, "reject", set(), [], ()),
    ("bob", 2, "accept", {"Conseil"}, ["AI"], ()),
    ("carol", 2, "reject", set(), [], ()),
    ("alice", 3, "accept", {"Nvidia", "5 %"}, ["FINANCE"], ()),
]


def fill(store: Store, dataset: str = "news") -> None:
    store.add_tasks(dataset, TASKS)
    for who, i, answer, keep, themes, add in DECISIONS:
        store.add_decision(dataset, version(TASKS[i], keep, themes, add=add), answer=answer, annotator=who,
                           session=f"s-{who}")


def make_store(path: Path) -> Path:
    with Store(path) as s:
        fill(s)
    return path


def gold_of(store: Store, gold: str = "gold") -> list[tuple[str, str, list[tuple[str, str, str]], list[str]]]:
    """Each final version: (text, answer, [(span text, label, answer)], accepted themes), in decision order."""
    out = []
    for d in store.iter_decisions(gold):
        spans = [(s["text"], s["label"], s.get("answer", "accept")) for s in sorted(d["spans"], key=lambda s: s["start"])]
        out.append((d["text"], d["answer"], spans, d["accept"]))
    return out
