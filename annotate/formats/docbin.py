"""spaCy out: train/dev DocBin files (sharded past ``shard_size`` docs) and a ``config.cfg`` for ``spacy train``.

Docs go into DocBin shards of at most ``shard_size`` docs (and about
``shard_bytes`` of text), each with a fresh vocabulary, written with spaCy's own
``DocBin.to_disk``; a shard's docs are dropped once it is written, so the
memory of an export is one shard per split whatever the size of the dataset
(plus 8 bytes per example for the merge plan and the dev split).

Speed: ``DocBin.add`` serialises a doc's span groups with
``srsly.msgpack_dumps``, which builds a new msgpack Packer per call (about
0.7 ms each: it scans the installed entry points for encoders; two calls per
doc). :class:`ShardWriter` packs the span groups itself with one Packer made
once, the same bytes (:func:`span_groups_bytes`; checked against
``doc.spans.to_bytes()`` on the first doc of every writer, and the DocBin layout
version is checked too), and hands ``DocBin.add`` a doc whose span groups are
already taken off.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import tempfile
import time
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import AnnotateError, Errors
from .examples import (
    DEFAULT_SPANS_KEY,
    INCORRECT_SPANS_KEY,
    Align,
    ExampleBuilder,
    blank_nlp,
    example_to_doc,
)
from . import staging
from .merge import Decisions, Resolve, accepted_spans, in_sorted, merged_decisions, plan_merge, reviewed_themes, split_key
from .report import ExportReport, check_writable, fill_report, nothing_to_export
from .split import split_dev, stratified_dev
from .train_config import TRAIN_LONGER, make_config, resolve_base_model

# docs per shard: a shard is held until it is written (about 2 KB a doc, three times that while DocBin.to_bytes
# runs), so this bounds the memory of an export; with 2,000 the peak memory at 20,000 examples is 1.04x that at
# 2,000 (5,000: 1.17x; 10,000: 1.33x; benchmarks/bench.py --size small --only export)
DEFAULT_SHARD_SIZE = 2_000
# text characters per DocBin shard: far below spaCy's serialisation limit (E870)
DEFAULT_SHARD_BYTES = 64 * 1024 * 1024
SPACY_FILES = ("train.spacy", "dev.spacy", "config.cfg")
# token attributes an exported Doc carries: words, spaces (always kept) and entities. Tags,
# heads, lemmas, morphology and sentence starts are empty here; leaving their columns out of
# the DocBin makes each held shard about 2.5x smaller (and the files too)
DOCBIN_ATTRS = ("ORTH", "ENT_IOB", "ENT_TYPE", "ENT_KB_ID", "ENT_ID")
# the DocBin layout (DocBin.version) and span group layout span_groups_bytes was written for
DOCBIN_VERSION = "0.1"
# SpanGroup.to_bytes packs each span as (id, kb_id, label, start, end, start_char, end_char)
_SPAN_STRUCT = struct.Struct(">QQQllll")


def span_groups_bytes(spans: Any, pack: Any, strings: set[str]) -> bytes:
    """``spans.to_bytes()`` (a Doc's ``SpanGroups``) packed with ``pack``; the span strings go into ``strings``.

    The layout of spaCy 3.8: a map of each group's bytes (``{"name", "attrs",
    "spans": [packed span, ...]}``) to the keys holding it; no group gives
    ``SpanGroups._EMPTY_BYTES``. The strings are those ``DocBin.add`` adds for a span.
    """
    if len(spans) == 0:
        return spans._EMPTY_BYTES
    msg: dict[bytes, list[str]] = {}
    for key, group in spans.items():
        packed = []
        for s in group:
            packed.append(_SPAN_STRUCT.pack(s.id, s.kb_id, s.label, s.start, s.end, s.start_char, s.end_char))
            strings.add(s.label_)
            if s.kb_id in s.doc.vocab.strings:
                strings.add(s.kb_id_)
            if s.id in s.doc.vocab.strings:
                strings.add(s.id_)
        msg.setdefault(pack({"name": group.name, "attrs": group.attrs, "spans": packed}), []).append(key)
    return pack(msg)


class ShardWriter:
    """DocBin shards of at most ``shard_size`` docs / ``shard_bytes`` text characters, each with a fresh vocab.

    Each shard is a plain ``DocBin`` written by ``DocBin.to_disk`` and dropped
    when full, so what a writer holds is one shard's docs (their token columns,
    not Doc objects).
    """

    def __init__(self, folder: Path, name: str, *, shard_size: int, shard_bytes: int) -> None:
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
        self._checked = False
        from srsly import msgpack

        self._pack = msgpack.Packer(use_bin_type=True).pack  # as srsly.msgpack_dumps packs

    @property
    def vocab(self) -> Any:
        """The vocab of the shard being filled: make the shard's docs with it."""
        if self._vocab is None:
            from spacy.tokens import DocBin
            from spacy.vocab import Vocab

            self._vocab = Vocab()
            self._docbin = DocBin(attrs=DOCBIN_ATTRS, store_user_data=False)
            if self._docbin.version != DOCBIN_VERSION:
                raise _layout_changed(f"DocBin layout version {self._docbin.version!r}")
        return self._vocab

    def add(self, doc: Any) -> None:
        if self._docbin is None:
            self.vocab  # noqa: B018 - creates the DocBin
        db = self._docbin
        strings: set[str] = set()
        spans = span_groups_bytes(doc.spans, self._pack, strings)
        if not self._checked:
            if spans != doc.spans.to_bytes():
                raise _layout_changed("span group layout")
            self._checked = True
        doc.spans.clear()  # DocBin.add packs no span group (srsly.msgpack_dumps is slow); ours go in its place
        db.add(doc)
        db.span_groups[-1] = spans
        db.strings.update(strings)
        self._n += 1
        self.count += 1
        self._chars += len(doc.text)
        if self._n >= self.shard_size or self._chars >= self.shard_bytes:
            self.flush()

    def flush(self, *, force_empty: bool = False) -> None:
        """Write the shard being filled (``force_empty``: even with no doc) and start a new one."""
        if self._docbin is None and force_empty:
            self.vocab  # noqa: B018
        if self._docbin is None or (self._n == 0 and not force_empty):
            return
        path = self.folder / f"{self.name}-{len(self.paths):04d}.spacy"
        self._docbin.to_disk(path)
        self.paths.append(path)
        self.release()

    def close(self) -> list[Path]:
        """Write the last shard (an empty one when there was no doc at all); the shard files in order."""
        self.flush(force_empty=not self.paths)
        return self.paths

    def release(self) -> None:
        """Drop the shard being filled."""
        self._docbin = None
        self._vocab = None
        self._n = 0
        self._chars = 0


