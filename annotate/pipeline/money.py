"""MONEY: the amount grammar, over every ISO 4217 currency that CLDR names.

The currency vocabulary comes from two places:

* ``data/currencies.json``, generated once from CLDR through Babel by
  :func:`generate_currencies` (``python -m annotate.pipeline.money`` rewrites
  it; a test checks that the committed file equals a fresh generation): every
  ISO 4217 code, its French and English names in each plural form, the bare
  head word of each name (``rand``, ``pesetas``, ``zlotys``), and the symbols
  CLDR gives in French, in English and in the locales of the countries that
  use the currency (``₾``, ``zł``, ``Kč``, ``R$``, ``$CA``). A committed file
  rather than a lookup at start-up: the pipeline does not import Babel, builds
  as fast as before, and gives the same output whatever Babel is installed.
* ``labels/lexicon.toml`` ``[xx.currencies]`` (what CLDR lacks or leaves
  ambiguous: ``dollars`` = USD, ``£`` = GBP, ``bitcoins``, ``bucks``),
  ``[xx.currency_subunits]`` (``cents``, ``pence``, ``centimes``) and
  ``currency_stopwords`` (head words too common as plain words: ``won``,
  ``real``, ``mark``). The lexicon wins over CLDR.

Every currency word needs a number before it; CLDR head words match in lower
case only (``Rand``, ``Mark`` are names). Values: ``{"amount", "currency"}``
or ``{"min", "max", "currency"}``; a sub-unit is converted to its main unit
(``50 cents`` = 0.5 USD); a compound amount is summed (``15 dollars 50`` =
15.5, a bare second number being hundredths); ``currency`` is ``None`` where
the word names several currencies (``dinars``, ``pesos``).
"""

from __future__ import annotations

import json
import bisect
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..labels import LangLexicon

DATA = Path(__file__).with_name("data") / "currencies.json"
S = r"[ \u00a0\u202f\u2009]"
AP = r"[’']"
_DOLLAR_KEY = re.compile(r"[a-z]+\$|\$[a-z]+")
_DOLLAR_PARTS = re.compile(r"([a-z]*)\$([a-z]*)")
_MULT_CODE = re.compile(r"([km])([a-z]{3})")
_MULT_WORD = re.compile(S + r"?-?([A-Za-zéè]+)")
_NOT_CUR = re.compile(r"(?i:a|an|of|and|et|de)")
_JOIN = re.compile(r"(?:" + S + r"?[-–—]" + S + r"?|" + S + r"(?i:to|and|et|à|au)" + S + r")")

# codes that are not money in news (precious metals, test and fund units, accounting units)
_NOT_MONEY = {
    "XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA", "XFU",
    "XFO", "XRE", "XAD", "CHE", "CHW", "CLF", "COU", "MXV", "UYI", "UYW", "BOV", "USN", "USS", "ECV",
    "ESA", "ESB", "BEC", "BEL", "ZAL", "CNH", "XEU",
}
# ISO codes that are also common words in upper case (headlines): never a currency on their own
_WORD_CODES = {"ALL", "TOP", "CUP", "BOB", "SOS", "PEN", "GEL", "TRY", "MOP", "BAM", "MAD", "DOP", "SUR",
               "LAK", "MAL", "ARA", "BAD"}


def _clean_symbol(s: str) -> str:
    return "".join(c for c in s if unicodedata.category(c) != "Cf").strip()


def _symbol_ok(s: str, own_locale: bool) -> bool:
    """A symbol safe to match: with a currency sign or a non-Latin letter (``₾``, ``zł``, ``R$``),
    or, in French / English, an upper-case abbreviation of three letters or more (``FCFA``)."""
    if not s or s == "¤":
        return False
    if len(s) == 1:
        return unicodedata.category(s) == "Sc"
    if any(not (c.isascii() and (c.isalpha() or c in ". ")) for c in s):
        return True
    return own_locale and len(s.replace(" ", "")) >= 3 and s.replace(" ", "").isupper()


