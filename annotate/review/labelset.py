"""What the review screen needs from ``labels/``: the entity labels and themes with their keys and colours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import AnnotateError


@dataclass(frozen=True)
class EntityStyle:
    name: str
    color: str
    key: str


@dataclass(frozen=True)
class ThemeStyle:
    name: str
    key: str
    description: str = ""


@dataclass(frozen=True)
class ReviewLabels:
    """What the review screen needs from ``labels/``: entity labels and themes with their keys."""

    entities: tuple[EntityStyle, ...]
    themes: tuple[ThemeStyle, ...]
    threshold: float = 0.5

    @property
    def entity_names(self) -> list[str]:
        return [e.name for e in self.entities]

    @property
    def theme_names(self) -> list[str]:
        return [t.name for t in self.themes]

    def color(self, label: str) -> str:
        for e in self.entities:
            if e.name == label:
                return e.color
        return "#aaaaaa"

    @classmethod
    def from_labels(cls, labels: Any) -> ReviewLabels:
        return cls(
            entities=tuple(EntityStyle(e.name, e.color, e.key) for e in labels.labels.entity),
            themes=tuple(ThemeStyle(t.name, t.key, t.description) for t in labels.taxonomy.theme),
            threshold=float(labels.taxonomy.settings.threshold),
        )

    @classmethod
    def load(cls, path: str | None = None) -> ReviewLabels:
        """Read the entity labels and themes of a labels folder (``labels.toml`` and ``themes.toml``)."""
        from pathlib import Path

        from .. import labels as L

        try:
            return cls.from_labels(L.load_labels(path))
        except AnnotateError as e:
            # review only needs labels.toml and themes.toml; tolerate the other files being absent
            root = Path(path) if path is not None else L.default_labels_dir()
            if e.code != "E107" or not (root / L.ENTITY_LABELS_FILE).exists() or not (root / L.THEMES_FILE).exists():
                raise
            from pydantic import ValidationError

            out = []
            for name, model in ((L.ENTITY_LABELS_FILE, L.LabelSet), (L.THEMES_FILE, L.Taxonomy)):
                try:
                    out.append(model.model_validate(L._read_toml(root / name)))
                except ValidationError as err:
                    raise L._flatten(err, root / name) from None
            labelset, taxonomy = out
            return cls(
                entities=tuple(EntityStyle(x.name, x.color, x.key) for x in labelset.entity),
                themes=tuple(ThemeStyle(t.name, t.key, t.description) for t in taxonomy.theme),
                threshold=float(taxonomy.settings.threshold),
            )
