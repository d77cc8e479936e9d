"""Brown-cluster vectors for the English NER recipe (``--clusters``): the table, the rows, the keys, and a
model trained with them that keeps them and loads with plain spaCy."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import numpy
from spacy.strings import get_string_id

from annotate.training.en_clusters import WIDTH, cluster_rows, cluster_vectors, read_clusters

# paths least significant bit first: 0b100110 and 0b1100100110 share their first six steps (38 = 806 & 63);
# 0b1011 parts at the second step
CLUSTERS = {"bose": 0b100110, "walmart": 0b100110, "kelvar": 0b1100100110, "the": 0b1011, "US": 0b11101, "us": 0b1011}


def _uner_data(folder, n_docs: int = 40):
    """A hand-made UNER-style train file: one-sentence documents (the hash holds some out)."""
    from annotate.training.en_ner import SOURCES

    uner = SOURCES[0]
    folder.mkdir()
    lines = []
    for n in range(n_docs):
        lines += [f"# newdoc id = doc{n}", f"# sent_id = doc{n}-1", f"# text = Kelvar Mutual hired {n}.",
                  "1\tKelvar\tB-ORG", "2\tMutual\tI-ORG", "3\thired\tO", f"4\t{n}\tO", "5\t.\tO", ""]
    (folder / uner.file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return uner


def _cos(a: numpy.ndarray, b: numpy.ndarray) -> float:
    return float(a @ b / (numpy.linalg.norm(a) * numpy.linalg.norm(b)))


def test_rows_are_deterministic_and_share_ancestors():
    ids, rows = cluster_rows(CLUSTERS)
    ids2, rows2 = cluster_rows(dict(reversed(list(CLUSTERS.items()))))
    assert ids == ids2 == sorted(set(CLUSTERS.values()))
    assert numpy.array_equal(rows, rows2)  # the same table in another order: the same vectors
    assert rows.shape == (len(ids), WIDTH) and rows.dtype == numpy.float32
    row = {c: rows[i] for i, c in enumerate(ids)}
    near = _cos(row[0b100110], row[0b1100100110])  # six common steps
    far = _cos(row[0b100110], row[0b1011])  # one
    assert near > far + 0.2


def test_vectors_key_words_and_their_missing_case_forms():
    vectors = cluster_vectors(CLUSTERS)
    ids, _ = cluster_rows(CLUSTERS)

    def row(word: str) -> int:
        return vectors.find(key=get_string_id(word))

    assert vectors.shape == (len(ids), WIDTH)
    assert row("bose") == row("Bose") == row("BOSE") == row("walmart") == ids.index(0b100110)
    assert row("US") == ids.index(0b11101) != row("us")  # a case form the table has keeps its own cluster
    assert get_string_id("Kelvars") not in vectors  # no cluster, no vector


def test_read_clusters_drops_words_without_a_cluster(tmp_path):
    table = tmp_path / "en_lexeme_cluster.json.gz"
    with gzip.open(table, "wt", encoding="utf-8") as f:
        json.dump({**CLUSTERS, "zzyzx": 0}, f)
    assert read_clusters(table) == CLUSTERS


def test_recipe_without_the_lookups_package_says_what_to_install(tmp_path, monkeypatch, capsys):
    from annotate.training import en_ner

    _uner_data(tmp_path / "data")
    monkeypatch.setitem(sys.modules, "spacy_lookups_data", None)  # import fails as if not installed
    code = en_ner.main(["--clusters", "--only", "uner_ewt", "--data-dir", str(tmp_path / "data"), "--work-dir", str(tmp_path / "work"),
                        "--out", str(tmp_path / "model")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "pip install 'annotate-news[train]'" not in err
    assert "spacy-lookups-data" in err and "annotate-news[en-clusters]" in err
    assert not (tmp_path / "model").exists()


def test_recipe_with_clusters_trains_a_model_that_keeps_them(tmp_path):
    """A few training steps on a small hand-made corpus: the saved model holds the cluster vectors and
    their provenance, and loads and predicts in a fresh process with spaCy alone."""
    from annotate.training.en_ner import build_en_ner

    uner = _uner_data(tmp_path / "data")
    table = tmp_path / "en_lexeme_cluster.json.gz"
    with gzip.open(table, "wt", encoding="utf-8") as f:
        json.dump(CLUSTERS, f)
    out = tmp_path / "model"
    summary = build_en_ner(out, tmp_path / "data", work_dir=tmp_path / "work", sources=(uner,), max_steps=20,
                           clusters=table)
    assert summary["out"] == str(out)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["vectors"]["vectors"] == len(set(CLUSTERS.values())) and meta["vectors"]["width"] == WIDTH
    assert "Brown-cluster vectors" in meta["description"]
    vec = meta["annotate_training"]["vectors"]
    assert vec["file"] == table.name and len(vec["sha256"]) == 64 and vec["license"] == "MIT"
    assert meta["annotate_training"]["overrides"]["components.ner.model.tok2vec.embed.include_static_vectors"] is True
    code = (
        "import json, sys, spacy\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "doc = nlp('Kelvar Mutual hired bose.')\n"
        "print(json.dumps([nlp.vocab.vectors.shape[0], doc[3].has_vector, doc[0].has_vector, doc[1].has_vector, len(doc)]))\n"
    )
    res = subprocess.run([sys.executable, "-c", code, str(out)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, check=True)
    assert json.loads(res.stdout.strip().splitlines()[-1]) == [len(set(CLUSTERS.values())), True, True, False, 5]


def test_recipe_without_clusters_has_no_vectors(tmp_path):
    from annotate.training.en_ner import build_en_ner

    uner = _uner_data(tmp_path / "data", 20)
    out = tmp_path / "model"
    build_en_ner(out, tmp_path / "data", work_dir=tmp_path / "work", sources=(uner,), max_steps=10)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["vectors"]["vectors"] == 0 and "no vectors" in meta["description"]
    assert "vectors" not in meta["annotate_training"]
