"""Examples: a winning decision aligned to tokens, as an exported record and as a spaCy Doc.

Alignment: spans must start and end on token boundaries (the task's own
``tokens`` when present, else the language's tokenizer). Misaligned spans are
listed and the export fails (:class:`MisalignedSpans`) unless ``align`` is
``"expand"`` or ``"contract"``; a span that contracts to nothing is counted and
listed in the report, never dropped silently.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..errors import AnnotateError, Errors
from .merge import accepted_spans, reviewed_themes


class Align(StrEnum):
    """What happens to spans off token boundaries (``--align``)."""

    strict = "strict"  # list them and fail
    expand = "expand"  # snap outward to whole tokens
    contract = "contract"  # snap inward (a span with no whole token is left out and listed)


ALIGN_MODES = tuple(m.value for m in Align)
DEFAULT_SPANS_KEY = "sc"
# keys of a stored decision that are not part of an exported example
_DROP_KEYS = frozenset({
    "_decision_id", "_seconds", "spans", "tokens", "accept", "cats", "answer", "rejected_spans", "binary_cats", "binary",
})
# the span group holding the spans binary answers rejected (spaCy's ner ``incorrect_spans_key``)
INCORRECT_SPANS_KEY = "incorrect_spans"
MAX_LISTED = 20


def parse_align(align: str) -> Align:
    """``align`` as an :class:`Align`; an unknown mode is a usage error (E402)."""
    try:
        return Align(align)
    except ValueError:
        raise Errors.E402(align=align, fix='use one of ' + ', '.join(ALIGN_MODES)) from None


@dataclass
class Misaligned:
    task_hash: Any
    input_hash: Any
    start: int
    end: int
    label: str
    text: str
    reason: str = "does not align with the tokens"

    def render(self) -> str:
        return f"task {self.task_hash}: span {self.start}-{self.end} {self.label} {self.text!r} {self.reason}"


class MisalignedSpans(AnnotateError):
    """Spans that do not align with the tokens; ``items`` lists them."""

    def __init__(self, items: list[Misaligned], total: int) -> None:
        self.items = items
        self.total = total
        super().__init__(
            f"{total} span(s) do not align with the tokens; nothing was written",
            fix="pass --align expand or --align contract to snap them to token boundaries, or correct the spans",
            code="E410",
        )

    def lines(self) -> list[str]:
        """The listed spans, one line each (the CLI prints them before the error)."""
        out = [f"  {m.render()}" for m in self.items]
        if self.total > len(self.items):
            out.append(f"  ... and {self.total - len(self.items)} more")
        return out


class _Tokenizers:
    """Language tokenizers, renewed now and then so their vocabulary does not grow without bound."""

    def __init__(self, renew_every: int = 20_000) -> None:
        self._nlps: dict[str, Any] = {}
        self._uses = 0
        self.renew_every = renew_every

    def tokens(self, text: str, lang: str) -> list[dict[str, Any]]:
        self._uses += 1
        if self._uses % self.renew_every == 0:
            self._nlps.clear()
        nlp = self._nlps.get(lang)
        if nlp is None:
            nlp = self._nlps[lang] = blank_nlp(lang)
            nlp.max_length = 1 << 40  # tokenizer only: the 1,000,000-character limit is for parser/NER
        doc = nlp.make_doc(text)
        return [
            {"text": t.text, "start": t.idx, "end": t.idx + len(t.text), "id": t.i, "ws": bool(t.whitespace_)}
            for t in doc
        ]


def blank_nlp(lang: str) -> Any:
    """A blank pipeline of ``lang`` with the project's tokenizer rules (those ``annotate pre`` tokenizes with)."""
    import spacy

    from ..pipeline.rxcache import compiled_patterns

    try:
        with compiled_patterns():  # spaCy's French tokenizer exceptions: 2 s to compile, else
            nlp = spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as e:  # unknown language code
        raise Errors.E401(lang=lang, type=type(e).__name__) from None
    from ..pipeline.build import customize_tokenizer

    customize_tokenizer(nlp)
    return nlp


