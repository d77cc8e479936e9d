"""Pseudo-rehearsal for ``annotate train --from-model-ner``: keep the base NER's other labels alive.

The data of a partial dataset annotates some labels only (``--label ORG``). Trained on it from
``fr_core_news_md``'s NER, the model would learn O for every other label of that NER (LOC, MISC,
PER) and forget them; the rules pipeline reads those labels (``annotate_entities`` retypes a model
MISC / PER / LOC as ORG when its words say so). So before training, the base NER's own predictions
of the labels the data does not annotate are added to the training docs where they overlap no gold
span (:func:`rehearse`). The trained NER then predicts every label of the base NER and can stand in
for it inside the rules pipeline (:mod:`annotate.pipeline.trained`, mode ``replace``).

(spaCy's NER has no per-label "missing": a missing token is missing for every label, so marking
the unannotated labels missing would also lose the gold's negatives for the annotated ones.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def rehearse(train: Path, base_model: str, labels: list[str], batch_size: int = 64) -> dict[str, Any]:
    """Add ``base_model``'s NER predictions of labels not in ``labels`` to the docs of ``train`` (in place).

    Returns ``{"labels": [...], "spans": n}``: the base labels rehearsed and how many spans were added.
    """
    import spacy
    from spacy.tokens import Doc, DocBin, Span
    from spacy.util import filter_spans

    nlp = spacy.load(base_model, exclude=["parser", "senter", "morphologizer", "tagger", "attribute_ruler",
                                          "lemmatizer", "tok2vec"])
    ner = nlp.get_pipe("ner")
    keep = sorted(set(ner.labels) - set(labels))
    files = sorted(train.rglob("*.spacy")) if train.is_dir() else [train]
    added = 0
    for f in files:
        docs = list(DocBin().from_disk(f).get_docs(nlp.vocab))
        out = DocBin(store_user_data=False)
        plain = [Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in docs]
        for d, p in zip(docs, ner.pipe(plain, batch_size=batch_size)):
            taken = {i for e in d.ents for i in range(e.start, e.end)}
            extra = [Span(d, e.start, e.end, label=e.label_) for e in p.ents
                     if e.label_ in keep and not any(i in taken for i in range(e.start, e.end))]
            if extra:  # never over a gold span; the gold's O tokens elsewhere stay O
                d.set_ents(filter_spans([*d.ents, *extra]), default="unmodified")
                added += len(extra)
            out.add(d)
        out.to_disk(f)
    return {"labels": keep, "spans": added}
