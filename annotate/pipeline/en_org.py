"""English arbitration between the gazetteer and the shipped English NER.

In English the gazetteer does not preset its names before the model (see ``OrgGazetteer``), so the
model sees every token and may tag a longer name around a gazetteer entry. Before the resolver
ranks its groups (ours first), :func:`arbitrate` drops the gazetteer spans that the model's reading
contradicts:

- a model ORG that contains the entry and is longer: the model names the whole body
  ("Vantor Bank Capital Markets" around "Vantor Bank"); the model's ORG then wins;
- a longer capitalised model entity of another type around it: the entry is a word of another
  name ("Candy Apple Lane" around "Apple");
- a one-word entry used as a verb: followed by an object pronoun at the start of a clause or after
  a modal or "to" ("Just Google it", "you can Yahoo them"; not "regulators told Google it must pay").
  ("Google the address" likewise, at a clause start); :func:`not_an_org` also drops such a one-word model ORG, and
  executive title acronyms ("joined as SVP").

:func:`person_is_org` retypes a model PER as ORG when the next word is a business noun
("Quillon restaurant", "Tarvex stock"). ("shares of X", "CEO of X" are
the trigger rules' once the PER is dropped.)
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

# "Google it", "Yahoo them": a one-word company name followed by an object pronoun is a verb
_OBJECT_PRONOUNS = frozenset(
    ["it", "them", "him", "her", "me", "us", "yourself", "yourselves", "myself"]
)
# what may come before such a verb: a subject pronoun, a modal, "to", an adverb of instruction
_BEFORE_VERB = frozenset(
    [
        "just",
        "to",
        "can",
        "could",
        "should",
        "would",
        "will",
        "might",
        "must",
        "please",
        "you",
        "i",
        "we",
        "they",
        "simply",
        "then",
    ]
)


# "Google the address", "Yahoo your old friends": the same verb before a determiner, only at a clause
# start (after "to" or a modal it may be the company: "sold to Google the unit it built")
_DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "your",
        "my",
        "his",
        "her",
        "our",
        "their",
        "this",
        "that",
        "these",
        "those",
    ]
)
# executive titles as acronyms: "joined as SVP", "the CFO said" (English only; "CEO" is in orgrules._NOT_ORG)
_TITLE_ACRONYMS = frozenset(["CFO", "COO", "CTO", "CIO", "CMO", "SVP", "EVP", "VP"])


# "Which airlines", "Any banks": a capitalised function word at a sentence start, then lower-case words
_FUNCTION_WORDS = frozenset(
    ["which", "what", "whose", "any", "some", "every", "each", "all", "most", "many", "several", "other", "such",
     "no", "our", "my", "your", "their", "these", "those", "this", "that", "the", "a", "an"]
)
_ROMAN = re.compile(r"[IVX]{1,4}")


def not_an_org(span: Span) -> bool:
    """English: a one-word name used as a verb, an executive title acronym, a Roman numeral ("Part III"),
    a word cut at a hyphen ("PS-"), or a function word before common nouns ("Which airlines")."""
    text = span.text
    if text in _TITLE_ACRONYMS or _ROMAN.fullmatch(text) or text.endswith("-") or used_as_verb(span):
        return True
    first = span[0]
    return (
        len(span) >= 2
        and first.lower_ in _FUNCTION_WORDS
        and all(t.is_lower or not t.is_alpha for t in span[1:])
    )


def used_as_verb(span: Span) -> bool:
    """A one-word name followed by an object pronoun (or a determiner), at a clause start or after a modal or "to"."""
    doc = span.doc
    if len(span) != 1 or span.end >= len(doc):
        return False
    nxt = doc[span.end].lower_
    if nxt not in _OBJECT_PRONOUNS and nxt not in _DETERMINERS:
        return False
    if span.start == 0 or doc[span.start].is_sent_start:
        return True
    prev = doc[span.start - 1]
    return prev.is_punct or (nxt in _OBJECT_PRONOUNS and prev.lower_ in _BEFORE_VERB)


# titles after (or before) a name: a model entity that adds one to a gazetteer entry does not extend it
_TITLE_WORDS = frozenset(
    [
        "chief",
        "executive",
        "ceo",
        "cfo",
        "coo",
        "chairman",
        "chairwoman",
        "chair",
        "president",
        "vice",
        "founder",
        "co-founder",
        "director",
        "head",
        "boss",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "analyst",
        "analysts",
        "secretary",
        "minister",
        "governor",
    ]
)


def _title_case_line(span: Span) -> bool:
    """Is the sentence around ``span`` a title-case headline (most other words, after the first, capitalised)?"""
    sent = span.sent if span.doc.has_annotation("SENT_START") else span.doc[:]
    words = [t for t in sent[1:] if t.is_alpha and not (span.start <= t.i < span.end)]
    caps = sum(1 for t in words if t.text[:1].isupper())
    return len(words) >= 2 and caps >= 0.6 * len(words)


def _capitalised(span: Span) -> bool:
    return all(t.text[:1].isupper() or not t.is_alpha or t.is_stop for t in span)


def arbitrate(doc: Doc, ours: list[Span]) -> list[Span]:
    """``ours`` without the gazetteer spans the model's longer entities or a verb reading contradict."""
    gazetteer = [s for s in ours if s.id_ == "gazetteer"]
    if not gazetteer:
        return ours
    keys = {(s.start, s.end) for s in ours}
    model = [e for e in doc.ents if (e.start, e.end) not in keys]
    drop: set[tuple[int, int]] = set()
    for g in gazetteer:
        for m in model:
            if m.start <= g.start and g.end <= m.end and len(m) > len(g):
                if any(
                    t.lower_ in _TITLE_WORDS
                    for t in list(m[: g.start - m.start]) + list(m[g.end - m.start :])
                ):
                    continue  # "Vantor Bank Chief Executive": the entry, then a title
                if _title_case_line(m):
                    continue  # "Vantor Unveils New Phone As Sales Slow": capitals say nothing in a headline
                if m.label_ == "ORG" or _capitalised(m):
                    drop.add((g.start, g.end))
                    break
        if not_an_org(g):
            drop.add((g.start, g.end))
    if not drop:
        return ours
    return [s for s in ours if s.id_ != "gazetteer" or (s.start, s.end) not in drop]


