"""Build the small English NER shipped in ``annotate/models/en_ner/``.

One command rebuilds it from the **train** splits of three openly licensed
English NER corpora (provenance and licences in ``seeds/train/en_ner/README.md``)::

    python -m annotate.training.en_ner --data-dir DIR --out annotate/models/en_ner

``DIR`` holds the three files of :data:`SOURCES` as their repositories have
them. ``--add gum`` trains on the GUM corpus's named mentions too (:data:`EXTRA_SOURCES`: a
``gum/`` folder in ``DIR`` with GUM's train ``dep/*.conllu`` files of its CC BY / CC BY-SA
genres and its ``splits.md``, read by ``en_ner_gum.read_gum``; measured and not shipped, see
the provenance README); ``--clusters`` makes the ner read Brown-cluster vectors too
(:mod:`.en_clusters`; measured and not shipped either). The files are read here (``read_iob2``), turned into spaCy ``Doc`` objects
with PER / ORG / LOC entities; about one document in ten of the UNER file (a
hash of the document id) is held out for spaCy's model selection (no dev or
test file of any corpus is used); the model is trained with spaCy's own
``spacy.cli.train.train`` on ``en_ner.cfg`` (one ``ner`` component with its
own CNN tok2vec, no static vectors). The best model is saved with
``nlp.to_disk`` on a blank English tokenizer, with its provenance and
licence in ``meta.json`` and a ``README.md``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CONFIG_PATH = Path(__file__).with_name("en_ner.cfg")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "annotate" / "models" / "en_ner"
LABELS = ("ORG", "PER", "LOC")


@dataclass(frozen=True)
class Source:
    key: str
    file: str  # the file's name in the data folder (as in its repository)
    name: str
    repo: str
    path: str  # in the repository
    commit: str
    git_blob: str
    license: str
    citation: str
    word_col: int
    tag_col: int
    label_map: tuple[tuple[str, str], ...]  # source label -> ours; others become O
    heldout: bool  # hold out about one document in ten for model selection
    repeat: int = 1  # how many times each training sentence is seen per epoch (in-domain data weighs more)
    reader: str = "iob2"  # "iob2": read_iob2 on one file; "gum": en_ner_gum.read_gum on a folder of CoNLL-U


SOURCES = (
    Source(
        "uner_ewt", "en_ewt-ud-train.iob2", "Universal NER v1, English-EWT, train split",
        "UniversalNER/UNER_English-EWT", "en_ewt-ud-train.iob2",
        "0c7ce0debb13a7d304da656f16309397e8ff36ef", "236914d90bc061dfaae0abf322ab36da483fd70a", "CC BY-SA 4.0",
        "Mayhew et al., Universal NER: A Gold-Standard Multilingual Named Entity Recognition Benchmark, NAACL 2024",
        1, 2, (("ORG", "ORG"), ("PER", "PER"), ("LOC", "LOC")), True,
    ),
    Source(
        "btc", "btc.train", "Broad Twitter Corpus, train split",
        "GateNLP/broad_twitter_corpus", "train_dev_test_conll/btc.train",
        "0c45ef7b1924a6b8115bceab388781590b1b553a", "3022689753a8bba547c4bfee24da31c22e0fd1f6", "CC BY 4.0",
        "Derczynski, Bontcheva and Roberts, Broad Twitter Corpus: A Diverse Named Entity Recognition Resource, COLING 2016",
        0, 1, (("ORG", "ORG"), ("PER", "PER"), ("LOC", "LOC")), False,
    ),
    Source(
        "wnut17", "wnut17train.conll", "WNUT 2017 Emerging Entities, train split",
        "leondz/emerging_entities_17", "wnut17train.conll",
        "e52a2d2a71ac1a051ca2d532eef28653c5c02603", "f492698d4776475fd62851998b7b3623c416c92f", "CC BY 4.0",
        "Derczynski, Nichols, van Erp and Limsopatham, Results of the WNUT2017 Shared Task on Novel and Emerging "
        "Entity Recognition, W-NUT 2017",
        0, 1, (("corporation", "ORG"), ("group", "ORG"), ("person", "PER"), ("location", "LOC")), False,
    ),
)
# sources the recipe can add with --add KEY; the shipped model does not use them
EXTRA_SOURCES = (
    Source(
        "gum", "gum", "GUM (Georgetown University Multilayer corpus), train split, CC BY / CC BY-SA genres",
        "amir-zeldes/gum", "dep/",
        "72ce5ac14978a324c2fd18d49484e65292cbe316", "37f43fd383897a1ac139b95fd28e6b5a614e33d9",
        "CC BY 4.0 (annotations); texts CC BY 4.0, CC BY-SA 3.0 or CC BY 2.5 by genre",
        "Zeldes, The GUM Corpus: Creating Multilayer Resources in the Classroom, Language Resources and "
        "Evaluation 51(3), 2017",
        0, 0, (("organization", "ORG"), ("person", "PER"), ("place", "LOC")), False, reader="gum",
    ),
)
# where the data folder is looked for when --data-dir is not given: next to the repository
# (the steering repository's shared/ folder), then inside it
DEFAULT_DATA_DIRS = (
    REPO_ROOT.parent / "shared" / "train" / "en_ner",
    REPO_ROOT / "seeds" / "train" / "en_ner",
)
# the UNER text lines put a space before clitics ("do n't", "McDonald 's"); the words come from UD,
# where these are glued to the previous word
_CLITICS = frozenset({"'s", "n't", "'m", "'re", "'ve", "'ll", "'d", "’s", "n’t", "’m", "’re", "’ve", "’ll", "’d"})

MODEL_NAME = "en_ner"
MODEL_VERSION = "1.0.0"
LICENSE = "CC BY-SA 4.0"  # UNER's share-alike; the CC BY sources allow it


@dataclass
class Sentence:
    sent_id: str
    doc_id: str
    words: list[str]
    spaces: list[bool]
    tags: list[str]  # IOB2 over LABELS only ("O", "B-ORG", "I-ORG", ...)


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open(encoding="utf-8")


def normalize_tags(tags: Iterable[str], labels: Iterable[str] | dict[str, str] = LABELS) -> list[str]:
    """Valid IOB2 over our labels: ``labels`` names the labels kept, or maps source labels to ours
    (``{"corporation": "ORG"}``); other labels (UNER's early ``OTH``, a stray ``B-O``) become ``O``,
    and an ``I-`` that does not continue an entity of its label starts one."""
    keep = dict(labels) if isinstance(labels, dict) else {lab: lab for lab in labels}
    out: list[str] = []
    prev = "O"
    for tag in tags:
        tag = tag.strip() or "O"
        if tag == "O" or "-" not in tag:
            tag = "O"
        else:
            prefix, label = tag.split("-", 1)
            label = keep.get(label, "")
            if not label or prefix not in ("B", "I"):
                tag = "O"
            elif prefix == "I" and prev[2:] != label:
                tag = f"B-{label}"
            else:
                tag = f"{prefix}-{label}"
        out.append(tag)
        prev = tag
    return out


def _spaces(words: list[str], text: str | None) -> list[bool]:
    """Whitespace after each word, from the sentence's ``# text`` line where the words can be found in it."""
    spaces = [True] * len(words)
    if text:
        pos = 0
        for i, w in enumerate(words):
            at = text.find(w, pos)
            if at < 0 or text[pos:at].strip():
                break  # the words do not follow the text: keep single spaces from here on
            end = at + len(w)
            spaces[i] = end < len(text) and text[end].isspace()
            pos = end
    for i in range(1, len(words)):
        if words[i] in _CLITICS:
            spaces[i - 1] = False
    if spaces:
        spaces[-1] = False
    return spaces


def read_iob2(
    path: str | Path,
    labels: Iterable[str] | dict[str, str] = LABELS,
    *,
    word_col: int = 1,
    tag_col: int = 2,
) -> Iterator[Sentence]:
    """Sentences of a tab-separated IOB2 file, a blank line after each sentence: UNER's
    (``# sent_id`` / ``# text`` comments, ``index word tag ...``; the defaults) or CoNLL-style
    ``word tag`` lines (``word_col=0, tag_col=1``). ``.gz`` is read too."""
    path = Path(path)
    labels = dict(labels) if isinstance(labels, dict) else tuple(labels)
    need = max(word_col, tag_col) + 1
    doc_id = ""
    sent_id = text = None
    words: list[str] = []
    tags: list[str] = []
    n = 0

    def flush() -> Sentence | None:
        nonlocal n
        if not words:
            return None
        n += 1
        sid = sent_id or f"{path.name}-{n}"
        did = doc_id or sid.rsplit("-", 1)[0]
        return Sentence(sid, did, list(words), _spaces(words, text), normalize_tags(tags, labels))

    with _open_text(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip():
                s = flush()
                if s is not None:
                    yield s
                sent_id = text = None
                words, tags = [], []
                continue
            if line.startswith("# "):
                key, _, value = line[1:].partition("=")
                key, value = key.strip(), value.strip()
                if key == "newdoc id":
                    doc_id = value
                elif key == "sent_id":
                    sent_id = value
                elif key == "text":
                    text = value
                continue
            cols = line.split("\t")
            if len(cols) < need or not cols[word_col]:
                raise ValueError(f"{path}:{lineno}: expected {need} tab-separated columns (word in column "
                                 f"{word_col + 1}, tag in column {tag_col + 1}), got {line!r}")
            words.append(cols[word_col])
            tags.append(cols[tag_col])
    s = flush()
    if s is not None:
        yield s


def to_doc(vocab, sent: Sentence):
    from spacy.tokens import Doc

    return Doc(vocab, words=sent.words, spaces=sent.spaces, ents=sent.tags)


def is_heldout(doc_id: str, every: int = 10) -> bool:
    """A seeded, order-free split by document: about one document in ``every`` is held out."""
    return int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:8], 16) % every == 0


