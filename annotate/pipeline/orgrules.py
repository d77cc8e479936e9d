"""Rules that mend and extend the model's organisations.

* ``mend_model_entity``: trims what the model swallows (elided ``qu’``/``d’``,
  leading articles, English possessive ``’s``, edge punctuation), turns a
  MISC / PER / LOC entity into ORG when its own words say it is one (``Talen
  Energy``, ``Autorité de la concurrence``), and drops ORG that are not
  names (all lower case, stock indices).
* ``find``: ORG that no model is needed for: a capitalised name right after
  a word that announces an organisation (``le groupe Atos``, ``l’action
  Nvidia``, ``shares of Oracle``, ``analysts at Bernstein``), or a
  capitalised name ending in a legal or sector suffix (``Iconiq Capital``).
"""

from __future__ import annotations

import re

from spacy.attrs import LOWER, ORTH
from spacy.tokens import Doc, Span

from ..labels import Labels

_ELIDED = {"qu’", "qu'", "d’", "d'", "l’", "l'", "jusqu’", "jusqu'", "lorsqu’", "lorsqu'", "puisqu’", "puisqu'", "c’", "c'", "s’", "s'", "n’", "n'"}
_LEADING_FR = {"le", "la", "les", "l’", "l'", "du", "des", "de", "au", "aux", "un", "une", "chez", "par", "pour", "avec", "selon", "et"}
_LEADING_EN = {"the", "a", "an", "of", "at", "by", "for", "with", "and", "from", "to", "in", "on"}
_TRAILING = {"’s", "'s", "’", "'", ".", ",", ";", ":", "!", "?", ")", "(", "»", "«", '"', "-", "–"}
_NOT_ORG = {
    "CAC 40", "CAC", "SBF 120", "S&P 500", "S&P", "Dow Jones", "Nasdaq Composite", "Stoxx 600", "Euro Stoxx 50",
    "Nikkei", "FTSE 100", "DAX", "IA", "AI", "PIB", "GDP", "CEO", "PDG", "ChatGPT", "GPT", "Etat", "État",
    "Europe", "États-Unis", "Etats-Unis", "France", "Chine", "Union", "Bourse", "Internet",
}

