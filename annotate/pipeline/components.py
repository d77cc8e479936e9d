"""Every spaCy component of the toolkit, registered in one module.

They are also exposed as ``spacy_factories`` entry points (pyproject.toml),
so a pipeline saved with ``nlp.to_disk`` loads with ``spacy.load`` without
importing this package first, and without any labels folder. As in spaCy's
own rule components (``span_ruler``), the data arrives through
``initialize(labels=...)``, never through the config: ``build_pipeline``
passes the loaded :class:`~annotate.labels.Labels`; ``nlp.initialize()``
reads it from ``[initialize.components.<name>.labels]`` (the registered
reader ``annotate.labels.v1``), or the default labels folder when that block
is absent. Each component then writes only its own part into its folder of a
saved pipeline (``util.to_disk``) and reads it back in ``from_disk``:

    annotate_quantities      lexicon.json     the lexicon of its language
    annotate_org_gazetteer   patterns.jsonl   the gazetteer entries of its language
    annotate_entities        labels.json      the entity labels (what doc.ents keeps)
                             lexicon.json     the lexicon (org suffixes and heads of OrgRules)
    annotate_themes          taxonomy.json    the theme taxonomy

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

# No ``from __future__ import annotations``: spaCy validates the settings of
# ``initialize()`` against its signature, so the annotations must be real types.
import json
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, get_origin

import srsly
from pydantic import TypeAdapter
from spacy import util
from spacy.attrs import IDX, LENGTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import SimpleFrozenList, filter_spans, registry

from ..labels import LabelSet, LangLexicon, Labels, Lexicon, OrgPattern, Taxonomy, load_labels
from ..tasks import SPANS_KEY


@registry.misc("annotate.labels.v1")
def read_labels(path: str | None = None) -> Labels:
    """A labels folder, validated (``path`` null: the default labels), for
    ``[initialize.components.<name>.labels]`` in a config."""
    return load_labels(path)


@cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


class _LabelsComponent:
    """Base: its part of the label data arrives through :meth:`initialize` and is saved with the pipeline.

    A subclass names its parts in ``PARTS`` (name -> the type of the part: a
    pydantic model, saved as ``<name>.json``, or a list of them, saved as
    ``<name>.jsonl``), picks them out of a :class:`Labels` in :meth:`_select`
    and builds its matchers from ``self.parts`` in :meth:`_build`.
    """

    PARTS: ClassVar[dict[str, Any]] = {}

    def __init__(self, nlp: Language, name: str) -> None:
        self.nlp = nlp
        self.vocab = nlp.vocab
        self.name = name
        self.lang = nlp.lang
        self.parts: dict[str, Any] = {}

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language | None = None,
        labels: Labels | dict[str, Any] | None = None,
    ) -> None:
        """Take this component's part of ``labels`` and build from it.

        ``labels``: a loaded labels folder (``nlp.initialize()`` passes it as a
        plain dict, from ``[initialize.components.<name>.labels]``); default:
        the default labels folder.
        """
        if labels is None:
            labels = load_labels()
        elif not isinstance(labels, Labels):
            labels = Labels.model_validate(labels)
        self.parts = self._select(labels)
        self._build()

    def __getattr__(self, attr: str) -> Any:
        # only reached when an attribute is missing: before initialize() or from_disk(), what
        # _build() makes (matchers, grammar, scorer) is missing; say so instead of naming it
        if not attr.startswith("_") and not self.__dict__.get("parts"):
            raise AttributeError(
                f"[{self.__dict__.get('name')}] no label data yet ({attr!r} is built from it): "
                "call nlp.initialize() or load a saved pipeline"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    def _select(self, labels: Labels) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _build(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _loaded(self) -> None:
        missing = [p for p in self.PARTS if p not in self.parts]
        if missing:
            raise ValueError(f"[{self.name}] no {', '.join(missing)} loaded: call initialize() or load a saved pipeline")
        self._build()

    @classmethod
    def _file(cls, part: str) -> str:
        return part + (".jsonl" if get_origin(cls.PARTS[part]) is list else ".json")

    def _dump(self, part: str) -> Any:
        return _adapter(self.PARTS[part]).dump_python(self.parts[part], mode="json")

    def _load(self, part: str, data: Any) -> None:
        self.parts[part] = _adapter(self.PARTS[part]).validate_python(data)

    def _write(self, part: str, path: Path) -> None:
        data = self._dump(part)
        if path.suffix == ".jsonl":
            srsly.write_jsonl(path, data)
        else:
            srsly.write_json(path, data)

    def _read(self, part: str, path: Path) -> None:
        self._load(part, list(srsly.read_jsonl(path)) if path.suffix == ".jsonl" else srsly.read_json(path))

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        serializers = {self._file(p): (lambda f, p=p: self._write(p, f)) for p in self.PARTS}
        util.to_disk(path, serializers, exclude)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> "_LabelsComponent":
        deserializers = {self._file(p): (lambda f, p=p: self._read(p, f)) for p in self.PARTS}
        util.from_disk(path, deserializers, exclude)
        self._loaded()
        return self

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        serializers = {p: (lambda p=p: srsly.json_dumps(self._dump(p))) for p in self.PARTS}
        return util.to_bytes(serializers, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "_LabelsComponent":
        deserializers = {p: (lambda b, p=p: self._load(p, srsly.json_loads(b))) for p in self.PARTS}
        util.from_bytes(bytes_data, deserializers, exclude)
        self._loaded()
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
    # linear in the spans (a set of keys and a per-token occupancy), not spans x existing: one long
    # record has thousands of both
    def key(s: Span) -> tuple[int, int, int, int, int]:  # what Span equality compares
        return (s.start_char, s.end_char, s.label, s.kb_id, s.id)

    new = {key(s) for s in spans}
    existing = [s for s in doc.spans[SPANS_KEY] if key(s) not in new] if SPANS_KEY in doc.spans else []
    if not existing and doc.has_annotation("ENT_IOB"):
        existing = list(doc.ents)
    taken = occupancy(len(doc), ((e.start, e.end) for e in existing))
    keep = [s for s in spans if not overlaps(taken, s.start, s.end)]
    doc.set_ents(keep, default="unmodified")


def occupancy(n: int, ranges: Iterable[tuple[int, int]]) -> bytearray:
    """One byte per position of ``0..n``: 1 where one of ``ranges`` (start, end) covers it."""
    occ = bytearray(n + 1)
    for a, b in ranges:
        if b > a:
            occ[a:b] = b"\x01" * (b - a)
    return occ


def overlaps(occ: bytearray, a: int, b: int) -> bool:
    """Whether ``a..b`` overlaps a covered position of ``occ`` (C speed, the length of the span)."""
    return b > a and occ.find(1, a, b) != -1


# ---------------------------------------------------------------- quantities


class QuantityRecognizer(_LabelsComponent):
    """MONEY, PERCENT and DATE from the grammar in :mod:`annotate.quantities`."""

    PARTS: ClassVar[dict[str, Any]] = {"lexicon": LangLexicon}

    def __init__(self, nlp: Language, name: str, defer: Iterable[str] = ()) -> None:
        super().__init__(nlp, name)
        # labels whose spans stay candidates only, not set in doc.ents before the NER: a trained NER in
        # the pipeline's place wins overlaps for them (labels/model_policy.toml, wins = "model")
        self.defer = frozenset(defer)

    def _select(self, labels: Labels) -> dict[str, Any]:
        lex = labels.lexicon
        return {"lexicon": getattr(lex, self.lang, None) or lex.en}

    def _build(self) -> None:
        from .quantities import QuantityGrammar

        self.grammar = QuantityGrammar(self.parts["lexicon"], self.lang if self.lang in ("fr", "en") else "en")

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
        _set_preset_ents(doc, [s for s in spans if s.label_ not in self.defer] if self.defer else spans)
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
    assigns=["doc.ents", "doc.spans", "token.ent_iob", "token.ent_type", "token.ent_kb_id", "token.ent_id"],
    requires=[],
    retokenizes=True,  # splits tokens so that every match starts and ends on a token boundary
    default_config={"defer": []},
)
def make_quantities(nlp: Language, name: str, defer: list[str]) -> QuantityRecognizer:
    return QuantityRecognizer(nlp, name, defer)


# ---------------------------------------------------------------- organisations


class OrgGazetteer(_LabelsComponent):
    """ORG from the organisation gazetteer (exact case; ``ignore_case`` entries on LOWER)."""

    PARTS: ClassVar[dict[str, Any]] = {"patterns": list[OrgPattern]}

    def __init__(self, nlp: Language, name: str, defer: Iterable[str] = ()) -> None:
        super().__init__(nlp, name)
        # "ORG" in defer: the names stay candidates only (a trained NER in the pipeline's place wins
        # overlaps with them: labels/model_policy.toml); English always predicts around them freely
        self.preset = nlp.lang != "en" and "ORG" not in set(defer)

    def _select(self, labels: Labels) -> dict[str, Any]:
        return {"patterns": [e for e in labels.orgs if e.lang in ("any", self.lang)]}

    def _build(self) -> None:
        self.matcher = PhraseMatcher(self.vocab, attr="ORTH")
        self.matcher_ci = PhraseMatcher(self.vocab, attr="LOWER")
        self.ids: dict[str, str] = {}
        exact: list[Doc] = []
        folded: list[Doc] = []
        from .buildcache import memo_tokenizer

        make = memo_tokenizer("pipeline", self.vocab, lambda: self.nlp.make_doc)
        for entry in self.parts["patterns"]:
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
        if self.preset:
            # English: the shipped model predicts freely around gazetteer names, so that it can
            # extend one ("Vantor Bank Capital Markets"); the resolver arbitrates (en_org.arbitrate)
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


@Language.factory(
    "annotate_org_gazetteer",
    assigns=["doc.ents", "doc.spans", "token.ent_iob", "token.ent_type", "token.ent_id"],
    requires=[],
    retokenizes=False,
    default_config={"defer": []},
)
def make_org_gazetteer(nlp: Language, name: str, defer: list[str]) -> OrgGazetteer:
    return OrgGazetteer(nlp, name, defer)


# ---------------------------------------------------------------- final entities


class EntityResolver(_LabelsComponent):
    """After the model: mend its ORG, add rule-based ORG, keep only our labels in doc.ents."""

    PARTS: ClassVar[dict[str, Any]] = {"labels": LabelSet, "lexicon": Lexicon}

    def __init__(self, nlp: Language, name: str, ner_wins: Iterable[str] = (), ner_no_adds: Iterable[str] = ()) -> None:
        super().__init__(nlp, name)
        # a trained NER in the base NER's place (annotate pre --model, mode replace), per
        # labels/model_policy.toml: its entities of ner_wins labels win overlaps with rule and gazetteer
        # spans of those labels; those of ner_no_adds labels are kept only where they overlap one
        self.ner_wins = frozenset(ner_wins)
        self.ner_no_adds = frozenset(ner_no_adds)

    def _select(self, labels: Labels) -> dict[str, Any]:
        return {"labels": labels.labels, "lexicon": labels.lexicon}

    def _build(self) -> None:
        from .en_org import arbitrate, not_an_org, person_is_org, reshape
        from .orgrules import OrgRules

        self.arbitrate_en = arbitrate
        self.not_org_en = not_an_org
        self.person_org_en = person_is_org
        self.reshape_en = reshape

        # OrgRules sees the saved parts only (the same object whether built or loaded):
        # reading any other field of Labels there fails at once, so add it to PARTS first
        labels = Labels.model_construct(labels=self.parts["labels"], lexicon=self.parts["lexicon"])
        self.targets = set(labels.entity_names)
        self.rules = OrgRules(self.vocab, labels, self.lang)

    def _extend_names(self, final: list[Span]) -> list[Span]:
        """Join a following legal or organisation suffix to an ORG name (``Talen Energy`` + ``Corp.``,
        ``ICONIQ`` + ``Growth``), also when the model tagged the suffix alone."""
        if not final:
            return final
        doc = final[0].doc
        by_start = {s.start: s for s in final}
        covered = occupancy(len(doc), ((f.start, f.end) for f in final))
        suffixes = LEGAL_SUFFIXES | self.rules.suffixes
        dropped: set[int] = set()
        out: list[Span] = []
        for s in sorted(final, key=lambda x: x.start):
            if s.start in dropped:
                continue
            if s.label_ == "ORG" and s.end < len(doc) and s[-1].whitespace_:
                nxt = doc[s.end]
                other = by_start.get(s.end)
                free = other is None and not covered[s.end]
                lone_org = other is not None and other.label_ == "ORG" and len(other) == 1
                if nxt.text in suffixes and nxt.text[:1].isupper() and (free or lone_org):
                    if lone_org:
                        dropped.add(other.start)
                    s = Span(doc, s.start, s.end + 1, label="ORG", kb_id=s.kb_id_, span_id=s.id_)
            out.append(s)
        return out

    def __call__(self, doc: Doc) -> Doc:
        ours = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
        if self.lang == "en":
            ours = self.arbitrate_en(doc, ours)
        ours_keys = {(s.start, s.end) for s in ours}
        model: list[Span] = []
        ctx = self.rules.context(doc)
        for e in doc.ents:
            if (e.start, e.end) in ours_keys:
                continue
            source = "model" if e.label_ == "ORG" else "model+rules"
            if self.lang == "en" and e.label_ == "PER" and self.person_org_en(e):
                e = Span(doc, e.start, e.end, label="ORG")  # "Quillon restaurant": a business
            fixed = self.rules.mend_model_entity(e, ctx)
            if fixed is not None and self.lang == "en" and self.not_org_en(fixed):
                fixed = None
            if fixed is not None:
                fixed.id_ = source
                model.append(fixed)
        if self.ner_no_adds:
            model = self._no_adds(doc, ours, model)
        keep = {i for s in ours + model if s.label_ in self.targets for i in range(s.start, s.end)}
        extra = self.rules.find(doc, keep, ctx)
        for s in extra:
            s.id_ = "rules"
        candidates = ours + model + extra
        final: list[Span] = []
        occupied: set[int] = set()
        # our rules and gazetteer first, then the model, then context rules; with a trained NER whose
        # labels win (ner_wins): rule spans of the other labels, its entities of those labels, the rest
        groups: tuple[list[Span], ...] = (ours, model, extra)
        if self.ner_wins:
            w = self.ner_wins
            groups = ([s for s in ours if s.label_ not in w], [m for m in model if m.label_ in w],
                      [s for s in ours if s.label_ in w], [m for m in model if m.label_ not in w], extra)
        for group in groups:
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
        if self.lang == "en":
            final = self.reshape_en(final)
        final.sort(key=lambda s: s.start)
        doc.set_ents(final, default="outside")
        # re-attach values and sources that set_ents keeps per token
        doc.spans[SPANS_KEY] = [s for s in candidates if s.label_ in self.targets]
        return doc

    def _no_adds(self, doc: Doc, ours: list[Span], model: list[Span]) -> list[Span]:
        """The model's entities without those of a ``ner_no_adds`` label that overlap no rule or gazetteer span."""
        occ = occupancy(len(doc), ((s.start, s.end) for s in ours if s.label_ in self.targets))
        return [m for m in model if m.label_ not in self.ner_no_adds or overlaps(occ, m.start, m.end)]