def sha256(path: Path) -> str:
    """Of a file's text, or of a folder's: each file (sorted by name) as its name, a newline, its bytes."""
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(q for q in path.iterdir() if q.is_file()):
            h.update(p.name.encode("utf-8") + b"\n" + p.read_bytes())
        return h.hexdigest()
    with _open_text(path) as f:  # of the text, so a .gz and the plain file agree
        for line in f:
            h.update(line.encode("utf-8"))
    return h.hexdigest()


def find_data_dir(path: str | Path | None = None, sources: Iterable[Source] = SOURCES) -> Path:
    """The folder holding every source file (``--data-dir``, ``$ANNOTATE_EN_NER_DATA``, then the defaults)."""
    sources = tuple(sources)
    env = os.environ.get("ANNOTATE_EN_NER_DATA")
    candidates = [Path(path)] if path is not None else ([Path(env)] if env else []) + list(DEFAULT_DATA_DIRS)
    for c in candidates:
        if all(source_file(c, s) is not None for s in sources):
            return c
    raise FileNotFoundError(
        f"training data not found: need {', '.join(s.file for s in sources)} (or .gz) in one folder; "
        f"looked in {', '.join(str(c) for c in candidates)}. See seeds/train/en_ner/README.md."
    )


def source_file(data_dir: Path, source: Source) -> Path | None:
    if source.reader == "gum":  # a folder: GUM's CoNLL-U files and its splits.md
        return data_dir / source.file if (data_dir / source.file / "splits.md").is_file() else None
    for name in (source.file, source.file + ".gz"):
        if (data_dir / name).is_file():
            return data_dir / name
    return None


