"""Relative DATE values resolved against a reference date.

The date grammar (:mod:`annotate.pipeline.dates`) gives a relative date
(``hier``, ``la semaine prochaine``, ``il y a deux ans``, ``next Monday``,
``last year``) no value, and a date without its year (``le 10 juin``) a
value with ``XXXX`` in it: the text alone does not fix them. When a
reference date is known (the record's ``meta.date``, or ``annotate pre
--ref-date``), :func:`resolve` turns them into ISO values of the granularity
the expression has: a day (``2025-03-13``), an ISO week (``2025-W12``), a
month (``2025-04``), a quarter or half (``2025-Q2``, ``2025-H1``), a season
(``2024-SU``) or a year (``2024``).

Narrative anchors (``le lendemain``, ``la veille``, ``the following week``,
``two days later``) are resolved against the reference date too: it is the
only date known, and the reviewer corrects the few where the story's own
date differs. A bare weekday (``lundi``, ``on Monday``) stays unresolved
(past or coming, the text does not say), and so does anything this module
does not recognise: its value is kept as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..errors import Errors
from .quantities import _num_value

_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# a date, optionally with a time (news metadata often carry one): only the day counts
_REF = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")


def parse_ref_date(value: Any) -> dt.date:
    """``YYYY-MM-DD`` (a time after it is allowed and ignored) as a date; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"expected a YYYY-MM-DD string, got {type(value).__name__}")
    m = _REF.fullmatch(value.strip())
    if m is None:
        raise ValueError(f"{value!r} is not a YYYY-MM-DD date")
    try:
        return dt.date.fromisoformat(m.group(1))
    except ValueError as e:
        raise ValueError(f"{value!r} is not a valid date ({e})") from None


# ------------------------------------------------------------------ vocabulary
_DAYS = {
    "fr": {
        "aujourd'hui": 0, "ce jour": 0, "hier": -1, "demain": 1, "avant-hier": -2, "après-demain": 2, "apres-demain": 2,
        "le lendemain": 1, "la veille": -1, "le surlendemain": 2, "l'avant-veille": -2, "le jour même": 0,
        "le jour suivant": 1, "le jour précédent": -1,
    },
    "en": {
        "today": 0, "yesterday": -1, "tomorrow": 1, "the day before yesterday": -2, "the day after tomorrow": 2,
        "the following day": 1, "the next day": 1, "the day after": 1, "the previous day": -1, "the day before": -1,
        "the same day": 0, "that day": 0,
    },
}
_UNITS = {
    "fr": {"jour": "D", "jours": "D", "journée": "D", "semaine": "W", "semaines": "W", "mois": "M", "an": "Y", "ans": "Y",
           "année": "Y", "années": "Y", "exercice": "Y", "trimestre": "Q", "trimestres": "Q", "semestre": "H", "semestres": "H"},
    "en": {"day": "D", "days": "D", "week": "W", "weeks": "W", "month": "M", "months": "M", "year": "Y", "years": "Y",
           "quarter": "Q", "quarters": "Q", "fiscal year": "Y"},
}
_SEASONS = {
    "fr": {"printemps": "SP", "été": "SU", "automne": "FA", "hiver": "WI"},
    "en": {"spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI"},
}
_SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
_WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
}
# direction words: +1 next, -1 previous, 0 the current one
_DIR = {
    "fr": {
        "prochain": 1, "prochaine": 1, "suivant": 1, "suivante": 1, "à venir": 1,
        "dernier": -1, "dernière": -1, "derniere": -1, "précédent": -1, "précédente": -1, "precedent": -1,
        "precedente": -1, "passé": -1, "passée": -1,
        "ce": 0, "cet": 0, "cette": 0, "en cours": 0, "-ci": 0,
    },
    "en": {
        "next": 1, "following": 1, "coming": 1, "upcoming": 1, "this coming": 1,
        "last": -1, "previous": -1, "prior": -1, "this past": -1,
        "this": 0, "current": 0, "earlier this": 0, "later this": 0,
    },
}
# a point before (-1) or after (+1) the reference, around an amount of time
_BEFORE_AFTER = {
    "fr": (r"il y a", r"plus tôt|auparavant|avant|plus tard|après"),
    "en": (r"", r"ago|earlier|before|later|after|hence|from now"),
}
_AFTER_WORDS = frozenset(["plus tard", "après", "later", "after", "hence", "from now"])
_ONE = {"fr": ("un", "une"), "en": ("a", "an", "one")}


