"""CoNLL / IOB in (IOB1, IOB2, BILUO told apart, -DOCSTART-, spacing rebuilt) and out (IOB2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.formats.conll import conll_items, detect_scheme
from annotate.formats.imports import import_records
from annotate.formats.job import export_dataset, import_dataset

F = Path(__file__).parent / "fixtures" / "formats"


def _spans(d):
    return [(s["text"], s["label"]) for s in d["spans"]]


@pytest.mark.parametrize(
    "fixture,scheme,texts,spans",
    [
        pytest.param("iob2.conll", "iob2",
                     ["Airbus livre des avions à Air France.", "Le titre gagne 2 % (l'indice recule)."],
                     [[("Airbus", "ORG"), ("Air France", "ORG")], [("2 %", "PERCENT")]], id="iob2-conll2003-columns"),
        pytest.param("iob1.conll", "iob1", ["Safran Thales et Dassault Aviation signent."],
                     [[("Safran", "ORG"), ("Thales", "ORG"), ("Dassault Aviation", "ORG")]], id="iob1"),
        pytest.param("biluo.iob", "biluo", ["Apple buys Shazam in September 2018."],
                     [[("Apple", "ORG"), ("Shazam", "ORG"), ("September 2018", "DATE")]], id="biluo"),
    ],
)
def test_conll_import_schemes_sentences_and_spacing(store, fixture, scheme, texts, spans):
    report = import_records(store, "c", [F / fixture], fmt="conll", lang="fr" if "iob" in fixture[:4] else "en")
    assert not report.skipped and report.formats == {"conll": len(texts)}
    decisions = list(store.iter_decisions("c"))
    assert [d["text"] for d in decisions] == texts
    assert [_spans(d) for d in decisions] == spans
    assert {d["meta"]["conll_scheme"] for d in decisions} == {scheme}
    assert all(d["tokens"] and all(s["source"] == "conll" for s in d["spans"]) for d in decisions)
    assert "--format auto" not in "\n".join(report.lines()) and not report.auto


def test_conll_auto_by_suffix_and_docstart_numbers_documents(store):
    import_records(store, "c", [F / "iob2.conll"])
    metas = [d["meta"] for d in store.iter_decisions("c")]
    assert [(m["conll_doc"], m["conll_sentence"]) for m in metas] == [(1, 0), (1, 1)]


def test_conll_bad_tag_names_its_line():
    items = list(conll_items("Airbus\tB-ORG\nvole\tX-ORG\n\nBien\tO\n", "in.conll"))
    assert [(i.line, i.error is not None) for i in items] == [(1, True), (4, False)]
    assert "line 2: tag 'X-ORG'" in items[0].error.message


def test_conll_detect_scheme():
    assert detect_scheme(["B-ORG", "I-ORG", "O"]) == "iob2"
    assert detect_scheme(["O", "I-ORG", "", "B-ORG"]) == "iob1"
    assert detect_scheme(["U-ORG", "O"]) == "biluo"


def test_conll_export_iob2_round_trip(tmp_path):
    db = tmp_path / "a.db"
    import_dataset("c", [str(F / "iob2.conll"), str(F / "biluo.iob")], db=db, fmt="conll")
    out = tmp_path / "out.conll"
    result = export_dataset("c", str(out), db=db)  # .conll: the format from the suffix
    assert result.format == "conll" and result.examples == 3
    text = out.read_text(encoding="utf-8")
    assert text.startswith("Airbus\tB-ORG\nlivre\tO\n") and "Air\tB-ORG\nFrance\tI-ORG\n" in text
    assert "September\tB-DATE\n2018\tI-DATE\n" in text and text.endswith("\n\n")
    import_dataset("back", [str(out)], db=db)
    export_dataset("back", str(tmp_path / "back.conll"), db=db)
    assert (tmp_path / "back.conll").read_text(encoding="utf-8") == text


def test_conll_export_leaves_out_binary_only_examples_and_says_so(tmp_path):
    db = tmp_path / "a.db"
    import_dataset("p", [str(F / "prodigy_binary.jsonl")], db=db)
    result = export_dataset("p", str(tmp_path / "o.conll"), db=db)
    assert result.examples == 2  # the ner.teach text and the textcat text have binary answers only
    assert any("binary answers only left out" in line for line in result.lines())