def read_source(data_dir: Path, source: Source) -> Iterator[Sentence]:
    path = source_file(data_dir, source)
    if path is None:
        raise FileNotFoundError(f"{data_dir / source.file} not found")
    if source.reader == "gum":
        from .en_ner_gum import read_gum

        return read_gum(path)
    return read_iob2(path, dict(source.label_map), word_col=source.word_col, tag_col=source.tag_col)


def write_corpora(data_dir: Path, work_dir: Path, sources: Iterable[Source] = SOURCES) -> dict:
    """``train.spacy`` and ``heldout.spacy`` in ``work_dir``; returns counts per source and part."""
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    bins = {"train": DocBin(store_user_data=False), "heldout": DocBin(store_user_data=False)}
    counts: dict[str, dict[str, Counter]] = {}
    for source in sources:
        per = counts.setdefault(source.key, {"train": Counter(), "heldout": Counter()})
        for sent in read_source(data_dir, source):
            part = "heldout" if source.heldout and is_heldout(sent.doc_id) else "train"
            doc = to_doc(nlp.vocab, sent)
            for _ in range(source.repeat if part == "train" else 1):
                bins[part].add(doc)
            c = per[part]
            c["sentences"] += 1
            c["tokens"] += len(doc)
            c.update(e.label_ for e in doc.ents)
    for part, db in bins.items():
        db.to_disk(work_dir / f"{part}.spacy")
    return {k: {part: dict(c) for part, c in v.items() if c} for k, v in counts.items()}


