"""MONEY over the CLDR currencies (annotate/pipeline/money.py): shapes, negatives, values."""

import json

import pytest

from annotate.labels import load_labels
from annotate.pipeline.money import DATA, load_currencies
from annotate.pipeline.quantities import QuantityGrammar


@pytest.fixture(scope="module")
def grammars():
    labels = load_labels()
    return {"fr": QuantityGrammar(labels.lexicon.fr, "fr"), "en": QuantityGrammar(labels.lexicon.en, "en")}


def found(grammars, lang, text, label="MONEY"):
    g = grammars[lang]
    return [(text[m.start : m.end], m.value) for m in g.resolve(text, g.find(text)) if m.label == label]


SHAPES = [
    # id, lang, text, span, value
    ("en-subunit-cents", "en", "The stamp now costs 58 cents.", "58 cents", {"amount": 0.58, "currency": "USD"}),
    ("en-subunit-pence", "en", "Shares closed at 312 pence in London.", "312 pence", {"amount": 3.12, "currency": "GBP"}),
    ("en-subunit-hyphen", "en", "A 10-cent rise per gallon.", "10-cent", {"amount": 0.1, "currency": "USD"}),
    ("en-compound-subunit", "en", "Lunch was 8 dollars 40 cents.", "8 dollars 40 cents", {"amount": 8.4, "currency": "USD"}),
    ("en-compound-words", "en", "She paid nine dollars and twenty cents.", "nine dollars and twenty cents",
     {"amount": 9.2, "currency": "USD"}),
    ("en-compound-bare", "en", "The fare is 4 dollars 75.", "4 dollars 75", {"amount": 4.75, "currency": "USD"}),
    ("en-cldr-name", "en", "Nairobi set aside 900 Kenyan shillings per pupil.", "900 Kenyan shillings",
     {"amount": 900, "currency": "KES"}),
    ("en-cldr-head", "en", "The mine pays 4,000 rand a month.", "4,000 rand", {"amount": 4000, "currency": "ZAR"}),
    ("en-cldr-head-plural", "en", "It fetched 310 zlotys at auction.", "310 zlotys", {"amount": 310, "currency": "PLN"}),
    ("en-ambiguous-head", "en", "The visa costs 60 dinars.", "60 dinars", {"amount": 60, "currency": None}),
    ("en-native-symbol", "en", "A taxi ride is 15₾ there.", "15₾", {"amount": 15, "currency": "GEL"}),
    ("en-native-symbol-after", "en", "Rent is 2 800 zł now.", "2 800 zł", {"amount": 2800, "currency": "PLN"}),
    ("en-code-then-mult", "en", "They booked 60 USD million of orders.", "60 USD million", {"amount": 60_000_000, "currency": "USD"}),
    ("en-mult-code", "en", "Losses above 25 MEUR were reported.", "25 MEUR", {"amount": 25_000_000, "currency": "EUR"}),
    ("en-mult-code-before", "en", "Sales reached MUSD 14 last year.", "MUSD 14", {"amount": 14_000_000, "currency": "USD"}),
    ("en-code-dollar", "en", "Tickets at AUD$ 35 each.", "AUD$ 35", {"amount": 35, "currency": "AUD"}),
    ("en-code-dollar-glued", "en", "It listed for cad$99.", "cad$99", {"amount": 99, "currency": "CAD"}),
    ("en-spaced-prefix", "en", "the deal is worth hk $ 2.5 billion", "hk $ 2.5 billion", {"amount": 2_500_000_000, "currency": "HKD"}),
    ("en-code-glued", "en", "Bonds of EUR750m were sold.", "EUR750m", {"amount": 750_000_000, "currency": "EUR"}),
    ("en-half", "en", "They raised half a billion dollars.", "half a billion dollars", {"amount": 500_000_000, "currency": "USD"}),
    ("en-quarter", "en", "A quarter million euros went missing.", "A quarter million euros", {"amount": 250_000, "currency": "EUR"}),
    ("en-crypto", "en", "The wallet held 42 bitcoins.", "42 bitcoins", {"amount": 42, "currency": "BTC"}),
    ("en-crypto-code", "en", "A reward of 3.125 BTC per block.", "3.125 BTC", {"amount": 3.125, "currency": "BTC"}),
    ("en-slang", "en", "He made 500 bucks.", "500 bucks", {"amount": 500, "currency": "USD"}),
    ("en-per-unit", "en", "A payout of 2 dollars per share.", "2 dollars", {"amount": 2, "currency": "USD"}),
    ("en-lower-code", "en", "it costs 30 usd online", "30 usd", {"amount": 30, "currency": "USD"}),
    ("fr-subunit-centimes", "fr", "Le ticket coûte 90 centimes.", "90 centimes", {"amount": 0.9, "currency": "EUR"}),
    ("fr-compound", "fr", "Le menu revient à 14 euros et 60 centimes.", "14 euros et 60 centimes", {"amount": 14.6, "currency": "EUR"}),
    ("fr-compound-words", "fr", "Il a rendu vingt euros et cinq centimes.", "vingt euros et cinq centimes",
     {"amount": 20.05, "currency": "EUR"}),
    ("fr-deux-cents", "fr", "Un loyer de deux cents euros.", "deux cents euros", {"amount": 200, "currency": "EUR"}),
    ("fr-cldr-name", "fr", "Une aide de 800 francs CFA par famille.", "800 francs CFA", {"amount": 800, "currency": None}),
    ("fr-cldr-name-plural", "fr", "Il a reçu 7 000 couronnes danoises.", "7 000 couronnes danoises", {"amount": 7000, "currency": "DKK"}),
    ("fr-cldr-head", "fr", "Le billet vaut 500 nairas.", "500 nairas", {"amount": 500, "currency": "NGN"}),
    ("fr-dollar-code-after", "fr", "Un budget de 12 millions de $CAD.", "12 millions de $CAD", {"amount": 12_000_000, "currency": "CAD"}),
    ("fr-dollar-spaced-after", "fr", "Un prêt de 80 millions de $ US.", "80 millions de $ US", {"amount": 80_000_000, "currency": "USD"}),
    ("fr-dot-thousands", "fr", "Adjugé 2.400.000,75 € hier.", "2.400.000,75 €", {"amount": 2_400_000.75, "currency": "EUR"}),
    ("fr-mult-code", "fr", "Des pertes de 45 MUSD.", "45 MUSD", {"amount": 45_000_000, "currency": "USD"}),
    ("fr-crypto", "fr", "Il a miné 12 bitcoins.", "12 bitcoins", {"amount": 12, "currency": "BTC"}),
    ("fr-range-after-date", "fr", "Un forfait valable du 3 mars 2021 à 250 euros par mois.", "250 euros",
     {"amount": 250, "currency": "EUR"}),
    ("fr-range-shared", "fr", "Un prix de 40 à 55 couronnes suédoises.", "40 à 55 couronnes suédoises",
     {"currency": "SEK", "max": 55, "min": 40}),
    ("en-range-shared", "en", "Fees of between 20 and 30 rand apply.", "20 and 30 rand", {"currency": "ZAR", "max": 30, "min": 20}),
    ("fr-per-unit", "fr", "Un coupon de 1,50 euro par action.", "1,50 euro", {"amount": 1.5, "currency": "EUR"}),
]


