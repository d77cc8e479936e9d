"""DATE shapes of annotate.pipeline.dates, through the grammar (fast, no model)."""

from __future__ import annotations

import pytest

from annotate.pipeline.quantities import QuantityGrammar


@pytest.fixture(scope="module")
def grammars(labels):
    return {"fr": QuantityGrammar(labels.lexicon.fr, "fr"), "en": QuantityGrammar(labels.lexicon.en, "en")}


def dates(grammars, lang: str, text: str) -> list[str]:
    g = grammars[lang]
    return [text[m.start : m.end] for m in g.resolve(text, g.find(text)) if m.label == "DATE"]


def date_values(grammars, lang: str, text: str) -> list[tuple[str, object]]:
    g = grammars[lang]
    return [(text[m.start : m.end], m.value) for m in g.resolve(text, g.find(text)) if m.label == "DATE"]


SPANS = [
    # determiners and demonstratives
    ("fr-det-day", "fr", "Le conseil se réunira le 14 octobre 2027 à Lyon.", ["le 14 octobre 2027"]),
    ("fr-det-day-short", "fr", "La cotation reprend le 2 mai.", ["le 2 mai"]),
    ("fr-demo-weekday", "fr", "Les syndicats manifestent ce jeudi devant le siège.", ["ce jeudi"]),
    ("fr-demo-month", "fr", "Le salon ouvre ses portes ce mois de juin.", ["ce mois de juin"]),
    ("en-the-day", "en", "The vote is set for the 9th of November.", ["the 9th of November"]),
    # numeric dates, day/month order by language
    ("fr-num-dmy", "fr", "Contrat signé le 03/11/2024 par les deux parties.", ["le 03/11/2024"]),
    ("fr-num-iso", "fr", "Version publiée 2022-12-05 sur le portail.", ["2022-12-05"]),
    ("fr-num-dm", "fr", "Livraison prévue au 17/09 selon le transporteur.", ["17/09"]),
    ("fr-num-dots", "fr", "Facture émise le 08.02.21 au client.", ["le 08.02.21"]),
    ("en-num-mdy", "en", "The filing is dated 11/03/2024 in the registry.", ["11/03/2024"]),
    ("en-num-month-name", "en", "The log entry reads 05-Mar-2023 for the outage.", ["05-Mar-2023"]),
    # the language's order, unless only the other order is a date
    ("en-num-dmy-only", "en", "The board approved the accounts on 27/06/2025 in Leeds.", ["27/06/2025"]),
    ("en-num-dm-only", "en", "Tickets go on sale 30/09 at noon.", ["30/09"]),
    ("fr-num-mdy-only", "fr", "Le communiqué américain est daté du 09/28/2023.", ["09/28/2023"]),
    # weekday + date
    ("fr-weekday-date", "fr", "Assemblée générale jeudi 12 mars 2026 au siège.", ["jeudi 12 mars 2026"]),
    ("fr-weekday-abbr", "fr", "Ouverture : sam. 4 avril, 10 heures.", ["sam. 4 avril"]),
    ("en-weekday-date", "en", "Results come out on Tuesday, March 3, before the bell.", ["Tuesday, March 3"]),
    ("en-weekday-abbr", "en", "Kickoff is Thu Oct 8 in Denver.", ["Thu Oct 8"]),
    # abbreviated months
    ("fr-abbr-month", "fr", "Le rapport du 9 déc. 2019 a été publié.", ["9 déc. 2019"]),
    ("en-abbr-month", "en", "The fund closed in Feb 2018 after two years.", ["Feb 2018", "two years"]),
    ("en-abbr-dotted", "en", "Shipments resumed in Sept. and October.", ["Sept.", "October"]),
    # ranges as one span
    ("fr-range-days", "fr", "Le festival a lieu du 6 au 9 août.", ["6 au 9 août"]),
    ("fr-range-days-det", "fr", "Fermé entre le 24 et le 26 décembre.", ["le 24 et le 26 décembre"]),
    ("en-range-weekdays", "en", "The desk is staffed between Tuesday and Thursday.", ["Tuesday and Thursday"]),
    ("en-range-months", "en", "Sales fell from April to June.", ["April to June"]),
    # parts of periods
    ("fr-part-week", "fr", "Les travaux commencent la deuxième semaine de septembre.", ["la deuxième semaine de septembre"]),
    ("fr-part-end-month", "fr", "Le chantier s’achève fin du mois d’octobre.", ["fin du mois d’octobre"]),
    ("en-part-week", "en", "Hiring starts in the second week of March 2026.", ["the second week of March 2026"]),
    ("en-part-end-week", "en", "We will ship by the end of the month.", ["the end of the month"]),
    # a part of a period named by its unit alone ("of the year"), and parts of the current period
    ("en-quarter-of-year", "en", "Margins narrowed in the fourth quarter of the year.", ["the fourth quarter of the year"]),
    ("en-half-of-year", "en", "Revenue doubled in the second half of the year.", ["the second half of the year"]),
    ("fr-quarter-of-year", "fr", "Le chiffre d’affaires a reculé au troisième trimestre de l’année.", ["troisième trimestre de l’année"]),
    ("fr-week-of-month", "fr", "La demande a faibli la dernière semaine du mois.", ["la dernière semaine du mois"]),
    ("en-later-in-year", "en", "Orders should recover later in the year.", ["later in the year"]),
    ("en-early-in-week", "en", "Shares slipped early in the week.", ["early in the week"]),
    ("en-end-of-quarter", "en", "The plant reopens by the end of the quarter.", ["the end of the quarter"]),
    ("fr-later-in-year", "fr", "Les livraisons reprendront plus tard dans l’année.", ["plus tard dans l’année"]),
    ("fr-end-of-week", "fr", "Le titre a rebondi en fin de semaine.", ["fin de semaine"]),
    ("fr-end-of-fiscal-year", "fr", "Les comptes seront publiés à la fin de l’exercice.", ["la fin de l’exercice"]),
    ("en-business-days", "en", "Funds are credited within three business days.", ["three business days"]),
    ("fr-rest-of-year", "fr", "Le groupe table sur une stabilité pour le reste de l’année.", ["le reste de l’année"]),
    ("fr-all-year", "fr", "La station accueille des clients toute l’année.", ["toute l’année"]),
    ("en-rest-of-year", "en", "Its outlook for the rest of the year is unchanged.", ["the rest of the year"]),
    ("en-all-week", "en", "Bond yields climbed all week.", ["all week"]),
    # relative expressions
    ("fr-rel-lendemain", "fr", "Le titre a rebondi le lendemain.", ["le lendemain"]),
    ("fr-rel-veille", "fr", "Il avait démissionné la veille.", ["la veille"]),
    ("fr-rel-following", "fr", "La commande arrive la semaine suivante.", ["la semaine suivante"]),
    ("fr-rel-next-quarter", "fr", "Une reprise est attendue le prochain trimestre.", ["le prochain trimestre"]),
    ("fr-rel-ago", "fr", "La filiale a été créée il y a trois ans.", ["il y a trois ans"]),
    ("fr-rel-later", "fr", "Le contrat a été rompu cinq mois plus tard.", ["cinq mois plus tard"]),
    ("fr-rel-in", "fr", "Le vote aura lieu dans six jours.", ["six jours"]),
    ("en-rel-ago", "en", "The plant closed three weeks ago.", ["three weeks ago"]),
    ("en-rel-early", "en", "A decision is expected early next year.", ["early next year"]),
    ("en-rel-past-weekday", "en", "Trading halted this past Friday.", ["this past Friday"]),
    ("en-rel-offset", "en", "Payment is due 30 days after delivery of the goods.", ["30 days"]),
    ("en-rel-offset-date", "en", "The option lapses two weeks after March 1.", ["two weeks after March 1"]),
    # seasons, holidays, decades, centuries
    ("fr-season", "fr", "Le modèle sortira à l’automne 2025.", ["l’automne 2025"]),
    ("fr-holiday", "fr", "Les magasins ferment à Noël.", ["Noël"]),
    ("fr-holiday-year", "fr", "Les ventes de Pâques 2024 ont reculé.", ["Pâques 2024"]),
    ("fr-decade-words", "fr", "Un modèle hérité des années quatre-vingt.", ["années quatre-vingt"]),
    ("fr-decade-det", "fr", "Le marché a doublé depuis les années 90.", ["les années 90"]),
    ("en-decade-words", "en", "A brand born in the eighties.", ["the eighties"]),
    ("en-holiday", "en", "Stores reopen after Thanksgiving.", ["Thanksgiving"]),
    ("en-century", "en", "A 19th century building was sold.", ["19th century"]),
    # English in lower case where unambiguous
    ("en-lower-month-day", "en", "we meet again on october 14", ["october 14"]),
    ("en-lower-weekday", "en", "the shop was closed last monday", ["last monday"]),
    ("en-lower-month", "en", "the lease ends in november", ["november"]),
    # durations
    ("fr-duration", "fr", "Une garantie de cinq ans est offerte.", ["cinq ans"]),
    ("fr-duration-compound", "fr", "Il a purgé deux ans et six mois de prison.", ["deux ans et six mois"]),
    ("fr-duration-vague", "fr", "La grève a duré plusieurs semaines.", ["plusieurs semaines"]),
    ("en-duration", "en", "The audit took 4 months.", ["4 months"]),
    ("en-duration-a", "en", "The line was shut for a week.", ["a week"]),
    ("en-date-colon", "en", "The board spoke on April 2, 2019: no sale.", ["April 2, 2019"]),
    ("fr-part-no-date", "fr", "La dernière semaine de campagne a été tendue.", ["La dernière semaine"]),
    ("en-first-weeks-of", "en", "Sales slowed in the first 3 weeks of 2024.", ["the first 3 weeks of 2024"]),
]


