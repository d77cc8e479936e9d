"""Named entities of the GUM corpus (Georgetown University Multilayer corpus) for the en_ner recipe.

GUM's ``dep/*.conllu`` files mark every mention (named or not: ``Australian children`` is a
``person``) in the MISC column as CorefUD brackets, ``Entity=(12-organization-new-...`` opening
a mention, ``12)`` closing it, ``(3-place-...)`` a one-word mention; the second field is the
entity type. A named entity here is a mention of type ``organization`` (ORG), ``person`` (PER) or
``place`` (LOC) whose syntactic head (the word whose head is outside the mention) is a proper noun
(UPOS ``PROPN`` or XPOS ``NNP``/``NNPS``: GUM tags ``United`` VERB/NNP); it is cut to the
proper-noun run around its head (with capitalised adjectives before it: ``European Commission``) (``the Food Standards Agency
, which ...`` → ``Food Standards Agency``; ``of``, ``and``, ``&``, ``for``, ``the``, ``de`` inside
a run are kept: ``Bank of America``). Other types (``abstract``, ``object``, ``time`` ...) are
dropped. Nested mentions: the longest first, a span is kept only if it overlaps no kept span.

Only documents of the train split are read (listed under ``## train`` in the repository's
``splits.md``, and under no other heading: dev, test, test2 are never read); skipped too is a document whose genre's
text licence is not CC BY or CC BY-SA (:data:`OPEN_GENRES`, from the repository's
``LICENSE.txt``) or whose words are masked (reddit texts are not in the public repository).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from .en_ner import Sentence

# GUM's LICENSE.txt: the texts of these genres are CC BY or CC BY-SA (academic, court: CC BY 4.0;
# bio: Wikipedia, CC BY-SA 3.0; voyage: Wikivoyage, CC BY-SA 3.0; news, interview: Wikinews,
# CC BY 2.5). Essays, fiction, letters, podcasts and wikiHow are CC BY-NC-SA, reddit
# non-commercial; conversation, speech, textbook and vlog are not listed there: all left out.
OPEN_GENRES = frozenset({"academic", "bio", "court", "voyage", "news", "interview"})
TYPE_MAP = {"organization": "ORG", "person": "PER", "place": "LOC"}
_BRIDGE = frozenset({"of", "and", "&", "for", "the", "de", "du", "la", "von", "van"})
_BRACKET = re.compile(r"\((\d+)-([^()]*)(\))?|(\d+)\)")


def split_docs(splits_md: str) -> dict[str, set[str]]:
    """The documents of each ``## name`` heading of ``splits.md`` (``* GUM_x_y`` lines)."""
    out: dict[str, set[str]] = {}
    part = ""
    for line in splits_md.splitlines():
        head = re.match(r"^##\s+(\S+)", line)
        item = re.match(r"^\s*\*\s*(\S+)\s*$", line)
        if head:
            part = head.group(1).lower()
        elif item and part:
            out.setdefault(part, set()).add(item.group(1))
    return out


def train_docs(splits_md: str) -> set[str]:
    """GUM's train documents: those under ``## train`` that no other split lists."""
    parts = split_docs(splits_md)
    if not parts.get("train"):
        raise ValueError("splits.md lists no train documents")
    return parts["train"] - set().union(*(v for k, v in parts.items() if k != "train"))


def doc_genre(doc_id: str) -> str:
    parts = doc_id.split("_")
    return parts[1] if len(parts) > 2 else ""


def _mentions(misc_per_token: list[str]) -> list[tuple[int, int, str]]:
    """(start, end exclusive, type) of every bracketed mention in one sentence's MISC values."""
    open_: dict[str, list[tuple[int, str]]] = {}
    out = []
    for i, misc in enumerate(misc_per_token):
        ent = next((f[7:] for f in misc.split("|") if f.startswith("Entity=")), "")
        for m in _BRACKET.finditer(ent):
            if m.group(1) is not None:
                etype = m.group(2).split("-", 1)[0]
                if m.group(3):
                    out.append((i, i + 1, etype))
                else:
                    open_.setdefault(m.group(1), []).append((i, etype))
            elif open_.get(m.group(4)):
                start, etype = open_[m.group(4)].pop()
                out.append((start, i + 1, etype))
    return out  # a mention left open crosses a sentence boundary: GUM has none, and it is dropped