@pytest.mark.parametrize(("lang", "text", "span", "value"), [c[1:] for c in SHAPES], ids=[c[0] for c in SHAPES])
def test_money_shape_span_and_value(grammars, lang, text, span, value):
    assert found(grammars, lang, text) == [(span, value)]


NEGATIVES = [
    ("en-no-amount", "en", "Prices are quoted in dollars and euros."),
    ("en-won-verb", "en", "Of the finalists, the top 3 won the match."),
    ("en-won-no-number", "en", "Korea's won weakened against the dollar."),
    ("en-real-estate", "en", "Investors fled real estate as the real slid."),
    ("en-rand-name", "en", "Ayn Rand and Rand Paul were quoted."),
    ("en-mark", "en", "The index passed the 40 mark."),
    ("en-phone", "en", "Call 555 0199 or +33 6 12 34 56 78."),
    ("en-article-dollar", "en", "He found a $ sign on the page."),
    ("en-word-code", "en", "The TOP 10 list and ALL 5 winners."),
    ("en-url", "en", "See https://example.com/?q=20%2030%."),
    ("fr-no-amount", "fr", "Les prix sont libellés en dollars."),
    ("fr-lire", "fr", "Il aime lire 10 minutes par jour."),
    ("fr-sur", "fr", "Une note de 15 sur 20."),
    ("fr-or", "fr", "Il a gagné 3 médailles d’or."),
]


@pytest.mark.parametrize(("lang", "text"), [c[1:] for c in NEGATIVES], ids=[c[0] for c in NEGATIVES])
def test_money_negative_no_match(grammars, lang, text):
    assert found(grammars, lang, text) == []


PERCENT = [
    ("en-percentage", "en", "Turnout reached 64 percentage overall.", "64 percentage", 64),
    ("en-points-first", "en", "Yields rose 0.4 percentage points.", "0.4 percentage points", 0.4),
    ("fr-pourcentages", "fr", "Une baisse de 12 pourcentages.", "12 pourcentages", 12),
    ("fr-words", "fr", "Une hausse de vingt pour cent.", "vingt pour cent", 20),
]


@pytest.mark.parametrize(("lang", "text", "span", "value"), [c[1:] for c in PERCENT], ids=[c[0] for c in PERCENT])
def test_money_percent_shapes(grammars, lang, text, span, value):
    assert found(grammars, lang, text, "PERCENT") == [(span, value)]


def test_money_percent_not_in_url(grammars):
    assert found(grammars, "en", "https://x.test/search?q=5%25%2019%", "PERCENT") == []


def test_money_data_file_has_every_current_currency():
    data = load_currencies()
    assert {"EUR", "USD", "GEL", "ZAR", "KRW"} <= set(data["current"]) <= set(data["codes"])
    assert data["fr"]["names"]["roupies indiennes"] == "INR"
    assert data["en"]["names"]["south african rand"] == "ZAR"
    assert "XAU" not in data["codes"]  # gold is not money


def test_money_data_file_equals_fresh_cldr_generation():
    pytest.importorskip("babel")
    from annotate.pipeline.money import generate_currencies

    fresh = json.loads(json.dumps(generate_currencies(), ensure_ascii=False, sort_keys=True))
    committed = json.loads(DATA.read_text(encoding="utf-8"))
    assert committed == fresh, "regenerate it: python -m annotate.pipeline.money"
