"""Offsets are Python code points, end to end.

Hypothesis builds texts full of what breaks offset arithmetic (emoji with
skin tones and flags: several code points and UTF-16 surrogate pairs;
combining accents; U+00A0 and U+202F; CRLF; right-to-left marks and Arabic)
and spans on token boundaries. Each example goes through the task format
(``doc_to_task``), the store, the JSONL export and a DocBin, and must come
back exactly: same text, same (start, end, label), ``text[start:end]`` equal
to the span's text. The real pre-annotation pipeline runs on a few
hand-written texts of the same kind.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.formats.examples import example_to_doc
from annotate.formats.jsonl import export_jsonl
from annotate.store import Store
from annotate.tasks import doc_to_task, task_to_doc

from .helpers import FULL, blank

NLP = blank("fr")
LABELS = ["ORG", "MONEY", "DATE", "PERCENT"]
THEMES = ["FINANCE", "AI"]
PIECES = [
    "Acme", "Société", "Ge\u0301ne\u0301rale", "👍🏽", "🇫🇷", "👩‍💻", "5\u00a0%", "3\u202f000\u00a0€", "2024",
    "\u200fشركة\u200f", "\u200eABC\u200e", "l’État", "Ωmega", "𝔘nicode", "e\u0301", "x",
]
SEPS = [" ", " ", " ", "\u00a0", "\u202f", "\r\n", "\n", "  ", ", ", ". "]

texts = st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPS)), min_size=1, max_size=25).map(
    lambda parts: "".join(p + s for p, s in parts).rstrip(" ")
)
EXAMPLES = 150 if FULL else 30


def build(text: str, picks: list[int], labels: list[str]) -> dict:
    """A task with non-overlapping spans over the picked non-space tokens."""
    doc = NLP.make_doc(text)
    words = [t for t in doc if not t.is_space]
    ents, used = [], set()
    for i, lab in zip(picks, labels):
        if not words:
            break
        tok = words[i % len(words)]
        if tok.i in used:
            continue
        used.add(tok.i)
        ents.append(doc[tok.i : tok.i + 1])
    doc.ents = [doc.char_span(e.start_char, e.end_char, label=lab) for e, lab in zip(sorted(ents, key=lambda e: e.start), labels)]
    doc.cats = {"FINANCE": 0.9, "AI": 0.1}
    return doc_to_task(doc, meta={"lang": "fr"})


def triples(spans: list[dict]) -> list[tuple[int, int, str]]:
    return sorted((s["start"], s["end"], s["label"]) for s in spans)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, picks=st.lists(st.integers(0, 50), max_size=6), labels=st.lists(st.sampled_from(LABELS), min_size=6, max_size=6))
def test_reliability_offsets_round_trip(text: str, picks: list[int], labels: list[str]):
    task = build(text, picks, labels)
    want = triples(task["spans"])
    for s in task["spans"]:
        assert text[s["start"]:s["end"]] == s["text"]
    for tok in task["tokens"]:
        assert text[tok["start"]:tok["end"]] == tok["text"]
    with tempfile.TemporaryDirectory() as d:
        with Store(Path(d) / "a.db") as store:
            store.add_tasks("news", [task])
            store.add_decision("news", task, answer="accept", annotator="a", session="s")
            (back,) = list(store.iter_decisions("news"))
            assert back["text"] == text and triples(back["spans"]) == want
            out = Path(d) / "out.jsonl"
            export_jsonl(lambda: store.iter_decisions("news"), out, themes=THEMES, lang="fr")
        (rec,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rec["text"] == text and triples(rec["spans"]) == want
    for s in rec["spans"]:
        assert text[s["start"]:s["end"]] == s["text"]
    from spacy.tokens import DocBin

    doc = example_to_doc(NLP.vocab, rec)
    db = DocBin(store_user_data=False)
    db.add(doc)
    (doc2,) = list(DocBin().from_bytes(db.to_bytes()).get_docs(NLP.vocab))
    assert doc2.text == text
    assert sorted((e.start_char, e.end_char, e.label_) for e in doc2.ents) == want
    assert sorted((e.start_char, e.end_char, e.label_) for e in doc2.spans["sc"]) == want


PRE_TEXTS = [
    "Le groupe Acme 👍🏽 a gagné 5\u00a0% en 2024, soit 3\u202f000\u00a0€ de plus.",
    "La Socie\u0301te\u0301 Ge\u0301ne\u0301rale\u00a0: +6,4\u202f% mardi\u00a0🇫🇷.\r\nEDF a perdu 2 % en mars 2025.",
    "\u200fشركة\u200f Amazon shares rose 5% on Monday 👩‍💻, to $3 billion in 2024.",
    "TotalEnergies investit 1,2\u00a0Md€ ; Nvidia gagne 6,4\u00a0% 🚀🚀 le 3 mars 2025.",
]


def test_reliability_offsets_pre_annotation_output():
    """The real pipeline: every span and token of `annotate pre`'s output indexes the text in code points,
    and the task rebuilds the same spans as a Doc."""
    from annotate.io import Record
    from annotate.pipeline.pre import pre_annotate

    records = [Record(data={"text": t}, source="<test>", line=i + 1) for i, t in enumerate(PRE_TEXTS)]
    tasks = list(pre_annotate(records))
    assert len(tasks) == len(PRE_TEXTS)
    n_spans = 0
    for task, text in zip(tasks, PRE_TEXTS):
        assert task["text"] == text
        for tok in task["tokens"]:
            assert text[tok["start"]:tok["end"]] == tok["text"]
        for s in task["spans"] + task.get("cues", []):
            assert text[s["start"]:s["end"]] == s["text"], s
        n_spans += len(task["spans"])
        doc = task_to_doc(NLP.vocab, task)
        assert sorted((e.start_char, e.end_char, e.label_) for e in doc.ents) == triples(task["spans"])
    labels = {s["label"] for t in tasks for s in t["spans"]}
    assert n_spans >= 8 and {"ORG", "PERCENT", "DATE", "MONEY"} <= labels, [(s["text"], s["label"]) for t in tasks for s in t["spans"]]
