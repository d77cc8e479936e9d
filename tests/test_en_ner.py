"""The small English NER shipped in annotate/models/en_ner: it loads on its own, the English
pipeline uses it by default (and not when --model-en is given), and the recipe's IOB2 reader."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest
import spacy

from annotate.io import Record
from annotate.pipeline.build import SHIPPED_EN_NER, build_pipeline, model_description
from annotate.pipeline.pre import pre_annotate
from annotate.training.en_ner import normalize_tags, read_iob2, to_doc


def test_shipped_model_loads_in_a_fresh_process(tmp_path):
    code = (
        "import json, sys, spacy\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "doc = nlp('Workers at Harrowgate Mutual went on strike in Leeds.')\n"
        "print(json.dumps({'pipes': nlp.pipe_names, 'labels': list(nlp.get_pipe('ner').labels),"
        " 'meta': {k: nlp.meta.get(k) for k in ('name', 'version', 'license')}}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(SHIPPED_EN_NER)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, check=True)
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["pipes"] == ["ner"]
    assert "ORG" in info["labels"]
    assert info["meta"] == {"name": "en_ner", "version": "1.0.0", "license": "CC BY-SA 4.0"}
    # small enough to ship as package data
    size = sum(p.stat().st_size for p in SHIPPED_EN_NER.rglob("*") if p.is_file())
    assert size < 8_000_000


@pytest.fixture(scope="module")
def en_default():
    return build_pipeline("en")


def test_english_pipeline_sources_the_shipped_ner(en_default):
    names = en_default.pipe_names
    assert "ner" in names
    assert names.index("annotate_org_gazetteer") < names.index("ner") < names.index("annotate_entities")
    assert model_description(en_default) == {"model": "annotate:en_ner", "model_version": "1.0.0"}


# Hand-written sentences; the organisation names are made up, so neither the gazetteer nor a
# context rule ("shares of X", "X Corp.") can find them: only the model can.
UNSEEN = [
    ("A spokesman for the Northfield Rail Authority declined to comment.", "Northfield Rail Authority"),
    ("We bought the sofa at Pemberton Furniture and it broke within a month.", "Pemberton Furniture"),
    ("Officials at the Varnholt Trade Commission met the minister on Monday.", "Varnholt Trade Commission"),
    ("He studied economics at the University of Marlowe before joining the firm.", "University of Marlowe"),
    ("The strike was called by the Coastal Dockworkers Union after talks failed.", "Coastal Dockworkers Union"),
]


@pytest.mark.parametrize("text,org", UNSEEN)
def test_model_finds_unseen_org(en_default, text, org):
    doc = en_default(text)
    assert (org, "ORG") in [(e.text, e.label_) for e in doc.ents]
    # and only ORG and our other labels come out: the model's PER / LOC are dropped
    assert {e.label_ for e in doc.ents} <= {"ORG", "MONEY", "DATE", "PERCENT"}


# the names above that end in an organisation suffix of the English lexicon ("Authority", "Commission"):
# the rules find these too
SUFFIXED = {"Northfield Rail Authority", "Varnholt Trade Commission"}


def test_rules_alone_miss_them(tmp_path):
    """What the tests above measure is the model: without its ner, the same pipeline finds none of the
    names without a suffix, and the suffixed ones only through the suffix rule."""
    nlp = build_pipeline("en")
    nlp.remove_pipe("ner")
    found = {e.text: e.id_ for text, org in UNSEEN for e in nlp(text).ents if e.text == org}
    assert set(found) == SUFFIXED
    assert set(found.values()) == {"rules"}


def test_model_en_replaces_the_shipped_ner(tmp_path):
    user = spacy.blank("en")
    ruler = user.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "ORG", "pattern": "Quillmoor"}])
    user.meta.update(name="user_test", version="9.9.9")
    user.to_disk(tmp_path / "user_en")
    nlp = build_pipeline("en", model=str(tmp_path / "user_en"))
    assert "ner" not in nlp.pipe_names and "entity_ruler" in nlp.pipe_names
    assert model_description(nlp)["model"] == str(tmp_path / "user_en")
    rec = Record(data={"text": "Quillmoor opened an office."}, source="test")
    [task] = list(pre_annotate([rec], lang="en", model_en=str(tmp_path / "user_en")))
    assert task["meta"]["model"] == str(tmp_path / "user_en")
    assert task["meta"]["model_version"] == "9.9.9"
    assert [(s["text"], s["label"], s["source"]) for s in task["spans"]] == [("Quillmoor", "ORG", "model")]


def test_pre_records_the_shipped_model_in_meta():
    rec = Record(data={"text": "Dunmore Telecom cut prices."}, source="test")
    [task] = list(pre_annotate([rec], lang="en"))
    assert task["meta"]["model"] == "annotate:en_ner" and task["meta"]["model_version"] == "1.0.0"


IOB2 = """\
# newdoc id = doc-a
# sent_id = doc-a-0001
# text = I do n't like Acme Widgets 's new logo in New York.
1\tI\tO
2\tdo\tO
3\tn't\tO
4\tlike\tO
5\tAcme\tB-ORG\t-\tann1
6\tWidgets\tI-ORG\t-\tann1
7\t's\tO
8\tnew\tO
9\tlogo\tO
10\tin\tO
11\tNew\tB-LOC\t-\tann1
12\tYork\tI-LOC\t-\tann1
13\t.\tO

