"""Brown-cluster vectors for the English NER: what words are like, for the names training never saw.

The shipped English NER learns from about 20,000 sentences; most organisation
names a user's text holds are not among them, and web text writes many in lower
case (``bose``, ``royal caribbean``). Brown clusters group words by the
contexts they occur in, over far more text than any NER corpus: ``bose``,
``jvc``, ``walmart`` and ``IBM`` share one cluster; ``enron``, ``Sony`` and
``Microsoft`` a neighbouring one. spaCy's ``spacy-lookups-data`` package (MIT)
carries such a table for English (``en_lexeme_cluster``: 190,129 words with a
cluster, 1,000 clusters; the table of spaCy's former English models).

:func:`cluster_vectors` turns it into a plain spaCy :class:`~spacy.vectors.Vectors`
table the NER reads as static vectors (``include_static_vectors``), so the model
stays standard spaCy: ``spacy.load`` reads it without this package. A cluster's
path in the binary tree is stored least significant bit first, so the prefixes
of a path (its ancestors) are the low bits of its number; a cluster's vector is
the sum of one fixed random vector per ancestor at depths :data:`DEPTHS` (and
the cluster itself): clusters with a common ancestor share part of their vector,
and the model can learn from the coarse levels what it cannot from the fine
ones. One row per cluster; each word of the table is a key to its cluster's
row, and so are its title-case and upper-case forms where the table lacks them
(``BOSE``). Words without a cluster have no vector (zeros), as before.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy

TABLE = "en_lexeme_cluster"
DEPTHS = (2, 4, 6, 8, 10, 12, 14)
WIDTH = 128
SEED = 1
NAME = "annotate_en_brown_clusters"


def table_path() -> Path:
    """The cluster table of the installed ``spacy-lookups-data`` (a training-time dependency)."""
    try:
        import spacy_lookups_data
    except ImportError:
        raise FileNotFoundError(
            "the English cluster table comes from spacy-lookups-data: pip install 'annotate-news[en-clusters]'"
        ) from None
    path = Path(spacy_lookups_data.__file__).parent / "data" / f"{TABLE}.json.gz"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not in this spacy-lookups-data; version 1.0.5 has it")
    return path


def read_clusters(path: str | Path | None = None) -> dict[str, int]:
    """Word -> cluster number, for the words that have one (cluster 0 means none)."""
    with gzip.open(path or table_path(), "rt", encoding="utf-8") as f:
        table = json.load(f)
    return {w: int(c) for w, c in table.items() if c}


def cluster_rows(clusters: dict[str, int], *, width: int = WIDTH, seed: int = SEED) -> tuple[list[int], numpy.ndarray]:
    """The distinct clusters (sorted) and their vectors, one row each."""
    ids = sorted(set(clusters.values()))
    rng = numpy.random.RandomState(seed)
    levels = (*DEPTHS, 64)  # 64: the whole path
    # one random vector per (depth, ancestor): drawn in a fixed order so a rebuild is bit-identical
    basis: dict[tuple[int, int], numpy.ndarray] = {}
    for depth in levels:
        mask = (1 << depth) - 1
        for anc in sorted({c & mask for c in ids}):
            basis[(depth, anc)] = rng.standard_normal(width).astype("float32")
    rows = numpy.zeros((len(ids), width), dtype="float32")
    for i, c in enumerate(ids):
        for depth in levels:
            rows[i] += basis[(depth, c & ((1 << depth) - 1))]
    rows /= numpy.sqrt(len(levels))
    return ids, rows


def cluster_vectors(clusters: dict[str, int] | None = None, *, width: int = WIDTH):  # -> spacy.vectors.Vectors
    """A :class:`~spacy.vectors.Vectors` table: every clustered word (and its missing case forms) -> its cluster's row."""
    from spacy.strings import get_string_id
    from spacy.vectors import Vectors

    clusters = read_clusters() if clusters is None else clusters
    ids, rows = cluster_rows(clusters, width=width)
    row_of = {c: i for i, c in enumerate(ids)}
    vectors = Vectors(data=rows, name=NAME)
    keys: dict[str, int] = dict(clusters)
    for word, c in clusters.items():  # "BOSE", "Bose" where only "bose" is in the table
        if word.islower():
            for form in (word.title(), word.upper()):
                keys.setdefault(form, c)
    for word, c in keys.items():
        vectors.add(get_string_id(word), row=row_of[c])
    return vectors


def provenance(path: str | Path | None = None) -> dict:
    """Where the clusters come from, for the model's ``meta.json``."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    path = Path(path or table_path())
    try:
        pkg = f"spacy-lookups-data {version('spacy-lookups-data')}"
    except PackageNotFoundError:
        pkg = "spacy-lookups-data"
    return {"table": TABLE, "package": pkg, "license": "MIT", "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "depths": list(DEPTHS), "width": WIDTH, "seed": SEED}