def check_ref_date(value: str | dt.date | None) -> dt.date | None:
    """The ``--ref-date`` given (``YYYY-MM-DD``) as a date; E040 when it is not one."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return parse_ref_date(value)
    except ValueError as e:
        raise Errors.E040(reason=str(e), where="--ref-date") from None


def _alt(words) -> str:  # noqa: ANN001
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _norm(text: str) -> str:
    t = text.lower().replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")
    t = re.sub(r"\s+", " ", t).strip()
    return re.sub(r"^(?:on|in|during|du|au|en|depuis|since|by) ", "", t)


class _Lang:
    """The compiled patterns of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        fr = lang == "fr"
        dirs = _alt(_DIR[lang])
        units = _alt(_UNITS[lang])
        # "next week", "la semaine prochaine": one unit ("the coming years" is no point in time)
        unit1 = _alt([u for u in _UNITS[lang] if not u.endswith("s") or u == "mois"])
        seasons = _alt(_SEASONS[lang])
        wds = _alt(_WEEKDAYS[lang])
        det = r"(?:(?:le|la|les|l'|the) ?)?"
        if fr:
            # "la semaine prochaine", "le mois dernier", "l'an dernier", "cette année", "ce mois-ci", "le prochain trimestre"
            self.period = re.compile(r"(?:" + det + r"(?P<pre>" + dirs + r") ?)?" + det + r"(?P<unit>" + unit1 + r")(?P<post> (?:" + dirs + r")|-ci)?")
            self.season = re.compile(r"(?:" + det + r"(?P<pre>ce|cet|cette) )?" + det + r"(?P<season>" + seasons + r")(?P<post> (?:" + dirs + r"))?")
            self.weekday = re.compile(r"(?:(?P<pre>ce|prochain|dernier) )?(?P<wd>" + wds + r")(?P<post> (?:prochain|dernier|passé|à venir))?")
        else:
            self.period = re.compile(det + r"(?P<pre>" + dirs + r") (?P<unit>" + unit1 + r")")
            self.season = re.compile(det + r"(?P<pre>" + dirs + r") (?P<season>" + seasons + r")")
            self.weekday = re.compile(r"(?P<pre>" + dirs + r") (?P<wd>" + wds + r")")
        lead, tail = _BEFORE_AFTER[lang]
        one = _alt(_ONE[lang])
        self.amount = re.compile(
            (r"(?:(?P<lead>" + lead + r") )?" if lead else r"(?P<lead>)")
            + r"(?:(?P<one>" + one + r")|(?P<num>[\w.,-]+?(?: [\w-]+?)?)) (?P<unit>" + units + r")"
            + r"(?: (?P<tail>" + tail + r"))?"
        )
        self.one_before = re.compile(r"(?:the|a|an|one) (?P<unit>" + units + r") (?P<tail>before|earlier|later|after)")

    def offset(self, t: str) -> tuple[int, str] | None:
        """(amount, unit) of a point ``amount`` units from the reference, or None."""
        m = self.amount.fullmatch(t)
        if m is not None:
            lead, tail = m.group("lead"), m.group("tail")
            if not lead and not tail:
                return None  # "deux ans": a duration, not a point
            if lead and tail:
                return None
            n: float | None = 1 if m.group("one") else _num_value(m.group("num"), self.lang)
            if n is not None and n == int(n) and n > 0:
                sign = 1 if tail in _AFTER_WORDS else -1
                return sign * int(n), _UNITS[self.lang][m.group("unit")]
        m = self.one_before.fullmatch(t)
        if m is not None:
            sign = 1 if m.group("tail") in _AFTER_WORDS else -1
            return sign, _UNITS[self.lang][m.group("unit")]
        return None

    def period_of(self, t: str) -> tuple[int, str] | None:
        """(direction, unit) of "next week", "le mois dernier", "cette année"; None otherwise."""
        m = self.period.fullmatch(t)
        if m is None:
            return None
        words = [w.strip() for w in (m.group("pre"), m.groupdict().get("post")) if w]
        if words and set(words) <= {"ce", "cet", "cette", "-ci"}:
            return 0, _UNITS[self.lang][m.group("unit")]  # "ce mois-ci"
        if len(words) != 1:
            return None
        return _DIR[self.lang][words[0]], _UNITS[self.lang][m.group("unit")]


_LANGS: dict[str, _Lang] = {}


def _lang(lang: str) -> _Lang | None:
    if lang not in _DAYS:
        return None
    if lang not in _LANGS:
        _LANGS[lang] = _Lang(lang)
    return _LANGS[lang]


