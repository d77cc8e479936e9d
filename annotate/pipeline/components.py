"""Every spaCy component of the toolkit, registered in one module.

They are also exposed as ``spacy_factories`` entry points (pyproject.toml),
so a pipeline saved with ``nlp.to_disk`` loads with ``spacy.load`` without
importing this package first, and without the ``labels/`` folder: each
component writes the label data it was built from into its own folder.

Pipeline order (French)::

    annotate_quantities      MONEY / PERCENT / DATE rules; fixes token boundaries
    annotate_org_gazetteer   ORG from labels/orgs.jsonl
    tok2vec, senter, ner     the statistical model (it respects the spans above)
    annotate_entities        mends the model's ORG, adds rule ORG, sets doc.ents
    annotate_themes          doc.cats for every theme, cue spans as evidence

Spans carry their normalized value in ``span.kb_id_`` (JSON) and the
component that proposed them in ``span.id_``, so DocBin keeps both without
custom attributes. Every candidate, overlapping ones included, is kept in
``doc.spans["annotate_candidates"]``.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from pathlib import Path

from spacy.attrs import IDX, LENGTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ..labels import Labels, labels_from_config, load_labels
from ..tasks import SPANS_KEY

LABELS_JSON = "labels.json"


class _LabelsComponent:
    """Base: holds the validated labels and (de)serializes them with the pipeline."""

    def __init__(self, nlp: Language, name: str, labels_path: str | None) -> None:
        self.nlp = nlp
        self.vocab = nlp.vocab
        self.name = name
        self.lang = nlp.lang
        self.labels_path = labels_path
        self.label_data: Labels | None = None
        try:
            self.label_data = load_labels(labels_path)
        except Exception:
            # a saved pipeline may be loaded where the labels folder does not exist:
            # from_disk() provides the data then
            if labels_path is not None and Path(labels_path).exists():
                raise
        if self.label_data is not None:
            self._build()

    def _build(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _require(self) -> Labels:
        if self.label_data is None:
            raise ValueError(f"[{self.name}] no labels loaded: pass labels_path or load the pipeline from disk")
        return self.label_data

    def to_disk(self, path: str | Path, *, exclude: tuple[str, ...] = ()) -> None:
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        (p / LABELS_JSON).write_text(json.dumps(self._require().as_config(), ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: tuple[str, ...] = ()) -> "_LabelsComponent":
        data = json.loads((Path(path) / LABELS_JSON).read_text(encoding="utf-8"))
        self.label_data = labels_from_config(data)
        self._build()
        return self

    def to_bytes(self, *, exclude: tuple[str, ...] = ()) -> bytes:
        return json.dumps(self._require().as_config(), ensure_ascii=False).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: tuple[str, ...] = ()) -> "_LabelsComponent":
        self.label_data = labels_from_config(json.loads(data.decode("utf-8")))
        self._build()
        return self


def _add_candidates(doc: Doc, spans: list[Span]) -> None:
    group = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    group.extend(spans)
    doc.spans[SPANS_KEY] = group


def _set_preset_ents(doc: Doc, spans: list[Span]) -> None:
    """Add spans to doc.ents without marking other tokens as outside (the model still predicts there).

    Only our own earlier spans (the candidates group) can be in doc.ents before the model runs;
    comparing against them avoids building doc.ents, which walks every token.
    """
    existing = [s for s in doc.spans[SPANS_KEY] if s not in spans] if SPANS_KEY in doc.spans else []
    if not existing and doc.has_annotation("ENT_IOB"):
        existing = list(doc.ents)
    keep = [s for s in spans if not any(s.start < e.end and e.start < s.end for e in existing)]
    doc.set_ents(keep, default="unmodified")


# ---------------------------------------------------------------- quantities


class QuantityRecognizer(_LabelsComponent):
    """MONEY, PERCENT and DATE from the grammar in :mod:`annotate.quantities`."""

    def _build(self) -> None:
        from .quantities import QuantityGrammar

        lex = self._require().lexicon
        lang_lex = getattr(lex, self.lang, None) or lex.en
        self.grammar = QuantityGrammar(lang_lex, self.lang if self.lang in ("fr", "en") else "en")

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text  # built from the tokens on every access: read it once
        if not text:
            return doc
        candidates = self.grammar.find(text, values=False)  # values for the chosen matches only
        if not candidates:
            return doc
        chosen = self.grammar.resolve(text, candidates)
        cuts = {m.start for m in chosen} | {m.end for m in chosen}
        doc = ensure_boundaries(doc, cuts)
        spans: list[Span] = []
        for m in chosen:
            span = doc.char_span(m.start, m.end, label=m.label)
            if span is None:  # pragma: no cover - ensure_boundaries makes this impossible
                continue
            if m.value is not None:
                span.kb_id_ = json.dumps(m.value, sort_keys=True, ensure_ascii=False)
            span.id_ = "rules"
            spans.append(span)
        _add_candidates(doc, spans)
        _set_preset_ents(doc, spans)
        return doc


def ensure_boundaries(doc: Doc, cuts: set[int]) -> Doc:
    """Split tokens so that every character offset in ``cuts`` is a token boundary."""
    arr = doc.to_array([IDX, LENGTH]).tolist()  # token offsets without creating Token objects
    bounds = {a for a, _ in arr} | {a + n for a, n in arr}
    todo: dict[int, list[int]] = {}
    for c in cuts:
        if c in bounds:
            continue
        i = bisect_right(arr, [c, 1 << 62]) - 1  # the token starting at or before c
        if i < 0:
            continue
        a, n = arr[i]
        if a < c < a + n:
            todo.setdefault(i, []).append(c - a)
    if not todo:
        return doc
    with doc.retokenize() as retok:
        for i, offsets in todo.items():
            tok = doc[i]
            bounds = [0, *sorted(set(offsets)), len(tok.text)]
            orths = [tok.text[a:b] for a, b in zip(bounds, bounds[1:])]
            retok.split(tok, orths, heads=[(tok, 0)] * len(orths))
    return doc


@Language.factory(
    "annotate_quantities",
    default_config={"labels_path": None},
)
def make_quantities(nlp: Language, name: str, labels_path: str | None) -> QuantityRecognizer:
    return QuantityRecognizer(nlp, name, labels_path)


# ---------------------------------------------------------------- organisations


class OrgGazetteer(_LabelsComponent):
    """ORG from the organisation gazetteer (exact case; ``ignore_case`` entries on LOWER)."""

    def _build(self) -> None:
        labels = self._require()
        self.matcher = PhraseMatcher(self.vocab, attr="ORTH")
        self.matcher_ci = PhraseMatcher(self.vocab, attr="LOWER")
        self.ids: dict[str, str] = {}
        exact: list[Doc] = []
        folded: list[Doc] = []
        make = self.nlp.make_doc
        for entry in labels.orgs:
            if entry.lang not in ("any", self.lang) or not isinstance(entry.pattern, str):
                continue
            d = make(entry.pattern)
            (folded if entry.ignore_case else exact).append(d)
        if exact:
            self.matcher.add("ORG", exact)
        if folded:
            self.matcher_ci.add("ORG", folded)

    def __call__(self, doc: Doc) -> Doc:
        spans = [Span(doc, s, e, label="ORG") for _, s, e in self.matcher(doc)]
        spans += [Span(doc, s, e, label="ORG") for _, s, e in self.matcher_ci(doc)]
        if not spans:
            return doc
        spans = [s for s in filter_spans(spans) if _standalone(s)]
        for s in spans:
            s.id_ = "gazetteer"
        _add_candidates(doc, spans)
        _set_preset_ents(doc, spans)
        return doc


# "Nasdaq Composite", "CAC 40": an exchange or company name inside a stock index is not ORG
_INDEX_TAILS = frozenset({"Composite", "100", "40", "50", "500", "600", "120", "225", "Industrial", "Index", "index"})


def _standalone(span: Span) -> bool:
    """Not a fragment of a longer hyphenated or glued word, nor of a stock index name."""
    doc = span.doc
    if span.end < len(doc) and doc[span.end].text in _INDEX_TAILS:
        return False
    if span.start > 0:
        prev = doc[span.start - 1]
        if not prev.whitespace_ and prev.text in ("-",):
            return False
    if span.end < len(doc):
        nxt = doc[span.end]
        if not span[-1].whitespace_ and nxt.text == "-" :
            return False
    return True


@Language.factory("annotate_org_gazetteer", default_config={"labels_path": None})
def make_org_gazetteer(nlp: Language, name: str, labels_path: str | None) -> OrgGazetteer:
    return OrgGazetteer(nlp, name, labels_path)


# ---------------------------------------------------------------- final entities


class EntityResolver(_LabelsComponent):
    """After the model: mend its ORG, add rule-based ORG, keep only our labels in doc.ents."""

    def _build(self) -> None:
        from .orgrules import OrgRules

        labels = self._require()
        self.targets = set(labels.entity_names)
        self.rules = OrgRules(self.vocab, labels, self.lang)

    def _extend_names(self, final: list[Span]) -> list[Span]:
        """Join a following legal or organisation suffix to an ORG name (``Talen Energy`` + ``Corp.``,
        ``ICONIQ`` + ``Growth``), also when the model tagged the suffix alone."""
        if not final:
            return final
        doc = final[0].doc
        by_start = {s.start: s for s in final}
        suffixes = LEGAL_SUFFIXES | self.rules.suffixes
        dropped: set[int] = set()
        out: list[Span] = []
        for s in sorted(final, key=lambda x: x.start):
            if s.start in dropped:
                continue
            if s.label_ == "ORG" and s.end < len(doc) and s[-1].whitespace_:
                nxt = doc[s.end]
                other = by_start.get(s.end)
                free = other is None and not any(f.start <= s.end < f.end for f in final)
                lone_org = other is not None and other.label_ == "ORG" and len(other) == 1
                if nxt.text in suffixes and nxt.text[:1].isupper() and (free or lone_org):
                    if lone_org:
                        dropped.add(other.start)
                    s = Span(doc, s.start, s.end + 1, label="ORG", kb_id=s.kb_id_, span_id=s.id_)
            out.append(s)
        return out

    def __call__(self, doc: Doc) -> Doc:
        ours = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
        ours_keys = {(s.start, s.end) for s in ours}
        model: list[Span] = []
        ctx = self.rules.context(doc)
        for e in doc.ents:
            if (e.start, e.end) in ours_keys:
                continue
            fixed = self.rules.mend_model_entity(e, ctx)
            if fixed is not None:
                fixed.id_ = "model" if e.label_ == "ORG" else "model+rules"
                model.append(fixed)
        keep = {i for s in ours + model if s.label_ in self.targets for i in range(s.start, s.end)}
        extra = self.rules.find(doc, keep, ctx)
        for s in extra:
            s.id_ = "rules"
        candidates = ours + model + extra
        final: list[Span] = []
        occupied: set[int] = set()
        # our rules and gazetteer first, then the model, then context rules
        for group in (ours, model, extra):
            for s in sorted(group, key=lambda x: -(x.end - x.start)):
                if s.label_ not in self.targets:
                    continue
                if any(i in occupied for i in range(s.start, s.end)):
                    continue
                final.append(s)
                occupied.update(range(s.start, s.end))
        acronyms = self.rules.propagate(doc, final)
        candidates += acronyms
        final = self._extend_names(final + acronyms)
        final.sort(key=lambda s: s.start)
        doc.set_ents(final, default="outside")
        # re-attach values and sources that set_ents keeps per token
        doc.spans[SPANS_KEY] = [s for s in candidates if s.label_ in self.targets]
        return doc


LEGAL_SUFFIXES = frozenset(
    "Inc. Inc Corp. Corp Corporation Ltd Ltd. LLC plc PLC SA S.A. SAS SE AG NV N.V. GmbH SpA S.p.A. Co. Limited".split()
)


@Language.factory("annotate_entities", default_config={"labels_path": None})
def make_entity_resolver(nlp: Language, name: str, labels_path: str | None) -> EntityResolver:
    return EntityResolver(nlp, name, labels_path)


# ---------------------------------------------------------------- themes


class ThemeComponent(_LabelsComponent):
    """doc.cats for every theme of the taxonomy; cue matches in a span group."""

    def _build(self) -> None:
        from .themes import ThemeScorer

        self.scorer = ThemeScorer(self.vocab, self._require().taxonomy, self.lang)

    def __call__(self, doc: Doc) -> Doc:
        return self.scorer(doc)


@Language.factory("annotate_themes", default_config={"labels_path": None})
def make_themes(nlp: Language, name: str, labels_path: str | None) -> ThemeComponent:
    return ThemeComponent(nlp, name, labels_path)
