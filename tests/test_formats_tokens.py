"""Imported records without tokens: the project's tokenizer, in each record's language; snapping reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from annotate.formats.examples import MisalignedSpans
from annotate.formats.job import export_dataset, import_dataset

ROOT = Path(__file__).resolve().parent.parent
MIXED = ROOT / "tests" / "fixtures" / "formats" / "gold_mixed.jsonl"
SEED_GOLD = ROOT / "seeds" / "gold" / "dev.jsonl"


def _without_tokens(src: Path, dst: Path) -> Path:
    with dst.open("w", encoding="utf-8") as f:
        for line in src.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            rec.pop("tokens", None)
            for s in rec.get("spans", []):
                s.pop("token_start", None)
                s.pop("token_end", None)
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return dst


def _docs(folder: Path) -> list:
    return [d for n in ("train.spacy", "dev.spacy") for d in DocBin().from_disk(folder / n).get_docs(Vocab())]


@pytest.mark.parametrize("src,n,langs", [(MIXED, 4, {"en": 2, "fr": 2}), (SEED_GOLD, 30, {"en": 10, "fr": 20})],
                         ids=["fresh-fr-en", "seeds-gold-dev"])
def test_tokens_gold_without_tokens_exports_to_docbin_with_no_misaligned_span(tmp_path, src, n, langs):
    db = tmp_path / "a.db"
    import_dataset("gold", [str(_without_tokens(src, tmp_path / "in.jsonl"))], db=db)
    result = export_dataset("gold", str(tmp_path / "out"), format="spacy", db=db, base_model="none")  # --align strict
    assert result.examples == n and result.report.tokenized == langs and result.report.snapped == 0
    gold = {json.loads(x)["text"]: json.loads(x) for x in src.read_text(encoding="utf-8").splitlines()}
    for doc in _docs(tmp_path / "out"):
        want = [(s["start"], s["end"], s["label"]) for s in sorted(gold[doc.text]["spans"], key=lambda s: (s["start"], s["end"]))]
        spans = doc.spans["sc"] if "sc" in doc.spans else doc.ents  # no span group without overlapping spans
        assert sorted((s.start_char, s.end_char, s.label_) for s in spans) == want
        # every gold theme answer kept (themes the record does not score are exported as 0)
        assert {k: doc.cats[k] for k in gold[doc.text]["cats"]} == {k: float(v) for k, v in gold[doc.text]["cats"].items()}


def test_tokens_each_record_in_its_language(tmp_path):
    db = tmp_path / "a.db"
    import_dataset("gold", [str(MIXED)], db=db)
    export_dataset("gold", str(tmp_path / "out"), format="spacy", db=db, base_model="none")
    words = {d.text: [t.text for t in d] for d in _docs(tmp_path / "out")}
    assert words["Le chiffre d’affaires d’Alstom atteint 11,7 Md€."][-2:] == ["Md€", "."]  # the project's suffix rule
    assert "d’" in words["Le chiffre d’affaires d’Alstom atteint 11,7 Md€."]  # French elision
    assert words["Google's parent Alphabet rose 4% after Nvidia's results on Tuesday."][:2] == ["Google", "'s"]  # English


def _one(tmp_path, text, start, end):
    src = tmp_path / "x.jsonl"
    src.write_text(json.dumps({"text": text, "lang": "fr", "spans": [{"start": start, "end": end, "label": "ORG"}]}) + "\n")
    import_dataset("x", [str(src)], db=tmp_path / "a.db")


def test_tokens_strict_lists_the_span_with_its_text_after_snapping(tmp_path):
    _one(tmp_path, "Airbus livre.", 0, 5)
    with pytest.raises(MisalignedSpans) as e:
        export_dataset("x", str(tmp_path / "o.jsonl"), db=tmp_path / "a.db")
    [line] = e.value.lines()
    assert "'Airbu'" in line and "expand: 'Airbus'" in line and "contract: nothing" in line


def test_tokens_expand_reports_every_changed_span_text(tmp_path):
    _one(tmp_path, "Airbus livre.", 0, 5)
    result = export_dataset("x", str(tmp_path / "o.jsonl"), db=tmp_path / "a.db", align="expand")
    text = "\n".join(result.lines())
    assert "snapped to token boundaries: 1 (their text changed)" in text and "'Airbu' -> 0-6 'Airbus'" in text