def _layout_changed(what: str) -> AnnotateError:
    import spacy

    return Errors.E412(version__=spacy.__version__, what=what, DOCBIN_VERSION=DOCBIN_VERSION)


def place_shards(tmp: Path, shards: list[Path], target: Path) -> None:
    """Put the shards together as ``target`` (in the staging folder): one file, or a folder of shards."""
    if len(shards) == 1:
        os.replace(shards[0], target)
        return
    src = tmp / (target.name + ".d")
    src.mkdir()
    for i, p in enumerate(shards):
        os.replace(p, src / f"{i:04d}.spacy")
    os.replace(src, target)


def export_spacy(
    decisions: Decisions,
    out_dir: str | Path,
    *,
    dataset: str = "",
    themes: list[str],
    lang: str | None = None,
    resolve: Resolve | str = Resolve.latest,
    align: Align | str = Align.strict,
    force: bool = False,
    dev_split: float = 0.2,
    seed: int = 0,
    spans_key: str = DEFAULT_SPANS_KEY,
    base_model: str | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    shard_bytes: int = DEFAULT_SHARD_BYTES,
    span_group: bool | None = None,
    entity_labels: Iterable[str] | None = None,
) -> ExportReport:
    """Write ``train.spacy``, ``dev.spacy`` (files, or folders of shards) and ``config.cfg`` into ``out_dir``.

    The dev split is stratified over themes (:func:`.split.stratified_dev`). ``span_group``:
    every span also goes into ``doc.spans[spans_key]`` and the config trains a ``spancat`` on it;
    None (default): only when some example has overlapping spans (``doc.ents`` cannot hold
    them), False: never. ``entity_labels``: keep only spans of these labels (None: all).
    The config's step budget fits the data on a CPU (:func:`.train_config.cpu_budget`).
    Nothing in ``out_dir`` is replaced until every file is complete, and a
    killed export is finished or undone by the next one (:mod:`.staging`).
    """
    t0 = time.perf_counter()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise Errors.E027(where=out)
    try:
        swept = staging.sweep(out)
    except OSError as e:
        raise Errors.E023(strerror=e.strerror, where=out) from None
    existing = [out / n for n in SPACY_FILES if (out / n).exists()]
    if existing and not force:
        raise Errors.E028(where=existing[0])
    check_writable(out)
    if not 0.0 <= dev_split < 1.0:
        split_dev([], dev_split, seed)  # raises the usage error
    plan = plan_merge(decisions(), resolve=resolve)
    if plan.examples == 0:
        raise nothing_to_export(dataset, plan)
    the_lang = lang or plan.lang or "en"
    blank_nlp(the_lang)  # unknown language: fail before writing
    vectors = resolve_base_model(the_lang, base_model)
    keep = None if entity_labels is None else frozenset(entity_labels)
    # pass over the winners: the themes of each input (for the stratified split) and whether any
    # example has overlapping spans (then, by default, a span group and a spancat)
    themes_of: dict[int, frozenset[str]] = {}
    overlapping = False
    for d in merged_decisions(decisions(), plan):
        themes_of[_split_key(d)] = frozenset(reviewed_themes(d) or ())
        if span_group is None and not overlapping:
            overlapping = _has_overlap(d, keep)
    with_group = overlapping if span_group is None else bool(span_group)
    # the dev inputs as a sorted array (8 bytes each, not a set of Python ints)
    dev = array("q", sorted(stratified_dev(themes_of, dev_split, seed)))
    del themes_of
    builder = ExampleBuilder(lang=the_lang, themes=themes, align=align)
    report = ExportReport(dataset=dataset, format="spacy", lang=the_lang)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=staging.PREFIX, dir=out))
    except OSError as e:
        _remove_if_created(out, created)
        raise Errors.E022(strerror=e.strerror, where=out) from None
    try:
        staging.write_owner(tmp)
    except OSError as e:  # a full disk
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_if_created(out, created)
        raise Errors.E023(strerror=e.strerror, where=out) from None
    ok = False
    writers = {
        "train": ShardWriter(tmp, "train", shard_size=shard_size, shard_bytes=shard_bytes),
        "dev": ShardWriter(tmp, "dev", shard_size=shard_size, shard_bytes=shard_bytes),
    }
    try:
        any_spans = False
        any_themes = False
        any_rejected = False
        overlaps = 0
        train_words = 0
        for d in merged_decisions(decisions(), plan):
            if keep is not None:
                d = dict(d, spans=[s for s in d.get("spans") or [] if isinstance(s, dict) and s.get("label") in keep])
            ex = builder.build(d)
            if ex is None or builder.n_misaligned:
                continue  # keep going to list every misaligned span, write nothing
            split = "dev" if in_sorted(dev, _split_key(d)) else "train"
            w = writers[split]
            doc = example_to_doc(w.vocab, ex.record, spans_key=spans_key if with_group else None)
            overlaps += len(ex.record["spans"]) - len(doc.ents)
            if split == "train":
                train_words += len(doc)
            any_spans = any_spans or bool(ex.record["spans"]) or bool(ex.record.get("rejected_spans"))
            any_rejected = any_rejected or bool(ex.record.get("rejected_spans"))
            any_themes = any_themes or ex.themes_reviewed
            w.add(doc)
        builder.check()
        components = (
            (["ner"] if any_spans else []) + (["spancat"] if any_spans and with_group else [])
            + (["textcat_multilabel"] if any_themes else [])
        )
        if not components:
            raise Errors.E408()
        config = make_config(the_lang, components, vectors=vectors, n_words=train_words, spans_key=spans_key)
        if any_rejected and "ner" in components:
            # spans binary answers rejected: ner learns they are not entities (spaCy's incorrect_spans_key)
            config["components"]["ner"]["incorrect_spans_key"] = INCORRECT_SPANS_KEY
        cfg_tmp = tmp / "config.cfg"
        config.to_disk(cfg_tmp)
        shards = {name: w.close() for name, w in writers.items()}
        new = tmp / "new"
        new.mkdir()
        for name in ("train", "dev"):
            place_shards(tmp, shards[name], new / f"{name}.spacy")
        os.replace(cfg_tmp, new / "config.cfg")
        staging.commit(tmp, out)
        ok = True
    except OSError as e:
        raise Errors.E023(strerror=e.strerror, where=out) from None
    finally:
        for w in writers.values():
            w.release()
        if not (tmp / staging.READY).exists():
            shutil.rmtree(tmp, ignore_errors=True)
        # else: failed while replacing the files (a disk error): the next export rolls the complete set forward
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
    budget = config["training"]
    report.notes.append(
        f"CPU budget: max_steps {budget['max_steps']}, patience {budget['patience']} for {train_words:,} training"
        f" words (minutes on 2 cores); to train longer add {TRAIN_LONGER} to spacy train"
    )
    others = {lg: n for lg, n in plan.langs.items() if lg != the_lang}
    if others and not lang:
        report.notes.append(
            f"warning: mixed languages: {', '.join(f'{n} {lg}' for lg, n in sorted(others.items()))} example(s) are"
            f" tokenized and trained with the {the_lang} (majority) tokenizer and vectors; export each language as"
            " its own dataset (or pass --lang) for one model per language"
        )
    if writers["dev"].count == 0:
        report.notes.append("dev.spacy is empty (one example, or --dev-split 0): spacy train needs dev examples")
    fill_report(report, plan, builder)
    report.notes.extend(swept)
    report.seconds = time.perf_counter() - t0
    return report


def _has_overlap(d: dict[str, Any], keep: frozenset[str] | None) -> bool:
    spans = sorted(
        (int(s["start"]), int(s["end"])) for s in accepted_spans(d)
        if keep is None or s.get("label") in keep
        if isinstance(s.get("start"), int) and isinstance(s.get("end"), int)
    )
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:]))


def _split_key(d: dict[str, Any]) -> int:
    """The key a merged example is split by: its text's (the same text is one example, whatever hashes came in)."""
    text = d.get("text")
    return split_key(text) if isinstance(text, str) else int(d["_input_hash"])


def _remove_if_created(folder: Path, created: bool) -> None:
    """A failed export leaves no folder it created (only when still empty)."""
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()