# words that announce an organisation name right after them
_TRIGGERS = {
    "fr": {
        "groupe", "société", "entreprise", "start-up", "startup", "jeune pousse", "firme", "cabinet", "banque",
        "assureur", "fabricant", "constructeur", "opérateur", "action", "titre", "filiale", "fonds", "géant",
        "éditeur", "laboratoire", "spécialiste", "équipementier", "fournisseur", "énergéticien", "électricien",
        "distributeur", "concurrent", "rival", "partenaire", "client", "conglomérat", "hébergeur", "pétrolier",
        "gestionnaire", "courtier", "agence", "chimiste", "sidérurgiste", "industriel", "motoriste", "avionneur",
        "américain", "américaine", "français", "française", "chinois", "chinoise", "allemand", "allemande",
        "japonais", "japonaise", "britannique", "néerlandais", "néerlandaise", "coréen", "coréenne", "suisse",
        "italien", "italienne", "espagnol", "espagnole", "taïwanais", "taïwanaise", "canadien", "canadienne",
        "suédois", "suédoise", "indien", "indienne", "israélien", "israélienne", "européen", "européenne",
        "franco-italien", "belge", "irlandais", "danois", "norvégien", "finlandais", "australien",
        "société de gestion", "gestionnaire d'actifs", "fonds d'investissement", "banque d'affaires",
        "cabinet de conseil", "agence de notation", "fonds de pension", "société d'investissement",
    },
    "en": {
        "company", "firm", "group", "startup", "start-up", "bank", "lender", "insurer", "maker", "chipmaker",
        "carmaker", "automaker", "rival", "giant", "owner", "operator", "supplier", "provider", "developer",
        "subsidiary", "fund", "investor", "conglomerate", "retailer", "utility", "broker", "brokerage",
        "shares of", "analysts at", "analyst at", "stake in", "spokesperson for", "spokesman for",
        "spokeswoman for", "executives at", "engineers at", "researchers at", "chief executive of", "ceo of",
        "partnership with", "deal with", "contract with", "agreement with", "acquisition of", "acquire",
        "acquired", "buy", "bought", "invest in", "invested in", "backed by", "led by", "rival to",
        "asset manager", "rating agency", "ratings agency", "consultancy",
    },
}
# words that announce an organisation right before them ("Nvidia shares")
_POST_TRIGGERS = {"fr": set(), "en": {"shares", "stock", "share", "spokesperson", "spokesman", "spokeswoman", "chief", "ceo", "executives"}}
# capitalised words that never start an organisation name after a trigger
_STOP_CAPS = {
    "fr": {"Le", "La", "Les", "Un", "Une", "Il", "Elle", "Ils", "Ce", "Cette", "En", "Au", "Aux", "Selon", "Mais", "Et", "M.", "Mme",
           "À", "A", "Dans", "Pour", "Chez", "Avec", "Après", "Avant", "Depuis", "Sur", "Par", "Pendant", "Outre", "Ainsi"},
    "en": {"The", "A", "An", "It", "He", "She", "They", "This", "That", "In", "On", "At", "But", "And", "After", "Before",
           "For", "With", "From", "By", "Since", "During", "Under", "Meanwhile", "However", "Mr", "Mr.", "Mrs", "Ms", "Dr", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
}
_ADJ_FR = re.compile(r"(?:ais|aise|aises|ien|ienne|iens|iennes|ain|aine|ains|aines|ois|oise|oises|and|ande|ands|andes|ol|ole|ique|iques|al|ale|aux|éen|éenne|éens|éennes)$")
_NP_END = {",", ".", ";", "based", "that", "which", "whose", "with", "headquartered", "founded", "owned", "backed", "known", "specialising", "specializing", "focused", "focusing", "listed"}
_NP_END_FR = {",", ".", ";", "de", "du", "des", "d’", "d'", "qui", "dont", "basé", "basée", "fondé", "fondée", "spécialisé", "spécialisée", "coté", "cotée", "détenu", "détenue", "présent", "présente", "implanté", "implantée"}
_ADJ_FR_ANY = re.compile(r"(?:ais|aise|ien|ienne|ain|aine|ois|oise|and|ande|ol|ole|ique|al|ale|éen|éenne|é|ée|if|ive|eur|euse|el|elle)s?$")
_APPOSITION_DETS = {"a", "an", "the", "un", "une", "le", "la", "l’", "l'"}
_NOT_NOUNS = {"acquire", "acquired", "buy", "bought", "client", "partenaire", "investor", "owner", "action", "titre", "fonds", "fund",
              "américain", "américaine", "français", "française", "chinois", "chinoise", "allemand", "allemande", "japonais", "japonaise",
              "britannique", "néerlandais", "néerlandaise", "coréen", "coréenne", "suisse", "italien", "italienne", "espagnol",
              "espagnole", "taïwanais", "taïwanaise", "canadien", "canadienne", "suédois", "suédoise", "indien", "indienne",
              "israélien", "israélienne", "européen", "européenne", "franco-italien", "belge", "irlandais", "danois", "norvégien",
              "finlandais", "australien", "agence", "gestionnaire", "industriel"}
_NAME_TOKEN = re.compile(r"^(?:[A-ZÀ-Ý0-9][\w&.\-’'À-ÿ]*|[a-z]+[A-Z][\w]*|&|de|du|des|of|and|et|la|le|l’|l')$")


class OrgRules:
    def __init__(self, vocab, labels: Labels, lang: str) -> None:
        self.lang = lang if lang in ("fr", "en") else "en"
        lex = getattr(labels.lexicon, self.lang)
        self.suffixes = set(lex.org_suffixes)
        self.heads = set(lex.org_heads)
        self.triggers = _TRIGGERS[self.lang]
        # last token of each trigger phrase -> possible phrase lengths in tokens, longest first
        self.trigger_last: dict[str, list[int]] = {}
        tokenize = vocab_tokenizer(vocab, lang)  # one tokenizer (building one costs ~0.1 s), not one per phrase
        for phrase in self.triggers:
            toks = [t.lower_ for t in tokenize(phrase)]
            widths = self.trigger_last.setdefault(toks[-1], [])
            if len(toks) not in widths:
                widths.append(len(toks))
                widths.sort(reverse=True)
        self.post_triggers = _POST_TRIGGERS[self.lang]
        strings = vocab.strings
        self._trigger_last_h = frozenset(strings.add(w) for w in self.trigger_last)
        self._post_h = frozenset(strings.add(w) for w in self.post_triggers)
        self._suffix_h = frozenset(strings.add(w) for w in self.suffixes)
        self._comma_h = strings.add(",")
        # single-word company nouns (the triggers that are nouns, not verbs or phrases)
        self.noun_triggers = {t for t in self.triggers if " " not in t and t not in _NOT_NOUNS}
        self.stop_caps = _STOP_CAPS[self.lang]
        self.leading = _LEADING_FR | _ELIDED if self.lang == "fr" else _LEADING_EN | _ELIDED

    # ------------------------------------------------------------ model entities
    def mend_model_entity(self, ent: Span) -> Span | None:
        doc = ent.doc
        start, end = ent.start, ent.end
        while start < end and (doc[start].lower_ in self.leading or doc[start].is_punct or doc[start].is_space):
            start += 1
        while end > start and (doc[end - 1].text in _TRAILING or doc[end - 1].is_space):
            end -= 1
        if start >= end:
            return None
        text = doc[start:end].text
        if text in _NOT_ORG or not any(c.isupper() for c in text):
            return None
        if end - start == 1 and text in self.heads:
            return None  # a bare head word ("Conseil", "Commission") is not a name
        label = ent.label_
        if label != "ORG":
            if not self._looks_like_org(doc, start, end):
                return None
            label = "ORG"
        span = Span(doc, start, end, label=label)
        return span

    def _looks_like_org(self, doc: Doc, start: int, end: int) -> bool:
        words = [t.text for t in doc[start:end]]
        if len(words) >= 2 and words[-1] in self.suffixes:
            return True
        if words[0] in self.heads and len(words) >= 2:
            return True
        return False

    # ------------------------------------------------------------ rule ORG
    def find(self, doc: Doc, taken: set[int]) -> list[Span]:
        """Rule ORG over tokens not in ``taken`` (token indices already given to an entity).

        Candidate positions are found on the token arrays (no Token objects for
        the rest of the document): this runs on every document.
        """
        out: list[Span] = []
        n = len(doc)
        if n == 0:
            return out
        lower = doc.to_array(LOWER).tolist()
        orth = doc.to_array(ORTH).tolist()
        trig_h, post_h, suffix_h, comma_h = self._trigger_last_h, self._post_h, self._suffix_h, self._comma_h
        # after a trigger word / phrase ("le groupe X", "shares of X", "start-up X")
        for i in [k for k, h in enumerate(lower) if h in trig_h]:
            for width in self.trigger_last[doc[i].lower_]:
                if i - width + 1 < 0:
                    continue
                phrase = doc[i - width + 1 : i + 1].text.lower()
                if phrase in self.triggers:
                    span = self._name_after(doc, i + 1, taken)
                    if span is not None:
                        out.append(span)
                    break
        # before a post-trigger ("Nvidia shares")
        for i in [k for k, h in enumerate(lower) if h in post_h]:
            if i < 1:
                continue
            j = i - 1 if doc[i - 1].text in ("’s", "'s") else i
            span = self._name_before(doc, j, taken)
            if span is not None:
                out.append(span)
        # apposition: "Cerebras, a chipmaker based in ...", "Zorbalia, le fabricant de puces, ..."
        for i in [k for k, h in enumerate(orth) if h == comma_h]:
            if i < 1 or i + 2 >= n or (i - 1) in taken or doc[i + 1].lower_ not in _APPOSITION_DETS:
                continue
            if self._apposition_head(doc, i + 2):
                span = self._name_before(doc, i, taken)
                if span is not None:
                    out.append(span)
        # capitalised name ending in an organisation suffix ("Iconiq Capital")
        for i in [k for k, h in enumerate(orth) if h in suffix_h]:
            if i < 1 or i in taken:
                continue
            span = self._name_before(doc, i + 1, taken, need_suffix=True)
            if span is not None and len(span) >= 2:
                out.append(span)
        return _dedupe(out)

    @staticmethod
    def _word_at(doc: Doc, j: int) -> tuple[str, int]:
        """The word at ``j``, joining a hyphenated compound split by the tokenizer ("start" "-" "up")."""
        if j + 2 < len(doc) and doc[j + 1].text == "-" and doc[j].is_alpha and doc[j + 2].is_alpha:
            return f"{doc[j].lower_}-{doc[j + 2].lower_}", j + 3
        return doc[j].lower_, j + 1

    def _apposition_head(self, doc: Doc, k: int) -> bool:
        """Is the noun phrase starting at ``k`` headed by a company noun, and does it end like a description?"""
        n = len(doc)
        if k >= n:
            return False
        if self.lang == "fr":
            # French heads come first: "le fabricant de puces", "une start-up française,"
            head, j = self._word_at(doc, k)
            if head not in self.noun_triggers:
                return False
            while j < n and doc[j].text.islower() and _ADJ_FR_ANY.search(doc[j].text):
                j += 1
            return j >= n or doc[j].lower_ in _NP_END_FR
        # English heads come last: "a cloud security start-up", "the optical components maker"
        j = k
        for _ in range(5):
            if j >= n or not doc[j].text.islower():
                return False
            word, nxt = self._word_at(doc, j)
            if word in self.noun_triggers:
                return nxt >= n or doc[nxt].lower_ in _NP_END
            j = nxt
        return False

    def _is_name_token(self, tok) -> bool:
        t = tok.text
        return bool(_NAME_TOKEN.match(t)) and not tok.is_space

    def _name_after(self, doc: Doc, i: int, taken: set[int]) -> Span | None:
        n = len(doc)
        # "la start-up parisienne Pigment", "le groupe pharmaceutique américain X": skip adjectives
        skipped = 0
        while i < n and skipped < 2 and self.lang == "fr" and _ADJ_FR.search(doc[i].text) and doc[i].text.islower():
            i += 1
            skipped += 1
        if i >= n or i in taken:
            return None
        first = doc[i]
        if first.text in self.stop_caps or not (first.text[:1].isupper() or _camel(first.text)):
            return None
        j = i
        while j < n and j not in taken and self._is_name_token(doc[j]) and doc[j].text not in self.stop_caps:
            if doc[j].text[:1].islower() and not _camel(doc[j].text):
                # connector words only inside a name: "Autorité de la concurrence" is a head rule's job
                break
            j += 1
        if j == i:
            return None
        return Span(doc, i, j, label="ORG")

    def _name_before(self, doc: Doc, j: int, taken: set[int], need_suffix: bool = False) -> Span | None:
        i = j
        while i - 1 >= 0 and (i - 1) not in taken:
            tok = doc[i - 1]
            if not (tok.text[:1].isupper() or _camel(tok.text)) or tok.text in self.stop_caps or tok.is_punct:
                break
            if tok.is_sent_start and tok.lower_ in {"the", "le", "la", "les"}:
                break
            i -= 1
        if i == j:
            return None
        span = Span(doc, i, j, label="ORG")
        if need_suffix and span.text in self.suffixes:
            return None
        if span.text in _NOT_ORG:
            return None
        return span


def vocab_tokenizer(vocab, lang: str):
    """A plain tokenizer for ``lang`` sharing ``vocab`` (for splitting trigger phrases like the pipeline does)."""
    import spacy

    return spacy.blank(lang if lang in ("fr", "en") else "en", vocab=vocab).tokenizer


def _camel(t: str) -> bool:
    return len(t) > 1 and t[0].islower() and any(c.isupper() for c in t[1:])


def _dedupe(spans: list[Span]) -> list[Span]:
    seen: set[tuple[int, int]] = set()
    out = []
    for s in spans:
        if (s.start, s.end) not in seen:
            seen.add((s.start, s.end))
            out.append(s)
    return out