def generate_currencies() -> dict[str, Any]:
    """The CLDR currency data the grammar needs, through Babel (slow: ~10 s; run offline)."""
    import babel
    import babel.localedata
    import babel.numbers as bn
    from babel import Locale

    codes = sorted(c for c in bn.list_currencies() if c not in _NOT_MONEY)
    current: set[str] = set()
    territories = {Locale.parse(i).territory for i in babel.localedata.locale_identifiers()}
    for t in sorted(x for x in territories if x):
        current.update(c for c in bn.get_territory_currencies(t, tender=True) if c in codes)
    out: dict[str, Any] = {"babel": babel.__version__, "codes": codes, "current": sorted(current)}
    native: dict[str, set[str]] = {}
    for lid in sorted(babel.localedata.locale_identifiers()):
        terr = Locale.parse(lid).territory
        if not terr:
            continue
        for c in bn.get_territory_currencies(terr, tender=True):
            sym = _clean_symbol(bn.get_currency_symbol(c, lid))
            if c in codes and sym != c and _symbol_ok(sym, False):
                native.setdefault(sym, set()).add(c)
    for lang in ("fr", "en"):
        names: dict[str, str | None] = {}
        heads: dict[str, set[str]] = {}
        for c in sorted(codes, key=lambda x: x not in current):  # current currencies first
            for n in (1, 2, 1_000_000):
                name = bn.get_currency_name(c, n, lang).lower()
                if "(" in name:  # "franc cfa (beac)", "dollar zimbabwéen (1980–2008)": the name without its note
                    name = re.sub(r"\s*\([^)]*\)", "", name).strip()
                    if name in names and names[name] != c:
                        if c in current and names[name] in current:
                            names[name] = None  # two current currencies: XAF and XOF
                        continue
                if not name or name == c.lower():
                    continue
                names.setdefault(name, c)
                words = name.split()
                head = words[-1] if lang == "en" else words[0]
                if head.isalpha() and len(head) >= 3 and len(words) > 1:
                    heads.setdefault(head, set()).add(c)
        head_code: dict[str, str | None] = {}
        for h, cs in sorted(heads.items()):
            if h in names:  # the head is itself a full name ("euro")
                continue
            cur = cs & current
            pick = cur if cur else cs
            head_code[h] = next(iter(pick)) if len(pick) == 1 else None
        symbols: dict[str, str | None] = {}
        for sym, cs in native.items():
            symbols[sym] = next(iter(cs)) if len(cs) == 1 else None
        own: set[str] = set()
        for c in codes:  # the language's own symbols win
            sym = _clean_symbol(bn.get_currency_symbol(c, lang))
            if sym != c and _symbol_ok(sym, True):
                symbols[sym] = c
                own.add(c)
        if lang == "en":  # the currencies English writes with a symbol of their own: the widely traded ones
            out["major"] = sorted(own - {"XOF", "XAF", "XPF", "XCG"})
        out[lang] = {"names": dict(sorted(names.items())), "heads": head_code,
                     "symbols": dict(sorted(symbols.items()))}
    return out


def write_currencies(path: Path = DATA) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(generate_currencies(), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                    encoding="utf-8")


@lru_cache(maxsize=1)
def load_currencies() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _key(s: str) -> str:
    """Lookup key of a currency token: lower case, no spaces or dots, one apostrophe."""
    return re.sub(r"[ \u00a0\u202f\u2009.]", "", s.lower()).replace("'", "’")


