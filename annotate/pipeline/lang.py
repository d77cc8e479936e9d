"""French or English? A stop-word vote: exact for news paragraphs, costs microseconds.

A dedicated detector (lingua, fastText) would add a large dependency to tell
two languages apart; function words settle it for any text of a sentence
or more. Ties and texts without any function word default to French.
"""

from __future__ import annotations

import re

SUPPORTED = ("fr", "en")
_WORD = re.compile(r"[a-zà-ÿ’']+")
_FR = frozenset(
    "le la les des du de et est une un pour dans que qui sur avec par au aux ce cette il elle sont été ont plus "
    "ne pas se sa son ses leur leurs mais ou où nous vous ils elles selon entre après avant depuis lors très "
    "d’un d'un d’une d'une l’ l' qu’ qu' aussi comme être avoir fait dont".split()
)
_EN = frozenset(
    "the of and to in is for that on with by as at from are was be has have it this which were will would "
    "its their but or not after before said says about than also an into over more been would could should "
    "who what when where while there these those".split()
)


def detect_lang(text: str, default: str = "fr", sample: int = 3000) -> str:
    words = _WORD.findall(text[:sample].lower())
    fr = sum(1 for w in words if w in _FR)
    en = sum(1 for w in words if w in _EN)
    if en > fr:
        return "en"
    if fr > en:
        return "fr"
    return default