LEGAL_SUFFIXES = frozenset(
    "Inc. Inc Corp. Corp Corporation Ltd Ltd. LLC plc PLC SA S.A. SAS SE AG NV N.V. GmbH SpA S.p.A. Co. Limited".split()
)


@Language.factory(
    "annotate_entities",
    assigns=["doc.ents", "doc.spans", "token.ent_iob", "token.ent_type", "token.ent_kb_id", "token.ent_id"],
    requires=["doc.ents", "doc.spans", "token.ent_iob", "token.ent_type"],
    retokenizes=False,
    default_config={"ner_wins": [], "ner_no_adds": []},
)
def make_entity_resolver(nlp: Language, name: str, ner_wins: list[str], ner_no_adds: list[str]) -> EntityResolver:
    return EntityResolver(nlp, name, ner_wins, ner_no_adds)


# ---------------------------------------------------------------- themes


class ThemeComponent(_LabelsComponent):
    """doc.cats for every theme of the taxonomy; cue matches in a span group."""

    PARTS: ClassVar[dict[str, Any]] = {"taxonomy": Taxonomy}

    def _select(self, labels: Labels) -> dict[str, Any]:
        return {"taxonomy": labels.taxonomy}

    def _build(self) -> None:
        from .themes import ThemeScorer

        self.scorer = ThemeScorer(self.vocab, self.parts["taxonomy"], self.lang)

    def __call__(self, doc: Doc) -> Doc:
        return self.scorer(doc)


@Language.factory(
    "annotate_themes",
    assigns=["doc.cats", "doc.spans"],
    requires=["doc.sents"],  # scored sentence by sentence (a document without boundaries is one sentence)
    retokenizes=False,
    default_config={},
)
def make_themes(nlp: Language, name: str) -> ThemeComponent:
    return ThemeComponent(nlp, name)
