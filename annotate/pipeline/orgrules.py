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

from bisect import bisect_right

from spacy.attrs import LOWER, ORTH, SENT_START
from spacy.tokens import Doc, Span

from ..labels import Labels

_ELIDED = {"qu’", "qu'", "d’", "d'", "l’", "l'", "jusqu’", "jusqu'", "lorsqu’", "lorsqu'", "puisqu’", "puisqu'", "c’", "c'", "s’", "s'", "n’", "n'"}
_LEADING_FR = {"le", "la", "les", "l’", "l'", "du", "des", "de", "au", "aux", "un", "une", "chez", "par", "pour", "avec", "selon", "et"}
_LEADING_EN = {"the", "a", "an", "of", "at", "by", "for", "with", "and", "from", "to", "in", "on"}
_TRAILING = {"’s", "'s", "’", "'", ".", ",", ";", ":", "!", "?", ")", "(", "»", "«", '"', "-", "–"}
_NOT_ORG = {
    "CAC 40", "CAC", "SBF 120", "S&P 500", "S&P", "Dow Jones", "Nasdaq Composite", "Stoxx 600", "Euro Stoxx 50",
    "Nikkei", "FTSE 100", "DAX", "IA", "AI", "PIB", "GDP", "CEO", "PDG", "ChatGPT", "GPT", "Etat", "État",
    "Europe", "États-Unis", "Etats-Unis", "France", "Chine", "Bourse", "Internet", "ISBN", "ISSN", "DOI",
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
# what follows "shares" used as a verb ("shares the prize", "shares his view"), not as a noun ("shares rose")
_VERB_OBJECTS = frozenset("the a an his her its their our my your this that these those with".split())
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

# ------------------------------------------------------------------ bare heads, titles, context
# capitalised heads that, after an article, name the one body the text is about ("la Commission",
# "le Parlement", "l’Union", "the Fed"); the same word in lower case is a generic mention
_BARE_HEADS = {
    "fr": {"Commission", "Conseil", "Parlement", "Union", "Assemblée", "Communauté", "Communautés", "Cour", "Sénat",
           "Comité", "Tribunal", "Agence", "Autorité", "Gouvernement", "Bundestag", "Congrès", "Fed", "Trésor"},
    "en": {"Commission", "Council", "Parliament", "Union", "Assembly", "Senate", "Congress", "Court", "Committee",
           "Fed", "Treasury", "Pentagon", "Bundestag", "Kremlin"},
}
_DETERMINERS = {
    "fr": {"le", "la", "l’", "l'", "les", "du", "au", "aux", "des", "cette", "ce", "notre", "votre", "leur"},
    "en": {"the", "this"},
}
_DE_FORMS = {"de", "du", "des", "d’", "d'"}
_MINISTRY = {"ministère", "ministères"}
# lower-case heads that are part of the name when a capitalised name follows them through "de":
# "ministère du Budget", "mairie de Paris", "tribunal correctionnel de Nanterre", "préfecture de Lyon"
_LOWER_HEADS_DE = {"ministère", "mairie", "tribunal", "préfecture", "université", "rectorat", "académie"}
# heads that are part of the name right before a capitalised name: "Éditions Odile Jacob", "éditions Gallimard"
_NAMED_HEADS = {"éditions", "editions"}
# a model ORG starting with one of these is a person's title or office, not the body ("ministre des Finances",
# "Haut Représentant", "Président", "Chef de l’État")
_TITLES = {
    "fr": {"ministre", "ministres", "président", "présidente", "vice-président", "vice-présidente", "député", "députée",
           "sénateur", "sénatrice", "commissaire", "secrétaire", "directeur", "directrice", "maître", "me", "colonel",
           "capitaine", "juge", "procureur", "procureure", "maire", "chef", "porte-parole", "rapporteur", "rapporteure"},
    "en": {"minister", "president", "secretary", "senator", "chairman", "chairwoman", "judge", "mayor", "governor"},
}
# lower-case nouns that make a bracketed acronym after them an organisation ("comité des médicaments (CHMP)",
# "police judiciaire (PJ)"); a bracketed acronym after any other lower-case phrase abbreviates that phrase
# ("rapport européen public d’évaluation (EPAR)", "syndrome coronarien aigu (SCA)")
_ORG_NOUNS = {
    "comité", "commission", "conseil", "agence", "autorité", "office", "organisation", "organisme", "direction",
    "ministère", "institut", "police", "gendarmerie", "bureau", "fédération", "union", "association", "parti",
    "société", "banque", "fonds", "caisse", "groupe", "syndicat", "université", "tribunal", "cour", "centre",
    "laboratoire", "entreprise", "compagnie", "mairie", "préfecture", "service", "brigade", "assemblée", "observatoire",
    "committee", "commission", "council", "agency", "authority", "office", "organization", "organisation", "board",
    "institute", "police", "bureau", "federation", "union", "association", "party", "company", "bank", "fund",
    "group", "university", "court", "centre", "center", "department", "ministry", "service",
}
# words that make a sentence clinical (dosage, patients, trial arms): there a capitalised single word the
# model calls ORG is a drug, a trial or a medical acronym ("traité par Zometa", "patients atteints de SCA")
_CLINICAL = {
    "patient", "patients", "patiente", "patientes", "placebo", "posologie", "perfusion", "bolus", "dose", "doses",
    "injection", "injections", "comprimé", "comprimés", "gélule", "gélules", "mg", "µg", "ml", "mg/kg", "mg/ml",
    "indésirable", "indésirables", "pharmacocinétique", "pharmacocinétiques", "thérapeutique", "randomisée",
    "randomisé", "contre-indiqué", "contre-indiquée", "posologies", "dosage", "infusion", "tablet", "tablets",
    "adverse", "randomised", "randomized", "contraindicated", "saignement", "saignements", "hémorragie",
    "hémorragies", "fracture", "fractures", "symptômes", "insuffisance", "thrombose", "angor", "clairance",
}
# a study, a scale or a trial arm named after its acronym or drug ("l’étude ACUITY", "critères TIMI")
_STUDY_NOUNS = {"étude", "études", "essai", "essais", "critère", "critères", "cohorte", "bras", "protocole", "score",
                "study", "trial", "criteria", "arm"}
_LEGAL = {"Inc.", "Inc", "Corp.", "Corp", "Corporation", "Ltd", "Ltd.", "LLC", "plc", "PLC", "SA", "S.A.", "SAS", "SE",
          "AG", "NV", "N.V.", "GmbH", "SpA", "S.p.A.", "Co.", "Limited"}
# words after which a name is what is treated or what treats ("traitement du SCA", "traité par Zometa")
_TREATED = {"traitement", "traitements", "traité", "traités", "traitée", "traitées", "atteint", "atteints", "atteinte",
            "atteintes", "souffrant", "inhibiteur", "inhibiteurs", "treated", "treatment", "suffering"}
_LINKS = {"de", "du", "des", "d’", "d'", "par", "sous", "le", "la", "les", "l’", "l'", "with", "of", "by"}
_ORDINAL = re.compile(r"^(?:Première|Deuxième|Seconde|Troisième|Quatrième|Cinquième|Sixième|[IVX]+e|\d+e)$")
_DOTTED_IN_TEXT = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,6}(?![\w])")
_PLACE_ACRONYMS = {"U.S.", "U.K.", "U.S.A.", "E.U.", "É.-U.", "R.U.", "U.A.E.", "R.D.C.", "R.F.A.", "R.D.A.", "U.R.S.S."}
_ACRONYM = re.compile(r"^(?:[A-Z][A-Z0-9&]{1,7}|(?:[A-Z]\.){2,6}[A-Z]?)$")


