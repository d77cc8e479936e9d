"""A model trained by ``annotate train``, beside the rules: ``annotate pre --model models/NAME/``.

The rules pipeline annotates first (its tasks are unchanged); :class:`TrainedModel` then runs the
trained ``ner`` and ``textcat_multilabel`` on each task's own tokens (no second tokenization) and
merges their proposals into the task:

* spans: per label, :class:`ModelPolicy` (``labels/model_policy.toml``, pydantic-validated as the
  rest of ``labels/``) says which source wins when a model span overlaps a rule span, and whether
  the model may add spans where the rules have none. Rules keep the shapes they own (MONEY, DATE,
  PERCENT values: ``wins = "rules"``).
* mode ``replace`` (the trained NER in place of the base NER inside the rules pipeline, one NER pass)
  applies the same policy inside the pipeline (:func:`annotate.pipeline.build._ner_policy`): the
  rule and gazetteer spans of a label the model wins are not set before the NER, and its entities
  replace them on overlaps in ``annotate_entities``.
* a label (or a theme) for which the model scored worse than the rules on its held-out split
  (``meta.json`` -> ``annotate.heldout``) is not taken from the model: :attr:`TrainedModel.dropped`
  says which and why, and the job prints it.
* each span and theme the model proposed names the model: ``source`` ``"model:NAME@VERSION"``,
  ``meta.trained_model`` / ``meta.trained_model_version`` / ``meta.model_themes``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ..errors import Errors
from ..labels import _flatten, _read_toml, _Strict, default_labels_dir, did_you_mean, load_labels

POLICY_FILE = "model_policy.toml"
META_KEY = "annotate"  # the block annotate train writes into the model's meta.json
# held-out examples a label or theme needs before the model may be preferred to the rules for it
MIN_SUPPORT = 5
BEAM_WIDTH = 8  # the NER beam that gives a span its probability (``score``, review order)
# the sources the rules pipeline's resolver gives an entity of its NER (annotate_entities)
NER_SOURCES = {"model": "", "model+rules": "+rules"}


class LabelPolicy(_Strict):
    """What happens to a model span of one label."""

    wins: Literal["rules", "model"] = "model"  # on an overlap with a rule span
    model_adds: bool = True  # the model may add spans where the rules have none


class ModelPolicy(_Strict):
    """``labels/model_policy.toml``: a default and per-label policies (``[label.MONEY]``)."""

    default: LabelPolicy = LabelPolicy()
    label: dict[str, LabelPolicy] = {}

    def of(self, label: str) -> LabelPolicy:
        return self.label.get(label, self.default)


def load_policy(labels_path: str | Path | None = None) -> ModelPolicy:
    """The model policy of a labels folder (no file: the model wins overlaps and may add spans)."""
    root = Path(labels_path) if labels_path is not None else default_labels_dir()
    path = root / POLICY_FILE
    if not path.is_file():
        return ModelPolicy()
    try:
        policy = ModelPolicy.model_validate(_read_toml(path))
    except ValidationError as e:
        raise _flatten(e, path) from None
    known = load_labels(labels_path).entity_names
    for name in policy.label:
        if name not in known:
            raise Errors.E610(label=name, fix=did_you_mean(name, known), where=path)
    return policy


def read_trained_meta(path: str | Path) -> dict[str, Any] | None:
    """The ``annotate`` block of a pipeline folder's meta.json, or None when it is not from ``annotate train``."""
    meta_path = Path(path) / "meta.json"
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    block = meta.get(META_KEY) if isinstance(meta, dict) else None
    return block if isinstance(block, dict) and "heldout" in block else None


def _f1(scores: dict[str, Any], name: str) -> float:
    return float((scores.get(name) or {}).get("f", 0.0))


def usable(heldout: dict[str, Any], kind: str) -> tuple[list[str], dict[str, str]]:
    """The labels (``kind`` "labels") or themes ("themes") the model is used for, and why the others are not.

    A name is used when it has at least :data:`MIN_SUPPORT` held-out examples and the model's
    held-out F1 is not below the rules' F1 on the same split (else the rules keep it). The model's
    F1 is that of the model beside the rules (``combined``: what ``pre --model`` gives with every
    label taken from the model, as ``annotate train`` scores it), else of the model alone.
    """
    model = (heldout.get("combined") or heldout.get("model") or {}).get(kind) or {}
    rules = (heldout.get("rules") or {}).get(kind) or {}
    used, dropped = [], {}
    for name in sorted(model):
        m, r = _f1(model, name), _f1(rules, name)
        n = int((model.get(name) or {}).get("n") or 0)
        if n < MIN_SUPPORT:
            dropped[name] = f"{n} held-out example(s), fewer than {MIN_SUPPORT} to compare it with the rules"
        elif m < r:
            dropped[name] = f"model F1 {m:.2f} < rules F1 {r:.2f} on its held-out split"
        else:
            used.append(name)
    return used, dropped