@pytest.mark.parametrize(("lang", "text", "expected"), [c[1:] for c in SPANS], ids=[c[0] for c in SPANS])
def test_dates_spans(grammars, lang, text, expected):
    assert dates(grammars, lang, text) == expected


NEGATIVES = [
    ("fr-phone", "fr", "Appelez le 04 72 10 20 20 ou le +33 6 12 34 20 18."),
    ("fr-phone-dashes", "fr", "Standard : 01-45-12-2021."),
    ("fr-code", "fr", "La pièce porte la référence 4521-07-03-2019."),
    ("fr-file", "fr", "Ouvrez le fichier bilan_2023-06-30.pdf avant la réunion."),
    ("en-url", "en", "See https://example.org/news/2021/05/12/story for details."),
    ("en-file", "en", "The attachment report-2020-11-02.docx is missing."),
    ("en-may-verb", "en", "May I add that prices may rise."),
    ("en-may-lower", "en", "we may see a rebound"),
    ("en-march-verb", "en", "Workers march to the capital."),
    ("fr-time", "fr", "La séance ouvre à 9h30 et ferme à 17 h."),
    ("en-time", "en", "The call starts at 8:30 am."),
    ("fr-decimal", "fr", "Le taux est passé de 3,12 à 3,15."),
    ("en-ratio", "en", "The vote was 7/4 in favour and the score 3-1."),
    ("en-no-order-fits", "en", "Lot 31/13 and part 45/27 were returned."),
    ("en-end-of-day", "en", "At the end of the day, the merger is a bet."),
    ("fr-end-of-day", "fr", "Le marché a rebondi en fin de journée."),
    ("en-end-of-war", "en", "Prices fell after the end of the war."),
    ("en-first-half-of-match", "en", "They scored twice in the first half of the match."),
    ("en-rest-of-team", "en", "The rest of the team stayed in Boston."),
    ("fr-reste-verb", "fr", "Le site reste de loin le plus visité."),
    ("fr-week-time", "fr", "Rendez-vous cette semaine 20h30 ?"),
    ("en-last-verb", "en", "The talks may last three weeks."),
    ("fr-fraction", "fr", "Effet observé chez plus de 1/10 patients et moins de 1/100 adultes."),
    ("en-big-number", "en", "Since the 10.000.000 users joined, traffic doubled."),
    ("en-week-of-noun", "en", "Markets fell after a weekend of heavy selling."),
]


