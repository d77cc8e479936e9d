"""Theme scoring: multi-label document themes from cue words, sentence by sentence.

The taxonomy (``labels/themes.toml``) gives each theme three tiers of cues per
language:

- ``strong``: a word or phrase that, found in a sentence, makes that sentence
  about the theme on its own ("centre de données", "layoffs");
- ``cues`` (weak): a word that needs company ("réseau", "shares");
- ``context``: supporting words (amounts, price moves) that count once per
  sentence however many match, so they never decide alone.

Scoring, for each theme:

1. per sentence, evidence ``e = strong_weight * #strong + weak_weight * #weak +
   context_weight * [any context]``, counting each distinct cue once (a cue
   found inside a longer cue of the same theme at the same place is dropped);
2. document evidence ``E = best sentence + other_sentences_weight * (sum of the
   other sentences)``;
3. score ``= 1 - (1 - threshold) ** (E / sentence_weight)``: 0 without
   evidence, exactly ``threshold`` when ``E == sentence_weight``, towards 1 as
   evidence grows.

With the default settings (threshold 0.5, sentence weight 2, strong 2, weak 1,
context 1, other sentences 0.5) one strong cue, or two weak cues, or a weak
cue plus context in one sentence reach 0.5; one passing weak word scores 0.29.

Passing mentions. The guidelines give a theme to a document only when a
sentence is *mainly* about it, so a cue that is plainly not the topic of its
sentence counts ``passing_weight`` times its weight (0.5: a strong cue then
counts as a weak one, and one weak cue as half of one):

- a cue inside a parenthesis, or inside a relative clause opened after a comma
  by a word of ``[passing] relatives`` ("…, qui a levé 30 millions d’euros, …",
  "…, which paid a fine in 2019, …") and running to the next comma;
- a cue inside an organisation's name in ``doc.ents`` ("Energy" in "Talen
  Energy"), or that is the whole name of an organisation other than the first
  one its sentence names (news sentences lead with their subject: "Broadcom
  fournira à OpenAI …" is about Broadcom);
- a cue describing a company by its trade: after "<descriptor> de/du/des"
  in French ("le géant des puces"), before a descriptor in English ("the AI
  start-up"), with ``[passing] descriptors`` giving the nouns;
- an acronym cue used as a modifier: "puces IA", "outil d’IA" (French, right
  after a noun or a bare "de"), "AI chips", "AI boom" (English, right before a
  word that is not a stop word).

A theme with ``context_entity`` (FINANCE: ``MONEY``) counts its context cues
only inside an entity of that label when the document carries entities, so
"million" counts in "$5 million" but not in "five million litres".

Matching is done once per document by a :class:`~spacy.matcher.PhraseMatcher`
on ``LOWER`` for whole-word and phrase cues (with generated plural and
apostrophe variants), plus a per-token lookup for ``prefix*`` cues whose
results are cached per lowercase word, so the cost is a dict lookup per token.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spacy.attrs import LOWER
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from ..errors import Errors
from ..labels import LANGS

if TYPE_CHECKING:
    from ..labels import Taxonomy

CUES_KEY = "annotate_theme_cues"
TIERS = ("strong", "weak", "context")

# French words that end the "head" of a phrase cue: only the words before them
# take the plural ("centre de données" -> "centres de données").
_FR_STOP = frozenset(
    "de d’ d' du des à au aux en pour sur par avec entre contre sans sous chez vers le la les l’ l' et ou".split()
)
_PREFIX_CACHE_MAX = 200_000
_FR_OF = frozenset("de d’ d' du des".split())
_FR_BARE_OF = frozenset("de d’ d'".split())
_CLAUSE_END = frozenset(", ; : )".split())
_ACRONYM = re.compile(r"^[A-Z]{2,4}s?$")
# English words after an acronym that make it a subject, not a modifier ("the
# FTC said", "AI plans"): past tenses in -ed are checked by their ending
_EN_VERBS = frozenset("says said plans wants aims expects warns sues fines told".split())


@dataclass(frozen=True)
class Cue:
    """One cue of the taxonomy: its theme, tier and canonical text."""

    theme: str
    tier: str  # "strong" | "weak" | "context"
    text: str


def _plural_fr(word: str) -> str | None:
    low = word.lower()
    if not word.isalpha() or len(word) < 3 or word.isupper() or low[-1] in "sxz":
        return None
    if low.endswith(("eau", "au", "eu")):
        return word + "x"
    if low.endswith("al") and low not in ("festival", "carnaval", "bal", "récital"):
        return word[:-2] + "aux"
    return word + "s"


def _plural_en(word: str) -> str | None:
    low = word.lower()
    if not any(c.isalpha() for c in word) or len(word) < 2 or low.endswith("s"):
        return None
    if word.isupper():  # GPU -> GPUs, LLM -> LLMs
        return word + "s"
    if not word.replace("-", "").isalpha():
        return None
    if low.endswith(("x", "z", "ch", "sh")):
        return word + "es"
    if low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def cue_variants(words: list[str], lang: str) -> list[list[str]]:
    """The token sequences a phrase cue matches: as written, plural, both apostrophes."""
    variants = [list(words)]
    plural = list(words)
    if lang == "fr":
        for i, w in enumerate(words):
            if w.lower() in _FR_STOP:
                break
            p = _plural_fr(w)
            if p:
                plural[i] = p
    else:
        for i in range(len(words) - 1, -1, -1):
            if any(c.isalpha() for c in words[i]):
                p = _plural_en(words[i])
                if p:
                    plural[i] = p
                break
    if plural != words:
        variants.append(plural)
    out: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for v in variants:
        for w in (v, [t.replace("’", "'") for t in v], [t.replace("'", "’") for t in v]):
            key = tuple(t.lower() for t in w)
            if key not in seen:
                seen.add(key)
                out.append(w)
    return out


def default_tokenizer(vocab: Vocab, lang: str) -> Callable[[str], Doc]:
    """The language's default rule-based tokenizer (what the pipelines use), on ``vocab``."""
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, get_lang_class

    d = get_lang_class(lang).Defaults
    return Tokenizer(
        vocab,
        rules=d.tokenizer_exceptions,
        prefix_search=compile_prefix_regex(d.prefixes).search if d.prefixes else None,
        suffix_search=compile_suffix_regex(d.suffixes).search if d.suffixes else None,
        infix_finditer=compile_infix_regex(d.infixes).finditer if d.infixes else None,
        token_match=d.token_match,
        url_match=d.url_match,
    )