def named_spans(
    words: list[str], upos: list[str], xpos: list[str], heads: list[int], misc: list[str]
) -> list[tuple[int, int, str]]:
    """Our (start, end, label) spans of one sentence; ``heads`` are 0-based (-1: the root)."""
    prop = [u == "PROPN" or x in ("NNP", "NNPS") for u, x in zip(upos, xpos)]
    cands = []
    for start, end, etype in _mentions(misc):
        label = TYPE_MAP.get(etype)
        if label is None:
            continue
        inside = [i for i in range(start, end) if not (start <= heads[i] < end)]
        if len(inside) != 1 or not prop[inside[0]]:
            continue
        h = inside[0]
        s = e = h
        while s - 1 >= start:
            if prop[s - 1] or (upos[s - 1] == "ADJ" and words[s - 1][:1].isupper()):  # European Commission
                s -= 1
            elif words[s - 1].lower() in _BRIDGE and s - 2 >= start and prop[s - 2]:
                s -= 2
            else:
                break
        while e + 1 < end:
            if prop[e + 1] or (upos[e + 1] == "NUM" and prop[e]):
                e += 1
            elif words[e + 1].lower() in _BRIDGE and e + 2 < end and prop[e + 2]:
                e += 2
            else:
                break
        cands.append((s, e + 1, label))
    kept: list[tuple[int, int, str]] = []
    for s, e, label in sorted(set(cands), key=lambda c: (-(c[1] - c[0]), c[0])):
        if all(e <= ks or s >= ke for ks, ke, _ in kept):
            kept.append((s, e, label))
    return sorted(kept)


def read_gum(folder: str | Path) -> Iterator[Sentence]:
    """Sentences (IOB2 over ORG / PER / LOC) of the train documents in ``folder`` (``*.conllu`` and,
    beside them, the repository's ``splits.md``: only documents under its ``## train`` heading and
    under no other are read)."""
    folder = Path(folder)
    splits = folder / "splits.md"
    if not splits.is_file():
        raise FileNotFoundError(f"{splits} not found: GUM's split lists are needed to read only its train documents")
    train = train_docs(splits.read_text(encoding="utf-8"))
    for path in sorted(folder.glob("*.conllu")):
        doc_id = path.stem
        if doc_id not in train or doc_genre(doc_id) not in OPEN_GENRES:
            continue
        yield from _read_conllu(path, doc_id)


def _read_conllu(path: Path, doc_id: str) -> Iterator[Sentence]:
    rows: list[list[str]] = []
    sent_id = ""
    with path.open(encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("#"):
                if line.startswith("# sent_id ="):
                    sent_id = line.split("=", 1)[1].strip()
                continue
            if line.strip():
                cols = line.split("\t")
                if len(cols) != 10:
                    raise ValueError(f"{path}:{lineno}: expected 10 tab-separated CoNLL-U columns, got {len(cols)}")
                if cols[0].isdigit():  # skip multiword ranges (1-2) and empty nodes (1.1)
                    rows.append(cols)
                continue
            s = _sentence(rows, sent_id, doc_id)
            if s is not None:
                yield s
            rows, sent_id = [], ""
    s = _sentence(rows, sent_id, doc_id)
    if s is not None:
        yield s


def _sentence(rows: list[list[str]], sent_id: str, doc_id: str) -> Sentence | None:
    if not rows:
        return None
    words = [r[1] for r in rows]
    if all(set(w) <= {"_"} for w in words):
        return None  # masked text (reddit)
    upos = [r[3] for r in rows]
    xpos = [r[4] for r in rows]
    heads = [int(r[6]) - 1 if r[6].isdigit() else -1 for r in rows]
    misc = [r[9] for r in rows]
    spaces = ["SpaceAfter=No" not in m.split("|") for m in misc]
    spaces[-1] = False
    tags = ["O"] * len(words)
    for s, e, label in named_spans(words, upos, xpos, heads, misc):
        tags[s] = f"B-{label}"
        for i in range(s + 1, e):
            tags[i] = f"I-{label}"
    return Sentence(sent_id or f"{doc_id}-{len(words)}", doc_id, words, spaces, tags)