class TrainedModel:
    """A trained pipeline folder, ready to add its proposals to rule tasks."""

    def __init__(self, path: str | Path, *, labels_path: str | Path | None = None, use_all: bool = False) -> None:
        import spacy

        self.path = Path(path)
        block = read_trained_meta(self.path)
        if block is None:
            raise Errors.E611(where=self.path)
        # only meta.json and config.cfg here: the components (and the vocab, with its vectors) are read
        # when one of them runs (:meth:`_loaded`); in mode replace with no theme and no score, never
        try:
            self.meta = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
            self.config = spacy.util.load_config(self.path / "config.cfg", interpolate=True)
            disabled = set(self.config["nlp"].get("disabled") or [])
            self.pipe_names = [n for n in self.config["nlp"]["pipeline"] if n not in disabled]
            self.lang = str(self.config["nlp"]["lang"])
        except (OSError, ValueError, KeyError) as e:
            from .build import unreadable_model

            raise unreadable_model(e, self.path) from None
        self._nlp: Any = None  # the loaded part of the pipeline (:meth:`_loaded`)
        self._nlp_pipes: frozenset[str] = frozenset()
        self.name = str(self.meta.get("name", self.path.name))
        self.version = str(self.meta.get("version", "0.0.0"))
        self.source = f"model:{self.name}@{self.version}"
        self.policy = load_policy(labels_path)
        self.labels, dropped_labels = usable(block["heldout"], "labels")
        self.themes, dropped_themes = usable(block["heldout"], "themes")
        if use_all:  # annotate train scoring the combination before deciding what to use
            self.labels, dropped_labels = list(block.get("labels", [])), {}
            self.themes, dropped_themes = list(block.get("themes", [])), {}
        self.dropped = {**{f"label {k}": v for k, v in dropped_labels.items()},
                        **{f"theme {k}": v for k, v in dropped_themes.items()}}
        self._labels = frozenset(self.labels)
        self._themes = frozenset(self.themes)
        self.mode, self.mode_reason = self._mode(block)
        self.run_pipes = self._needed()

    def _loaded(self, pipes: Iterable[str]) -> Any:
        """The pipeline with (at least) ``pipes`` loaded, the others excluded; loaded again, with the
        union, when a component not loaded yet is asked for."""
        import spacy

        want = frozenset(pipes) | self._nlp_pipes
        if self._nlp is None or want != self._nlp_pipes:
            exclude = [n for n in self.config["nlp"]["pipeline"] if n not in want]
            try:
                self._nlp = spacy.load(self.path, exclude=exclude)
            except (OSError, ValueError) as e:
                from .build import unreadable_model

                raise unreadable_model(e, self.path) from None
            self._nlp_pipes = want
        return self._nlp

    @property
    def nlp(self) -> Any:
        """The whole trained pipeline (loaded on first use)."""
        return self._loaded(self.pipe_names)

    def ner_labels(self) -> list[str]:
        """The labels of the model's ner, from meta.json (else from the loaded component)."""
        labels = (self.meta.get("labels") or {}).get("ner")
        if isinstance(labels, list):
            return [str(x) for x in labels]
        return list(self._loaded(self._with_upstream({"ner"})).get_pipe("ner").labels)

    def _with_upstream(self, wanted: set[str]) -> list[str]:
        """``wanted`` and each tok2vec one of them listens to, in pipeline order."""
        from .build import _mentions_listener

        wanted = set(wanted) & set(self.pipe_names)
        cfg = self.config["components"]
        for name in self.pipe_names:
            if cfg.get(name, {}).get("factory") == "tok2vec" and any(
                _mentions_listener(cfg.get(w, {}), name) for w in wanted
            ):
                wanted.add(name)
        return [n for n in self.pipe_names if n in wanted]

    def _mode(self, block: dict[str, Any]) -> tuple[str, str]:
        """``replace`` when the trained NER can stand in for the rules pipeline's base NER (one NER pass),
        else ``beside`` (it runs after the rules pipeline, its spans merged per the policy), and why."""
        from .build import DEFAULT_MODELS

        if not self.labels:
            return "beside", "no label is taken from the model"
        if "ner" not in self.pipe_names:
            return "beside", "the model has no ner"
        base = DEFAULT_MODELS.get(self.lang)
        if not block.get("from_model_ner") or not base or block.get("base_model") != base:
            return "beside", f"not trained --from-model-ner from the rules pipeline's {base or 'model'}"
        known = set(block.get("labels", [])) | set(block.get("rehearsed_labels") or [])
        missing = sorted(set(self.ner_labels()) - known)
        if missing:
            return "beside", f"its NER was not trained to keep the base labels {', '.join(missing)}"
        left = sorted(set(block.get("labels", [])) - self._labels)
        if left:  # a label left to the rules needs the base NER's own predictions of it
            return "beside", f"label(s) {', '.join(left)} left to the rules need the base NER"
        return "replace", f"its NER replaces {base}'s inside the rules pipeline (one NER pass)"

    def _needed(self) -> list[str]:
        """The components ``pre`` runs: ``ner`` only when a label is used, the textcat only when a theme
        is, and a tok2vec only when a component that runs listens to it (each one costs about as
        much as the rules pipeline's own NER)."""
        wanted = {"ner"} if self.labels and self.mode == "beside" else set()
        if self.themes:
            wanted |= {n for n in self.pipe_names if "textcat" in n}
        return self._with_upstream(wanted)

    def notes(self) -> list[str]:
        """What the job prints: the labels and themes used, and those left to the rules (and why)."""
        out = [f"model {self.source} ({self.path}): labels {', '.join(self.labels) or 'none'};"
               f" themes {', '.join(self.themes) or 'none'}; mode {self.mode}: {self.mode_reason}"]
        if self.labels:
            out.append(f"model {self.name}: on overlaps with rule spans ({POLICY_FILE}) " + "; ".join(
                f"{label} {'the model wins' if self.policy.of(label).wins == 'model' else 'the rules win'}"
                + ("" if self.policy.of(label).model_adds else ", the model adds none of its own")
                for label in self.labels))
        out += [f"model {self.name}: {what} not used ({why})" for what, why in sorted(self.dropped.items())]
        return out

    def make_doc(self, task: dict[str, Any]) -> Any:
        """The model's Doc of a task, from the task's own tokens (no second tokenization)."""
        from spacy.tokens import Doc

        nlp = self._loaded(self.run_pipes)
        toks = task.get("tokens") or []
        if toks:
            return Doc(nlp.vocab, words=[x["text"] for x in toks], spaces=[bool(x.get("ws")) for x in toks])
        return nlp.make_doc(task["text"])

    def applies(self, task: dict[str, Any]) -> bool:
        lang = (task.get("meta") or {}).get("lang")
        return lang in (None, self.lang)

    def docs(self, tasks: Iterable[dict[str, Any]], batch_size: int = 64) -> Iterator[tuple[dict[str, Any], Any]]:
        """Each task with the model's Doc (None for a task in another language than the model's), in order."""
        batch: list[dict[str, Any]] = []

        def flush() -> Iterator[tuple[dict[str, Any], Any]]:
            mine = [t for t in batch if self.applies(t)]
            nlp = self._loaded(self.run_pipes)
            with nlp.select_pipes(enable=self.run_pipes):
                docs = iter(list(nlp.pipe([self.make_doc(t) for t in mine], batch_size=batch_size)))
            for t in batch:
                yield t, (next(docs) if self.applies(t) else None)
            batch.clear()

        for t in tasks:
            batch.append(t)
            if len(batch) >= batch_size:
                yield from flush()
        yield from flush()

    def scored_ents(self, doc: Any) -> dict[tuple[int, int, str], float]:
        """Each entity's probability under the NER's beam (:data:`BEAM_WIDTH`), by character offsets and label."""
        ner = self._loaded(self._with_upstream({"ner"})).get_pipe("ner")
        scored = ner.scored_ents(ner.beam_parse([doc], beam_width=BEAM_WIDTH))[0]
        return {(doc[a:b].start_char, doc[a:b].end_char, label): float(p) for (a, b, label), p in scored.items()}

    def add_to(self, tasks: Iterable[dict[str, Any]], batch_size: int = 64, *, scores: bool = False) -> Iterator[dict[str, Any]]:
        """The rule tasks with the model's spans and themes merged in (same order; other languages untouched).

        ``scores``: each model span gets ``score``, its beam probability (:meth:`scored_ents`: one more NER pass).
        """
        from ..tasks import set_hashes

        if self.mode == "replace" and not self.run_pipes and not scores:  # nothing left to run: nothing loaded
            from spacy.tokens import Doc
            from spacy.vocab import Vocab

            empty = Doc(Vocab(), words=[])
            for task in tasks:
                if self.applies(task):
                    claim_ner_spans(task, self)
                    merge_into(task, empty, self)
                    task = set_hashes(task, overwrite=True)
                yield task
            return
        if scores:  # one load with the ner (and what it listens to) beside the components that run
            self._loaded([*self.run_pipes, *self._with_upstream({"ner"})])
        for task, doc in self.docs(tasks, batch_size):
            if doc is None:
                yield task
                continue
            if self.mode == "replace":
                claim_ner_spans(task, self)
            merge_into(task, doc, self)
            if scores:
                add_scores(task, self.scored_ents(doc), self.source)
            yield set_hashes(task, overwrite=True)


