"""`annotate export --from FILES`: pre-annotated tasks exported as silver data without a database (real French model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli.main import main

TEXTS = [
    "Airbus a annoncé un bénéfice net de 3,2 milliards d’euros pour 2023.",
    "La Banque centrale européenne a relevé ses taux de 0,25 % le 12 mars 2024.",
    "Nvidia vaut désormais plus de 3 000 milliards de dollars en Bourse.",
    "Le chiffre d’affaires de Danone recule de 4 % au troisième trimestre.",
]


@pytest.fixture(scope="module")
def pre_files(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("silver")
    outs = []
    for i, part in enumerate((TEXTS[:2], TEXTS[2:])):
        src = d / f"in{i}.jsonl"
        src.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in part), encoding="utf-8")
        out = d / f"pre{i}.jsonl"
        assert main(["pre", str(src), "-o", str(out), "-q"]) == 0
        outs.append(out)
    return outs[0], outs[1]


def _content(path: Path) -> list[tuple]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return sorted((r["text"], json.dumps(r["spans"], sort_keys=True), tuple(r.get("accept", []))) for r in rows)


def test_export_from_files_equals_accept_all_then_export(pre_files, tmp_path, capsys):
    a, b = pre_files
    db = tmp_path / "a.db"
    for f in (a, b):
        assert main(["review", str(f), "--dataset", "news", "--db", str(db), "--accept-all"]) == 0
    assert main(["export", "news", "--db", str(db), "-o", str(tmp_path / "stored.jsonl")]) == 0
    assert main(["export", "--from", str(a), "--from", str(b), "-o", str(tmp_path / "silver.jsonl")]) == 0
    assert _content(tmp_path / "silver.jsonl") == _content(tmp_path / "stored.jsonl")
    assert len(_content(tmp_path / "silver.jsonl")) == len(TEXTS)
    assert not (tmp_path / "silver.db").exists() and not Path("annotate.db").exists()


def test_export_from_files_to_docbin_shards(pre_files, tmp_path, capsys):
    import spacy
    from spacy.tokens import DocBin

    a, b = pre_files
    out = tmp_path / "spacy"
    assert main(["export", "--from", str(a), "--from", str(b), "--format", "spacy", "-o", str(out), "--shard-size", "1",
                 "--dev-split", "0.25"]) == 0
    nlp = spacy.blank("fr")
    files = [f for part in ("train.spacy", "dev.spacy")
             for f in (sorted((out / part).glob("*.spacy")) if (out / part).is_dir() else [out / part])]
    assert len(files) > 2  # one doc per shard: folders of shards
    docs = [d for f in files for d in DocBin().from_disk(f).get_docs(nlp.vocab)]
    assert sorted(d.text for d in docs) == sorted(TEXTS)
    assert any(e.label_ == "MONEY" for d in docs for e in d.ents)
    assert (out / "config.cfg").exists()


@pytest.mark.parametrize(
    "args,code",
    [
        (["news", "--from", "IN"], "E062"),
        ([], "E063"),
        (["--from", "-"], "E060"),
        (["--from", "BAD"], "E061"),
    ],
    ids=["both", "neither", "stdin", "bad-answer"],
)
def test_export_from_files_errors(pre_files, tmp_path, capsys, args, code):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "Un texte.", "spans": [], "answer": "maybe"}) + "\n", encoding="utf-8")
    args = [str(pre_files[0]) if a == "IN" else str(bad) if a == "BAD" else a for a in args]
    out = tmp_path / "out.jsonl"
    assert main(["export", *args, "-o", str(out)]) in (1, 2)
    err = capsys.readouterr().err
    assert f"[{code}]" in err and "Traceback" not in err
    if code == "E061":
        assert f"{bad}:1" in err
    assert not out.exists()
