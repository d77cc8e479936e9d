"""Grapheme clusters: the characters a reader sees as one (a practical subset of Unicode's UAX #29).

An emoji joined by zero-width joiners (👩‍👩‍👧), a flag (two regional indicators, 🇫🇷), a skin tone (👍🏽),
a keycap (1️⃣) or a letter with a combining accent is one character to a reader but several code points,
and spaCy's tokenizer cuts most of them into several tokens. The import of other tools' grapheme offsets
(:mod:`annotate.formats.offsets`) and the review screen's units (:mod:`annotate.review.taskstate`) both
read cluster edges from here.
"""

from __future__ import annotations

import unicodedata

ZWJ = "\u200d"


def is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def extends(prev: str, ch: str) -> bool:
    """Whether ``ch`` continues the cluster that ``prev`` is in (regional-indicator pairs aside)."""
    o = ord(ch)
    if o < 0x300:
        return prev == "\r" and ch == "\n"  # fast path: nothing below the combining marks extends
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Mc"):
        return True
    if ch == ZWJ or 0xFE00 <= o <= 0xFE0F or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F:
        return True  # zero-width joiner, variation selectors, skin tones, tag characters
    return prev == ZWJ  # the character a ZWJ joins


def is_boundary(text: str, k: int) -> bool:
    """Whether offset ``k`` of ``text`` lies between two clusters (0 and ``len(text)`` always do)."""
    if k <= 0 or k >= len(text):
        return True
    prev, ch = text[k - 1], text[k]
    if extends(prev, ch):
        return False
    if is_regional_indicator(ch) and is_regional_indicator(prev):
        run = 0  # indicators pair up from the start of their run: a flag is an odd one and the next
        i = k - 1
        while i >= 0 and is_regional_indicator(text[i]):
            run += 1
            i -= 1
        return run % 2 == 0
    return True


def cluster_tokens(text: str, tokens: list[dict]) -> list[dict]:
    """``tokens`` (Prodigy's ``{"text", "start", "end", ...}``) with the tokens of one cluster made one.

    Returns ``tokens`` itself when no token edge falls inside a cluster (the common case, checked only where
    two tokens touch). A merged token keeps the first token's ``id`` and the last one's ``ws``.
    """
    cuts = [
        i for i in range(len(tokens) - 1)
        if tokens[i]["end"] == tokens[i + 1]["start"] and not is_boundary(text, tokens[i]["end"])
    ]
    if not cuts:
        return tokens
    joined = set(cuts)  # token i is joined to token i + 1
    out: list[dict] = []
    i = 0
    while i < len(tokens):
        j = i
        while j in joined:
            j += 1
        if j == i:
            out.append(tokens[i])
        else:
            first, last = tokens[i], tokens[j]
            out.append({**first, "text": text[first["start"]:last["end"]], "end": last["end"], "ws": last.get("ws", False)})
        i = j + 1
    return out