class ThemeScorer:
    """Score every theme of a taxonomy on a Doc, from the cues of one language.

    Sets ``doc.cats = {theme: score}`` (every theme, floats in [0, 1], 4
    decimals) and ``doc.spans["annotate_theme_cues"]``: every cue match,
    labelled with its theme.
    """

    def __init__(
        self,
        vocab: Vocab,
        taxonomy: Taxonomy,
        lang: str,
        *,
        tokenizer: Callable[[str], Doc] | None = None,
    ) -> None:
        if lang not in LANGS:
            raise Errors.E106(lang=lang, fix='use one of ' + ', '.join(LANGS), where='themes.toml')
        self.vocab = vocab
        self.lang = lang
        self.names: list[str] = list(taxonomy.names)
        s = taxonomy.settings
        self.threshold = s.threshold
        self.sentence_weight = s.sentence_weight
        self.other_weight = s.other_sentences_weight
        self.weights = {"strong": s.strong_weight, "weak": s.weak_weight, "context": s.context_weight}
        self.passing_weight = s.passing_weight
        from spacy.util import get_lang_class

        self._stop_words = frozenset(get_lang_class(lang).Defaults.stop_words)
        passing = taxonomy.passing
        self._relatives = frozenset(w.lower() for w in getattr(passing.relatives, lang))
        self._descriptors = frozenset(w.lower() for w in getattr(passing.descriptors, lang))
        # lowercase hashes whose presence in a document calls for the clause scan
        self._clause_triggers = frozenset(vocab.strings.add(w) for w in self._relatives | {"("})
        self.cues: list[Cue] = []
        self._context_entity = {t.name: t.context_entity for t in taxonomy.theme if t.context_entity}
        self.matcher = PhraseMatcher(vocab, attr="LOWER")
        # match key (hash) -> cue ids; prefix -> cue ids
        self._key_cues: dict[int, list[int]] = {}
        self._prefixes: dict[str, list[int]] = {}
        self._prefix_lengths: list[int] = []
        # lowercase hash -> cue ids of the prefix cues it starts with
        self._prefix_cache: dict[int, tuple[int, ...]] = {}
        from .buildcache import memo_tokenizer

        # built only when the build cache has not got the cues' tokens already
        tok = tokenizer or memo_tokenizer("themes", vocab, lambda: default_tokenizer(vocab, lang))
        self._build(taxonomy, tok)

    # -- building -------------------------------------------------------------

    def _cue_texts(self, taxonomy: Taxonomy) -> Iterable[tuple[str, str, str]]:
        for theme in taxonomy.theme:
            for tier, group in (("strong", theme.strong), ("weak", theme.cues), ("context", theme.context)):
                for text in getattr(group, self.lang):
                    yield theme.name, tier, text.strip()

    def _build(self, taxonomy: Taxonomy, tokenize: Callable[[str], Doc]) -> None:
        # (theme, lowercase token sequence) -> cue id. A cue already generated by
        # an earlier cue of the theme ("jobs" after "job") is the same cue; a
        # variant already taken keeps its first tier (strong tiers come first).
        seen: dict[tuple[str, tuple[str, ...]], int] = {}
        patterns: dict[int, list[Doc]] = {}
        for theme, tier, text in self._cue_texts(taxonomy):
            if text.endswith("*"):
                key = (theme, (text.lower(),))
                if key not in seen:
                    cid = seen[key] = len(self.cues)
                    self.cues.append(Cue(theme, tier, text))
                    self._prefixes.setdefault(text[:-1].lower(), []).append(cid)
                continue
            variants = cue_variants([t.text for t in tokenize(text)], self.lang)
            keys = [(theme, tuple(w.lower() for w in v)) for v in variants]
            if keys[0] in seen:
                continue
            cid = len(self.cues)
            self.cues.append(Cue(theme, tier, text))
            for k, v in zip(keys, variants):
                if k not in seen:
                    seen[k] = cid
                    patterns.setdefault(cid, []).append(Doc(self.vocab, words=v))
        for cid, docs in patterns.items():
            key = self.vocab.strings.add(f"annotate_theme:{cid}")
            self._key_cues.setdefault(key, []).append(cid)
            self.matcher.add(f"annotate_theme:{cid}", docs)
        self._prefix_lengths = sorted({len(p) for p in self._prefixes}, reverse=True)

    def _prefix_hits(self, lower_hash: int) -> tuple[int, ...]:
        hits = self._prefix_cache.get(lower_hash)
        if hits is None:
            text = self.vocab.strings[lower_hash]
            found: list[int] = []
            for n in self._prefix_lengths:
                if len(text) >= n:
                    found.extend(self._prefixes.get(text[:n], ()))
            hits = tuple(found)
            if len(self._prefix_cache) >= _PREFIX_CACHE_MAX:
                self._prefix_cache.clear()
            self._prefix_cache[lower_hash] = hits
        return hits

    # -- scoring --------------------------------------------------------------

    def matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """Every cue match as ``(start token, end token, cue id)``, longest first per theme and place."""
        raw: list[tuple[int, int, int]] = []
        for key, start, end in self.matcher(doc):
            for cid in self._key_cues.get(key, ()):
                raw.append((start, end, cid))
        if self._prefixes:
            cache = self._prefix_cache
            for i, h in enumerate(doc.to_array([LOWER]).tolist()):
                hits = cache.get(h)
                if hits is None:
                    hits = self._prefix_hits(h)
                for cid in hits:
                    raw.append((i, i + 1, cid))
        # drop a match covered by a longer match of the same theme, and a weak or
        # context match inside a longer phrase of another theme ("price" in
        # "price target", "power" in "computing power")
        raw.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        kept: list[tuple[int, int, int]] = []
        reach: dict[str, int] = {}  # theme -> end of its last kept match
        covering: dict[int, list[tuple[int, int, str]]] = {}  # token -> phrases over it
        for s, e, c in raw:
            if e - s > 1:
                for i in range(s, e):
                    covering.setdefault(i, []).append((s, e, self.cues[c].theme))
        for start, end, cid in raw:
            cue = self.cues[cid]
            if reach.get(cue.theme, -1) >= end:
                continue
            if cue.tier != "strong" and any(
                s <= start and end <= e and e - s > end - start and theme != cue.theme
                for s, e, theme in covering.get(start, ())
            ):
                continue
            kept.append((start, end, cid))
            reach[cue.theme] = max(reach.get(cue.theme, -1), end)
        return kept

    def __call__(self, doc: Doc) -> Doc:
        kept = self.matches(doc)
        if doc.has_annotation("SENT_START"):
            starts = [s.start for s in doc.sents]
        else:
            starts = [0]
        factors = self.factors(doc, kept, starts) if kept else []
        # (theme, sentence) -> {tier: {cue id: factor}} (a cue's best factor in the sentence)
        found: dict[str, dict[int, dict[str, dict[int, float]]]] = {}
        for (start, _end, cid), factor in zip(kept, factors):
            cue = self.cues[cid]
            sent = bisect_right(starts, start) - 1
            tier = found.setdefault(cue.theme, {}).setdefault(sent, {}).setdefault(cue.tier, {})
            tier[cid] = max(tier.get(cid, 0.0), factor)
        cats: dict[str, float] = {}
        for name in self.names:
            per_sent = [self._evidence(tiers) for tiers in found.get(name, {}).values()]
            cats[name] = round(self.score(per_sent), 4)
        doc.cats = cats
        doc.spans[CUES_KEY] = [
            Span(doc, start, end, label=self.cues[cid].theme)
            for start, end, cid in sorted(kept, key=lambda m: (m[0], m[1], self.cues[m[2]].theme))
        ]
        return doc

    def _evidence(self, tiers: dict[str, dict[int, float]]) -> float:
        w = self.weights
        context = tiers.get("context")
        return (
            w["strong"] * sum(tiers.get("strong", {}).values())
            + w["weak"] * sum(tiers.get("weak", {}).values())
            + (w["context"] * max(context.values()) if context else 0.0)
        )

    # -- passing mentions -----------------------------------------------------

    def factors(self, doc: Doc, kept: list[tuple[int, int, int]], starts: list[int]) -> list[float]:
        """Per kept match, 1.0, or ``passing_weight`` when the match is a passing mention."""
        passing = self.passing_weight
        if passing >= 1.0:
            return [1.0] * len(kept)
        # token -> (start, end, first organisation of its sentence?)
        orgs: dict[int, tuple[int, int, bool]] = {}
        seen_sents: set[int] = set()
        for ent in doc.ents:
            if ent.label_ == "ORG":
                sent = bisect_right(starts, ent.start) - 1
                first = sent not in seen_sents
                seen_sents.add(sent)
                for i in range(ent.start, ent.end):
                    orgs[i] = (ent.start, ent.end, first)
        aside = self._asides(doc, starts)
        labelled: dict[int, str] = {}  # token -> label of its entity, for context_entity
        has_ents = self._context_entity and doc.has_annotation("ENT_IOB")
        if has_ents:
            for ent in doc.ents:
                for i in range(ent.start, ent.end):
                    labelled[i] = ent.label_
        out: list[float] = []
        for start, end, cid in kept:
            cue = self.cues[cid]
            if has_ents and cue.tier == "context" and cue.theme in self._context_entity:
                if labelled.get(start) != self._context_entity[cue.theme]:
                    out.append(0.0)
                    continue
            org = orgs.get(start)
            in_org = org is not None and org[1] >= end and not (org[2] and (org[0], org[1]) == (start, end))
            if in_org or start in aside or self._is_modifier(doc, start, end, starts):
                out.append(passing)
            else:
                out.append(1.0)
        return out

    def _asides(self, doc: Doc, starts: list[int]) -> set[int]:
        """Tokens inside a parenthesis or a relative clause opened after a comma."""
        lowers = doc.to_array([LOWER]).tolist() if len(doc) else []
        if not self._clause_triggers.intersection(lowers):
            return set()
        sent_starts = set(starts)
        out: set[int] = set()
        depth = 0
        in_clause = after_comma = False
        for i, tok in enumerate(doc):
            if i in sent_starts:
                depth, in_clause, after_comma = 0, False, False
            text = tok.text
            if text == "(":
                depth += 1
                after_comma = True
                continue
            if text in _CLAUSE_END:
                if text == ")":
                    depth = max(0, depth - 1)
                in_clause = False
                after_comma = text == ","
                continue
            if after_comma and tok.lower_ in self._relatives:
                in_clause = True
            after_comma = False
            if depth or in_clause:
                out.add(i)
        return out

    def _is_modifier(self, doc: Doc, start: int, end: int, starts: list[int]) -> bool:
        """A cue describing a company's trade, or an acronym cue modifying a noun."""
        sent_start = starts[bisect_right(starts, start) - 1]
        acronym = end - start == 1 and bool(_ACRONYM.match(doc[start].text))
        if self.lang == "fr":
            if start - 1 < sent_start:
                return False
            prev = doc[start - 1].lower_
            if prev in _FR_OF and start - 2 >= sent_start and doc[start - 2].lower_ in self._descriptors:
                return True
            # the descriptor itself when it is a cue: "fabricant" in "le fabricant de puces"
            if doc[start].lower_ in self._descriptors and end < len(doc) and doc[end].lower_ in _FR_OF:
                return True
            if acronym:
                if prev in _FR_BARE_OF:
                    return True
                p = doc[start - 1]
                return p.is_alpha and p.is_lower and prev not in self._stop_words
            return False
        if end >= len(doc) or doc[end].is_sent_start:
            return False
        nxt = doc[end]
        if nxt.lower_ in self._descriptors:
            return True
        if not (acronym and nxt.is_alpha and nxt.is_lower) or nxt.lower_ in self._stop_words:
            return False
        low = nxt.lower_
        return not (low in _EN_VERBS or (len(low) > 4 and low.endswith("ed")))

    def score(self, per_sentence: list[float]) -> float:
        """A theme's score from the evidence of each sentence that has some."""
        if not per_sentence:
            return 0.0
        best = max(per_sentence)
        total = best + self.other_weight * (sum(per_sentence) - best)
        return 1.0 - math.pow(1.0 - self.threshold, total / self.sentence_weight)

    # -- convenience ----------------------------------------------------------

    def pipe(self, docs: Iterable[Doc], batch_size: int = 1000) -> Iterable[Doc]:
        for doc in docs:
            yield self(doc)
