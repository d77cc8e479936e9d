"""CoNLL / IOB: token per line, the entity tag in the last column, a blank line between sentences.

Import (``db-in --format conll``, or a ``.conll``/``.iob``/``.bio`` file):

* the tag scheme is told from the whole file (and kept in ``meta.conll_scheme``):
  BILUO/BIOES when an ``L-``, ``U-``, ``E-`` or ``S-`` tag occurs; IOB1 when
  an ``I-`` tag starts an entity (after ``O`` or another type); IOB2
  otherwise. Entities are read the same way in all three: ``B-``, ``U-``,
  ``S-`` start one, and so does an ``I-``/``L-``/``E-`` not continuing one of
  its type;
* ``-DOCSTART-`` lines start a new document, ``#`` lines (CoNLL-U comments)
  are skipped; each sentence becomes one record: its tokens joined with the
  spacing rebuilt (no space before ``, . ; : ) ] } %`` and after ``( [ {``,
  none around an apostrophe that ends (``l'``) or starts (``'s``, ``n't``) a
  token; French keeps its space before ``; : ! ? %``), its ``tokens`` and its
  ``spans`` (with token indices), ``meta.source = "conll"``, the document and
  sentence numbers;
* a tag that is none of ``O``, ``B-``, ``I-``, ``L-``, ``U-``, ``E-``,
  ``S-`` is a malformed sentence (``path:line`` of the tag).

Export (``export --format conll``): IOB2, one ``token<TAB>tag`` line per
token of the project's tokenizer (the example's tokens), a blank line after
each example; overlapping spans keep the longest (as ``doc.ents``); examples
made of binary answers only are left out and counted (CoNLL has no "unknown"
tag: writing ``O`` would teach "no entity here").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .examples import Align
from .merge import Decisions, Resolve
from . import prodigy
from .native import BadRecord, Reader
from .report import ExportReport
from .sources import Item

_NO_SPACE_BEFORE = frozenset(",.;:)]}%…")
_NO_SPACE_AFTER = frozenset("([{")
_FR_SPACE_BEFORE = frozenset(";:!?%")
_PREFIXES = ("B", "I", "L", "U", "E", "S")


def _split_tag(tag: str) -> tuple[str, str]:
    if tag in ("O", "_", "-"):
        return "O", ""
    if len(tag) > 2 and tag[1] in "-_" and tag[0] in _PREFIXES:
        return tag[0], tag[2:]
    raise ValueError(tag)


def detect_scheme(tags: list[str]) -> str:
    """``biluo``, ``iob1`` or ``iob2``, from every tag of a file (sentences separated by ``""``)."""
    prev = ("O", "")
    scheme = "iob2"
    for tag in tags:
        if not tag:
            prev = ("O", "")
            continue
        try:
            p, lab = _split_tag(tag)
        except ValueError:
            continue
        if p in ("L", "U", "E", "S"):
            return "biluo"
        if p == "I" and (prev[0] == "O" or prev[1] != lab):
            scheme = "iob1"
        prev = (p, lab)
    return scheme


def _spacing(words: list[str], lang: str | None) -> list[bool]:
    """Whether a space follows each word, rebuilt as typeset text would have it."""
    ws = []
    for i, w in enumerate(words):
        if i + 1 == len(words):
            ws.append(False)
            break
        nxt = words[i + 1]
        space = True
        if nxt and nxt[0] in _NO_SPACE_BEFORE and not (lang == "fr" and nxt[0] in _FR_SPACE_BEFORE):
            space = False
        elif nxt in ("!", "?") and lang != "fr":
            space = False
        elif w and w[-1] in _NO_SPACE_AFTER:
            space = False
        elif w.endswith(("'", "’")) and len(w) > 1:
            space = False  # French elision: l' État, qu' il
        elif nxt.startswith(("'", "’")) and len(nxt) > 1 or nxt.lower() == "n't":
            space = False  # English clitics: 's, n't
        ws.append(space)
    return ws


def _sentence_record(
    rows: list[tuple[int, str, str]], scheme: str, lang: str | None, doc: int, sent: int
) -> dict[str, Any]:
    words = [w for _, w, _ in rows]
    ws = _spacing(words, lang)
    tokens, pos = [], 0
    text_parts = []
    for i, (w, space) in enumerate(zip(words, ws, strict=True)):
        tokens.append({"text": w, "start": pos, "end": pos + len(w), "id": i, "ws": space})
        text_parts.append(w + (" " if space else ""))
        pos += len(w) + (1 if space else 0)
    text = "".join(text_parts)
    spans: list[dict[str, Any]] = []
    open_: tuple[int, str] | None = None

    def close(end_tok: int) -> None:
        nonlocal open_
        if open_ is not None:
            a, lab = open_
            s, e = tokens[a]["start"], tokens[end_tok]["end"]
            spans.append({"start": s, "end": e, "token_start": a, "token_end": end_tok, "label": lab, "text": text[s:e]})
        open_ = None

    for i, (line, _, tag) in enumerate(rows):
        try:
            p, lab = _split_tag(tag)
        except ValueError:
            raise BadRecord(f"line {line}: tag {tag!r} is not O, B-, I-, L-, U-, E- or S-X",
                            "put the entity tag in the last column (IOB1, IOB2 or BILUO)") from None
        if p == "O":
            close(i - 1)
            continue
        # B-, U-, S- start an entity; so does I-, L-, E- not continuing one of its type (IOB1, or a
        # sloppy IOB2 entity starting with I-): the schemes read the same, leniently
        if p in ("B", "U", "S") or open_ is None or open_[1] != lab:
            close(i - 1)
            open_ = (i, lab)
        if p in ("U", "S", "L", "E"):
            close(i)
    close(len(rows) - 1)
    meta: dict[str, Any] = {"source": "conll", "conll_doc": doc, "conll_sentence": sent}
    if lang:
        meta["lang"] = lang
    return {"text": text, "tokens": tokens, "spans": spans, "meta": meta}


def conll_items(text: str, where: str, lang: str | None = None) -> Iterator[Item]:
    """The sentences of a CoNLL/IOB file as records (see the module docstring)."""
    sentences: list[list[tuple[int, str, str]]] = []
    docs: list[int] = []
    cur: list[tuple[int, str, str]] = []
    doc = 0
    problems: list[Item] = []
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            if cur:
                sentences.append(cur)
                docs.append(doc)
                cur = []
            continue
        if stripped.startswith("-DOCSTART-"):
            if cur:
                sentences.append(cur)
                docs.append(doc)
                cur = []
            doc += 1
            continue
        if stripped.startswith("#") and not cur and "\t" not in stripped and " " in stripped:
            continue  # CoNLL-U comment
        cols = stripped.split("\t") if "\t" in stripped else stripped.split()
        if len(cols) < 2:
            problems.append(Item(where, n, error=BadRecord(
                f"line {n} has one column ({stripped[:40]!r})", "write a token and its tag on each line, e.g. Airbus B-ORG")))
            continue
        token = cols[1] if len(cols) >= 10 and cols[0].isdigit() else cols[0]  # CoNLL-U: FORM is column 2
        cur.append((n, token, cols[-1]))
    if cur:
        sentences.append(cur)
        docs.append(doc)
    scheme = detect_scheme([t for s in sentences for t in [*(r[2] for r in s), ""]])
    yield from problems
    per_doc: dict[int, int] = {}
    for rows, d in zip(sentences, docs, strict=True):
        k = per_doc[d] = per_doc.get(d, -1) + 1
        try:
            rec = _sentence_record(rows, scheme, lang, d, k)
        except BadRecord as e:
            yield Item(where, rows[0][0], error=e)
            continue
        rec["meta"]["conll_scheme"] = scheme
        yield Item(where, rows[0][0], rec, fmt="conll")


def _describe(data: dict[str, Any]) -> str:
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    return f"token per line, tags in {str(meta.get('conll_scheme', '?')).upper()}"


# the records conll_items makes are in Prodigy's task shape; detect never matches a JSON record
READER = Reader("conll", lambda data: False, prodigy.read, prodigy.raw_labels, span_source="conll", describe=_describe)


def iob2_lines(example: dict[str, Any]) -> str | None:
    """One example as IOB2 lines (``token<TAB>tag``) and a blank line; None for a binary-only example."""
    if example.get("binary"):
        return None
    from spacy.util import filter_spans  # the same choice among overlapping spans as doc.ents

    tokens = example["tokens"]
    tags = ["O"] * len(tokens)

    class _S:
        def __init__(self, s: dict[str, Any]) -> None:
            self.start, self.end, self.label = s["token_start"], s["token_end"] + 1, s["label"]

    for s in filter_spans([_S(s) for s in example["spans"]]):
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end):
            tags[i] = f"I-{s.label}"
    lines = [f"{t['text']}\t{tag}" for t, tag in zip(tokens, tags, strict=True) if t["text"].strip()]
    return "\n".join(lines) + "\n\n"


def export_conll(
    decisions: Decisions, out: str | Path, *, dataset: str = "", themes: list[str], lang: str | None = None,
    resolve: Resolve | str = Resolve.latest, align: Align | str = Align.strict, force: bool = False,
) -> ExportReport:
    """The merged examples as IOB2 CoNLL (``-`` = stdout), atomically; binary-only examples left out and counted."""
    from .jsonl import export_jsonl

    left = [0]

    def render(ex: dict[str, Any]) -> str | None:
        chunk = iob2_lines(ex)
        if chunk is None:
            left[0] += 1
        return chunk

    report = export_jsonl(decisions, out, dataset=dataset, themes=themes, lang=lang, resolve=resolve, align=align,
                          force=force, render=render, format_name="conll")
    if left[0]:
        report.notes.append(f"{left[0]} example(s) of binary answers only left out: CoNLL has no tag for "
                            "'unknown', and O would say 'no entity here' (export them with --format spacy)")
    return report