def build_en_ner(
    out_dir: str | Path = DEFAULT_OUT,
    data_dir: str | Path | None = None,
    *,
    work_dir: str | Path | None = None,
    sources: Iterable[Source] = SOURCES,
    max_steps: int | None = None,
    seed: int = 0,
    overrides: dict | None = None,
    clusters: bool | str | Path = False,
) -> dict:
    """Train the English NER and save it to ``out_dir``; returns a summary (counts, scores, seconds, size).

    ``clusters``: the ner also reads Brown-cluster vectors (:mod:`.en_clusters`), saved with the model:
    ``True`` for the table of ``spacy-lookups-data``, or the path of such a table (``.json.gz``);
    measured and not shipped (the provenance README)."""
    from spacy.cli.train import train

    started = time.monotonic()
    sources = tuple(sources)
    data = find_data_dir(data_dir, sources)
    out_dir = Path(out_dir)
    tmp = tempfile.TemporaryDirectory(prefix="en_ner_") if work_dir is None else None
    work = Path(tmp.name if tmp else work_dir)
    work.mkdir(parents=True, exist_ok=True)
    try:
        counts = write_corpora(data, work, sources)
        ov = {
            "paths.train": str(work / "train.spacy"),
            "paths.dev": str(work / "heldout.spacy"),
            "system.seed": seed,
        }
        if max_steps is not None:
            ov["training.max_steps"] = max_steps
        vectors = None
        if clusters:
            cluster_ov, vectors = _cluster_vectors(work, None if clusters is True else Path(clusters))
            ov.update(cluster_ov)
        ov.update(overrides or {})
        train(CONFIG_PATH, work / "output", use_gpu=-1, overrides=ov)
        scores = finalize(work / "output" / "model-best", out_dir, data, sources, counts, ov, seed, vectors)
    finally:
        if tmp is not None:
            tmp.cleanup()
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    return {"out": str(out_dir), "data_dir": str(data), "counts": counts, "heldout_scores": scores,
            "seconds": round(time.monotonic() - started, 1), "bytes": size}


def _cluster_vectors(work: Path, table: Path | None) -> tuple[dict, dict]:
    """Write the Brown-cluster vectors of ``table`` (default: spacy-lookups-data's) as a blank English
    pipeline in ``work``; return the config overrides that make the ner read them (``[initialize]
    vectors``, ``include_static_vectors``) and where they come from (for the model's ``meta.json``)."""
    import spacy

    from .en_clusters import cluster_vectors, provenance, read_clusters, table_path

    table = table or table_path()
    nlp = spacy.blank("en")
    nlp.vocab.vectors = cluster_vectors(read_clusters(table))
    nlp.to_disk(work / "cluster_vectors")
    return ({"paths.vectors": str(work / "cluster_vectors"),
             "components.ner.model.tok2vec.embed.include_static_vectors": True}, provenance(table))


def finalize(
    model_dir: Path, out_dir: Path, data: Path, sources: tuple[Source, ...], counts: dict, overrides: dict, seed: int,
    vectors: dict | None = None,
) -> dict:
    """Save spaCy's best model as the shipped one: only ``ner`` on a blank English pipeline with a fresh
    vocab (the ~80,000 training words in the string store are not needed to predict: 1.2 MB less),
    provenance and licence in ``meta.json``, and a ``README.md``. Returns the held-out scores."""
    import spacy
    from spacy.util import load_model_from_config

    trained = spacy.load(model_dir)
    perf = trained.meta.get("performance", {})
    scores = {k: perf.get(k) for k in ("ents_p", "ents_r", "ents_f", "ents_per_type")}
    config = trained.config.copy()
    config["paths"]["train"] = config["paths"]["dev"] = None  # the build's temporary corpora
    nlp = load_model_from_config(config, auto_fill=True, validate=True)
    nlp.get_pipe("ner").from_bytes(trained.get_pipe("ner").to_bytes(exclude=["vocab"]), exclude=["vocab"])
    if trained.vocab.vectors.shape[0]:  # static vectors the ner reads (the Brown clusters): kept, not the strings
        nlp.vocab.vectors = trained.vocab.vectors
    nlp.meta.update(trained.meta)
    nlp.meta.update(
        name=MODEL_NAME,
        version=MODEL_VERSION,
        description="Small English NER (ORG, PER, LOC; CNN tok2vec, "
        + ("Brown-cluster vectors" if nlp.vocab.vectors.shape[0] else "no vectors") + ") for annotate's English pipeline.",
        author="annotate contributors",
        license=LICENSE,
        sources=[
            {"name": s.name, "url": f"https://github.com/{s.repo}", "path": s.path, "commit": s.commit,
             "git_blob": s.git_blob, "license": s.license, "citation": s.citation}
            for s in sources
        ],
    )
    nlp.meta["annotate_training"] = {
        "data_sha256": {s.key: sha256(source_file(data, s)) for s in sources},
        "counts": counts,
        "heldout": "about 1 document in 10 of the UNER train file (sha1 of the document id); no dev or test file",
        "seed": seed,
        "config": CONFIG_PATH.name,
        "overrides": {k: v for k, v in overrides.items() if not k.startswith("paths.")},
    }
    if vectors is not None:  # where the static vectors come from (_cluster_vectors)
        nlp.meta["annotate_training"]["vectors"] = vectors
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    (out_dir / "README.md").write_text(model_readme(sources, counts, scores), encoding="utf-8")
    return scores