def record_lang(d: dict[str, Any], default: str) -> str:
    """A record's language: ``meta.lang``, else its own ``lang``, else told by its words (:func:`detect_lang`)."""
    meta = d.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("lang"), str) and meta["lang"]:
        return meta["lang"]
    if isinstance(d.get("lang"), str) and d["lang"]:
        return d["lang"]
    from ..pipeline.lang import SUPPORTED, detect_lang

    text = d.get("text")
    if default in SUPPORTED and isinstance(text, str):
        return detect_lang(text, default=default)
    return default


def _tokens_exact(tokens: Any, text: str) -> bool:
    """The common case in one pass: each token starts where the previous one (and its
    single space) ended, and Doc(words, spaces) rebuilds ``text``. True implies
    :func:`_tokens_ok` and :func:`_words_spaces_ok`; False means: ask them."""
    if type(tokens) is not list or not tokens:
        return False
    pos = 0
    try:
        for t in tokens:
            w = t["text"]
            if t["start"] != pos or not w or t["end"] != pos + len(w) or not text.startswith(w, pos):
                return False
            pos += len(w)
            if t.get("ws", True):
                if text[pos:pos + 1] != " ":
                    return False
                pos += 1
    except (KeyError, TypeError):
        return False
    return pos == len(text)


def _tokens_ok(tokens: Any, text: str) -> bool:
    if not isinstance(tokens, list) or not tokens:
        return False
    pos = 0
    try:
        for t in tokens:
            s, e, w = int(t["start"]), int(t["end"]), t["text"]
            if s < pos or e <= s or text[s:e] != w:
                return False
            if text[pos:s].strip():
                return False
            pos = e
            if t.get("ws", True) and not text[e:e + 1].isspace():
                return False
        return not text[pos:].strip()
    except (KeyError, TypeError, ValueError):
        return False


def _words_spaces_ok(tokens: list[dict[str, Any]], text: str) -> bool:
    """Whether Doc(words, spaces) rebuilds exactly ``text``."""
    return "".join(t["text"] + (" " if t.get("ws", True) else "") for t in tokens) == text


def _snap(tokens: list[dict[str, Any]], starts: list[int], ends: list[int], s: int, e: int, mode: str) -> tuple[int, int] | None:
    """Token indices (inclusive) of a span snapped outward (expand) or inward (contract)."""
    n = len(tokens)
    if mode == "expand":
        # first token ending after s; last token starting before e
        ts = bisect.bisect_right(ends, s)
        te = bisect.bisect_left(starts, e) - 1
    else:
        # first token starting at or after s; last token ending at or before e
        ts = bisect.bisect_left(starts, s)
        te = bisect.bisect_right(ends, e) - 1
    if ts >= n or te < 0 or ts > te:
        return None
    return ts, te


def _snap_hint(tokens: list[dict[str, Any]], starts: list[int], ends: list[int], text: str, a: int, b: int) -> str:
    """Why a span does not align, with its text after snapping each way."""
    out = []
    for mode in ("expand", "contract"):
        got = _snap(tokens, starts, ends, a, b, mode)
        out.append(f"{mode}: {text[starts[got[0]]:ends[got[1]]]!r}" if got else f"{mode}: nothing")
    return "does not align with the tokens (" + ", ".join(out) + ")"


@dataclass
class Example:
    """One merged, aligned example, ready for JSONL or a Doc."""

    record: dict[str, Any]
    themes_reviewed: bool