def trained_model(model: Any, labels_path: str | Path | None = None) -> TrainedModel | None:
    """``model`` as a :class:`TrainedModel` when it names a folder written by ``annotate train``, else None."""
    if isinstance(model, TrainedModel):
        return model
    if model is None or read_trained_meta(model) is None:
        return None
    return TrainedModel(model, labels_path=labels_path)


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def claim_ner_spans(task: dict[str, Any], model: TrainedModel) -> None:
    """Mode ``replace``: the spans the rules pipeline took from its NER came from the trained one: name it."""
    for s in task.get("spans") or []:
        tail = NER_SOURCES.get(str(s.get("source")))
        if tail is not None:
            s["source"] = model.source + tail


def add_scores(task: dict[str, Any], scored: dict[tuple[int, int, str], float], source: str) -> None:
    """``score`` for each span of ``task`` from the model ``source``: its beam probability, rounded to 4
    digits. A span the rules mended (retyped, or joined to a suffix) takes the best probability of the beam
    entities it overlaps; 0.0 when the beam has none there."""
    for s in task.get("spans") or []:
        if not str(s.get("source", "")).startswith(source):
            continue
        p = scored.get((s["start"], s["end"], s["label"]))
        if p is None:
            p = max((q for (a, b, _), q in scored.items() if a < s["end"] and s["start"] < b), default=0.0)
        s["score"] = round(p, 4)