@pytest.mark.parametrize(("lang", "text"), [c[1:] for c in NEGATIVES], ids=[c[0] for c in NEGATIVES])
def test_dates_negatives(grammars, lang, text):
    found = dates(grammars, lang, text)
    if lang == "fr" and "semaine" in text:
        assert found == ["cette semaine"]  # the week, not its time
    elif "last three weeks" in text:
        assert found == ["three weeks"]  # a duration, not "last" as a relative word
    else:
        assert found == []


VALUES = [
    ("fr-dmy", "fr", "le 03/11/2024", "2024-11-03"),
    ("en-mdy", "en", "11/03/2024", "2024-11-03"),
    ("en-dmy-only", "en", "27/06/2025", "2025-06-27"),
    ("en-quarter-of-year", "en", "the fourth quarter of the year", "XXXX-Q4"),
    ("fr-half-of-year", "fr", "premier semestre de l’année", "XXXX-H1"),
    ("en-business-days", "en", "five business days", "P5D"),
    ("en-dm-only", "en", "30/09", "XXXX-09-30"),
    ("fr-mdy-only", "fr", "09/28/2023", "2023-09-28"),
    ("en-dmy-yy-only", "en", "15.08.19", "2019-08-15"),
    ("fr-dm", "fr", "17/09", "XXXX-09-17"),
    ("fr-yy", "fr", "le 08.02.21", "2021-02-08"),
    ("fr-iso", "fr", "2022-12-05", "2022-12-05"),
    ("fr-month-year", "fr", "ce mois de juin", "XXXX-06"),
    ("en-abbr", "en", "Feb 2018", "2018-02"),
    ("fr-weekday-date", "fr", "jeudi 12 mars 2026", "2026-03-12"),
    ("en-weekday-date", "en", "Tuesday, March 3", "XXXX-03-03"),
    ("fr-day-only", "fr", "le 23.", "XXXX-XX-23"),
    ("fr-holiday", "fr", "Noël", "XXXX-12-25"),
    ("en-holiday-year", "en", "Christmas 2025", "2025-12-25"),
    ("fr-decade-words", "fr", "les années soixante-dix", "197X"),
    ("en-decade", "en", "the seventies", "197X"),
    ("en-century", "en", "21st century", "20"),
    ("fr-week-number", "fr", "la semaine 12 de 2026", "2026-W12"),
    ("fr-duration-half", "fr", "trois ans et demi", "P3.5Y"),
    ("en-fortnight", "en", "two fortnights", "P4W"),
    ("fr-relative", "fr", "il y a deux ans", None),
    ("en-relative", "en", "two weeks ago", None),
    ("fr-range", "fr", "du 03/11/2024 au 05/11/2024", "2024-11-03/2024-11-05"),
    ("fr-day-range", "fr", "du 6 au 9 août 2026", "2026-08-06/2026-08-09"),
    ("en-day-range", "en", "9 to 12 of June", "XXXX-06-09/XXXX-06-12"),
]


@pytest.mark.parametrize(("lang", "text", "value"), [c[1:] for c in VALUES], ids=[c[0] for c in VALUES])
def test_dates_values(grammars, lang, text, value):
    found = date_values(grammars, lang, text)
    assert len(found) == 1, found
    assert found[0][1] == value