class ExampleBuilder:
    """Turns a winning decision into an exported example: tokens, aligned accepted spans, themes."""

    def __init__(self, *, lang: str, themes: list[str], align: Align | str = Align.strict, force_lang: bool = False) -> None:
        align = parse_align(align).value
        self.lang = lang  # the default language; each record is tokenized in its own (record_lang) unless force_lang
        self.force_lang = force_lang
        self.langs: Counter[str] = Counter()  # records tokenized here, per language
        self.snapped_items: list[str] = []
        self.themes = list(themes)
        self._theme_order = {t: i for i, t in enumerate(self.themes)}
        self.align = align
        self.tokenizers = _Tokenizers()
        self.misaligned: list[Misaligned] = []
        self.n_misaligned = 0
        self.snapped = 0
        self.dropped: list[Misaligned] = []
        self.retokenized = 0
        self.spans: Counter[str] = Counter()
        self.themes_accepted: Counter[str] = Counter()
        self.themes_unreviewed = 0
        self.unknown_themes: Counter[str] = Counter()
        self.binary_cats: Counter[str] = Counter()
        self.rejected_spans = 0
        self.rejected_unaligned = 0

    def build(self, d: dict[str, Any]) -> Example | None:
        text = d.get("text")
        if not isinstance(text, str):
            raise Errors.E403(get=d.get('_decision_id'))
        tokens = d.get("tokens")
        if not (_tokens_exact(tokens, text) or (_tokens_ok(tokens, text) and _words_spaces_ok(tokens, text))):
            if tokens:
                self.retokenized += 1
            lang = self.lang if self.force_lang else record_lang(d, self.lang)
            self.langs[lang] += 1
            tokens = self.tokenizers.tokens(text, lang)
        else:
            tokens = [dict(t, id=i) for i, t in enumerate(tokens)]
        starts = [t["start"] for t in tokens]
        ends = [t["end"] for t in tokens]
        start_idx = {s: i for i, s in enumerate(starts)}
        end_idx = {e: i for i, e in enumerate(ends)}
        out_spans: list[dict[str, Any]] = []
        bad = False
        for s in accepted_spans(d):
            try:
                a, b, label = int(s["start"]), int(s["end"]), str(s["label"])
            except (KeyError, TypeError, ValueError):
                self._misaligned(d, -1, -1, str(s.get("label")), "", "has no integer start/end and a label")
                bad = True
                continue
            if not (0 <= a < b <= len(text)):
                self._misaligned(d, a, b, label, "", f"falls outside the text (length {len(text)})")
                bad = True
                continue
            ts, te = start_idx.get(a), end_idx.get(b)
            if ts is None or te is None or ts > te:
                if self.align == "strict":
                    self._misaligned(d, a, b, label, text[a:b], _snap_hint(tokens, starts, ends, text, a, b))
                    bad = True
                    continue
                snapped = _snap(tokens, starts, ends, a, b, self.align)
                if snapped is None:
                    self.dropped.append(Misaligned(d.get("_task_hash"), d.get("_input_hash"), a, b, label, text[a:b],
                                                   f"contracts to no token (--align {self.align}); left out"))
                    continue
                ts, te = snapped
                before = text[a:b]
                a, b = starts[ts], ends[te]
                self.snapped += 1
                if len(self.snapped_items) < MAX_LISTED:
                    self.snapped_items.append(
                        f"task {d.get('_task_hash')}: span {s['start']}-{s['end']} {label} {before!r} -> {a}-{b} {text[a:b]!r}")
            span = {k: v for k, v in s.items() if k != "answer"}
            span.update(start=a, end=b, token_start=ts, token_end=te, label=label, text=text[a:b])
            out_spans.append(span)
        if bad:
            return None
        out_spans.sort(key=lambda x: (x["start"], x["end"], x["label"]))
        rec = {k: v for k, v in d.items() if k not in _DROP_KEYS}
        rec["text"] = text
        rec["tokens"] = tokens
        rec["spans"] = out_spans
        rec["answer"] = "accept"
        if "binary" in d:
            # binary answers merged in; True: no manual decision, tokens outside the spans are not known to be O
            rec["binary"] = bool(d["binary"])
        rejected = []
        for s in d.get("rejected_spans") or []:
            try:
                a, b, label = int(s["start"]), int(s["end"]), str(s["label"])
            except (KeyError, TypeError, ValueError):
                continue
            ts, te = start_idx.get(a), end_idx.get(b)
            if ts is None or te is None or ts > te:
                self.rejected_unaligned += 1  # a rejected span off the tokens teaches nothing: left out, counted
                continue
            rejected.append({**{k: v for k, v in s.items() if k != "answer"},
                             "start": a, "end": b, "token_start": ts, "token_end": te, "label": label, "text": text[a:b]})
        if rejected:
            rejected.sort(key=lambda x: (x["start"], x["end"], x["label"]))
            rec["rejected_spans"] = rejected
            self.rejected_spans += len(rejected)
        for sp in out_spans:
            self.spans[sp["label"]] += 1
        themes = reviewed_themes(d)
        if themes is None:
            self.themes_unreviewed += 1
        else:
            accepted = sorted(set(themes), key=lambda t: (self._theme_order.get(t, len(self.themes)), t))
            rec["accept"] = accepted
            cats = {t: 0.0 for t in self.themes}
            for t in accepted:
                cats[t] = 1.0
                self.themes_accepted[t] += 1
                if t not in self._theme_order:
                    self.unknown_themes[t] += 1
            rec["cats"] = cats
        binary_cats = d.get("binary_cats")
        if isinstance(binary_cats, dict) and binary_cats:
            # answered labels only: a label never asked is absent (missing), not 0
            cats = dict(rec.get("cats") or {})
            for t in sorted(binary_cats, key=lambda t: (self._theme_order.get(t, len(self.themes)), t)):
                cats[t] = float(binary_cats[t])
                self.binary_cats[f"{t} {'accept' if binary_cats[t] else 'reject'}"] += 1
                if t not in self._theme_order:
                    self.unknown_themes[t] += 1
            rec["cats"] = cats
        return Example(rec, themes is not None or bool(binary_cats))

    def _misaligned(self, d: dict[str, Any], a: int, b: int, label: str, text: str, reason: str | None = None) -> None:
        self.n_misaligned += 1
        if len(self.misaligned) < MAX_LISTED:
            m = Misaligned(d.get("_task_hash"), d.get("_input_hash"), a, b, label, text)
            if reason:
                m.reason = reason
            self.misaligned.append(m)

    def check(self) -> None:
        if self.n_misaligned:
            raise MisalignedSpans(self.misaligned, self.n_misaligned)


