"""ORG rules around the French model (annotate.pipeline.orgrules), on invented names: bare capitalised
heads vs lower-case generic words, acronyms, names with an institution head, and what is not an
organisation (titles, regimes, drugs, medical acronyms, headings in capitals)."""

from __future__ import annotations

import pytest


def orgs(nlp, text: str) -> list[str]:
    return [e.text for e in nlp(text).ents if e.label_ == "ORG"]


FR_CASES = [
    # a capitalised bare head after an article names one body; the lower-case word is generic
    ("bare-heads", "Le Conseil a rejeté la proposition de la Commission.", ["Conseil", "Commission"]),
    ("bare-head-contracted", "Le gouvernement a saisi le Parlement.", ["Parlement"]),
    ("bare-head-elided", "L’Union doit agir, a dit le député.", ["Union"]),
    ("bare-head-court", "La Cour a annulé la décision de l’Autorité.", ["Cour", "Autorité"]),
    ("lower-generic", "La commission a rendu son avis.", []),
    ("no-article", "Le budget est présenté en Conseil des ministres.", []),
    ("title-before-head", "La Présidente du Parlement a parlé.", ["Parlement"]),
    # acronyms: bracketed after an organisation noun, then every other mention; dotted after an article
    ("acronym-after-org-noun", "La police municipale de Vélorac (PMV) enquête ; la PMV recrute.", ["PMV", "PMV"]),
    ("dotted-acronym", "Le Conseil peut confier à la B.R.V. des missions.", ["Conseil", "B.R.V."]),
    ("acronym-of-a-phrase", "Le rapport public d’évaluation (RPE) est disponible.", []),
    # a lower-case institution head is part of the name before its capitalised complement
    ("ministry", "Le maire a écrit au ministère de la Pêche.", ["ministère de la Pêche"]),
    ("town-hall", "La mairie de Vélorac a signé.", ["mairie de Vélorac"]),
    ("court-with-adjective", "Le tribunal correctionnel de Brontelle a jugé l’affaire.", ["tribunal correctionnel de Brontelle"]),
    ("publisher-lower", "Son roman paraît aux éditions Quillard.", ["éditions Quillard"]),
    ("publisher-capital", "Le recueil est sorti chez Éditions Marbeuf.", ["Éditions Marbeuf"]),
    ("descriptive-noun", "Le groupe Brontelle a racheté la société Quillard.", ["Brontelle", "Quillard"]),
    # not organisations
    ("minister-portfolio", "Le ministre de l’Industrie a reçu les syndicats.", []),
    ("title", "Le Haut Représentant s’est exprimé.", []),
    ("president", "Il a été reçu par le Président.", []),
    ("regime", "Il fut ministre sous la Quatrième République.", []),
    ("drug-treated-by", "Les patients traités par Velocyx ont moins saigné.", []),
    ("drug-dosage", "La posologie de Trombaxil est d’un comprimé par jour.", []),
    ("disease-acronym", "Chez les patients atteints de SCR, la dose est réduite.", []),
    ("treatment-of", "Le traitement du SCR reste difficile.", []),
    ("study", "Dans l’étude VELOCE, le risque a baissé.", []),
    ("trial-arm", "Les patients du groupe Velocyx ont moins saigné.", []),
    ("heading-in-capitals", "COMMENT CONSERVER VELOCYX", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in FR_CASES], ids=[c[0] for c in FR_CASES])
def test_org_rules_french(fr_nlp, text, expected):
    assert orgs(fr_nlp, text) == expected


EN_CASES = [
    ("bare-head", "The Commission fined the company.", ["Commission"]),
    ("lower-generic", "The commission fined the company.", []),
    ("senate", "The Senate passed the bill.", ["Senate"]),
    ("acronym-propagated", "Analysts at Quorvane Capital (QCP) said QCP would sell.", ["Quorvane Capital", "QCP", "QCP"]),
    ("dotted-not-country", "The U.S. and the U.N. met.", ["U.N."]),
    ("drug", "Patients treated with Velocyx bled less.", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in EN_CASES], ids=[c[0] for c in EN_CASES])
def test_org_rules_english(en_nlp, text, expected):
    assert orgs(en_nlp, text) == expected


@pytest.fixture(scope="module")
def en_rules_nlp():
    """The English pipeline without the shipped statistical ner: rules and gazetteer only."""
    from annotate.pipeline.build import build_pipeline

    nlp = build_pipeline("en")
    nlp.remove_pipe("ner")
    return nlp


def test_org_rules_sources_of_added_spans(en_rules_nlp):
    """Rule-made ORG (trigger names, bare heads, propagated acronyms) say so in the task."""
    from annotate.tasks import doc_to_task

    task = doc_to_task(en_rules_nlp("Analysts at Quorvane Capital (QCP) told the Committee that QCP would sell."))
    found = [(s["text"], s["source"]) for s in task["spans"] if s["label"] == "ORG"]
    assert found == [("Quorvane Capital", "rules"), ("QCP", "rules"), ("Committee", "rules"), ("QCP", "rules")]


# English names ending in an organisation noun of the lexicon's org_suffixes (made-up names)
EN_SUFFIXED = [
    ("institute", "A study by the Kestrel Policy Institute was cited.", ["Kestrel Policy Institute"]),
    ("party", "The Verdant Party won two seats.", ["Verdant Party"]),
    ("foundation", "Grants from the Halloran Foundation ended in 2019.", ["Halloran Foundation"]),
    ("lower-case-noun", "The local party won two seats.", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in EN_SUFFIXED], ids=[c[0] for c in EN_SUFFIXED])
def test_org_rules_english_suffix_nouns(en_rules_nlp, text, expected):
    assert [e.text for e in en_rules_nlp(text).ents if e.label_ == "ORG"] == expected
