"""MONEY, PERCENT and DATE: a regular grammar over the text, built from the
lexicon in ``labels/lexicon.toml``.

Why regular expressions over the text rather than token patterns: French
typography splits and glues tokens unpredictably (``1,2M€.``, ``500 000``
with U+202F, ``d’ici``), while the grammar of amounts, percentages and dates
is small and regular. Matching on characters is exact, fast (one C-level
pass per pattern) and independent of the tokenizer; the pipeline component
then makes token boundaries agree with the matches (it splits a token only
where a match ends inside it).

Every match carries a normalized ``value``: ``{"amount", "currency"}`` (or
``{"min", "max", "currency"}``) for MONEY, a number (or ``{"min", "max"}``)
for PERCENT, an ISO 8601 / TIMEX3-style string for DATE where one can be read
(``2025-09``, ``2025-Q3``, ``P5Y``, ``2021/2032``, ``203X``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..labels import LangLexicon

S = r"[ \u00a0\u202f\u2009]"  # one space of any kind (regular, no-break, narrow no-break, thin)
AP = r"[’']"
DASH = r"[-–—]"


_LATER: Any = object()  # a value not computed yet (see QuantityGrammar.find)


@dataclass(frozen=True)
class QMatch:
    start: int
    end: int
    label: str
    value: Any
    kind: str


def _alt(words: list[str] | tuple[str, ...], *, boundary: bool = True) -> str:
    """Alternation of literal words, longest first; inner spaces match any space.

    Word boundaries are checked once outside the alternation (much faster than
    per alternative) for words that start / end with a letter or digit.
    """
    inner: list[str] = []
    edge: list[str] = []
    for w in sorted(set(words), key=lambda w: (-len(w), w)):  # longest first; ties in a fixed order, so the
        # pattern is the same string in every process (the compiled-pattern cache finds it again)
        e = "".join(S if c == " " else AP if c in "’'" else re.escape(c) for c in w)
        if boundary and w[0].isalnum() and w[-1].isalnum():
            inner.append(e)
        else:
            if boundary and w[-1].isalnum():
                e += r"(?!\w)"
            if boundary and w[0].isalnum():
                e = r"(?<!\w)" + e
            edge.append(e)
    parts = []
    if inner:
        parts.append(r"(?<!\w)" + _trie([w for w in words if boundary and w[0].isalnum() and w[-1].isalnum()]) + r"(?!\w)")
    parts.extend(edge)
    return "(?:" + "|".join(parts) + ")"


def _char_tree(words: Iterable[str]) -> dict:
    """The words as a tree of characters: each node maps a character to the next node, and ``""`` marks
    that a word ends there."""
    root: dict = {}
    for w in sorted(set(words)):  # a fixed order: the same regex string in every process
        node = root
        for c in w:
            node = node.setdefault(c, {})
        node[""] = {}
    return root


def _trie(words: list[str]) -> str:
    """One regex for a set of literal words, factored as a character trie.

    Python's ``re`` tries the branches of an alternation one after the other;
    factoring common prefixes (``d(?:eux|ix|ouze)``) makes the lists of
    months, number words and relative phrases much cheaper to scan.
    """
    root = _char_tree(words)

    def emit(node: dict) -> str:
        ends = "" in node
        branches = []
        for c in sorted(k for k in node if k):
            piece = S if c == " " else AP if c in "’'" else re.escape(c)
            branches.append(piece + emit(node[c]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        if ends:
            body = (body if body.startswith("(?:") and len(branches) > 1 else "(?:" + body + ")") + "?"
        return body

    return "(?:" + emit(root) + ")"


def _norm_ap(s: str) -> str:
    return s.replace("'", "’") if "’" not in s else s


def _num_value(s: str, lang: str) -> float | None:
    """Read a number written in digits (either decimal convention) or words."""
    s = s.strip()
    digits = re.sub(r"[ \u00a0\u202f\u2009]", "", s)
    if re.fullmatch(r"\d+(?:[.,]\d+)*", digits):
        if "," in digits and "." in digits:
            # the last separator is the decimal mark
            if digits.rfind(",") > digits.rfind("."):
                digits = digits.replace(".", "").replace(",", ".")
            else:
                digits = digits.replace(",", "")
        elif "," in digits:
            groups = digits.split(",")
            if lang == "en" and all(len(g) == 3 for g in groups[1:]):
                digits = digits.replace(",", "")
            elif len(groups) == 2:
                digits = digits.replace(",", ".")
            else:
                digits = digits.replace(",", "")
        elif "." in digits:
            groups = digits.split(".")
            if len(groups) > 2:  # "1.000.000": dots group thousands
                digits = digits.replace(".", "")
        try:
            return float(digits)
        except ValueError:
            return None
    return _words_value(s, lang)


def _words_value(s: str, lang: str) -> float | None:
    low = s.lower().strip()
    simple = {"un": 1, "une": 1, "a": 1, "an": 1, "one": 1, "a dozen": 12, "dozen": 12}
    if low in simple:
        return float(simple[low])
    try:
        from text_to_num import text2num

        return float(text2num(low.replace("\u00a0", " "), lang))
    except Exception:
        return None


def _clean_number(x: float | None) -> int | float | None:
    if x is None:
        return None
    r = round(x, 6)
    return int(r) if float(r).is_integer() else r


class QuantityGrammar:
    """Compiled MONEY / PERCENT / DATE patterns for one language."""

    def __init__(self, lex: LangLexicon, lang: str) -> None:
        self.lang = lang
        self.lex = lex
        self.patterns: list[tuple[str, str, re.Pattern[str]]] = []
        # per pattern: literal substrings without which it cannot match, and whether they
        # are looked for in the text as it is (case-sensitive patterns) or lower-cased
        self._needs: list[tuple[tuple[str, ...], bool] | None] = []
        self._build()
        kinds = self._triggers()
        self._needs = [n if n is not None else ((kinds[k], False) if k in kinds else None)
                       for n, (_, k, _) in zip(self._needs, self.patterns)]
        self._add_first_char_filters()
        self._num_rx = re.compile(self.num_re)

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        lex, lang = self.lex, self.lang
        if lang == "fr":
            # "500 000", "1,5", and dots grouping thousands where no decimal dot can be read ("1.250.000,50")
            dig = (r"\d{1,3}(?:" + S + r"\d{3})+(?:,\d+)?(?!\d)|\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?(?![\d.])"
                   r"|\d{1,3}\.\d{3},\d+|\d+(?:[.,]\d+)?")
        else:
            dig = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d{1,3}(?:" + S + r"\d{3})+(?:\.\d+)?(?!\d)|\d+(?:[.,]\d+)?"
        dig = "(?:" + dig + ")"
        nw_words = [w for w in lex.number_words if " " not in w]
        nw = _alt(nw_words)
        joiner = r"(?:-|" + S + r"|" + S + r"(?:et|and)" + S + r"|-et-)"
        words_num = r"(?i:" + nw + r"(?:" + joiner + nw + r")*)"
        num = r"(?:(?<![\w.,])" + dig + r"|" + words_num + r")"
        self.num_re = num
        big_mult = [m for m in lex.multipliers if len(m) > 2]
        small_mult = [m for m in lex.multipliers if len(m) <= 2 or m in ("Mds", "Mrd", "Mrds", "Mdr", "mds", "mln", "trn")]
        mult = r"(?:(?i:" + _alt(big_mult) + r")|" + _alt(small_mult, boundary=False) + r"(?![A-Za-z]))"
        rj_words = [j for j in lex.range_joiners if j[0].isalpha()]
        rng = r"(?:" + S + r"?" + DASH + S + r"?|" + S + _alt(rj_words) + S + r")"
        self.range_re = rng

        # MONEY: the grammar of money.py over every CLDR currency
        from .money import MoneyGrammar

        self.money = MoneyGrammar(lex, lang, num=num, dig=dig, mult=mult, rng=rng,
                                  multipliers=dict(lex.multipliers), alt=_alt, trie=_trie)
        for kind, pattern, needs, case in self.money.patterns:
            self._add("MONEY", kind, pattern, needs, case=case)

        # PERCENT: "14 %", "6,4 %", "quarante pour cent", "9 à 11 %", "0,1 point de pourcentage"
        pct_words = [w for w in lex.percent_words if w != "%"]
        # points first: "percentage points" before "percentage"
        pct_unit = r"(?:%|(?i:" + _alt(lex.percentage_points) + r")|(?i:" + _alt(pct_words) + r"))"
        # not inside a URL or a query string ("?q=30%25%2020%")
        pct = r"(?<![%/=&?])" + num + r"(?:" + S + r"?%)?" + r"(?:" + rng + num + r")?" + S + r"?" + pct_unit + r"(?![\w])"
        self._add("PERCENT", "percent", pct)

        # DATE: the grammar of annotate.pipeline.dates
        from .dates import DateRules

        self.dates = DateRules(lex, lang, num=num, rng=rng)
        self.year_re = self.dates.year

    def resolve(self, text: str, matches: list[QMatch]) -> list[QMatch]:
        """Non-overlapping matches, with DATE ranges joined: "entre janvier et mars" -> "janvier et mars"."""
        chosen = [
            # QMatch(...) rather than dataclasses.replace: the same match, without replace's field walk
            m if m.value is not _LATER else QMatch(m.start, m.end, m.label, self.value(m.label, m.kind, text[m.start : m.end]), m.kind)
            for m in resolve_overlaps(self.money.cut_in_dates(text, matches, self.range_re))
        ]
        return self.dates.join(text, chosen)

    def _add(self, label: str, kind: str, pattern: str, needs: tuple[str, ...] | None = None, *, case: bool = False) -> None:
        """One pattern; ``needs``: literals one of which any match contains (default: its kind's,
        see :meth:`_triggers`), looked for in the text as it is when ``case``, else lower-cased."""
        self.patterns.append((label, kind, pattern))  # compiled once, with its first-character filter
        self._needs.append((tuple(needs), case) if needs is not None else None)

    def _add_first_char_filters(self) -> None:
        """Prefix each pattern with a look-ahead on the characters a match can start with.

        Python's ``re`` then skips, in C, every position that cannot start a
        match, instead of trying each branch of the pattern there (2-3x faster
        on news text). The sets are supersets built from the lexicon.
        """
        lex = self.lex

        def firsts(words) -> str:  # noqa: ANN001
            return "".join({c for w in words if w for c in (w[0].lower(), w[0].upper())})

        digits = "0123456789"
        nums = digits + firsts(lex.number_words)
        first = {
            "money_sub": nums,
            **self.money.first_chars,
            "money_after": nums + self.money.first_chars["money_after"],
            "percent": nums,
        }
        filtered = []
        for label, kind, pattern in self.patterns:
            chars = first.get(kind)
            if chars:
                cls = "".join(sorted({re.escape(c) for c in chars}))
                pattern = r"(?=[" + cls + r"])" + pattern
            filtered.append((label, kind, re.compile(pattern)))
        self.patterns = filtered

    def _triggers(self) -> dict[str, tuple[str, ...]]:
        """Literal substrings (lower case) without which a pattern cannot match: a cheap pre-check."""
        return {
            "percent": ("%", "cent", "pourcentage", "percentage", "pct"),
        }

    # ------------------------------------------------------------------ match
    def find(self, text: str, *, values: bool = True) -> list[QMatch]:
        """Every candidate match (overlaps included), with its normalized value
        (left for :meth:`resolve` to compute, for the chosen matches only, when ``values`` is false)."""
        out: list[QMatch] = []
        low = text.lower()
        present: dict[int, bool] = {}  # trigger sets are shared between patterns: test each once
        for (label, kind, rx), needs in zip(self.patterns, self._needs):
            if needs is not None:
                ok = present.get(id(needs[0]))
                if ok is None:
                    hay = text if needs[1] else low
                    ok = present[id(needs[0])] = any(t in hay for t in needs[0])
                if not ok:
                    continue
            for m in rx.finditer(text):
                a, b = m.span()
                a, b = self._trim(text, a, b)
                if b <= a:
                    continue
                out.append(QMatch(a, b, label, self.value(label, kind, text[a:b]) if values else _LATER, kind))
        ordinal: set[tuple[int, int]] = set()
        heads: list[int] = []
        for kind, a, b in self.dates.scan(text, low):
            a, b = self._trim(text, a, b)
            if b <= a or not self.dates.keep(text, a, b, kind):
                continue
            a = self.dates.extend(text, a, kind)
            if kind == "ordinal_period":
                ordinal.add((a, b))
            elif kind == "period_head":
                heads.append(len(out))
            out.append(QMatch(a, b, "DATE", self.value("DATE", kind, text[a:b]) if values else _LATER, kind))
        if ordinal and heads:
            # "the third quarter" read as a head and as an ordinal period: the ordinal reading stands on its
            # own when no date follows (the head would be dropped, and take the ordinal reading with it)
            drop = {i for i in heads if (out[i].start, out[i].end) in ordinal}
            out = [m for i, m in enumerate(out) if i not in drop]
        return out

    def _trim(self, text: str, a: int, b: int) -> tuple[int, int]:
        while a < b and (text[a].isspace() or text[a] in ",;:"):
            a += 1
        while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:-–"):
            b -= 1
        return a, b

    # ------------------------------------------------------------------ values
    def value(self, label: str, kind: str, s: str) -> Any:
        try:
            if label == "MONEY":
                return self.money.value(s)
            if label == "PERCENT":
                return self._percent_value(s)
            return self.dates.value(kind, s)
        except Exception:  # a value is a courtesy; never fail a match on it
            return None

    def _numbers(self, s: str) -> list[tuple[float, int, int]]:
        out = []
        for m in self._num_rx.finditer(s):
            v = _num_value(m.group(0), self.lang)
            if v is not None:
                out.append((v, m.start(), m.end()))
        return out

    def _percent_value(self, s: str) -> Any:
        s = re.sub(r"(?i:pour" + S + r"?-?cent|pourcent|per" + S + r"?cent|percent)", " ", s)
        nums = self._numbers(s)
        if not nums:
            return None
        if len(nums) >= 2:
            return {"max": _clean_number(nums[-1][0]), "min": _clean_number(nums[0][0])}
        return _clean_number(nums[0][0])


def resolve_overlaps(matches: list[QMatch]) -> list[QMatch]:
    """Keep the longest match where candidates overlap (MONEY > PERCENT > DATE on ties)."""
    prio = {"MONEY": 0, "PERCENT": 1, "DATE": 2}
    ordered = sorted(matches, key=lambda m: (-(m.end - m.start), prio.get(m.label, 9), m.start))
    taken: list[QMatch] = []
    # one byte per character taken: checking a match costs its length, not the number taken (one long
    # record has thousands of matches)
    occupied = bytearray(max((m.end for m in matches), default=0) + 1)
    for m in ordered:
        if m.end > m.start and occupied.find(1, m.start, m.end) != -1:
            continue
        taken.append(m)
        if m.end > m.start:
            occupied[m.start:m.end] = b"\x01" * (m.end - m.start)
    return sorted(taken, key=lambda m: m.start)