def merge_into(task: dict[str, Any], doc: Any, model: TrainedModel) -> dict[str, Any]:
    """Merge ``doc``'s entities (labels the model is used for) and cats into ``task``, per the policy
    (mode ``replace``: the rules pipeline already ran the model's NER; only the cats)."""
    text = task["text"]
    spans = list(task.get("spans") or [])
    for e in (doc.ents if getattr(model, "mode", "beside") == "beside" else ()):
        if e.label_ not in model._labels:
            continue
        m = {"start": e.start_char, "end": e.end_char, "token_start": e.start, "token_end": e.end - 1,
             "label": e.label_, "text": text[e.start_char:e.end_char], "source": model.source}
        if any(s["start"] == m["start"] and s["end"] == m["end"] and s["label"] == m["label"] for s in spans):
            continue  # both agree: the rule span stays as it is
        pol = model.policy.of(m["label"])
        hit = [s for s in spans if _overlaps(s, m)]
        if not hit:
            if pol.model_adds:
                spans.append(m)
            continue
        if pol.wins == "rules" or any(model.policy.of(s["label"]).wins == "rules" for s in hit):
            continue
        spans = [s for s in spans if not _overlaps(s, m)]
        spans.append(m)
    spans.sort(key=lambda s: (s["start"], s["end"]))
    task["spans"] = spans
    cats = dict(task.get("cats") or {})
    taken = []
    for theme in model.themes:
        if theme in doc.cats:
            cats[theme] = round(float(doc.cats[theme]), 4)
            taken.append(theme)
    task["cats"] = cats
    meta = dict(task.get("meta") or {})
    meta.update(trained_model=model.name, trained_model_version=model.version, model_themes=taken,
                trained_model_mode=getattr(model, "mode", "beside"))
    task["meta"] = meta
    return task