class DocContext:
    """What the rules need to know about a document, computed once per document from its token arrays:
    sentence bounds, and per sentence (lazily) whether it is clinical or written in capitals."""

    def __init__(self, doc: Doc, clinical_h: frozenset[int]) -> None:
        self.doc = doc
        self._starts: list[int] | None = None  # built on first use: most documents never ask
        self._lower: list[int] | None = None
        self._clinical_h = clinical_h
        self._clinical: dict[int, bool] = {}
        self._caps: dict[int, bool] = {}

    def sentence(self, i: int) -> tuple[int, int]:
        if self._starts is None:
            starts = [0]
            if self.doc.has_annotation("SENT_START"):
                starts += [int(k) for k in (self.doc.to_array(SENT_START)[1:] == 1).nonzero()[0] + 1]
            self._starts = starts
        k = bisect_right(self._starts, i) - 1
        end = self._starts[k + 1] if k + 1 < len(self._starts) else len(self.doc)
        return self._starts[k], end

    def clinical(self, i: int) -> bool:
        a, b = self.sentence(i)
        if a not in self._clinical:
            if self._lower is None:
                self._lower = self.doc.to_array(LOWER).tolist()
            self._clinical[a] = any(h in self._clinical_h for h in self._lower[a:b])
        return self._clinical[a]

    def in_capitals(self, i: int) -> bool:
        """Is the sentence of token ``i`` written in capitals (a heading): case says nothing there."""
        a, b = self.sentence(i)
        if a not in self._caps:
            words = [t.text for t in self.doc[a:b] if t.is_alpha and len(t.text) > 1]
            upper = sum(1 for w in words if w.isupper())
            self._caps[a] = len(words) >= 2 and upper >= 0.7 * len(words)
        return self._caps[a]


