"""DATE values: what :class:`~annotate.pipeline.dates.DateRules` gives each match it keeps.

ISO 8601 / TIMEX3-style strings where the text alone fixes them (``2025-01-21``,
``XXXX-06-10``, ``XXXX-Q4``, ``197X``, ``P5Y``), None for a date relative to the
text's own date (resolved later by :mod:`annotate.pipeline.reldates`).
:class:`DateValues` is a mixin: the tables it reads (month and ordinal words,
units, holidays, decades) are built by ``DateRules.__init__`` from the lexicon.
"""

from __future__ import annotations

import re
from typing import Any

from .quantities import AP, DASH, S, _clean_number, _norm_ap, _num_value


class DateValues:
    """The value half of :class:`~annotate.pipeline.dates.DateRules`."""

    lang: str
    _month_re: re.Pattern[str]
    _month_num: dict[str, int]
    _ord_re: re.Pattern[str]
    _ord_num: dict[str, int]

    def _numeric_parts(self, s: str) -> tuple[int | None, int | None, int | None] | None:
        """(year, month, day) of a numeric date, None when it is not a valid date."""
        m = re.search(r"(\d{1,4})\s*([/.-]|\s)\s*(\d{1,4})(?:(?:[/.-]|\s)(\d{1,4}))?$", s)
        if not m:
            return None
        p = [g for g in (m.group(1), m.group(3), m.group(4)) if g]
        y = mo = d = None
        if len(p[0]) == 4:
            y, mo, d = int(p[0]), int(p[1]), int(p[2]) if len(p) > 2 else None
        elif len(p) == 2 and len(p[1]) == 4:
            mo, y = int(p[0]), int(p[1])
        else:
            first, second = int(p[0]), int(p[1])
            d, mo = (first, second) if self.lang == "fr" else (second, first)
            if not 1 <= mo <= 12 and 1 <= d <= 12 and mo <= 31:
                # only the other order is a date: "21/04/2016" in English (British), "04/21/2016" in French
                d, mo = mo, d
            if len(p) > 2:
                y = int(p[2]) if len(p[2]) == 4 else (2000 + int(p[2]) if int(p[2]) < 50 else 1900 + int(p[2]))
        if mo is None or not 1 <= mo <= 12 or (d is not None and not 1 <= d <= 31):
            return None
        return y, mo, d

    def value(self, kind: str, s: str) -> Any:
        years = re.findall(r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)", s)
        low = s.lower()
        mm = self._month_re.search(s)
        month = self._month_num.get(_norm_ap(mm.group(0).lower()).rstrip(".")) if mm else None
        if kind == "year" and years:
            return years[0]
        if kind == "year_range":
            m = re.findall(r"\d{2,4}", s)
            if len(m) >= 2:
                end = m[1] if len(m[1]) == 4 else m[0][:2] + m[1]
                return f"{m[0]}/{end}"
        if kind == "numeric":
            parts = self._numeric_parts(s)
            if parts:
                y, mo, d = parts
                ys = f"{y:04d}" if y else "XXXX"
                return f"{ys}-{mo:02d}-{d:02d}" if d else f"{ys}-{mo:02d}"
        if kind == "day_range" and month:
            ds = [int(x) for x in re.findall(r"(?<!\d)(\d{1,2})(?:er|re|st|nd|rd|th|e|ème)?(?!\d)", s[: mm.start()])]
            ys = years[-1] if years else "XXXX"
            if len(ds) == 2 and all(1 <= d <= 31 for d in ds):
                return f"{ys}-{month:02d}-{ds[0]:02d}/{ys}-{month:02d}-{ds[1]:02d}"
        if kind in ("day_month", "month_day", "day_only"):
            if kind == "month_day" and re.search(r"\d" + S + r"?" + DASH + S + r"?\d", s):
                return None  # "November 18-19": a range
            rest = s[: mm.start()] + " " + s[mm.end() :] if mm else s
            d = re.search(r"(?<![\d/])(\d{1,2})(?:er|re|st|nd|rd|th|e|ème)?(?![\d:])", re.sub(r"(?:1[89]|20)\d{2}", " ", rest))
            dd = int(d.group(1)) if d else (1 if re.search(r"(?i:premier|first)", s) else None)
            yy = re.search(r"(?<![\d])" + AP + r"?(\d{2})$", s) if not years and len(re.findall(r"\d+", s)) > 1 else None
            ys = years[-1] if years else (("19" if int(yy.group(1)) >= 50 else "20") + yy.group(1) if yy and month else "XXXX")
            if dd and 1 <= dd <= 31:
                return f"{ys}-{month:02d}-{dd:02d}" if month else f"XXXX-XX-{dd:02d}"
        if kind in ("month_year", "mod_date", "mi_date"):
            yy = re.search(r"(?<![\d])" + AP + r"?(\d{2})$", s) if not years else None
            if yy and month:
                years = [("19" if int(yy.group(1)) >= 50 else "20") + yy.group(1)]
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
            n = min(n, 2) if unit == "H" else min(n, 4)
            return f"{years[0] if years else 'XXXX'}-{unit}{n}"
        if kind == "quarter_code":
            m = re.search(r"([TQHSq]|trimestre)([1-4])", s)
            if m:
                unit = "H" if m.group(1) in "HS" else "Q"
                return f"{years[0] if years else 'XXXX'}-{unit}{m.group(2)}"
        if kind == "decade":
            m = re.search(r"((?:19|20)\d)0", s)
            if m:
                return f"{m.group(1)}X"
            m = re.search(r"(?<!\d)(\d)0" + S + r"?s", s)
            if m:
                return f"19{m.group(1)}X"
            for w, v in sorted(self._decade.items(), key=lambda kv: -len(kv[0])):
                if w in low:
                    return f"19{v}X"
            return "200X" if "mille" in low else None
        if kind == "century":
            m = re.match(r"\d+", s)
            return f"{int(m.group(0)) - 1:02d}" if m else None
        if kind == "holiday":
            for w, md in sorted(self._holiday.items(), key=lambda kv: -len(kv[0])):
                if w in _norm_ap(low) and md and not re.search(r"(?i:veille|lendemain|lundi|weekend|week-end|eve)", low.replace(w, "")):
                    return f"{years[0] if years else 'XXXX'}-{md}"
            return None
        if kind in ("season_year", "year_of", "fiscal") and years:
            if kind == "fiscal":
                return "FY" + years[0]
            if kind == "year_of" and re.search(r"(?i:semaine|week)", s):
                w = re.search(r"(?i:semaine|week)\D*(\d{1,2})", s)
                return f"{years[0]}-W{int(w.group(1)):02d}" if w else None
            return years[0]
        if kind == "fiscal":
            m = re.search(r"\d{2,4}", s)
            if m:
                return "FY" + ("20" + m.group(0) if len(m.group(0)) == 2 else m.group(0))
        if kind == "duration":
            return self._duration_value(s)
        return None

    def _duration_value(self, s: str) -> str | None:
        if re.search(r"(?i:plus tôt|plus tard|auparavant|earlier|later|ago|before|after|il\s+y\s*a|à venir|futur)", s):
            return None  # a point relative to the text's date, not a duration
        if re.search(r"(?i:,|\bet\b|\band\b)", s) and len(list(self._unit_re.finditer(s))) > 1:
            return None  # "un an, un mois et vingt jours": several units
        nums = []
        for m in self._num_rx.finditer(s):
            v = _num_value(m.group(0), self.lang)
            if v is not None:
                nums.append(v)
        if not nums:
            return None
        um = None
        for um in self._unit_re.finditer(s):
            pass  # the last unit word is the unit ("deux à trois ans")
        unit = self._unit_code.get(um.group(0).lower()) if um else None
        if unit is None:
            return None
        n = nums[-1]
        if re.search(r"(?i:et demie?|and a half)", s):
            n += 0.5
        factor = {"10Y": (10, "Y"), "Q": (3, "M"), "H": (6, "M"), "2W": (2, "W")}.get(unit)
        if factor:
            return f"P{_clean_number(n * factor[0])}{factor[1]}"
        return f"P{_clean_number(n)}{unit}"