# sent_id = doc-a-0002
# text = American fans,Bob Smith
1\tAmerican\tB-OTH\t-\tann1
2\tfans\tO
3\t,\tB-O
4\tBob\tI-PER
5\tSmith\tI-PER
"""


@pytest.mark.parametrize("gz", [False, True])
def test_reader_converts_iob2(tmp_path, gz):
    path = tmp_path / ("s.iob2.gz" if gz else "s.iob2")
    (gzip.open(path, "wt", encoding="utf-8") if gz else path.open("w", encoding="utf-8")).write(IOB2)
    first, second = list(read_iob2(path))
    assert (first.sent_id, first.doc_id) == ("doc-a-0001", "doc-a")
    assert second.doc_id == "doc-a"  # the newdoc id carries over
    doc = to_doc(spacy.blank("en").vocab, first)
    assert doc.text == "I don't like Acme Widgets's new logo in New York."
    assert [(e.text, e.label_) for e in doc.ents] == [("Acme Widgets", "ORG"), ("New York", "LOC")]
    # OTH and a stray B-O are not ours; an I- that starts an entity begins it
    assert second.tags == ["O", "O", "O", "B-PER", "I-PER"]
    doc2 = to_doc(spacy.blank("en").vocab, second)
    assert doc2.text == "American fans,Bob Smith"
    assert [(e.text, e.label_) for e in doc2.ents] == [("Bob Smith", "PER")]


def test_normalize_tags():
    assert normalize_tags(["I-ORG", "I-ORG", "I-PER", "B-MISC", "I-MISC", "O"]) == ["B-ORG", "I-ORG", "B-PER", "O", "O", "O"]
    assert normalize_tags(["B-ORG", "I-PER"], labels=("ORG",)) == ["B-ORG", "O"]


def test_reader_rejects_a_malformed_line(tmp_path):
    path = tmp_path / "bad.iob2"
    path.write_text("1\tonly-two\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.iob2:1"):
        list(read_iob2(path))


CONLL = "@acme_fan\tO\nLove\tO\nmy\tO\nnew\tO\nZephyrine\tB-product\nfrom\tO\nTolland\tB-corporation\nMotors\tI-corporation\n!\tO\n\t\n"


def test_reader_converts_wnut_style_conll(tmp_path):
    from annotate.training.en_ner import SOURCES, read_source

    wnut = next(s for s in SOURCES if s.key == "wnut17")
    (tmp_path / wnut.file).write_text(CONLL + "Go\tO\nCelts\tB-group\n", encoding="utf-8")
    first, second = list(read_source(tmp_path, wnut))
    assert first.words[-4:] == ["from", "Tolland", "Motors", "!"]
    # a product is not one of ours; a corporation and a group are ORG
    assert first.tags == ["O", "O", "O", "O", "O", "O", "B-ORG", "I-ORG", "O"]
    assert second.tags == ["O", "B-ORG"]


def test_english_pipeline_saves_and_loads_with_the_model(en_default, tmp_path):
    text = UNSEEN[0][0]
    en_default.to_disk(tmp_path / "en")
    loaded = spacy.load(tmp_path / "en")
    assert "ner" in loaded.pipe_names
    assert [(e.text, e.label_) for e in loaded(text).ents] == [(e.text, e.label_) for e in en_default(text).ents]


# The gazetteer and the model in English (annotate/pipeline/en_org.py): real gazetteer entries
# inside invented longer names, and one-word entries used as verbs.
ARBITRATION = [
    ("model-extends-entry", "He works for Morgan Stanley Wealth Advisory Group now.", ["Morgan Stanley Wealth Advisory Group"]),
    ("entry-inside-person", "I met Ms. Oracle Fenwick yesterday.", []),
    ("entry-then-title", "Goldman Sachs Chief Executive Tobin Varley spoke.", ["Goldman Sachs"]),
    ("entry-in-headline", "Google Unveils New Phone As Sales Slow", ["Google"]),
    ("verb-after-adverb", "Just Google it if you forget the address.", []),
    ("verb-after-modal", "You can Yahoo them later.", []),
    ("company-before-pronoun", "Regulators told Google it must pay.", ["Google"]),
    ("verb-before-determiner", "Google the address before you leave.", []),
    ("company-before-determiner", "Regulators sold to Google the unit it built.", ["Google"]),
    ("title-acronym", "She joined Brontal Mining as SVP in March.", ["Brontal Mining"]),
    ("entry-alone", "Oracle sued the vendor.", ["Oracle"]),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in ARBITRATION], ids=[c[0] for c in ARBITRATION])
def test_en_ner_arbitrates_gazetteer_entries(en_default, text, expected):
    assert [e.text for e in en_default(text).ents if e.label_ == "ORG"] == expected


# A model PER that its context makes a business (annotate/pipeline/en_org.py person_is_org).
PERSON_OR_BUSINESS = [
    ("business-noun-after", "My sister loves the Tobias Crane bakery downtown.", ["Tobias Crane"]),
    ("person-alone", "Rufus Denholm resigned.", []),
    ("person-then-verb", "Olga Petrenko said the bakery was closed.", []),
    ("shares-as-verb", "Jane Oduya shares the prize with him.", []),
    ("shares-as-noun", "Tarvex shares rose 4% on Monday.", ["Tarvex"]),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in PERSON_OR_BUSINESS], ids=[c[0] for c in PERSON_OR_BUSINESS])
def test_en_ner_person_in_business_context_is_org(en_default, text, expected):
    assert [e.text for e in en_default(text).ents if e.label_ == "ORG"] == expected


# English ORG boundaries (annotate/pipeline/en_org.py reshape): hyphen-glued names, names joined by a slash.
BOUNDARIES = [
    ("hyphen-glued-name", "The attack was claimed by Harakat-ul-Nadir militants.", ["Harakat-ul-Nadir"]),
    ("hyphen-lower-tail", "The Quorvane Capital-backed consortium won.", ["Quorvane Capital"]),
    ("slash-two-names", "He worked at Brontal Mining / Quillon Energy for a decade.", ["Brontal Mining", "Quillon Energy"]),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in BOUNDARIES], ids=[c[0] for c in BOUNDARIES])
def test_en_ner_reshapes_org_boundaries(en_default, text, expected):
    assert [e.text for e in en_default(text).ents if e.label_ == "ORG"] == expected


# Model ORG that are not names (annotate/pipeline/en_org.py not_an_org), on spans made by hand so the
# rule is tested whatever the model predicts.
NOT_NAMES = [
    ("roman-numeral", "The court joined in Part III of the opinion.", "III", True),
    ("cut-at-hyphen", "PS- call me back tonight.", "PS-", True),
    ("function-word-then-nouns", "Which carriers fly to Lisbon at night?", "Which carriers", True),
    ("determiner-then-name", "The Hague hosted the talks.", "The Hague", False),
    ("plain-name", "Tarvex Mining hired him.", "Tarvex Mining", False),
]


@pytest.mark.parametrize("text,span_text,dropped", [c[1:] for c in NOT_NAMES], ids=[c[0] for c in NOT_NAMES])
def test_en_org_not_an_org(text, span_text, dropped):
    from annotate.pipeline.en_org import not_an_org

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    doc = nlp(text)
    start = text.index(span_text)
    span = doc.char_span(start, start + len(span_text), label="ORG")
    assert span is not None
    assert not_an_org(span) is dropped


# A model ORG ending on a connector (reshape): it takes the capitalised words after it, else loses it.
CONNECTORS = [
    ("of-then-name", "Write to Law Offices of Dana Whitfield today.", "Law Offices of", "Law Offices of Dana Whitfield"),
    ("ampersand-then-name", "She joined Pell & Varga Partners in May.", "Pell &", "Pell & Varga Partners"),
    ("of-then-lower", "He asked the Bank of his choice.", "Bank of", "Bank"),
    ("no-connector", "He asked Brontal Mining twice.", "Brontal Mining", "Brontal Mining"),
]


@pytest.mark.parametrize("text,model_span,expected", [c[1:] for c in CONNECTORS], ids=[c[0] for c in CONNECTORS])
def test_en_org_reshape_connector_at_the_end(text, model_span, expected):
    from annotate.pipeline.en_org import reshape

    doc = spacy.blank("en")(text)
    start = text.index(model_span)
    span = doc.char_span(start, start + len(model_span), label="ORG")
    assert [s.text for s in reshape([span])] == [expected]


@pytest.mark.parametrize("repeat", [1, 3])
def test_recipe_repeats_a_source_in_train_only(tmp_path, repeat):
    """Source.repeat: each training sentence of the source is written that many times; held-out ones once."""
    import dataclasses

    from spacy.tokens import DocBin

    from annotate.training.en_ner import SOURCES, write_corpora

    uner = dataclasses.replace(SOURCES[0], repeat=repeat)
    lines = []
    for n in range(40):  # 40 one-sentence documents: the hash holds some of them out
        lines += [f"# newdoc id = doc{n}", f"# sent_id = doc{n}-1", f"# text = Kelvar Mutual hired {n}.",
                  "1\tKelvar\tB-ORG", "2\tMutual\tI-ORG", "3\thired\tO", f"4\t{n}\tO", "5\t.\tO", ""]
    (tmp_path / uner.file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = write_corpora(tmp_path, tmp_path, (uner,))
    train = len(DocBin().from_disk(tmp_path / "train.spacy"))
    heldout = len(DocBin().from_disk(tmp_path / "heldout.spacy"))
    c = counts["uner_ewt"]
    assert c["train"]["sentences"] + c.get("heldout", {}).get("sentences", 0) == 40
    assert train == repeat * c["train"]["sentences"]
    assert heldout == c.get("heldout", {}).get("sentences", 0) > 0


# A hand-written GUM-style CoNLL-U document: CorefUD brackets in MISC (organization, person, place,
# and an abstract mention that must be dropped), a nested place inside an organization, a
# determiner and a relative clause inside the organization mention, a common-noun person mention.
GUM_DOC = """# newdoc id = GUM_news_kelvar
# sent_id = GUM_news_kelvar-1
# text = The Kelvar Mining Board of Tolland, which met, hired Ana Brisk.
1	The	the	DET	DT	_	3	det	_	Entity=(7-organization-new-x-coref
2	Kelvar	Kelvar	PROPN	NNP	_	3	compound	_	_
3	Mining	Mining	PROPN	NNP	_	11	nsubj	_	_
4	Board	Board	PROPN	NNP	_	3	flat	_	_
5	of	of	ADP	IN	_	6	case	_	_
6	Tolland	Tolland	PROPN	NNP	_	3	nmod	_	Entity=(8-place-new-x-coref-Tolland)|SpaceAfter=No
7	,	,	PUNCT	,	_	9	punct	_	_
8	which	which	PRON	WDT	_	9	nsubj	_	_
9	met	meet	VERB	VBD	_	3	acl:relcl	_	Entity=7)|SpaceAfter=No
10	,	,	PUNCT	,	_	11	punct	_	_
11	hired	hire	VERB	VBD	_	0	root	_	_
12	Ana	Ana	PROPN	NNP	_	11	obj	_	Entity=(9-person-new-x-coref
13	Brisk	Brisk	PROPN	NNP	_	12	flat	_	Entity=9)|SpaceAfter=No
14	.	.	PUNCT	.	_	11	punct	_	_

