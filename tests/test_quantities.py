"""MONEY, PERCENT and DATE rules on text (the grammar alone: fast, no model)."""

from __future__ import annotations

import pytest

from annotate.pipeline.quantities import QuantityGrammar, resolve_overlaps

NB = "\u00a0"
NNB = "\u202f"


@pytest.fixture(scope="module")
def grammars(labels):
    return {"fr": QuantityGrammar(labels.lexicon.fr, "fr"), "en": QuantityGrammar(labels.lexicon.en, "en")}


def spans(grammars, lang: str, text: str) -> list[tuple[str, str]]:
    g = grammars[lang]
    return [(text[m.start : m.end], m.label) for m in g.resolve(text, g.find(text))]


CASES = [
    # French money
    ("fr", "un accord de 300 milliards de dollars sur cinq ans", [("300 milliards de dollars", "MONEY"), ("cinq ans", "DATE")]),
    ("fr", "Le chiffre atteint 1,2 M€.", [("1,2 M€", "MONEY")]),
    ("fr", "Le chiffre atteint 1,2M€.", [("1,2M€", "MONEY")]),
    ("fr", "Une valorisation de 3,5 Md$ et 11,7 Md€.", [("3,5 Md$", "MONEY"), ("11,7 Md€", "MONEY")]),
    ("fr", f"Un budget de 500{NNB}000 euros.", [(f"500{NNB}000 euros", "MONEY")]),
    ("fr", f"Un budget de 500{NB}000{NB}€.", [(f"500{NB}000{NB}€", "MONEY")]),
    ("fr", "Il a levé 1,7 milliard d’euros.", [("1,7 milliard d’euros", "MONEY")]),
    ("fr", "Une amende de 150 millions d'euros.", [("150 millions d'euros", "MONEY")]),
    ("fr", "Un contrat estimé entre 10 et 15 milliards de dollars.", [("10 et 15 milliards de dollars", "MONEY")]),
    ("fr", "Le dividende est de 3 dollars par action.", [("3 dollars", "MONEY")]),
    ("fr", "Il a investi un milliard d’euros.", [("un milliard d’euros", "MONEY")]),
    ("fr", "Près de 40 millions USD ont été levés.", [("40 millions USD", "MONEY")]),
    ("fr", "Les prix sont libellés en dollars.", []),
    # French percent
    ("fr", "L’action a gagné 6,4 % mardi.", [("6,4 %", "PERCENT"), ("mardi", "DATE")]),
    ("fr", f"Une hausse de 14{NNB}%.", [(f"14{NNB}%", "PERCENT")]),
    ("fr", "Une baisse de quatorze pour cent.", [("quatorze pour cent", "PERCENT")]),
    ("fr", "Une croissance de 9 à 11 % en 2026.", [("9 à 11 %", "PERCENT"), ("2026", "DATE")]),
    ("fr", "Le taux a monté de 2,5 points de pourcentage.", [("2,5 points de pourcentage", "PERCENT")]),
    ("fr", "L’indice a pris 12 points.", []),
    ("fr", "Une marge de 5-7%.", [("5-7%", "PERCENT")]),
    # French dates
    ("fr", "Il consommera 14% de l’électricité d’ici 2040.", [("14%", "PERCENT"), ("2040", "DATE")]),
    ("fr", "L’accord conclu le 21 janvier 2025.", [("le 21 janvier 2025", "DATE")]),  # guidelines: the determiner of a day date is kept
    ("fr", "Les résultats du troisième trimestre 2025.", [("troisième trimestre 2025", "DATE")]),
    ("fr", "Les résultats au T3 2025.", [("T3 2025", "DATE")]),
    ("fr", "Le site ouvrira début 2026 puis fin mars.", [("début 2026", "DATE"), ("fin mars", "DATE")]),
    ("fr", "La mise en service est prévue mi-2027.", [("mi-2027", "DATE")]),
    ("fr", "Les besoins des années 2030.", [("années 2030", "DATE")]),
    ("fr", "Les besoins pour les années 2030.", [("les années 2030", "DATE")]),
    ("fr", "La saison 2024-2025 commence.", [("2024-2025", "DATE")]),
    ("fr", "Les prix ont doublé entre 2021 et 2032.", [("2021 et 2032", "DATE")]),
    ("fr", "Il l’a annoncé mardi dernier.", [("mardi dernier", "DATE")]),
    ("fr", "Le bénéfice a reculé l’an dernier.", [("l’an dernier", "DATE")]),
    ("fr", "Le bénéfice a reculé l'an dernier.", [("l'an dernier", "DATE")]),
    ("fr", "Les ventes ont progressé cette année.", [("cette année", "DATE")]),
    ("fr", "Elle vise 2 % au second semestre 2026.", [("2 %", "PERCENT"), ("second semestre 2026", "DATE")]),
    ("fr", "Un homme âgé de 45 ans.", []),
    ("fr", "Un contrat sur quatre ans signé en septembre 2025.", [("quatre ans", "DATE"), ("septembre 2025", "DATE")]),
    ("fr", "La réunion a lieu à 14 heures.", []),
    # English
    ("en", "Oracle will supply about $300 billion of computing power over five years.", [("$300 billion", "MONEY"), ("five years", "DATE")]),
    ("en", "A deal worth €5bn was signed in 2024.", [("€5bn", "MONEY"), ("2024", "DATE")]),
    ("en", "Revenue rose to EUR 3m last year.", [("EUR 3m", "MONEY"), ("last year", "DATE")]),
    ("en", "The firm paid $32 billion in cash.", [("$32 billion", "MONEY")]),
    ("en", "Shares rose 36% on the news.", [("36%", "PERCENT")]),
    ("en", "Demand could reach 12 percent of the total.", [("12 percent", "PERCENT")]),
    ("en", "It cut about 4 per cent of its workforce.", [("4 per cent", "PERCENT")]),
    ("en", "The Fed cut rates by 0.25 percentage points on Wednesday.", [("0.25 percentage points", "PERCENT"), ("Wednesday", "DATE")]),
    ("en", "Profit fell in the third quarter of 2025.", [("the third quarter of 2025", "DATE")]),
    ("en", "Results for Q3 2025 are due.", [("Q3 2025", "DATE")]),
    ("en", "The deal closed on January 21, 2025.", [("January 21, 2025", "DATE")]),
    ("en", "They signed a 20-year agreement.", [("20-year", "DATE")]),
    ("en", "The plant will reopen next spring.", [("next spring", "DATE")]),
    ("en", "Usage rose 17% from the previous year.", [("17%", "PERCENT"), ("the previous year", "DATE")]),
    ("en", "He may resign, a 45-year-old executive said.", []),
    ("en", "Prices doubled between 2021 and 2032.", [("2021 and 2032", "DATE")]),
    ("en", "The company employs 14,000 people.", []),
]