# a name right before one of these nouns is a business, not a person ("Quillon restaurant", "Tarvex stock");
# not "shares", a verb as often as a noun after a name ("Jane Oduya shares the prize")
_BUSINESS_NOUNS = frozenset(
    [
        "restaurant",
        "restaurants",
        "store",
        "stores",
        "shop",
        "shops",
        "bakery",
        "cafe",
        "hotel",
        "hotels",
        "salon",
        "dealership",
        "brand",
        "company",
        "firm",
        "bank",
        "airline",
        "chain",
        "franchise",
        "supermarket",
        "pharmacy",
        "stock",
    ]
)


def person_is_org(ent: Span) -> bool:
    """A model PER that its context makes a business."""
    doc = ent.doc
    return ent.end < len(doc) and doc[ent.end].lower_ in _BUSINESS_NOUNS


_CONNECTORS = frozenset(["of", "&", "and", "for"])


def reshape(final: list[Span]) -> list[Span]:
    """English ORG boundaries the blank tokenizer and the model get wrong.

    - a name glued by hyphens is one name when its last part is capitalised: "Harakat-ul-Nadir" (the
      tokenizer splits at "-", the model may stop at the first part), not "Brontal-led";
    - two names joined by a spaced slash are two names: "Brontal / Quillon";
    - a name does not end on "of", "&", "and", "for": it takes the capitalised words after it ("Law
      Offices of" + "Dana Whitfield"), else it stops before the connector.
    """
    if not final:
        return final
    doc = final[0].doc
    taken = {i for s in final for i in range(s.start, s.end)}
    out: list[Span] = []
    for s in final:
        if s.label_ != "ORG":
            out.append(s)
            continue
        start, end = s.start, s.end
        j = end  # glue "-" + word while the words are glued; keep up to the last capitalised word
        while (
            j + 1 < len(doc)
            and not doc[j - 1].whitespace_
            and doc[j].text == "-"
            and not doc[j].whitespace_
            and doc[j + 1].is_alpha
            and j not in taken
            and j + 1 not in taken
        ):
            j += 2
            if doc[j - 1].text[:1].isupper():
                end = j  # "Harakat-ul-Nadir", not "Brontal-led"
        if end - start >= 2 and doc[end - 1].lower_ in _CONNECTORS:
            # "Law Offices of" + "Dana Whitfield": a name does not end on "of" / "&"; it goes on over the
            # capitalised words that follow, else it stops before the connector
            k = end
            while k < len(doc) and k - end < 4 and k not in taken and doc[k].text[:1].isupper() and doc[k].is_alpha:
                k += 1
            end = k if k > end else end - 1
        if end != s.end:
            s = Span(doc, start, end, label="ORG", kb_id=s.kb_id_, span_id=s.id_)
        cuts = [
            i
            for i in range(start + 1, end - 1)
            if doc[i].text == "/" and doc[i].whitespace_ and doc[i - 1].whitespace_
        ]
        if not cuts:
            out.append(s)
            continue
        bounds = [start] + [c for c in cuts for c in (c, c + 1)] + [end]
        for a, b in zip(bounds[::2], bounds[1::2]):
            if b > a and doc[a].text[:1].isupper():
                out.append(Span(doc, a, b, label="ORG", kb_id=s.kb_id_, span_id=s.id_))
    return out