def _before_de(doc: Doc, start: int) -> int | None:
    """The index of the word before a "de"-phrase ending right before ``start`` ("ministre [de l’] Économie")."""
    j = start - 1
    if j >= 0 and doc[j].lower_ in ("l’", "l'", "la"):
        j -= 1
    if j >= 1 and doc[j].lower_ in _DE_FORMS:
        return j - 1
    return None


class OrgRules:
    def __init__(self, vocab, labels: Labels, lang: str) -> None:
        self.lang = lang if lang in ("fr", "en") else "en"
        lex = getattr(labels.lexicon, self.lang)
        self.suffixes = set(lex.org_suffixes)
        self.heads = set(lex.org_heads)
        self.triggers = _TRIGGERS[self.lang]
        # last token of each trigger phrase -> possible phrase lengths in tokens, longest first
        self.trigger_last: dict[str, list[int]] = {}
        from .buildcache import memo_tokenizer

        # one tokenizer (building one costs ~0.1 s), not one per phrase; none when the build cache has the phrases
        tokenize = memo_tokenizer("orgrules", vocab, lambda: vocab_tokenizer(vocab, lang))
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
        self.bare_heads = _BARE_HEADS[self.lang]
        self.determiners = _DETERMINERS[self.lang]
        self.titles = _TITLES[self.lang]
        self._bare_h = frozenset(strings.add(w) for w in self.bare_heads)
        self._lower_head_h = frozenset(strings.add(w) for w in (_LOWER_HEADS_DE | _NAMED_HEADS if self.lang == "fr" else ()))
        self._clinical_h = frozenset(strings.add(w) for w in _CLINICAL)
        self._open_h = strings.add("(")

    def context(self, doc: Doc) -> DocContext:
        return DocContext(doc, self._clinical_h)

    def _after_determiner(self, doc: Doc, i: int) -> bool:
        return i > 0 and doc[i - 1].lower_ in self.determiners

    def _not_a_body(self, doc: Doc, start: int, end: int, ctx: DocContext | None) -> bool:
        """Reasons to drop what the model calls an organisation: a title ("ministre des Finances",
        "Haut Représentant"), a portfolio after "ministre de", a heading in capitals, a drug or medical
        acronym in a clinical sentence, an acronym that abbreviates a lower-case phrase before it."""
        first = doc[start]
        if first.lower_ in self.titles or (first.text == "Haut" and end - start > 1 and doc[start + 1].lower_.startswith("représentant")):
            return True
        if self.lang == "fr":
            head = _before_de(doc, start)
            if head is not None and doc[head].lower_ in self.titles:
                return True  # "ministre de l’Économie": the portfolio of a title
        text = doc[start:end].text
        if end - start == 1 and _ACRONYM.match(text) and start >= 2 and end < len(doc):
            if doc[start - 1].text == "(" and doc[end].text == ")" and doc[start - 2].is_alpha:
                if self._org_phrase_before(doc, start - 1):
                    return False  # "comité des médicaments à usage humain (CHMP)"
                if doc[start - 2].is_lower:
                    return True  # "syndrome coronarien aigu (SCA)"
        if end - start == 1 and first.text in self.bare_heads and self._after_determiner(doc, start):
            return False
        if end - start == 1 and start >= 1 and doc[start - 1].lower_ in _STUDY_NOUNS:
            return True  # "l’étude ACUITY", "les critères TIMI": a study or a scale named after its acronym
        j = start - 1
        while j >= 0 and start - j <= 2 and doc[j].lower_ in _LINKS:
            j -= 1
        if j >= 0 and j < start - 1 and doc[j].lower_ in _TREATED:
            return True  # "le traitement du SCA", "patients atteints de SCA", "traité par Zometa"
        if end - start >= 2 and doc[end - 1].lower_ in ("république", "republic") and _ORDINAL.match(doc[end - 2].text):
            return True  # "Quatrième République", "Ve République": a regime, a period
        if ctx is None:
            return False
        if ctx.clinical(start) and not self._org_words(doc, start, end):
            return True  # "traité par Zometa", "patients atteints de SCA"
        return text.upper() == text and ctx.in_capitals(start)

    def _org_words(self, doc: Doc, start: int, end: int) -> bool:
        """Does the span carry words of its own that make it an organisation (a head, a legal suffix)?"""
        words = [t.text for t in doc[start:end]]
        return words[0] in self.heads or words[-1] in self.suffixes or words[-1] in _LEGAL

    def _org_phrase_before(self, doc: Doc, k: int, width: int = 8) -> bool:
        """Does the phrase before token ``k`` (back to punctuation, at most ``width`` words) contain an organisation noun?"""
        if k >= 1 and doc[k - 1].ent_type_ == "ORG":
            return True  # "Direction générale des impôts (DGI)" where the model found the name
        j = k - 1
        while j >= 0 and k - j <= width and not doc[j].is_punct:
            if doc[j].lower_ in _ORG_NOUNS:
                return True
            j -= 1
        return False

    # ------------------------------------------------------------ model entities
    def mend_model_entity(self, ent: Span, ctx: "DocContext | None" = None) -> Span | None:
        doc = ent.doc
        start, end = ent.start, ent.end
        while start < end and (doc[start].lower_ in self.leading or doc[start].is_punct or doc[start].is_space):
            start += 1
        while end > start and (doc[end - 1].text in _TRAILING or doc[end - 1].is_space or (
                self.lang == "fr" and doc[end - 1].lower_ in _DE_FORMS)):
            end -= 1  # "Présidente du": a name does not end on a preposition
        if start >= end:
            return None
        if end - start >= 2 and _ACRONYM.match(doc[start].text) and all(t.is_lower for t in doc[start + 1 : end] if t.is_alpha):
            end = start + 1  # "B.C.E. des missions": the name is the acronym
        text = doc[start:end].text
        if text in _NOT_ORG or not any(c.isupper() for c in text):
            return None
        if end - start == 1 and text in self.heads and not self._after_determiner(doc, start):
            return None  # a bare head with no article ("en Conseil des ministres") is not a name
        if self._not_a_body(doc, start, end, ctx):
            return None
        if self.lang == "fr" and start >= 2:
            # "ministère" + "des Finances": the model kept only the portfolio
            head = _before_de(doc, start)
            if head is not None and doc[head].lower_ in _MINISTRY:
                start = head
            elif doc[start - 1].lower_ in _NAMED_HEADS:
                start -= 1  # "éditions" + "Gallimard"
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
    def find(self, doc: Doc, taken: set[int], ctx: DocContext | None = None) -> list[Span]:
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
            if ctx is not None and (ctx.in_capitals(i) or (doc[i].lower_ == "groupe" and ctx.clinical(i))):
                continue  # a heading in capitals; "le groupe placebo", a trial arm
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
            if i < 1 or (i + 1 < n and doc[i].lower_ in ("shares", "share") and doc[i + 1].lower_ in _VERB_OBJECTS):
                continue  # "Jane Oduya shares the prize": a verb
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
        # a capitalised bare head after an article: "la Commission", "du Parlement", "the Fed"
        for i in [k for k, h in enumerate(orth) if h in self._bare_h]:
            if i in taken or not self._after_determiner(doc, i):
                continue
            nxt = doc[i + 1] if i + 1 < n else None
            if nxt is not None and (nxt.lower_ in _DE_FORMS or nxt.text[:1].isupper()
                                    or (nxt.is_lower and _ADJ_FR_ANY.search(nxt.text) and self.lang == "fr")):
                continue  # a longer name ("Conseil de l’Europe", "Assemblée nationale"): the model's or the gazetteer's
            if nxt is not None and nxt.text == "-" and not doc[i].whitespace_ and not nxt.whitespace_:
                continue  # "Union-Sud"
            out.append(Span(doc, i, i + 1, label="ORG"))
        # a dotted acronym after an article: "la B.C.E.", "l’O.N.U.", "the U.N." (not a country's: "the U.S.")
        for m in _DOTTED_IN_TEXT.finditer(doc.text):
            span = doc.char_span(m.start(), m.end())
            if span is None or len(span) != 1 or span.start in taken or span.text in _PLACE_ACRONYMS:
                continue
            if self._after_determiner(doc, span.start):
                out.append(Span(doc, span.start, span.end, label="ORG"))
        # a lower-case institution head and its capitalised complement: "ministère du Budget", "mairie de Paris",
        # "tribunal correctionnel de Nanterre"; "éditions Gallimard"
        for i in [k for k, h in enumerate(lower) if h in self._lower_head_h]:
            span = self._institution(doc, i, taken)
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

    def _institution(self, doc: Doc, i: int, taken: set[int]) -> Span | None:
        n = len(doc)
        if i in taken:
            return None
        head = doc[i].lower_
        j = i + 1
        if head in _NAMED_HEADS:
            if j < n and doc[j].lower_ in _DE_FORMS:
                j += 1
        else:
            skipped = 0
            while j < n and skipped < 2 and doc[j].is_lower and _ADJ_FR_ANY.search(doc[j].text):
                j += 1
                skipped += 1
            if j >= n or doc[j].lower_ not in _DE_FORMS:
                return None
            j += 1
        if j < n and doc[j].lower_ in ("l’", "l'", "la"):
            j += 1
        k = j
        while k < n and k not in taken and self._is_name_token(doc[k]) and doc[k].text[:1].isupper() and doc[k].text not in self.stop_caps:
            k += 1
        if k == j or any(x in taken for x in range(i, k)):
            return None
        if not doc[i].text[:1].isupper() and head in _LOWER_HEADS_DE and i > 0 and doc[i - 1].lower_ in self.titles:
            return None
        return Span(doc, i, k, label="ORG")

    def propagate(self, doc: Doc, final: list[Span]) -> list[Span]:
        """Acronyms that name an organisation given next to them: "Direction générale des impôts (DGI)",
        "police judiciaire (PJ)", "comité des médicaments à usage humain (CHMP)"; then every other free
        occurrence of an ORG acronym of the document ("la DGI a transmis")."""
        n = len(doc)
        if n == 0:
            return []
        occupied = {i for s in final for i in range(s.start, s.end)}
        orth = doc.to_array(ORTH).tolist()
        ends = {s.end: s for s in final if s.label_ == "ORG"}
        out: list[Span] = []
        for k in [x for x, h in enumerate(orth) if h == self._open_h]:
            a = k + 1
            if a + 1 >= n or a in occupied or doc[a + 1].text != ")" or not _ACRONYM.match(doc[a].text):
                continue
            if k in ends or (k >= 1 and doc[k - 1].is_alpha and self._org_phrase_before(doc, k)):
                out.append(Span(doc, a, a + 1, label="ORG"))
                occupied.add(a)
        known = {s.text for s in [*final, *out] if s.label_ == "ORG" and len(s) == 1 and _ACRONYM.match(s.text)}
        if known:
            hashes = {doc.vocab.strings[t] for t in known}
            for i in [x for x, h in enumerate(orth) if h in hashes]:
                if i not in occupied:
                    out.append(Span(doc, i, i + 1, label="ORG"))
                    occupied.add(i)
        for s in out:
            s.id_ = "rules"
        return out

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