def model_readme(sources: tuple[Source, ...], counts: dict, scores: dict) -> str:
    org = (scores.get("ents_per_type") or {}).get("ORG", {})
    rows = "\n".join(
        f"| {s.name} | `{s.repo}`: `{s.path}` | `{s.commit}` | {s.license} | "
        f"{counts.get(s.key, {}).get('train', {}).get('sentences', 0)} | {counts.get(s.key, {}).get('train', {}).get('ORG', 0)} |"
        for s in sources
    )
    cites = "\n".join(f"- {s.citation}" for s in sources)
    held = {k: v.get("heldout", {}) for k, v in counts.items() if v.get("heldout")}
    held_s = ", ".join(f"{k}: {v.get('sentences', 0)} sentences, {v.get('ORG', 0)} ORG" for k, v in held.items())
    gum_note = (" (and GUM texts under CC BY 4.0, CC BY-SA 3.0 and CC BY 2.5: only its academic, bio, court,"
                " news, interview and voyage documents)") if any(s.key == "gum" for s in sources) else ""
    return f"""# en_ner: annotate's small English NER

Built by `python -m annotate.training.en_ner` (recipe `annotate/training/en_ner.py`, config
`annotate/training/en_ner.cfg`): one spaCy `ner` component (ORG, PER, LOC) with its own CNN
tok2vec (MultiHashEmbed width 96, no static vectors), on a blank English tokenizer. The English
pipeline sources its `ner` when no `--model-en` is given and keeps only ORG.

## Training data (train splits only)

| data | repository: file | commit | licence | sentences | ORG |
|---|---|---|---|---|---|
{rows}

Held out for model selection: {held_s or 'none'}. No dev or test file of any corpus was used.
Held-out scores: all labels F1 {_fmt(scores.get('ents_f'))}, ORG P {_fmt(org.get('p'))}
R {_fmt(org.get('r'))} F1 {_fmt(org.get('f'))}. Provenance details: `seeds/train/en_ner/README.md`.

{cites}

## Licence

This model is built from CC BY-SA 4.0 data (UNER English-EWT, itself on UD English-EWT) and CC BY
4.0 data{gum_note}, and is released under **CC BY-SA 4.0** (share-alike): whoever redistributes it, or a
model derived from it, keeps the attribution above and the same licence. The rest of the
`annotate` code is MIT.
"""


def _fmt(x) -> str:
    return f"{x:.3f}" if isinstance(x, (int, float)) else "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m annotate.training.en_ner", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", help=f"folder with {', '.join(s.file for s in SOURCES)} (or .gz); default: "
                    f"$ANNOTATE_EN_NER_DATA, then {', '.join(str(p) for p in DEFAULT_DATA_DIRS)}")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="model directory to (re)write (default: %(default)s)")
    ap.add_argument("--work-dir", help="keep the corpora and spaCy's training output here (default: a temporary folder)")
    ap.add_argument("--only", help="comma-separated source keys to train on (default: all of "
                    f"{', '.join(s.key for s in SOURCES)})")
    ap.add_argument("--add", help="comma-separated extra source keys to train on as well (of "
                    f"{', '.join(s.key for s in EXTRA_SOURCES)}; not used by the shipped model)")
    ap.add_argument("--max-steps", type=int, help="override training.max_steps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--clusters", action="store_true", help="the ner also reads Brown-cluster vectors from "
                    "spacy-lookups-data (pip install 'annotate-news[en-clusters]'; not used by the shipped model)")
    args = ap.parse_args(argv)
    sources = SOURCES if not args.only else tuple(s for s in SOURCES if s.key in args.only.split(","))
    if args.add:
        keys = args.add.split(",")
        unknown = sorted(set(keys) - {s.key for s in EXTRA_SOURCES})
        if unknown:
            ap.error(f"--add: unknown source {', '.join(unknown)} (known: {', '.join(s.key for s in EXTRA_SOURCES)})")
        sources += tuple(s for s in EXTRA_SOURCES if s.key in keys)
    try:
        summary = build_en_ner(args.out, args.data_dir, work_dir=args.work_dir, sources=sources,
                               max_steps=args.max_steps, seed=args.seed, clusters=args.clusters)
    except (FileNotFoundError, ValueError) as e:  # missing or malformed data: one line, not a traceback
        print(f"{ap.prog}: error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # 2 shared cores: train on one
    sys.exit(main())
