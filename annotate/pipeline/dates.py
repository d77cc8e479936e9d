"""DATE: the date grammar (patterns, left extensions, joins); its values are in :mod:`.datevalues`.

Called from :class:`annotate.pipeline.quantities.QuantityGrammar`, which runs
every pattern over the text; the vocabulary (months and their abbreviations,
weekdays, period nouns, relative words, holidays, decade words) comes from
``labels/lexicon.toml``.

Shapes: years, day dates (``le 21 janvier 2025``, ``mer. 10 juin``,
``Wednesday, June 10``, ``the 9th of May``), numeric dates (``01/08/2019``,
``2013-03-01``, ``22/04``; day/month order by language: fr d/m, en m/d, unless
only the other order is a date: ``27/06/2025`` in English),
months (``ce mois de mars``, ``Nov 2001``, ``11/2016``), weekdays, relative
periods (``la semaine suivante``, ``le prochain trimestre``, ``next fiscal
year``), parts of periods (``la dernière semaine de juillet``, ``the first
week of January 2015``, ``fin du mois de mars``: a part joined to the date it
is "of"; ``the fourth quarter of the year``, ``premier semestre de l'année``: of
a period named by its unit), parts of the current period (``later in the year``,
``the end of the quarter``, ``en fin de semaine``, ``le reste de l'année``, not
times of day), holidays (``Noël``, ``Easter 2018``), decades and centuries
(``les années soixante-dix``, ``the seventies``, ``21st century``), durations
(``cinq ans``, ``il y a deux ans``, ``two weeks ago``, ``3 jours après
demain``) and ranges as one span.

Values are ISO 8601 / TIMEX3-style strings where the text alone fixes them
(``2025-01-21``, ``XXXX-06-10``, ``XXXX-XX-23``, ``197X``, ``20`` for the
21st century, ``P5Y``); a date relative to the text's own date (``demain``,
``la semaine suivante``, ``il y a deux ans``) has the value ``None`` here;
:mod:`annotate.pipeline.reldates` resolves it (and fills ``XXXX``) when the
record has a reference date (``meta.date`` or ``annotate pre --ref-date``).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from ..labels import LangLexicon
from .datevalues import DateValues
from .quantities import AP, DASH, QMatch, S, _alt, _char_tree, _norm_ap

# kinds whose matches may take a determiner / "début de" / "plus tard" on their left
_EXTENDABLE = {"day_range", "day_month", "month_day", "numeric", "day_only", "weekday", "month_year", "holiday",
               "rel_period", "relative", "period_part", "period_head", "mod_date", "mi_date", "season_year", "year_of"}


def _ci(words) -> str:  # noqa: ANN001
    return r"(?i:" + _alt(list(words)) + r")"


def _firsts(words) -> str:  # noqa: ANN001
    return "".join({c for w in words if w for c in (w[0].lower(), w[0].upper())})


def _literal_trie(words) -> str:  # noqa: ANN001
    """A regex that finds any of ``words`` exactly as written (no space or apostrophe classes, unlike
    :func:`~annotate.pipeline.quantities._trie`): ``search`` finds one exactly where a search for
    ``|``-joined literals does, but tries one branch per character instead of every word."""
    root = _char_tree(words)

    def emit(node: dict) -> str:
        if "" in node:
            return ""  # a shorter word ends here: for a presence test the rest is not needed
        return "(?:" + "|".join(re.escape(c) + emit(node[c]) for c in sorted(node)) + ")"

    return emit(root) if root else r"(?!)"


def _lead(words, *, digits: bool = False) -> str:  # noqa: ANN001
    """A look-ahead on the first characters of ``words`` (both cases; a first apostrophe or space
    stands for every apostrophe or space, as in :func:`_alt`; ``digits``: any decimal digit too).

    A superset of the characters a match of their alternation can start with: put before a
    pattern whose every branch starts with one of these words, it changes no match.
    """
    chars: set[str] = set()
    for w in words:
        c = w[:1]
        if not c:
            return ""  # an empty word matches anywhere: no filter
        if c in "’'":
            chars.update("’'")
        elif c == " ":
            chars.update(" \u00a0\u202f\u2009")
        else:
            chars.update(x for x in (c, c.lower(), c.upper()) if len(x) == 1)
    cls = "".join(sorted(re.escape(c) for c in chars))
    return r"(?=[" + cls + (r"\d" if digits else "") + r"])"


class DateRules(DateValues):
    """The DATE patterns and values of one language."""

    def __init__(self, lex: LangLexicon, lang: str, *, num: str, rng: str) -> None:
        self.lex, self.lang = lex, lang
        fr = lang == "fr"
        self.patterns: list[tuple[str, re.Pattern[str], Any, bool, re.Pattern[str] | None]] = []
        months_all = {**lex.months, **{k: v for k, v in lex.month_abbrevs.items()}}
        self._month_num = {_norm_ap(k.lower()).rstrip("."): v for k, v in months_all.items()}
        self._month_re = re.compile(r"(?i)" + _alt(list(months_all)))
        self._ord_num = {k.lower(): v for k, v in lex.ordinals.items()}
        self._ord_re = re.compile(r"(?i)" + _alt(list(lex.ordinals)))
        self._unit_code = {k.lower(): v for k, v in lex.duration_units.items()}
        self._unit_re = re.compile(r"(?i)" + _alt(list(lex.duration_units)))
        self._decade = {k.lower(): v for k, v in lex.decade_words.items()}
        self._holiday = {_norm_ap(k.lower()): v for k, v in lex.holidays.items()}
        self._num_rx = re.compile(num)

        year = r"(?<![\w.,/])(?:1[89]\d{2}|20\d{2})(?![\w%/]|" + S + r"?%|[.,]\d)"
        self.year = year
        yy = r"(?:(?:" + AP + r"\d{2}|3[2-9]|[4-9]\d)(?!\d))"  # a two-digit year: '98, or a number no day can be
        # month words: French in any case; English capitalised, or in lower case when
        # unambiguous (never "may", "march", "august" alone); abbreviations only next to a number
        if fr:
            month = r"(?:" + _ci([m for m in lex.months if m.endswith(".")]) + r"|" + _ci([m for m in lex.months if not m.endswith(".")]) + r")"
        else:
            cs = {m.lower() for m in lex.months_case_sensitive}
            month = r"(?:" + _alt(list(lex.months)) + r"|" + _ci([m for m in lex.months if m.lower() not in cs]) + r")"
        dotted = [m for m in months_all if m.endswith(".")]
        month_n = (r"(?:" + _ci(dotted) + r"|" + _ci([m for m in months_all if m not in dotted]) + r"(?:\.(?=,?" + S + r"?\d))?)")  # next to a day or a year
        day = r"(?:1er|1re|1st|2nd|3rd|[23]1st|2[23](?:nd|rd)|(?:[12]\d|3[01]|0?[1-9])(?:th|st|nd|rd|e|ème)?)(?!\d|:\d|h(?![a-zé]))"
        wd = _ci(lex.weekdays)
        wd_any = r"(?:" + wd + r"|" + _ci(lex.weekday_abbrevs) + r")"
        ords = r"(?:" + _ci(lex.ordinals) + r"|\d{1,2}(?:e|ème|eme|er|re|st|nd|rd|th)|(?i:[a-zé]+i[eè]me))"
        units = _ci(lex.period_nouns)
        pre = _ci(lex.relative_pre)
        post = _ci(lex.date_postmodifiers) if lex.date_postmodifiers else r"(?!)"
        dets = [d for d in lex.determiners if d[-1] not in "’'"]
        det = r"(?:(?i:" + _alt(dets) + r")" + S + (r"|(?i:l)" + AP if fr else "") + r")"
        demo = _ci(lex.demonstratives) + S
        of = r"(?:" + S + r"(?:de" + S + r"|d" + AP + r"|du" + S + r"|of" + S + r"))"
        sep = r"[/.-]"
        dm, mm = r"(?:[12]\d|3[01]|0?[1-9])", r"(?:1[0-2]|0?[1-9])"
        num_end = r"(?![\w/]|[.,:-]\d)"
        num_start = r"(?<![\w./:+,-])"
        yfull = r"(?:1[89]\d{2}|20\d{2})"
        months_trig = tuple({m.lower().rstrip(".") for m in months_all})
        digits = tuple("0123456789")

        def add(kind: str, pattern: str, firsts: str, needs: tuple[str, ...] | None = None, case: bool = False) -> None:
            cls = "".join(sorted({re.escape(c) for c in firsts}))
            self.patterns.append((kind, re.compile(r"(?=[" + cls + r"])" + pattern), needs, case, None))

        nums_first = "0123456789" + _firsts(lex.number_words) + "aAuUpPsS"
        wd_first = _firsts(lex.weekdays) + _firsts(lex.weekday_abbrevs)
        det_first = _firsts(dets) + "lLcCtT"
        add("year", year, "12", digits)
        # day dates: "mercredi 10 juin 2020", "mer. 10 juin", "10 juin 2020", "le 4e jour de juillet de 1995"
        year_tail = r"(?:,?" + S + r"?(?:(?:de|of|in)" + S + r")?(?:" + yfull + r"(?!\d)|" + yy + r"))?"
        day_of = r"(?:" + S + r"(?:(?i:jour)" + S + r")?" + r"(?:(?:de|of)" + S + r"(?:(?i:mois)" + S + r"(?:de" + S + r"|d" + AP + r"))?|d" + AP + r")?|" + S + r"?-" + S + r"?)"
        add("day_month", r"(?<![\w/.,$€£-])(?:" + day + r"|(?i:premier|first))" + day_of + month_n + year_tail + r"(?![\w/]|-\d)",
            "0123456789pPfF", months_trig)
        # month before day: "June 10", "Wednesday, June 10, 2020", "novembre 19-20", "june the 28th"
        add("month_day", r"(?<![\w/.-])" + month_n + r"(?:" + S + r"(?i:the)" + S + r"|" + S + r"?)" + day
            + r"(?:" + S + r"?" + DASH + S + r"?" + day + r")?" + year_tail + r"(?![\w/]|[.,:]\d)",
            _firsts(months_all), months_trig)
        # day ranges: "du 13 au 15 juillet", "le 3 et le 12 septembre", "9 to 12 of June"
        add("day_range", r"(?<![\w/.$€£-])" + day + r"(?:" + S + r"(?:au|et|à|to|and|through|jusqu" + AP + r"(?:au|à|a))" + S + r"(?:(?i:le|the)" + S + r")?|" + S + r"?" + DASH + S + r"?)"
            + day + day_of + month_n + year_tail + r"(?![\w/]|-\d)", "0123456789", months_trig)
        # month names in numeric shapes: 23-Sep-2020, 22/Jan/2019, 2019-aug-1, Sep-23-2020, 2020/Sep/23, Oct/2
        add("day_month", r"(?<![\w/.-])(?:" + dm + r"(?P<m1>[/-])" + month_n + r"(?P=m1)(?:" + yfull + r"|\d{2})|" + yfull + r"(?P<m2>[/-])" + month_n + r"(?P=m2)" + dm
            + r"|" + month_n + r"(?P<m3>[/-])" + dm + r"(?:(?P=m3)" + yfull + r")?)(?![\w/]|-\d)", "0123456789" + _firsts(months_all), months_trig)
        # numeric: 2013-03-01, 2020/12/31, 01/08/2019, 15.05.99, 22/04, "vendredi 7.6", 11/2016, 2015-3
        numeric = (
            yfull + r"(?P<s1>" + sep + r")" + mm + r"(?P=s1)" + dm
            + r"|" + dm + r"(?P<s2>" + sep + r")" + dm + r"(?P=s2)(?:" + yfull + r"|\d{2})"
            + r"|" + dm + r"/" + dm + r"(?![.,]?\d)"
            + r"|" + mm + S + r"?[/-]" + S + r"?" + yfull
            + r"|" + yfull + r"(?:[/.]" + mm + r"|-[1-9])"
            + r"|" + dm + S + mm + S + yfull
        )
        add("numeric", r"(?:(?<!\w)(?P<wd>(?:" + pre + S + r")?" + wd_any + r",?" + S + r"))?" + num_start + r"(?:" + numeric + r"|(?(wd)" + dm + r"[.-]" + dm + r"(?!\d)|(?!)))" + num_end,
            "0123456789" + wd_first + _firsts(lex.relative_pre), digits)
        # day alone after a determiner or a weekday: "le 23", "jeudi le 21", "Friday 31", "the 4th"
        day_word = r"(?:" + day + r"|(?i:premier|first))"
        day_end = r"(?=" + S + r"*(?:[.,;!?)](?!\d)|$)|" + S + r"(?:et|au|à|jusqu|and|to|through|till)" + S + r"|" + S + r"(?:du|de|of)" + S + r"(?:ce" + S + r"|the" + S + r")?(?i:mois|month))"
        not_unit = r"(?!" + S + r"?(?:h\b|[hH]\d|(?i:heures?|hours?|pm|am|p\.m|a\.m|%|€|\$)|[:.,]\d|-\d))"
        add("day_only", r"(?<!\w)(?:(?i:le|the)" + S + day_word + day_end + r"|(?:" + pre + S + r")?" + wd_any + r",?" + S + r"(?:(?i:le|the)" + S + r")?" + day_word + not_unit + r")"
            + r"(?:" + of + r"(?:(?:ce|the|this)" + S + r")?(?i:mois|month)(?:" + S + post + r")?)?",
            "lLtT" + wd_first + _firsts(lex.relative_pre), None)
        # months: "ce mois de mars", "mois d'août", "Nov 2001", "mars, 2001", "juillet 98", "Dec/2018", "2016 November"
        mois = r"(?:(?i:le" + S + r")?(?i:mois)" + S + r"(?:de" + S + r"|d" + AP + r")|(?i:the" + S + r")?(?i:month)" + S + r"of" + S + r")"
        add("month_year", r"(?<![\w-])(?:" + (demo if fr else pre + S) + r"|" + mois + r")?(?:" + month_n + r"(?:,?" + S + r"?(?:(?:de|of|in)" + S + r")?" + yfull
            + r"(?!\d)|/" + yfull + r"|" + S + yy + r")|" + month + r"(?:" + S + post + r")?|" + yfull + S + r"?,?" + S + month_n + r")(?![\w/]|-\d)",
            _firsts(months_all) + _firsts(lex.relative_pre) + "cCmMlL12", months_trig)
        # modifiers: "début mars", "fin 2026", "early 2025", "the end of March", "mi-2027"
        if fr:
            mod = r"(?i:début|fin|courant|milieu)" + S + r"(?:de" + S + r"|d" + AP + r")?"
            add("mod_date", r"(?<!\w)" + mod + r"(?:" + month + r"(?:" + S + year + r")?|" + year + r")", "dDfFcCmM",
                ("début", "fin", "courant", "milieu"))
            add("mi_date", r"(?<!\w)(?i:mi)-(?:" + month + r"(?:" + S + year + r")?|" + year + r")", "mM", ("mi-",))
        else:
            mod = r"(?:(?i:early|late)" + S + r"|(?i:mid)-?" + S + r"?|(?i:the" + S + r")?(?i:end|start|beginning|middle)" + S + r"of" + S + r")"
            add("mod_date", r"(?<!\w)" + mod + r"(?:" + month + r"(?:,?" + S + year + r")?|" + year + r")", "eElLmMtTsSbB",
                ("early", "late", "mid", "end", "start", "beginning", "middle"))
        # weekdays: "mardi dernier", "next Monday", "this past Wednesday", "le deuxième dimanche", "tuesday of last week"
        wd_pre = r"(?:(?:" + pre + r"|" + ords + r")" + S + r")?"
        wd_post = r"(?:" + S + post + r"|" + S + r"(?i:à" + S + r"venir)|" + of + r"(?:(?:la|last|next|this)" + S + r")?(?i:semaine|week)(?:" + S + post + r")?)?"
        add("weekday", r"(?<!\w)" + wd_pre + wd + wd_post + r"(?!\w)", wd_first + _firsts(lex.relative_pre) + "0123456789" + _firsts(lex.ordinals) + "dDtTqQcCsS",
            tuple(w.lower() for w in lex.weekdays))
        # relative periods: "la semaine suivante", "le prochain trimestre", "ce mois-ci", "next fiscal year", "the same week"
        fiscal = r"(?:(?i:fiscal|calendar|school|budgétaire|calendaire|scolaire)" + S + r")?"
        tail = r"(?:-ci|-là|" + S + r"(?:" + post + r"|(?i:à" + S + r"venir|en" + S + r"cours|calendaire|scolaire|budgétaire)))"
        rel = (r"(?:" + det + r"|" + demo + r")?" + pre + S + fiscal + units + r"(?!-)" + tail + r"?"
               + r"|" + r"(?:" + det + r"|" + demo + r")?" + units + tail
               + r"|" + demo + fiscal + units + r"(?!\w)(?!-)")
        add("rel_period", r"(?<![\w-])(?:" + rel + r")(?![\w-])", det_first + _firsts(lex.relative_pre) + _firsts(lex.period_nouns) + _firsts(lex.demonstratives),
            tuple({max(re.split(r"[ ’'-]", w.lower()), key=len)[:5] for w in lex.period_nouns}))
        # parts of periods: "la dernière semaine", "the first 2 weeks", "la semaine du 10 avril" (joined to the date that follows)
        part_units = r"(?i:semaine|semaines|quinzaine|week|weeks|mois|month|months|jour|day|days|jours|trimestre|quarter|quart|semestre|fortnight)"
        part_needs = ("semaine", "quinzaine", "week", "mois", "month", "jour", "day", "trimestre", "quarter", "quart", "semestre", "fortnight")
        part_first = det_first + _firsts(lex.ordinals) + _firsts(lex.relative_pre) + "0123456789sSwWcChHnNdDoOvVtTqQ"
        add("period_part", r"(?<!\w)" + det + ords + S + r"(?i:semaine|quinzaine|week|mois|month|jour|day|fortnight)" + r"(?!\w)", part_first, part_needs)
        # a head that is a DATE only with the date it is "of" ("la semaine du 10 avril"): dropped when nothing follows
        add("period_head", r"(?<!\w)(?:" + det + r")?(?:" + ords + r"|" + pre + r")" + S + r"(?:" + num + S + r")?" + part_units + r"(?=" + of + r")"
            + r"|(?<!\w)(?:" + det + r")?(?i:semaine|week|weekend|week-end)(?=" + S + r"(?:du|of|commençant|commencing|starting|beginning)" + S + r")",
            part_first, part_needs)
        # what completes a head that no date follows: "the fourth quarter" + "of the year", "le premier semestre"
        # + "de l'année", "la dernière semaine" + "du mois" (the period it is part of, named by its unit alone)
        whole = r"(?i:année|an|exercice|mois|semaine|trimestre|semestre|year|month|week|quarter|half)"
        # English "the first half" / "the third quarter" of something that is neither a period nor a date
        self._of_other = None if fr else re.compile(S + r"of" + S + r"(?i:the|a|an|its|their|his|her)" + S + r"(?!(?i:fiscal|calendar|financial)\b)[a-z]+\b(?!['’]s)")
        self._of_unit = re.compile(of + r"(?:" + det + r"|" + demo + r")?(?:" + pre + S + r")?" + fiscal + whole
                                   + r"(?:" + S + r"(?:" + post + r"|(?i:en" + S + r"cours)))?(?![\w-])")
        # "l'année 2019", "the year 2008", "l'année scolaire 2008", "la semaine 10", "week 10 of 2027"
        add("year_of", r"(?<!\w)(?:" + det + r")?(?:(?i:année|an|year)" + S + fiscal + yfull + r"(?!\d)|(?i:semaine|week)" + S + r"(?:[1-4]\d|5[0-3]|0?[1-9])(?![\d:hH]|" + S + r"?(?i:h\b|heures?|pm|am|p\.m))(?:" + of + yfull + r")?)",
            det_first + "aAyYsSwW", ("année", "year", "semaine", "week"))
        # holidays: "Noël", "Pâques 2018", "la veille de Noël", "labor day weekend", "le lundi de Pâques"
        hol = _alt(list(lex.holidays)) if fr else _ci(lex.holidays)
        add("holiday", r"(?<!\w)(?:(?:" + pre + r")" + S + r")?(?:(?i:veille|lendemain|lundi|weekend|week-end)" + of + r")?" + hol
            + r"(?:" + S + r"?,?" + S + yfull + r")?(?:" + S + post + r")?(?:" + S + r"(?i:weekend))?(?!\w)",
            _firsts(lex.holidays) + _firsts(lex.relative_pre) + "vVlLwW", None)
        # decades and centuries: "les années 2030", "les années soixante-dix", "the seventies", "the 1990s", "21st century"
        dw = _ci(lex.decade_words)
        if fr:
            dec = (r"(?:(?i:les)" + S + r")?(?:(?i:années)" + S + r"(?:(?:19|20)?\d0(?!\d)|(?i:dix-neuf)" + S + dw + r"|" + dw + r"|(?i:deux" + S + r"mille)(?!" + S + r"\w))"
                   + r"|(?i:les)" + S + r"(?:19|20)?\d0s(?!\w))")
        else:
            dec = r"(?:(?i:the)" + S + r")?(?:(?:19|20)?\d0" + S + r"?s(?!\w)|" + AP + r"\d0s(?!\w)|(?:(?i:nineteen)" + S + r")?" + dw + r")"
        add("decade", r"(?<!\w)" + dec + r"(?!\w)", "lLaAtT12" + "0123456789" + _firsts(lex.decade_words) + "nN'’", None)
        add("century", r"(?<!\w)\d{1,2}(?:e|ème|eme|st|nd|rd|th)" + S + r"(?i:siècle|century)", "0123456789", ("siècle", "century"))
        # seasons with a year: "l'été 2024", "printemps de 1978"
        seasons = _ci(lex.seasons)
        add("season_year", r"(?:" + det + r")?(?<!\w)" + seasons + r"(?:" + S + r"(?:de|of))?" + S + year, det_first + _firsts(lex.seasons),
            tuple(x.lower() for x in lex.seasons))
        # durations: "cinq ans", "3.5ans", "il y a deux ans, un mois et vingt-et-un jours", "two weeks ago", "trois ans et demi"
        dunits = _ci(lex.duration_units)
        vague = r"(?:(?<!\w)(?i:plusieurs|several|a" + S + r"few|a" + S + r"couple" + S + r"(?:of" + S + r")?)" + S + dunits + r")"
        # "five business days", "two trading days" (French puts the adjective after: "cinq jours ouvrés")
        day_kind = "" if fr else r"(?:(?i:business|working|trading|calendar)" + S + r")?"
        one = r"(?:" + vague + r"|" + num + r"(?:" + rng + num + r")?" + (S + r"?" if fr else r"(?:" + S + r"|-)") + day_kind + dunits + r")"
        more = r"(?:(?:," + S + r"|" + S + r"(?:et|and)" + S + r"|" + S + r")" + num + S + dunits + r"|" + S + r"(?i:et" + S + r"demie?|and" + S + r"a" + S + r"half|et" + S + r"un" + S + r"quart))*"
        if fr:
            after = r"(?:" + S + r"(?i:plus" + S + r"tôt|plus" + S + r"tard|auparavant|ouvrés|ouvrables|ouvrés?|ouvrables?|à" + S + r"venir|dans" + S + r"le" + S + r"futur|de" + S + r"plus))?"
            lead = r"(?:(?i:il" + S + r"y" + S + r"?a)" + S + r"|(?i:encore)" + S + r")?"
        else:
            after = r"(?:" + S + r"(?i:earlier|later|ago|before|hence|in" + S + r"the" + S + r"future))?"
            lead = ""
            # "for a week", "in a month", "a year ago"
            one = (r"(?:(?:(?<=for )|(?<=in )|(?<=within )|(?<=over ))(?i:a|an)" + S + dunits + r"(?!" + S + r"(?:of|in" + S + r"the|old)\b)|(?<!\w)(?i:a|an)" + S + dunits
                   + r"(?=" + S + r"(?i:ago|earlier|later))|" + one + r")")
        add("duration", r"(?:" + lead + r")(?:" + one + r")" + more + after + r"(?!\w)(?!-old)", nums_first + "iIeE", tuple({u.lower()[:2] for u in lex.duration_units}))
        if fr:
            adj = r"(?i:dernières|derniers|prochaines|prochains|premières|premiers|précédentes|précédents)"
            add("duration", r"(?:(?i:ces)" + S + r")?" + num + S + adj + S + dunits + r"(?!\w)", nums_first + "cC", ("derni", "prochain", "premi", "précédent"))
        else:
            add("duration", r"(?<!\w)(?:(?:(?i:the)" + S + r")?(?i:past|next|coming|previous|first|final)|(?i:the)" + S + r"(?i:last))" + S + num + S + dunits + r"(?!\w)", "tTpPlLnNcCfF",
                ("past", "last", "next", "coming", "previous", "first", "final"))
            add("fiscal", r"(?<!\w)(?:FY" + S + r"?(?:\d{2}|(?:19|20)\d{2})|(?i:fiscal)" + S + year + r")(?!\w)", "fF", ("fy", "fiscal"))
        ordp = _ci(["trimestre", "semestre"]) if fr else _ci(["quarter", "half"])
        ptail = (r"(?:" + S + r"(?:de" + S + r"l" + AP + r"(?:année|exercice)" + S + r")?" + year + r"|" + S + post + r")?" if fr
                 else r"(?:" + S + r"(?:of" + S + r")?(?:(?i:fiscal)" + S + r")?" + year + r")?")
        add("ordinal_period", r"(?:" + det + r")?(?<!\w)" + _ci(lex.ordinals) + S + ordp + ptail + r"(?!\w)", det_first + _firsts(lex.ordinals),
            ("trimestre", "semestre", "quarter", "half"))
        add("quarter_code", r"(?<!\w)(?:" + yfull + r"[-" + S[1:-1] + r"]?)?(?:[TQ][1-4]|[HS][12]|(?i:q[1-4]|trimestre[1-4]))(?:" + S + r"?-?" + S + r"?(?:19|20)\d{2})?(?!\w)",
            "TQHSqt12", ("t1", "t2", "t3", "t4", "q1", "q2", "q3", "q4", "h1", "h2", "s1", "s2", "trimestre"))
        rj_words = [j for j in lex.range_joiners if j[0].isalpha()]
        add("year_range", year + r"(?:" + S + r"?" + DASH + S + r"?|/|~|" + S + _alt(rj_words) + S + r"|" + S + r"(?i:through)" + S + r")" + r"(?:(?:19|20)\d{2}|\d{2})(?![\w-])", "12", digits)
        post_opt = r"(?:" + S + post + r")?" if lex.date_postmodifiers else ""
        add("relative", _ci(lex.relative_dates) + post_opt, _firsts(lex.relative_dates),
            tuple({max(re.split(r"[ ’'-]", w.lower()), key=len) for w in lex.relative_dates}))
        # a part of the current period, built from its words rather than listed: "later in the year", "early
        # in the week", "the end of the quarter", "the rest of the year", "all week"; "plus tard dans l'année", "en fin de
        # semaine", "la fin de l'exercice", "le reste de l'année", "toute l'année"
        if fr:
            whole_fr = r"(?i:semaine|mois|trimestre|semestre|année|décennie|exercice)"  # not "journée": a time of day
            la_l = r"(?:(?i:la)" + S + r"|(?i:l)" + AP + r")"  # the feminine article, or the elided one
            add("relative", r"(?<!\w)(?i:plus" + S + r"(?:tôt|tard))" + S + r"(?:(?i:dans)" + S + r"(?:(?i:la|le)" + S + r"|(?i:l)" + AP + r")|"
                + demo + r")" + whole_fr + r"(?![\w-])"
                + r"|(?<!\w)(?i:début|fin|milieu|reste)" + S + r"(?:(?i:de)" + S + la_l + r"?|(?i:du)" + S + r"|(?i:d)" + AP + r")"
                + whole_fr + r"(?![\w-])"
                + r"|(?<!\w)(?:(?i:toute)" + S + la_l + r"|(?i:tout)" + S + r"(?i:le)" + S + r")" + whole_fr + r"(?![\w-])",
                "pPdDfFmMrRtT", ("tôt", "tard", "début", "fin d", "milieu", "reste d", "toute", "tout le"))  # not "plus", "fin": in most texts
        else:
            whole_en = r"(?i:week|month|quarter|year|decade)"  # not "day": a time of day ("at the end of the day")
            add("relative", r"(?<!\w)(?i:earlier|later|early|late)" + S + r"(?:(?i:in)" + S + r"(?i:the|this|that)|(?i:this|next|last))" + S
                + whole_en + r"(?![\w-])"
                + r"|(?<!\w)(?:(?i:the)" + S + r")?(?i:end|start|beginning|middle|rest)" + S + r"(?i:of)" + S + r"(?i:the|this|next|last)" + S
                + whole_en + r"(?![\w-])"
                + r"|(?<!\w)(?:(?i:all)|(?i:the" + S + r"whole))" + S + whole_en + r"(?:" + S + r"(?i:long))?(?![\w-])",
                "eElLtTsSbBmMrRaAwW", ("early", "late", "end of", "start of", "beginning of", "middle of", "rest of", "all week",
                                       "all month", "all quarter", "all year", "all decade", "whole"))

        # anchors: a word every match of the kind contains; the pattern runs only around them.
        # Each anchor starts with a look-ahead on the characters its match can start with (_lead:
        # a superset of the first characters of its alternatives), so that ``re`` rejects most
        # positions with one class test instead of trying every branch there (2-3x faster; the
        # matches are the same, the look-ahead only refuses positions no branch can start at)
        def ci(words) -> re.Pattern[str]:  # noqa: ANN001
            return re.compile(r"(?i)" + _lead(words) + _alt(list(words)))

        wd_words = list(lex.weekdays) + list(lex.weekday_abbrevs)
        month_a = ci(months_all)
        anchors = {
            "day_month": month_a, "month_day": month_a, "day_range": month_a, "month_year": month_a,
            "duration": ci(lex.duration_units), "rel_period": ci(lex.period_nouns), "weekday": ci(lex.weekdays),
            "period_part": ci(["semaine", "semaines", "quinzaine", "week", "weeks", "weekend", "week-end", "mois", "month", "months",
                               "jour", "jours", "day", "days", "trimestre", "quarter", "quart", "semestre", "fortnight"]),
            "holiday": re.compile(_lead(lex.holidays) + _alt(list(lex.holidays))) if fr else ci(lex.holidays),
            "numeric": re.compile(r"\d" + S + r"?[/.-]" + S + r"?\d|\d" + S + r"\d{1,2}" + S + yfull),
            "day_only": re.compile(r"(?i)" + _lead(["le", "the", *wd_words]) + r"(?<!\w)(?:(?:le|the)" + S + r"(?:\d|premier|first)|" + _alt(wd_words)[3:-1] + r")"),
            "decade": re.compile(r"(?i)" + _lead(["années", "0", "t"], digits=True) + r"(?:années|\d0" + S + r"?s(?!\w)|ties(?!\w))"),
            "mod_date": re.compile(r"(?i)" + _lead(["début", "fin", "courant", "milieu", "early", "late", "mid", "end", "start", "beginning", "middle"])
                                   + r"(?<!\w)(?:début|fin|courant|milieu|early|late|mid|end|start|beginning|middle)"),
            "quarter_code": re.compile(r"(?i)" + _lead(["t", "q", "h", "s"]) + r"(?:[tqhs][1-4]|trimestre[1-4])"),
            "year_of": ci(["année", "an", "year", "semaine", "week"]),
            "ordinal_period": ci(["trimestre", "semestre", "quarter", "half"]),
        }
        # the literals one of which a match contains, as one regex (one C-level search per text)
        gates: dict[tuple[tuple[str, ...], bool], re.Pattern[str]] = {}
        for _, _, n, c, _ in self.patterns:
            if n is not None and (n, c) not in gates:
                gates[(n, c)] = re.compile(_literal_trie(n))
        anchors["period_head"] = anchors["period_part"]
        self.patterns = [(k, rx, gates[(n, c)] if n is not None else None, c, anchors.get(k)) for k, rx, n, c, _ in self.patterns]

        # left extensions: a determiner; "début de", "la fin du mois de", "plus tard", "earlier"
        left_mod = r"(?i:début|fin|courant|milieu|plus" + S + r"tôt|plus" + S + r"tard|end|start|beginning|middle|early|late|earlier|later|reste|rest|remaining)"
        self._left_mod = re.compile(r"(?<!\w)(?:(?i:plus" + S + r"tôt|plus" + S + r"tard|earlier|later)" + S + r"(?:dans|in)" + S + r"|" + left_mod
                                    + r"(?:" + of + r"(?:(?i:mois)" + of + r")?|" + S + r"))$")
        self._month_before = re.compile(month_n + S + r"$")
        self._left_wd = re.compile(r"(?<!\w)(?:" + pre + S + r")?" + wd_any + r",?" + S + r"(?:(?i:le|the)" + S + r")?$")
        self._left_det = re.compile(r"(?<!\w)(?:" + det + r"|" + demo + r")$")
        self._mod_det = re.compile(r"(?<!\w)(?:(?i:la|le|the|toute" + S + r"la|all)" + S + r")$")

    _OPEN = re.compile(r"(?i:entre|de|du|des|depuis|between|from)" + S + r"+$")
    _MID = re.compile(S + r"*(?:" + DASH + r"|~|(?i:et|à|a|au|and|to|through|till|until|jusqu" + AP + r"(?:à|a|au)?))" + S + r"*$")
    _MID_FREE = re.compile(S + r"*(?:~|(?i:au|through|till|until|jusqu" + AP + r"(?:à|a|au)?))" + S + r"*$|" + DASH + r"$")
    _MID_DAYS = re.compile(S + r"(?:to|au)" + S + r"|" + S + r"?" + DASH + S + r"?")  # "Feb 28th to March 1st", no "from" needed
    _REL = re.compile(S + r"*(?:(?i:avant|après|à" + S + r"partir" + S + r"(?:de|du|d" + AP + r")|depuis|from|after|before|since|starting))" + S + r"*$")
    _OFJ = re.compile(S + r"*(?:(?i:de|du|d" + AP + r"|of|de" + S + r"la|de" + S + r"l" + AP + r"|du" + S + r"mois" + S + r"de|commençant" + S + r"le|commençant|commencing|starting|beginning))" + S + r"*$")

    # ------------------------------------------------------------------ match
    # characters a match may reach before / after its anchor word
    _REACH: ClassVar[dict[str, tuple[int, int]]] = {"duration": (32, 25), "weekday": (30, 40), "day_only": (25, 45), "numeric": (25, 15)}

    def scan(self, text: str, low: str):  # noqa: ANN201
        """(kind, start, end) of every raw match: each pattern runs over the windows around its
        anchor words only (or over the whole text when it has no anchor)."""
        present: dict[re.Pattern[str], bool] = {}
        found: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
        n = len(text)
        for kind, rx, needs, case, anchor in self.patterns:
            if needs is not None:
                ok = present.get(needs)
                if ok is None:
                    ok = present[needs] = needs.search(text if case else low) is not None
                if not ok:
                    continue
            if anchor is None:
                for m in rx.finditer(text):
                    yield kind, m.start(), m.end()
                continue
            back, fwd = self._REACH.get(kind, (30, 30))
            windows = found.get((id(anchor), back, fwd))
            if windows is None:
                windows = []
                for m in anchor.finditer(text):
                    a, b = max(0, m.start() - back), min(n, m.end() + fwd)
                    if windows and a <= windows[-1][1]:
                        windows[-1] = (windows[-1][0], b)
                    else:
                        windows.append((a, b))
                found[(id(anchor), back, fwd)] = windows
            for a, b in windows:
                while b < n and not text[b].isspace():
                    b += 1
                for m in rx.finditer(text, a, b):
                    yield kind, m.start(), m.end()

    def extend(self, text: str, a: int, kind: str) -> int:
        """Move the start left over a determiner or a period modifier that belongs to the date."""
        if kind not in _EXTENDABLE:
            return a
        if kind in ("day_month", "month_day"):
            m = self._left_wd.search(text[max(0, a - 30) : a])
            if m:
                a -= m.end() - m.start()
        for _ in range(3):
            left = text[max(0, a - 30) : a]
            m = self._left_det.search(left) or self._left_mod.search(left)
            if m is None or m.start() == m.end():
                break
            if self.lang == "en" and kind in ("month_year", "weekday", "relative") and m.re is self._left_det:
                break  # "the January meeting", "the Monday session"
            a -= len(left) - m.start()
            if m.re is self._left_mod:
                d = self._mod_det.search(text[max(0, a - 12) : a])
                if d:
                    a -= d.end() - d.start()
        return a

    _CODE = re.compile(r"[_@]|https?:|www\.|\.[a-z]{2,4}$|^\+|^[\d-]*\d-\d")

    def keep(self, text: str, a: int, b: int, kind: str) -> bool:
        if kind in ("numeric", "year", "year_range", "day_month", "quarter_code"):
            lo = a
            while lo > 0 and not text[lo - 1].isspace():
                lo -= 1
            hi = b
            while hi < len(text) and not text[hi].isspace():
                hi += 1
            chunk = text[lo:hi].rstrip(".,;:!?)")
            if chunk != text[a:b] and self._CODE.search(chunk):
                return False  # inside a file name, URL, e-mail, phone number or code
            if re.search(r"(?i:t[ée]l[ée]?(?:phone)?\.?|phone|fax)" + S + r"?:?" + S + r"*\+?[\d" + S[1:-1] + r"()-]*$", text[max(0, a - 30) : a]):
                return False
        if kind == "numeric":
            parts = self._numeric_parts(text[a:b])
            if parts and parts[0] is None and not re.fullmatch(r"\d\d[/.-]\d\d", text[a:b]) and re.fullmatch(r"\d+[/.-]\d+", text[a:b]):
                # "3/4", "1/10", "7-2": a fraction or a score unless a weekday or a preposition announces a date
                left = text[max(0, a - 30) : a]
                return bool(self._left_wd.search(left) or re.search(r"(?<!\w)(?i:le|du|au|on|from|until|depuis)" + S + r"$", left))
            return parts is not None
        if kind == "year_range" and self._month_before.search(text[max(0, a - 15) : a]):
            return False
        if kind == "duration":
            left = text[max(0, a - 20) : a]
            if self.lang == "fr" and re.search(r"(?i:âgée?s?" + S + r"de|à" + S + r"l" + AP + r"âge" + S + r"de)" + S + r"$", left):
                return False
            if self.lang == "en" and re.search(r"(?i:aged" + S + r")$", left):
                return False
            if text[b : b + 6].lower().startswith(("-old", " old")):
                return False
        if kind == "quarter_code":
            word = text[a:b]
            if word[0] in "HS" and not re.search(r"\d{4}$", word):
                return False  # "S1", "H2" alone are too ambiguous
            if re.fullmatch(r"(?i:q)[1-4]", word) and word[0] == "q":
                return False  # lower-case "q3" needs a year
        # "May I ask": the verb, not the month
        return not (kind == "month_year" and self.lang == "en" and re.match(r"May" + S + r"(?:I|we|you|he|she|it|they)\b", text[a : b + 5]))

    def join(self, text: str, chosen: list[QMatch]) -> list[QMatch]:
        """Join neighbouring DATE matches that make one expression: ranges ("du 3 au 5 mars",
        "between Monday and Friday"), parts ("la dernière semaine" + "de juillet"), offsets
        ("deux jours" + "avant" + "hier")."""
        out: list[QMatch] = []
        for m in chosen:
            if out and out[-1].label == m.label == "DATE":
                a = out[-1]
                gap = text[a.end : m.start]
                if len(gap) <= 30:
                    joined = self._join_kind(text, a, m, gap)
                    if joined is not None:
                        value = f"{a.value}/{m.value}" if joined == "date_range" and isinstance(a.value, str) and isinstance(m.value, str) else None
                        if joined == "period_part" and a.kind == "ordinal_period":  # "troisième trimestre" + "de 2024": 2024-Q3
                            value = self.value("ordinal_period", text[a.start : m.end])
                        out[-1] = QMatch(a.start, m.end, "DATE", value, joined)
                        continue
            out.append(m)
        kept = []
        for m in out:
            if m.kind in ("period_head", "ordinal_period", "period_part", "rel_period"):
                whole = self._of_unit.match(text, m.end)
                if whole is not None:  # "the first half" + "of the year": one DATE, the head's value
                    m = QMatch(m.start, whole.end(), "DATE", m.value, "period_part")
                elif m.kind == "period_head":
                    continue  # a head that nothing completes is not a date ("the first week of training")
                elif m.kind == "ordinal_period" and self._of_other is not None and self._of_other.match(text, m.end):
                    continue  # "the first half of the match", "the third quarter of the game": not a date
            kept.append(m)
        return kept

    def _join_kind(self, text: str, a: QMatch, b: QMatch, gap: str) -> str | None:
        head = a.kind in ("period_part", "period_head", "rel_period", "ordinal_period") or (a.kind == "duration" and text[a.start : a.end].lower().startswith("the "))
        if head and b.kind != "duration" and self._OFJ.fullmatch(gap):
            return "period_part"  # "la dernière semaine" + "de juillet", "the first 2 weeks" + "of 2021"
        if a.kind == "duration" and b.kind != "duration" and (self._REL.fullmatch(gap) or (not gap.strip() and re.search(r"(?i:avant|après|before|after)$", text[a.start : a.end]))):
            return "offset"
        if a.kind in ("weekday", "day_only", "day_range") and b.kind in ("rel_period", "relative") and re.fullmatch(S + r"*(?:(?i:de|du|of)" + S + r")?", gap):
            return "weekday"
        if a.kind == "month_year" and a.value and a.value.startswith("XXXX") and b.kind in ("rel_period", "relative") and re.fullmatch(S + r"*(?:(?i:de|of)" + S + r")?", gap):
            return "month_year"  # "june next year", "le juin de l'année prochaine"
        if a.kind == "weekday" and b.kind in ("month_year", "holiday") and re.fullmatch(S + r"*(?i:de|of|d" + AP + r")" + S + r"*", gap):
            return "weekday"  # "le dernier lundi d'avril"
        if a.kind in ("rel_period", "relative") and b.kind == "weekday" and re.fullmatch(S + r"*-?" + S + r"*", gap):
            return "weekday"
        if "duration" in (a.kind, b.kind) or not (self._MID.fullmatch(gap) or self._MID_FREE.fullmatch(gap)):
            return None
        days = {"day_month", "month_day", "month_year", "numeric", "day_range"}
        opened = self._OPEN.search(text[max(0, a.start - 10) : a.start]) is not None
        if opened or self._MID_FREE.fullmatch(gap) or (a.kind in days and b.kind in days and self._MID_DAYS.fullmatch(gap)):
            return "date_range"
        return None