@pytest.mark.parametrize(("lang", "text", "expected"), CASES, ids=[f"{c[0]}-{i:02d}" for i, c in enumerate(CASES)])
def test_quantities_spans(grammars, lang, text, expected):
    assert spans(grammars, lang, text) == expected


VALUES = [
    ("fr", "300 milliards de dollars", {"amount": 300_000_000_000, "currency": "USD"}),
    ("fr", "1,2 M€", {"amount": 1_200_000, "currency": "EUR"}),
    ("fr", f"500{NNB}000 euros", {"amount": 500_000, "currency": "EUR"}),
    ("fr", "10 et 15 milliards de dollars", {"currency": "USD", "min": 10_000_000_000, "max": 15_000_000_000}),
    ("fr", "un milliard d’euros", {"amount": 1_000_000_000, "currency": "EUR"}),
    ("fr", "6,4 %", 6.4),
    ("fr", "quarante pour cent", 40),
    ("fr", "9 à 11 %", {"min": 9, "max": 11}),
    ("fr", "21 janvier 2025", "2025-01-21"),
    ("fr", "septembre 2025", "2025-09"),
    ("fr", "troisième trimestre 2025", "2025-Q3"),
    ("fr", "T3 2025", "2025-Q3"),
    ("fr", "cinq ans", "P5Y"),
    ("fr", "2021 et 2032", "2021/2032"),
    ("fr", "les années 2030", "203X"),
    ("en", "$1.6 billion", {"amount": 1_600_000_000, "currency": "USD"}),
    ("en", "€5bn", {"amount": 5_000_000_000, "currency": "EUR"}),
    ("en", "0.25 percentage points", 0.25),
    ("en", "the fourth quarter", "XXXX-Q4"),
    ("en", "20-year", "P20Y"),
]