# ------------------------------------------------------------------ arithmetic
def _add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _iso_week(d: dt.date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _point(ref: dt.date, n: int, unit: str) -> str | None:
    """The period ``n`` units from ``ref``, at the unit's granularity."""
    if unit == "D":
        return (ref + dt.timedelta(days=n)).isoformat()
    if unit == "W":
        return _iso_week(ref + dt.timedelta(weeks=n))
    if unit == "M":
        return _add_months(ref, n).strftime("%Y-%m")
    if unit == "Q":
        q = (ref.year * 4 + (ref.month - 1) // 3) + n
        return f"{q // 4}-Q{q % 4 + 1}"
    if unit == "H":
        h = (ref.year * 2 + (ref.month - 1) // 6) + n
        return f"{h // 2}-H{h % 2 + 1}"
    if unit == "Y":
        return str(ref.year + n)
    return None


def _season(ref: dt.date, code: str, direction: int) -> str:
    """The season ``code`` of the reference's year (0), the last one ended (-1) or the next one to start (+1)."""
    start = _SEASON_START[code]
    # a season belongs to the year it starts in (winter 2024: December 2024 to February 2025)
    current = ref.year if ref.month >= start else ref.year - 1  # the latest one started
    if direction == 0:  # "cet hiver": the coming one in the autumn, the one under way or just over otherwise
        return f"{(ref.year if ref.month >= 9 else ref.year - 1) if code == 'WI' else ref.year}-{code}"
    if direction < 0:
        ended = dt.date(current, start, 1) <= _add_months(ref, -3)  # that one is over
        return f"{current if ended else current - 1}-{code}"
    return f"{current + 1}-{code}"


def _weekday(ref: dt.date, target: int, direction: int) -> str:
    if direction == 0:  # "ce lundi", "this Monday": the one of the reference's week
        return (ref + dt.timedelta(days=target - ref.weekday())).isoformat()
    if direction > 0:
        return (ref + dt.timedelta(days=(target - ref.weekday() - 1) % 7 + 1)).isoformat()
    return (ref - dt.timedelta(days=(ref.weekday() - target - 1) % 7 + 1)).isoformat()


def _fill_year(value: str, ref: dt.date) -> str | None:
    """``XXXX-06-10`` -> ``2025-06-10``; ``XXXX-XX-23`` -> the reference's month; ``XXXX-Q3`` and the like."""
    if value.startswith("XXXX-XX-"):
        out = f"{ref.year}-{ref.month:02d}-{value[8:]}"
    elif value.startswith("XXXX-"):
        out = f"{ref.year}{value[4:]}"
    else:
        return None
    if "X" in out:
        return None
    m = _ISO_DAY.fullmatch(out)
    if m:
        try:
            dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None  # "XXXX-02-30": no such day
    return out


def resolve(text: str, value: Any, lang: str, ref: dt.date) -> Any:
    """The value of the DATE ``text`` (its current ``value``) against ``ref``; ``value`` when nothing resolves."""
    if isinstance(value, str):
        if "/" in value:  # a range: each end on its own
            ends = [_fill_year(v, ref) if "XXXX" in v else v for v in value.split("/")]
            return "/".join(ends) if all(ends) else value
        if value.startswith("XXXX"):
            return _fill_year(value, ref) or value
    if value is not None:
        return value  # already fixed by the text ("2025-01-21", "P5Y")
    L = _lang(lang)
    if L is None:
        return value
    t = _norm(text)
    if t in _DAYS[lang]:
        return (ref + dt.timedelta(days=_DAYS[lang][t])).isoformat()
    p = L.period_of(t)
    if p is not None:
        return _point(ref, p[0], p[1])
    o = L.offset(t)
    if o is not None:
        return _point(ref, o[0], o[1])
    m = L.season.fullmatch(t)
    if m is not None:
        words = [w.strip() for w in (m.group("pre"), m.groupdict().get("post")) if w]
        if len(words) == 1:
            return _season(ref, _SEASONS[lang][m.group("season")], _DIR[lang][words[0]])
    m = L.weekday.fullmatch(t)
    if m is not None:
        words = [w.strip() for w in (m.group("pre"), m.groupdict().get("post")) if w]
        if len(words) == 1:
            direction = {"passé": -1, "à venir": 1}.get(words[0], _DIR[lang].get(words[0], 0))
            return _weekday(ref, _WEEKDAYS[lang].index(m.group("wd")), direction)
    return value


def resolve_spans(spans: list[dict[str, Any]], text: str, lang: str, ref: dt.date) -> int:
    """Resolve the DATE spans of a task in place; returns how many got a new value."""
    changed = 0
    for s in spans:
        if s.get("label") != "DATE":
            continue
        old = s.get("value")
        new = resolve(text[s["start"] : s["end"]], old, lang, ref)
        if new is not None and new != old:
            s["value"] = new
            changed += 1
    return changed