def example_to_doc(
    vocab: Any, example: dict[str, Any], *, spans_key: str | None = DEFAULT_SPANS_KEY, with_cats: bool = True
) -> Any:
    """A Doc from an exported example: every span in ``doc.spans[spans_key]`` (None: no span
    group), the non-overlapping ones (longest first) in ``doc.ents``, themes in ``doc.cats``."""
    from spacy.tokens import Doc, Span
    from spacy.util import filter_spans

    tokens = example["tokens"]
    doc = Doc(vocab, words=[t["text"] for t in tokens], spaces=[bool(t.get("ws", True)) for t in tokens])
    spans = []
    for s in example["spans"]:
        kb = json.dumps(s["value"], sort_keys=True, ensure_ascii=False) if "value" in s else ""
        spans.append(Span(doc, s["token_start"], s["token_end"] + 1, label=s["label"], kb_id=kb))
    if spans_key:
        doc.spans[spans_key] = spans
    ents = filter_spans(spans)
    # binary answers: tokens outside the accepted spans are missing, not O ("no entity")
    doc.set_ents(ents, default="missing" if example.get("binary") else "outside")
    rejected = example.get("rejected_spans")
    if rejected:
        doc.spans[INCORRECT_SPANS_KEY] = [Span(doc, s["token_start"], s["token_end"] + 1, label=s["label"]) for s in rejected]
    if with_cats and isinstance(example.get("cats"), dict) and ("accept" in example or "binary" in example):
        doc.cats = {k: float(v) for k, v in example["cats"].items()}
    return doc