@pytest.mark.parametrize(("lang", "text", "value"), VALUES, ids=[f"{v[0]}-{v[1]}" for v in VALUES])
def test_quantities_values(grammars, lang, text, value):
    found = resolve_overlaps(grammars[lang].find(text))
    assert len(found) == 1 and (found[0].start, found[0].end) == (0, len(text))
    assert found[0].value == value


MORE_CASES = [
    ("fr", "La BCE a relevé ses taux en juillet dernier.", [("juillet dernier", "DATE")]),
    ("fr", "Les ventes ont progressé en octobre, à 145 000 véhicules.", [("octobre", "DATE")]),
    ("fr", "Il investira 16 milliards de dollars d’ici à 2030.", [("16 milliards de dollars", "MONEY"), ("2030", "DATE")]),
    ("fr", "Une croissance de 10 % à 12 % en 2025-2026.", [("10 % à 12 %", "PERCENT"), ("2025-2026", "DATE")]),
    ("fr", "Un flux de 3,5 à 3,7 milliards d’euros.", [("3,5 à 3,7 milliards d’euros", "MONEY")]),
    ("fr", "Le chômage est à 7,5 % un an plus tôt.", [("7,5 %", "PERCENT"), ("un an plus tôt", "DATE")]),
    ("fr", "Annoncé mercredi 5 novembre.", [("mercredi 5 novembre", "DATE")]),
    ("en", "Revenue for the third quarter of fiscal 2025 rose.", [("the third quarter of fiscal 2025", "DATE")]),
    ("en", "The fund was launched last September.", [("last September", "DATE")]),
    ("en", "Profit rose to NT$247.8 billion.", [("NT$247.8 billion", "MONEY")]),
    ("en", "Capex of $60 billion to $65 billion in 2025.", [("$60 billion to $65 billion", "MONEY"), ("2025", "DATE")]),
    ("en", "Jobs cut by the end of 2024.", [("the end of 2024", "DATE")]),
    ("fr", "Entre janvier et mars, les ventes ont bondi.", [("janvier et mars", "DATE")]),
    ("fr", "Du 3 au 5 mars 2025, le salon se tiendra.", [("3 au 5 mars 2025", "DATE")]),
    ("fr", "Au cours des cinq dernières années, le prix a doublé.", [("cinq dernières années", "DATE")]),
    ("fr", "Dans les 12 prochains mois, la demande croîtra.", [("12 prochains mois", "DATE")]),
    ("fr", "En fin d’année dernière, il a vendu.", [("fin d’année dernière", "DATE")]),
    ("en", "Over the past five years, prices doubled.", [("the past five years", "DATE")]),
    ("en", "A loan of USD 40 million and EUR2.5bn.", [("USD 40 million", "MONEY"), ("EUR2.5bn", "MONEY")]),
    ("en", "From March to June, sales rose.", [("March to June", "DATE")]),
    ("en", "Prices rose 2.4% from 2.6% a month earlier and fell the following week.", [("2.4%", "PERCENT"), ("2.6%", "PERCENT"), ("a month earlier", "DATE"), ("the following week", "DATE")]),
]


@pytest.mark.parametrize(("lang", "text", "expected"), MORE_CASES, ids=[f"more-{c[0]}-{i:02d}" for i, c in enumerate(MORE_CASES)])
def test_quantities_more_spans(grammars, lang, text, expected):
    assert spans(grammars, lang, text) == expected