# sent_id = GUM_news_kelvar-2
# text = Local miners praised the Tolland Courier's plan.
1	Local	local	ADJ	JJ	_	2	amod	_	Entity=(10-person-new-x-coref
2	miners	miner	NOUN	NNS	_	3	nsubj	_	Entity=10)
3	praised	praise	VERB	VBD	_	0	root	_	_
4	the	the	DET	DT	_	6	det	_	Entity=(11-abstract-new-x-coref(12-organization-new-x-coref
5	Tolland	Tolland	PROPN	NNP	_	6	compound	_	_
6	Courier	Courier	PROPN	NNP	_	8	nmod:poss	_	SpaceAfter=No
7	's	's	PART	POS	_	6	case	_	Entity=12)
8	plan	plan	NOUN	NN	_	3	obj	_	Entity=11)|SpaceAfter=No
9	.	.	PUNCT	.	_	3	punct	_	_

"""
GUM_SPLITS = "# Splits\n\n## dev\n\n  * GUM_news_held\n\n## train\n\n  * GUM_news_kelvar\n  * GUM_news_held\n  * GUM_fiction_story\n"


def test_gum_reader_keeps_named_org_per_loc_of_train_docs(tmp_path):
    from annotate.training.en_ner import EXTRA_SOURCES, read_source

    gum = next(s for s in EXTRA_SOURCES if s.key == "gum")
    folder = tmp_path / gum.file
    folder.mkdir()
    (folder / "splits.md").write_text(GUM_SPLITS, encoding="utf-8")
    (folder / "GUM_news_kelvar.conllu").write_text(GUM_DOC, encoding="utf-8")
    # a dev document (also listed under train) and a train document of a non-commercial genre: never read
    (folder / "GUM_news_held.conllu").write_text(GUM_DOC.replace("kelvar", "held"), encoding="utf-8")
    (folder / "GUM_fiction_story.conllu").write_text(GUM_DOC.replace("news_kelvar", "fiction_story"), encoding="utf-8")
    first, second = list(read_source(tmp_path, gum))
    assert {first.doc_id, second.doc_id} == {"GUM_news_kelvar"}
    # the organization cut to its proper-noun run (no "The", no relative clause); the nested place dropped
    assert first.tags == ["O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG", "O", "O", "O", "O", "O",
                          "B-PER", "I-PER", "O"]
    assert first.spaces[5] is False and first.spaces[6] is True
    # a common-noun person is no named entity; the abstract mention is dropped, the ORG inside it kept
    assert second.tags == ["O", "O", "O", "O", "B-ORG", "I-ORG", "O", "O", "O"]


def test_gum_reader_needs_the_split_lists(tmp_path):
    from annotate.training.en_ner import EXTRA_SOURCES, find_data_dir

    gum = next(s for s in EXTRA_SOURCES if s.key == "gum")
    (tmp_path / gum.file).mkdir()
    (tmp_path / gum.file / "GUM_news_kelvar.conllu").write_text(GUM_DOC, encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="gum"):
        find_data_dir(tmp_path, (gum,))


def test_recipe_add_rejects_an_unknown_source(capsys):
    from annotate.training.en_ner import main

    with pytest.raises(SystemExit) as exc:
        main(["--add", "gum,nosuch", "--data-dir", "/nonexistent"])
    assert exc.value.code == 2
    assert "unknown source nosuch" in capsys.readouterr().err