class MoneyGrammar:
    """The MONEY patterns of one language and the value of a match."""

    def __init__(self, lex: LangLexicon, lang: str, *, num: str, dig: str, mult: str, rng: str,
                 multipliers: dict[str, float], alt, trie) -> None:  # noqa: ANN001
        from .quantities import _num_value

        self.lang = lang
        self._num_value = _num_value
        data = load_currencies()
        own = data[lang]
        stop = {w.lower() for w in lex.currency_stopwords}
        self.lookup: dict[str, str | None] = {}
        words_ci: set[str] = set()  # any case: full names, lexicon words
        words_cs: set[str] = set()  # as written: CLDR head words (lower case), lexicon words with capitals
        symbols: set[str] = set()
        for name, code in own["names"].items():
            if name not in stop:
                words_ci.add(name)
                self.lookup[_key(name)] = code
        for head, code in own["heads"].items():
            if head not in stop:
                words_cs.add(head)
                self.lookup.setdefault(_key(head), code)
        for sym, code in own["symbols"].items():
            symbols.add(sym)
            self.lookup.setdefault(_key(sym), code)
        codes = [c for c in data["codes"] if c not in _WORD_CODES and c.lower() not in stop]
        for c in codes:
            self.lookup.setdefault(c.lower(), c)
        major = set(data["major"])
        for k, code in lex.currencies.items():  # the lexicon wins
            self.lookup[_key(k)] = code
            if not k[0].isalpha() or "$" in k:
                symbols.add(k)
            elif k.isupper() and len(k) >= 3:
                codes.append(k)
                if len(k) == 3:
                    major.add(code)
            elif k.islower():
                words_ci.add(k)
            else:
                words_cs.add(k)
        self.subunits = {_key(k): (v[0], float(v[1])) for k, v in lex.currency_subunits.items()}
        self._lex_keys = {_key(k) for k in lex.currencies}
        # dollars: letters glued to "$" before ("US$", "c $", "nzd$") or after ("$CA", "$ usd")
        letters = {re.sub(r"\$", "", s) for s in symbols if re.fullmatch(r"[A-Za-z]+\$|\$[A-Za-z]+", s)}
        dollar_codes = {c for s, c in own["symbols"].items() if c and "$" in s}
        letters |= dollar_codes | {c for k, c in lex.currencies.items() if "$" in k}
        # ("C$" is NIO in CLDR, CAD in the lexicon: _code() looks both orders up, the lexicon first)
        self._letters = letters
        letter_alt = trie(sorted({l.lower() for l in letters}))
        lead = r"(?<![\w$€£¥.])"
        # spaced ("c $ 16", "hk $ 10"), but never after the article "a" or a possessive "s"
        spaced = trie(sorted({l.lower() for l in letters} - {"a", "s"}))
        dollar_before = (lead + r"(?:(?i:" + letter_alt + r"|u\.s\.?)\$|(?<![\w’'])(?i:" + spaced + r"|u\.s\.?)" + S + r"\$)")
        dollar_after = r"\$" + S + r"?(?i:" + letter_alt + r")(?![\w’'$])"
        major_lower = sorted({c.lower() for c in major} | {k.lower() for k in lex.currencies if k.isupper() and len(k) == 3})
        code_up = alt(sorted(set(codes)))
        mult_code = r"(?<![\w$])[kKM]" + trie(sorted(c for c in major if len(c) == 3)) + r"(?![\w$])"
        sub = sorted(lex.currency_subunits)
        syms = [s for s in symbols if s not in ("$",)]
        word_cur = (r"(?:(?i:" + alt(sorted(words_ci)) + r")|" + alt(sorted(words_cs)) + r")")
        code_cur = r"(?:" + code_up + r"|(?<!\w)" + trie(major_lower) + r"(?!\w)|" + mult_code + r")"
        sym_cur = r"(?:" + dollar_after + r"|" + trie(sorted(syms)) + r"|\$)"  # a trie: no boundary needed after a symbol
        sub_cur = r"(?i:" + alt(sub) + r")" if sub else r"(?!)"
        de = r"(?:" + S + r"?(?:de|d" + AP + r"|of)" + S + r"?|" + S + r"?" + (r"|-" if lang == "en" else "") + r")"
        frac = (r"(?:(?i:(?:a|one|three|un|une|trois)" + S + r")?(?i:half|quarters?|demi|quarts?)"
                r"(?:" + S + r"(?i:a|an|of" + S + r"a|de)|-)?" + S + r"?" + mult + r")")
        amount = num + r"(?:" + S + r"?-?" + mult + r")?"
        # "half a million dollars", "a quarter billion euros" (a cheap look-ahead first: most positions are not)
        first_amount = (r"(?:(?=(?i:a|one|three|un|une|trois|half|quarter|demi|quart))" + frac + r"|" + amount + r")")
        joiner = r"(?:" + S + r"(?i:and|et)" + S + r"|" + S + r")"
        small = r"(?:\d{1,2}|" + num + r")(?!\d|[.,]\d)"
        end_ok = r"(?=" + S + r"*(?:[.,;:!?)]|$|(?i:more|plus|only|seulement)\b))"
        tail = r"(?:" + joiner + r"(?:" + small + S + r"?" + sub_cur + r"|" + small + end_ok + r"))?"
        big = r"(?:" + S + r"(?i:" + alt([m for m in multipliers if len(m) > 2]) + r"))?"
        # one character-class test before trying the currency tries (most numbers are not money)
        heads = {w[0] for w in words_ci | set(sub) for w in (w, w.upper())} | {w[0] for w in words_cs | set(syms) | set(codes)}
        heads |= {c.upper() for c in heads if c.isalpha()} | {c.lower() for c in heads if c.isalpha()} | {"$", "k", "K", "M"}
        cur_first = r"(?=[" + "".join(sorted(re.escape(c) for c in heads)) + r"])"
        cur_after = cur_first + r"(?:" + word_cur + r"|(?:" + code_cur + r"|" + sym_cur + r")" + big + r")" + tail
        self.patterns: list[tuple[str, str, tuple[str, ...] | None, bool]] = []
        self.patterns.append(("money_after", first_amount + r"(?:" + rng + amount + r")?" + de + cur_after + r"(?![\w$€£])",
                              None, False))
        # French "deux cents" is 200: a sub-unit there follows digits only
        sub_amount = amount if lang == "en" else r"(?<![\w.,])" + dig
        self.patterns.append(("money_sub", sub_amount + S + r"?-?" + sub_cur + r"(?!\w)",
                              tuple(sorted({k.lower() for k in sub})), False))
        prefix_syms = [s for s in symbols if not s[0].isalpha() or "$" in s]
        d_amt = dig + r"(?:" + S + r"?-?" + mult + r")?"

        def before(prefix: str) -> str:
            return (r"(?P<cur>" + prefix + r")" + S + r"?" + d_amt + r"(?:" + rng + r"(?:(?P=cur)" + S + r"?)?" + d_amt
                    + r")?" + tail + r"(?![\w])")

        codes_trie = trie(sorted(set(codes)))
        self.patterns.append(("money_before", before(lead + trie(sorted(prefix_syms)) + r"|(?<![\w$€£¥])" + codes_trie
                                                     + r"|" + mult_code), None, True))
        # letters and "$" in any case ("c $ 16.4", "usd$ 15"): only in a text with a "$"
        self.patterns.append(("money_before_dollar", before(dollar_before), ("$",), True))
        lead_chars = heads | {c for l in letters for c in (l[0].lower(), l[0].upper())} | {"u", "U"}
        self._cur_src = ("(?=[" + "".join(sorted(re.escape(c) for c in lead_chars)) + r"])(?:" + dollar_before + r"|(?<![\w$€£¥])" + codes_trie + r"(?=\d)|" + sym_cur + r"|"
                         + code_cur + r"|" + word_cur + r"|" + sub_cur + r")")
        self._cur_compiled: re.Pattern[str] | None = None
        self._num_rx = re.compile(num)
        self._frac_rx = re.compile(r"(?i:(three|trois)" + S + r")?(?i:(half|demi)|(quarters?|quarts?))"
                                   r"(?:" + S + r"(?i:a|an|of" + S + r"a|de))?")
        self._mults = multipliers
        self._mults_ci = {k.lower(): v for k, v in multipliers.items() if len(k) > 2}
        self._compact = sorted((k for k in multipliers if len(k) <= 3), key=len, reverse=True)

        def firsts(words) -> str:  # noqa: ANN001
            return "".join(sorted({w[0] for w in words if w}))

        # the characters a match can start with, per kind (see QuantityGrammar._add_first_char_filters)
        self.first_chars = {
            "money_after": "aAhHqQ",  # added to the number characters: "a quarter", "half"
            "money_before": firsts(prefix_syms) + firsts(codes) + "MKk",
            "money_before_dollar": firsts({l.lower() for l in letters} | {l.upper() for l in letters}) + "uU",
        }

    @property
    def _cur_rx(self) -> re.Pattern[str]:
        """Every currency token, for values: compiled on the first value asked (it is large)."""
        if self._cur_compiled is None:
            self._cur_compiled = re.compile(self._cur_src)
        return self._cur_compiled

    def cut_in_dates(self, text: str, matches: list, range_re: str) -> list:  # noqa: ANN001
        """A MONEY range that begins inside a date keeps its second amount only:
        "le 1 janvier 1990 à 1015 francs" -> "1015 francs", not "1990 à 1015 francs"."""
        from dataclasses import replace

        from .quantities import _LATER

        if not any(m.label == "MONEY" for m in matches):
            return matches
        dates = [(d.start, d.end) for d in matches if d.label == "DATE"]
        if not dates:
            return matches
        rng = re.compile(range_re)
        # the dates by start, to look only at those that can hold m.start (they start at most the
        # longest date's length before it): linear in the matches, not MONEY x DATE
        order = sorted(range(len(dates)), key=lambda i: dates[i][0])
        starts = [dates[i][0] for i in order]
        longest = max(e - a for a, e in dates)
        out = []
        for m in matches:
            if m.label == "MONEY":
                lo = bisect.bisect_left(starts, m.start - longest)
                hi = bisect.bisect_left(starts, m.start)
                near = [i for i in order[lo:hi] if dates[i][0] < m.start < dates[i][1] < m.end]
                inside = dates[min(near)][1] if near else None  # the first in match order, as before
                j = rng.match(text, inside) if inside is not None else None
                if j:
                    m = replace(m, start=j.end(), value=_LATER)
            out.append(m)
        return out

    # ------------------------------------------------------------------ values
    def _code(self, tok: str) -> tuple[str | None, float, float]:
        """(code, sub-unit factor, multiplier) of one currency token."""
        k = _key(tok)
        if k in self.subunits:
            code, f = self.subunits[k]
            return code, f, 1.0
        if k in self.lookup and (k in self._lex_keys or not _DOLLAR_KEY.fullmatch(k)):
            return self.lookup[k], 1.0, 1.0
        m = _DOLLAR_PARTS.fullmatch(k)
        if m:
            letters = m.group(1) or m.group(2)
            for cand in (letters + "$", "$" + letters, letters):
                if cand in self.lookup and self.lookup[cand]:
                    return self.lookup[cand], 1.0, 1.0
            return "USD" if letters in ("us", "u.s") else None, 1.0, 1.0
        m = _MULT_CODE.fullmatch(k)
        if m and m.group(2) in self.lookup:
            return self.lookup[m.group(2)], 1.0, 1e3 if m.group(1) == "k" else 1e6
        return self.lookup.get(k), 1.0, 1.0

    def _mult_at(self, s: str, pos: int) -> float:
        m = _MULT_WORD.match(s, pos)
        if not m:
            return 1.0
        w = m.group(1)
        for cand in (w, w.rstrip("s")):
            if cand in self._mults:
                return float(self._mults[cand])
            if cand.lower() in self._mults_ci:
                return float(self._mults_ci[cand.lower()])
        for k in self._compact:  # glued compact units: "M€", "MdUSD"
            if w.startswith(k):
                return float(self._mults[k])
        return 1.0

    def value(self, s: str) -> Any:
        curs = [(m.start(), m.end(), *self._code(m.group(0))) for m in self._cur_rx.finditer(s)]
        curs = [c for c in curs if not _NOT_CUR.fullmatch(s, c[0], c[1])]
        if not curs:
            return None
        main = next((c for c in curs if c[3] == 1.0), curs[0])
        # a sub-unit word before the currency is part of the number ("deux cents euros")
        curs = [c for c in curs if c[3] == 1.0 or c[0] > main[0] or c is main]
        masked = list(s)
        for a, b, *_ in curs:
            masked[a:b] = " " * (b - a)
        ms = "".join(masked)
        nums = []
        for m in self._num_rx.finditer(ms):
            v = self._num_value(m.group(0), self.lang)
            if v is not None:
                nums.append((v, m.start(), m.end()))
        fr = self._frac_rx.search(ms)
        if fr and (not nums or fr.start() < nums[0][1]):
            f = 0.5 if fr.group(2) else 0.75 if fr.group(1) else 0.25
            nums = [(f, fr.start(), fr.end())] + [n for n in nums if n[1] >= fr.end()]
        if not nums:
            return None
        code, factor, cmult = main[2], main[3], main[4]
        # numbers before the main currency token: the amount (or a range); after: a compound tail
        head = [n for n in nums if n[1] < main[0]] or nums[:1]
        rest = [n for n in nums if n[1] >= main[1]]
        if head[0][1] > main[0]:  # the currency came first ("$300", "USD 40")
            head, rest = nums[:1], nums[1:]
            if rest and _JOIN.match(ms, head[0][2], rest[0][1]):
                head, rest = nums[:2], nums[2:]
        after_mult = self._mult_at(ms, main[1]) if main[1] < len(ms) else 1.0
        vals = []
        for v, a, b in head:
            mm = self._mult_at(ms, b)
            vals.append(v * mm)
        if len(vals) == 2 and vals[0] == head[0][0] and vals[1] != head[1][0]:
            vals[0] = head[0][0] * (vals[1] / head[1][0])  # "10 et 15 milliards": the multiplier is shared
        mult = cmult * (after_mult if all(self._mult_at(ms, b) == 1.0 for _, _, b in head) else 1.0)
        vals = [x * mult * factor for x in vals]
        if rest and len(vals) == 1:
            sub = next((c for c in curs if c[0] >= rest[0][2] and c[3] != 1.0), None)
            vals[0] += rest[0][0] * (sub[3] if sub else 0.01)
        from .quantities import _clean_number

        if len(vals) >= 2:
            return {"currency": code, "max": _clean_number(vals[-1]), "min": _clean_number(vals[0])}
        return {"amount": _clean_number(vals[0]), "currency": code}


if __name__ == "__main__":  # pragma: no cover - regenerates the committed data file
    write_currencies()
    print(f"wrote {DATA}")
