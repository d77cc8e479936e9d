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
from dataclasses import dataclass, replace
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
    for w in sorted(set(words), key=len, reverse=True):
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


def _trie(words: list[str]) -> str:
    """One regex for a set of literal words, factored as a character trie.

    Python's ``re`` tries the branches of an alternation one after the other;
    factoring common prefixes (``d(?:eux|ix|ouze)``) makes the lists of
    months, number words and relative phrases much cheaper to scan.
    """
    root: dict = {}
    for w in set(words):
        node = root
        for c in w:
            node = node.setdefault(c, {})
        node[""] = {}

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
        self._month_re = re.compile(r"(?i)" + _alt(list(lex.months)))
        self._month_num = {k.lower(): v for k, v in lex.months.items()}
        self._ord_re = re.compile(r"(?i)" + _alt(list(lex.ordinals)))
        self._ord_num = {k.lower(): v for k, v in lex.ordinals.items()}
        self._unit_re = re.compile(r"(?i)" + _alt(list(lex.duration_units)))
        self._unit_code = {k.lower(): v for k, v in lex.duration_units.items()}
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
        de = r"(?:" + S + r"?(?:de|d" + AP + r"|of)" + S + r"?|" + S + r"?)"
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

        # DATE
        year = r"(?<![\w.,])(?:1[89]\d{2}|20\d{2})(?![\w%]|" + S + r"?%|[.,]\d)"
        self.year_re = year
        months_ci = lang == "fr"
        month_alt = _alt(list(lex.months))
        month = r"(?i:" + month_alt + r")" if months_ci else month_alt
        day = r"(?:1er|1st|2nd|3rd|[23]1st|2[23](?:nd|rd)|(?:[12]\d|3[01]|0?[1-9])(?:th|st|nd|rd)?)(?!\d)"
        weekday = r"(?i:" + _alt(lex.weekdays) + r")" if lang == "fr" else _alt(lex.weekdays)
        post = r"(?:" + S + r"(?i:" + _alt(lex.date_postmodifiers) + r"))?" if lex.date_postmodifiers else ""
        ords = r"(?i:" + _alt(list(lex.ordinals)) + r")"
        det = r"(?:(?i:" + _alt([d for d in lex.determiners if d[-1] not in "’'"]) + r")" + S + r"|(?i:l)" + AP + r")"
        self._add("DATE", "year", year)
        if lang == "fr":
            self._add("DATE", "day_month", r"(?:" + weekday + S + r")?(?<!\w)" + day + S + month + r"(?:" + S + year + r")?")
            # "3 au 5 mars 2025", "3-5 mars"
            self._add("DATE", "day_range", r"(?<!\w)" + day + r"(?:" + S + r"(?:au|et|à)" + S + r"|" + S + r"?" + DASH + S + r"?)" + day + S + month + r"(?:" + S + year + r")?")
            self._add("DATE", "month_year", r"(?<![\w-])" + month + r"(?:" + S + r"(?:de" + S + r")?" + year + r"|" + post + r")?(?!\w)")
            mod = r"(?i:début|fin|courant|milieu)" + S + r"(?:de" + S + r"|d" + AP + r")?"
            self._add("DATE", "mod_date", r"(?<!\w)" + mod + r"(?:" + month + r"(?:" + S + year + r")?|" + year + r")",
                      ("début", "fin", "courant", "milieu"))
            self._add("DATE", "mi_date", r"(?<!\w)(?i:mi)-(?:" + month + r"(?:" + S + year + r")?|" + year + r")")
            self._add("DATE", "weekday", r"(?<!\w)" + weekday + post + r"(?!\w)")
            period = r"(?i:trimestre|semestre)"
            self._add(
                "DATE", "ordinal_period",
                r"(?:" + det + r")?(?<!\w)" + ords + S + period
                + r"(?:" + S + r"(?:de" + S + r"l" + AP + r"(?:année|exercice)" + S + r")?" + year + r"|" + post + r")?(?!\w)",
            )
            self._add("DATE", "decade", r"(?:(?i:les)" + S + r")?(?i:années)" + S + r"(?:19|20)\d0(?!\d)")
            seasons = r"(?i:" + _alt(lex.seasons) + r")"
            self._add("DATE", "season_year", r"(?:" + det + r")?(?<!\w)" + seasons + S + year)
            units = r"(?i:" + _alt(list(lex.duration_units)) + r")"
            after = r"(?:" + S + r"(?i:plus" + S + r"tôt|plus" + S + r"tard|auparavant))?"
            self._add("DATE", "duration", num + r"(?:" + rng + num + r")?" + S + units + after + r"(?!\w)")
            # "cinq dernières années", "ces dix dernières années", "12 prochains mois"
            adj = r"(?i:dernières|derniers|prochaines|prochains|premières|premiers|précédentes|précédents)"
            self._add("DATE", "duration", r"(?:(?i:ces)" + S + r")?" + num + S + adj + S + units + r"(?!\w)",
                      ("derni", "prochain", "premi", "précédent"))
        else:
            self._add("DATE", "month_day", r"(?<!\w)" + month + S + day + r"(?:,?" + S + year + r")?(?!\w)")
            self._add("DATE", "day_month", r"(?<![\w])" + day + S + month + r"(?:,?" + S + year + r")?(?!\w)")
            self._add("DATE", "month_year", r"(?<![\w-])(?:(?i:last|next|this)" + S + r")?" + month + r"(?:,?" + S + year + r")?(?!\w)")
            mod = r"(?:(?i:early|late)" + S + r"|(?i:mid)-?|(?i:the" + S + r")?(?i:end|start|beginning|middle)" + S + r"of" + S + r")"
            self._add("DATE", "mod_date", r"(?<!\w)" + mod + r"(?:" + month + r"(?:,?" + S + year + r")?|" + year + r")",
                      ("early", "late", "mid", "end", "start", "beginning", "middle"))
            rel = r"(?:(?i:last|next|this)" + S + r")"
            self._add("DATE", "weekday", r"(?<!\w)" + rel + r"?" + weekday + r"(?!\w)")
            period = r"(?i:quarter|half)"
            self._add(
                "DATE", "ordinal_period",
                r"(?:(?i:the)" + S + r")?(?<!\w)" + ords + S + period
                + r"(?:" + S + r"(?:of" + S + r")?(?:(?i:fiscal)" + S + r")?" + year + r")?(?!\w)",
            )
            self._add("DATE", "decade", r"(?:(?i:the)" + S + r")?(?:19|20)\d0s(?!\w)")
            seasons = r"(?i:" + _alt(lex.seasons) + r")"
            self._add("DATE", "season_year", r"(?<!\w)" + seasons + S + year)
            units = r"(?i:" + _alt(list(lex.duration_units)) + r")"
            after = r"(?:" + S + r"(?i:earlier|later|ago|before))?"
            self._add("DATE", "duration", num + r"(?:" + rng + num + r")?(?:" + S + r"|-)" + units + after + r"(?!\w)(?!-old)")
            # "the past five years", "the next 12 months"
            self._add("DATE", "duration", r"(?<!\w)(?i:the)" + S + r"(?i:past|last|next|coming|previous|first|final)" + S + num + S + units + r"(?!\w)",
                      ("past", "last", "next", "coming", "previous", "first", "final"))
            self._add("DATE", "fiscal", r"(?<!\w)(?:FY" + S + r"?(?:\d{2}|(?:19|20)\d{2})|(?i:fiscal)" + S + year + r")(?!\w)")
        self._add("DATE", "quarter_code", r"(?<!\w)(?:[TQ][1-4]|[HS][12])(?:" + S + r"?(?:19|20)\d{2})?(?!\w)",
                  ("T1", "T2", "T3", "T4", "Q1", "Q2", "Q3", "Q4", "H1", "H2", "S1", "S2"), case=True)
        self._add("DATE", "year_range", year + r"(?:" + S + r"?" + DASH + S + r"?|/|" + S + _alt(rj_words) + S + r")" + r"(?:(?:19|20)\d{2}|\d{2})(?!\w)")
        # each phrase's longest word (spaces and apostrophes match several characters)
        self._add("DATE", "relative", r"(?i:" + _alt(lex.relative_dates) + r")" + post,
                  tuple({max(re.split(r"[ ’']", w.lower()), key=len) for w in lex.relative_dates}))

    _RANGE_OPEN = re.compile(r"(?i:entre|de|du|des|between|from)" + S + r"+$")
    _RANGE_MID = re.compile(S + r"*(?:" + DASH + r"|(?i:et|à|au|and|to|through|until))" + S + r"*$")

    def resolve(self, text: str, matches: list[QMatch]) -> list[QMatch]:
        """Non-overlapping matches, with DATE ranges joined: "entre janvier et mars" -> "janvier et mars"."""
        chosen = [
            m if m.value is not _LATER else replace(m, value=self.value(m.label, m.kind, text[m.start : m.end]))
            for m in resolve_overlaps(self.money.cut_in_dates(text, matches, self.range_re))
        ]
        out: list[QMatch] = []
        i = 0
        while i < len(chosen):
            a = chosen[i]
            if i + 1 < len(chosen):
                b = chosen[i + 1]
                if (
                    a.label == b.label == "DATE"
                    and self._RANGE_MID.match(text[a.end : b.start])
                    and self._RANGE_OPEN.search(text[max(0, a.start - 10) : a.start])
                ):
                    value = f"{a.value}/{b.value}" if isinstance(a.value, str) and isinstance(b.value, str) else None
                    out.append(QMatch(a.start, b.end, "DATE", value, "date_range"))
                    i += 2
                    continue
            out.append(a)
            i += 1
        return out

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
        months = firsts(lex.months)
        dets = firsts(lex.determiners) + "lLcCtT"
        first = {
            "money_sub": nums,
            **self.money.first_chars,
            "money_after": nums + self.money.first_chars["money_after"],
            "percent": nums,
            "year": "12",
            "year_range": "12",
            "day_month": digits + firsts(lex.weekdays),
            "day_range": digits,
            "month_day": months,
            "month_year": months + "lLnNtT",
            "mod_date": "dDfFcCmMeElLtTsSbB",
            "mi_date": "mM",
            "weekday": firsts(lex.weekdays) + "lLnNtT",
            "ordinal_period": dets + firsts(lex.ordinals),
            "decade": "lLaAtT12",
            "season_year": dets + firsts(lex.seasons),
            "duration": nums + "cCtT",
            "fiscal": "fF",
            "quarter_code": "TQHS",
            "relative": firsts(lex.relative_dates),
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
        lex = self.lex
        digits = tuple("0123456789")
        months = tuple({m.lower().rstrip(".") for m in lex.months})
        return {
            "percent": ("%", "cent", "pourcentage", "percentage", "pct"),
            "day_month": months,
            "day_range": months,
            "month_day": months,
            "month_year": months,
            "weekday": tuple(w.lower() for w in lex.weekdays),
            "ordinal_period": ("trimestre", "semestre", "quarter", "half"),
            "decade": ("année", "0s"),
            "season_year": tuple(x.lower() for x in lex.seasons),
            "duration": tuple({u.lower()[:2] for u in lex.duration_units}),
            "fiscal": ("fy", "fiscal"),
            "year": digits,
            "year_range": digits,
            "quarter_code": digits,
            "mi_date": ("mi-",),
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
                if b <= a or not self._keep(text, a, b, kind):
                    continue
                out.append(QMatch(a, b, label, self.value(label, kind, text[a:b]) if values else _LATER, kind))
        return out

    def _trim(self, text: str, a: int, b: int) -> tuple[int, int]:
        while a < b and (text[a].isspace() or text[a] in ",;:"):
            a += 1
        while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:-–"):
            b -= 1
        return a, b

    _AGE_FR = re.compile(r"(?i:âgée?s?" + S + r"de|à" + S + r"l" + AP + r"âge" + S + r"de)" + S + r"$")

    def _keep(self, text: str, a: int, b: int, kind: str) -> bool:
        if kind == "duration":
            left = text[max(0, a - 20) : a]
            if self.lang == "fr" and self._AGE_FR.search(left):
                return False
            if self.lang == "en" and re.search(r"(?i:aged" + S + r")$", left):
                return False
            right = text[b : b + 6].lower()
            if right.startswith(("-old", " old")):
                return False
        if kind == "quarter_code":
            word = text[a:b]
            if word[0] in "HS" and not re.search(r"\d{4}$", word):
                return False  # "S1", "H2" alone are too ambiguous
        return True

    # ------------------------------------------------------------------ values
    def value(self, label: str, kind: str, s: str) -> Any:
        try:
            if label == "MONEY":
                return self.money.value(s)
            if label == "PERCENT":
                return self._percent_value(s)
            return self._date_value(kind, s)
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

    def _date_value(self, kind: str, s: str) -> str | None:
        years = re.findall(r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)", s)
        low = s.lower()
        mm = self._month_re.search(s)
        month = self._month_num.get(_norm_ap(mm.group(0).lower())) if mm else None
        if kind in ("year",) and years:
            return years[0]
        if kind == "year_range":
            m = re.findall(r"\d{2,4}", s)
            if len(m) >= 2:
                end = m[1] if len(m[1]) == 4 else m[0][:2] + m[1]
                return f"{m[0]}/{end}"
        if kind == "day_range":
            return None
        if kind in ("day_month", "month_day"):
            d = re.search(r"(?<!\d)(\d{1,2})(?:er|st|nd|rd|th)?(?!\d)", s)
            if d and month:
                dd = int(d.group(1))
                return f"{years[-1]}-{month:02d}-{dd:02d}" if years else f"XXXX-{month:02d}-{dd:02d}"
        if kind in ("month_year", "mod_date", "mi_date"):
            if month and years:
                return f"{years[0]}-{month:02d}"
            if month:
                return f"XXXX-{month:02d}"
            if years:
                return years[0]
        if kind == "ordinal_period":
            om = self._ord_re.search(s)
            n = self._ord_num.get(om.group(0).lower()) if om else None
            if n is None:
                return None
            unit = "H" if re.search(r"semestre|half", low) else "Q"
            if unit == "H":
                n = min(n, 2)
            return f"{years[0] if years else 'XXXX'}-{unit}{n}"
        if kind == "quarter_code":
            m = re.match(r"([TQHS])([1-4])", s)
            if m:
                unit = "Q" if m.group(1) in "TQ" else "H"
                return f"{years[0] if years else 'XXXX'}-{unit}{m.group(2)}"
        if kind == "decade":
            m = re.search(r"((?:19|20)\d)0", s)
            return f"{m.group(1)}X" if m else None
        if kind == "season_year" and years:
            return years[0]
        if kind == "fiscal":
            m = re.search(r"\d{2,4}", s)
            if m:
                y = m.group(0)
                return "FY" + (y if len(y) == 4 else "20" + y)
        if kind == "duration":
            if re.search(r"(?i:plus tôt|plus tard|auparavant|earlier|later|ago|before)", s):
                return None  # a point relative to the text's date, not a duration
            nums = self._numbers(s)
            if not nums:
                return None
            um = None
            for um in self._unit_re.finditer(s):
                pass  # the last unit word is the unit ("deux à trois ans")
            unit = self._unit_code.get(um.group(0).lower()) if um else None
            if unit is None:
                return None
            n = _clean_number(nums[-1][0])
            if unit == "10Y":
                return f"P{_clean_number(nums[-1][0] * 10)}Y"
            if unit == "Q":
                return f"P{_clean_number(nums[-1][0] * 3)}M"
            if unit == "H":
                return f"P{_clean_number(nums[-1][0] * 6)}M"
            return f"P{n}{unit}"
        return None


def resolve_overlaps(matches: list[QMatch]) -> list[QMatch]:
    """Keep the longest match where candidates overlap (MONEY > PERCENT > DATE on ties)."""
    prio = {"MONEY": 0, "PERCENT": 1, "DATE": 2}
    ordered = sorted(matches, key=lambda m: (-(m.end - m.start), prio.get(m.label, 9), m.start))
    taken: list[QMatch] = []
    occupied: list[tuple[int, int]] = []
    for m in ordered:
        if any(m.start < b and a < m.end for a, b in occupied):
            continue
        taken.append(m)
        occupied.append((m.start, m.end))
    return sorted(taken, key=lambda m: m.start)
