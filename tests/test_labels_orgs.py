"""The organisation gazetteer ``labels/orgs.jsonl``: format, size, duplicates,
apostrophe twins, a deny-list of non-organisations, and that its patterns match
organisation names in hand-written French and English sentences."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import spacy
from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans

from annotate.labels import ORGS_FILE, OrgPattern

ORGS = Path(__file__).resolve().parent.parent / "labels" / ORGS_FILE

# Names that must never be in the gazetteer: countries and cities, products and
# models, stock indices, generic mentions and common words.
DENY = {
    "France", "États-Unis", "Etats-Unis", "United States", "US", "U.S.", "Chine", "China",
    "Allemagne", "Germany", "Europe", "Paris", "Londres", "London", "New York", "Washington",
    "ChatGPT", "GPT-4", "GPT-5", "GPT-4o", "Gemini", "Claude", "Llama", "Copilot", "Grok",
    "iPhone", "Azure", "Windows", "Android", "Blackwell", "H100",
    "CAC 40", "SBF 120", "S&P 500", "Nasdaq Composite", "Nasdaq 100", "Dow Jones", "Dow",
    "Stoxx 600", "Euro Stoxx 50", "Nikkei", "Nikkei 225", "FTSE 100", "DAX", "MSCI World",
    "gouvernement", "Gouvernement", "government", "Commission", "la Commission européenne",
    "the Federal Reserve", "Total", "Free", "Capital", "EPR", "PPE", "CES", "UPS", "AES",
    "IA", "AI",
}
# Acronyms that are an organisation in one language only: TVA is the French VAT,
# PS / RN / LR are French parties but common in English; BCE and CPI are not
# organisations in English ("500 BCE", the consumer price index).
DENY_FR = {"TVA", "WHO", "UN", "AP"}
DENY_EN = {"BCE", "CPI", "PS", "RN", "LR", "PSA", "HAS", "FO"}

LOWER_ARTICLE = re.compile(r"^(le|la|les|l’|l'|the)\b", re.IGNORECASE)


def _rows() -> list[tuple[int, OrgPattern]]:
    rows = []
    with ORGS.open(encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            rows.append((i, OrgPattern.model_validate(json.loads(line))))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[tuple[int, OrgPattern]]:
    return _rows()


def test_labels_orgs_load_through_load_labels(labels, rows):
    assert len(labels.orgs) == len(rows)
    assert {o.label for o in labels.orgs} == {"ORG"}


def test_labels_orgs_has_at_least_700_entries(rows):
    assert len(rows) >= 700
    assert len({r.id for _, r in rows}) >= 700


def test_labels_orgs_no_duplicate_pattern_lang(rows):
    counts = Counter((r.pattern, r.lang) for _, r in rows)
    assert [k for k, n in counts.items() if n > 1] == []
    # a pattern valid in every language must not also be listed for one language
    by_pattern: dict[str, set[str]] = {}
    for _, r in rows:
        by_pattern.setdefault(r.pattern, set()).add(r.lang)
    assert [p for p, langs in by_pattern.items() if "any" in langs and len(langs) > 1] == []


def test_labels_orgs_fields_are_well_formed(rows):
    for i, r in rows:
        assert isinstance(r.pattern, str) and r.pattern == r.pattern.strip() and r.pattern, i
        assert r.id and re.fullmatch(r"[a-z0-9][a-z0-9-]*", r.id), (i, r.id)
        assert r.lang in ("any", "fr", "en"), (i, r.lang)
        assert "  " not in r.pattern, (i, r.pattern)


def test_labels_orgs_every_typographic_apostrophe_has_a_straight_twin(rows):
    entries = {(r.pattern, r.lang, r.id, r.ignore_case) for _, r in rows}
    missing = [
        r.pattern
        for _, r in rows
        if "’" in r.pattern and (r.pattern.replace("’", "'"), r.lang, r.id, r.ignore_case) not in entries
    ]
    assert missing == []


def test_labels_orgs_deny_list_is_absent(rows):
    present = {r.pattern for _, r in rows}
    assert sorted(present & DENY) == []
    assert sorted({r.pattern for _, r in rows if r.lang in ("any", "fr")} & DENY_FR) == []
    assert sorted({r.pattern for _, r in rows if r.lang in ("any", "en")} & DENY_EN) == []


def test_labels_orgs_no_leading_lowercase_article(rows):
    # "la Commission européenne" -> "Commission européenne"; titles such as
    # "Le Monde" keep their capitalised article.
    bad = [r.pattern for _, r in rows if LOWER_ARTICLE.match(r.pattern) and r.pattern[0].islower()]
    assert bad == []


def test_labels_orgs_ignore_case_only_on_multiword_names(rows):
    bad = [r.pattern for _, r in rows if r.ignore_case and " " not in r.pattern]
    assert bad == []


def _matcher(lang: str, rows: list[tuple[int, OrgPattern]]):
    nlp = spacy.blank(lang)
    exact = PhraseMatcher(nlp.vocab, attr="ORTH")
    folded = PhraseMatcher(nlp.vocab, attr="LOWER")
    for _, r in rows:
        if r.lang in ("any", lang):
            (folded if r.ignore_case else exact).add(r.id, [nlp.make_doc(r.pattern)])

    def find(text: str) -> list[str]:
        doc = nlp.make_doc(text)
        spans = [doc[s:e] for _, s, e in exact(doc)] + [doc[s:e] for _, s, e in folded(doc)]
        return [s.text for s in sorted(filter_spans(spans), key=lambda s: s.start)]

    return find


@pytest.fixture(scope="module")
def find_fr(rows):
    return _matcher("fr", rows)


@pytest.fixture(scope="module")
def find_en(rows):
    return _matcher("en", rows)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "La Commission européenne et la BCE ont interrogé Mistral AI et Hugging Face.",
            ["Commission européenne", "BCE", "Mistral AI", "Hugging Face"],
        ),
        (
            "Selon le ministère de l'Économie, EDF et RTE préparent le réseau.",
            ["ministère de l'Économie", "EDF", "RTE"],
        ),
        (
            "Le Ministère de l’Économie a saisi l’Autorité de la concurrence et la CNIL.",
            ["Ministère de l’Économie", "Autorité de la concurrence", "CNIL"],
        ),
        (
            "D’après l’Agence internationale de l'énergie, TotalEnergies et Engie investissent.",
            ["Agence internationale de l'énergie", "TotalEnergies", "Engie"],
        ),
        (
            "Le CAC 40 recule à la Bourse de Paris, où BNP Paribas et Société Générale chutent.",
            ["Bourse de Paris", "BNP Paribas", "Société Générale"],
        ),
        ("La TVA sur les services de ChatGPT reste à 20 %.", []),
    ],
    ids=["eu-ai", "apostrophe-straight", "capitalised-ministry", "mixed-apostrophes", "no-index", "no-tax-no-product"],
)
def test_labels_orgs_match_french(find_fr, text, expected):
    assert find_fr(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The Federal Reserve and the SEC reviewed Oracle Corporation's deal with Advanced Micro Devices.",
            ["Federal Reserve", "SEC", "Oracle Corporation", "Advanced Micro Devices"],
        ),
        (
            "Constellation Energy and Talen Energy sell power to Amazon Web Services, Moody’s said.",
            ["Constellation Energy", "Talen Energy", "Amazon Web Services", "Moody’s"],
        ),
        (
            "Iconiq Capital and SoftBank backed Anthropic, according to the International Energy Agency.",
            ["Iconiq Capital", "SoftBank", "Anthropic", "International Energy Agency"],
        ),
        ("The S&P 500 and the Dow Jones rose as Windows sales grew in the United States.", []),
    ],
    ids=["regulators-suffix", "possessive-name", "investors", "no-index-product-country"],
)
def test_labels_orgs_match_english(find_en, text, expected):
    assert find_en(text) == expected
