"""The declarative label set: entity labels, the theme taxonomy, organisation
gazetteers, quantity lexicons and extra match patterns, all loaded from the
``labels/`` folder and validated by pydantic.

Layout of a labels folder::

    labels.toml        entity labels (name, description, colour, key)
    themes.toml        theme taxonomy (name, description, key, cues per language)
    lexicon.toml       words the quantity and date rules are built from, per language
    orgs.jsonl         organisation gazetteer, spaCy EntityRuler pattern format
    patterns.jsonl     (optional) more EntityRuler / SpanRuler patterns

Every problem is reported as one :class:`~annotate.errors.AnnotateError` line
naming the file, the entry and the fix.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import AnnotateError

ENTITY_LABELS_FILE = "labels.toml"
THEMES_FILE = "themes.toml"
LEXICON_FILE = "lexicon.toml"
ORGS_FILE = "orgs.jsonl"
PATTERNS_FILE = "patterns.jsonl"

LANGS = ("fr", "en")


def default_labels_dir() -> Path:
    """The labels folder: ``$ANNOTATE_LABELS``, else the one shipped beside the package."""
    import os

    env = os.environ.get("ANNOTATE_LABELS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "_labels", here.parent / "labels"):
        if (candidate / ENTITY_LABELS_FILE).exists():
            return candidate
    return here.parent / "labels"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntityLabel(_Strict):
    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    description: str
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    key: str = Field(min_length=1)


class LabelSet(_Strict):
    entity: list[EntityLabel] = Field(min_length=1)

    @field_validator("entity")
    @classmethod
    def _unique(cls, v: list[EntityLabel]) -> list[EntityLabel]:
        _check_unique([e.name for e in v], "name")
        _check_unique([e.key for e in v], "key")
        return v

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entity]


class ThemeCues(_Strict):
    """Cue words per language, matched case-insensitively on whole tokens.

    A cue is a word or a phrase (``"centre de données"``); plural forms and both
    apostrophes are generated when the cues are loaded. ``"licenci*"`` (one
    word, at least three letters, then ``*``) matches any token starting with it.
    """

    fr: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    @field_validator("fr", "en")
    @classmethod
    def _check_cues(cls, v: list[str]) -> list[str]:
        for cue in v:
            if not cue.strip():
                raise ValueError("empty cue")
            if "*" in cue:
                stem = cue[:-1]
                if not cue.endswith("*") or "*" in stem or any(c.isspace() for c in stem) or "'" in stem or "’" in stem:
                    raise ValueError(f"cue {cue!r}: '*' is allowed only at the end of a single word")
                if len(stem) < 3:
                    raise ValueError(f"cue {cue!r}: a prefix needs at least 3 characters before '*'")
        return v


class Theme(_Strict):
    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    description: str
    key: str = Field(min_length=1)
    cues: ThemeCues
    # cues that, found in one sentence, are enough on their own (strong evidence)
    strong: ThemeCues = Field(default_factory=ThemeCues)
    # supporting words (amounts, price moves): however many match, they add
    # ``context_weight`` once per sentence, so never enough on their own
    context: ThemeCues = Field(default_factory=ThemeCues)
    # when set, a context cue counts only inside an entity of this label, in
    # documents that carry entities ("million" in "$5 million", not in "five
    # million litres")
    context_entity: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$")


class ThemeSettings(_Strict):
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    # evidence needed in one sentence for a theme to score ``threshold``
    sentence_weight: float = Field(default=2.0, gt=0.0)
    strong_weight: float = Field(default=2.0, gt=0.0)
    weak_weight: float = Field(default=1.0, gt=0.0)
    # added once per sentence when any context cue of the theme matches
    context_weight: float = Field(default=1.0, ge=0.0)
    # share of the evidence of the theme's other sentences added to its best one
    other_sentences_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    # factor on a cue found in a passing mention (a relative clause, a parenthesis,
    # a company description, part of an organisation's name: see ThemePassing)
    passing_weight: float = Field(default=0.5, ge=0.0, le=1.0)


class ThemePassing(_Strict):
    """Words that mark a cue as a passing mention rather than the sentence's topic."""

    # after a comma or an opening parenthesis, they open a relative clause that
    # runs to the next comma, semicolon or closing parenthesis ("…, qui a levé …,")
    relatives: ThemeCues = Field(default_factory=ThemeCues)
    # nouns describing a company by its trade: a cue right after "<noun> de" (fr)
    # or right before the noun (en) describes a company ("le géant des puces",
    # "the AI start-up") rather than what the sentence says
    descriptors: ThemeCues = Field(default_factory=ThemeCues)


class Taxonomy(_Strict):
    settings: ThemeSettings = Field(default_factory=ThemeSettings)
    passing: ThemePassing = Field(default_factory=ThemePassing)
    theme: list[Theme] = Field(min_length=1)

    @field_validator("theme")
    @classmethod
    def _unique(cls, v: list[Theme]) -> list[Theme]:
        _check_unique([t.name for t in v], "name")
        _check_unique([t.key for t in v], "key")
        return v

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.theme]


class LangLexicon(_Strict):
    """Words the MONEY / PERCENT / DATE rules of one language are built from."""

    # currency word or symbol -> ISO 4217 code
    currencies: dict[str, str]
    # multiplier word -> factor (e.g. "milliards" = 1e9)
    multipliers: dict[str, float]
    # glued amount suffixes such as "M€" or "Md$" -> [factor, ISO code]
    compact_units: dict[str, tuple[float, str]] = Field(default_factory=dict)
    percent_words: list[str]
    percentage_points: list[str] = Field(default_factory=list)
    months: dict[str, int]
    weekdays: list[str]
    # unit word -> ISO 8601 duration designator (Y, M, W, D)
    duration_units: dict[str, str]
    quarters: dict[str, int] = Field(default_factory=dict)
    halves: dict[str, int] = Field(default_factory=dict)
    seasons: list[str] = Field(default_factory=list)
    ordinals: dict[str, int] = Field(default_factory=dict)
    relative_dates: list[str] = Field(default_factory=list)
    date_modifiers: list[str] = Field(default_factory=list)
    date_postmodifiers: list[str] = Field(default_factory=list)
    determiners: list[str] = Field(default_factory=list)
    range_joiners: list[str] = Field(default_factory=list)
    number_words: list[str] = Field(default_factory=list)
    org_suffixes: list[str] = Field(default_factory=list)
    org_heads: list[str] = Field(default_factory=list)


class Lexicon(_Strict):
    fr: LangLexicon
    en: LangLexicon


class OrgPattern(_Strict):
    label: Literal["ORG"] = "ORG"
    pattern: str | list[dict[str, Any]]
    id: str | None = None
    # "any" (default) or a language code: where the entry applies
    lang: str = "any"
    # match case-insensitively (for long names only; acronyms stay exact)
    ignore_case: bool = False


class RulerPattern(_Strict):
    label: str
    pattern: str | list[dict[str, Any]]
    id: str | None = None
    lang: str = "any"


class Labels(_Strict):
    """Everything in one labels folder, validated."""

    path: str
    labels: LabelSet
    taxonomy: Taxonomy
    lexicon: Lexicon
    orgs: list[OrgPattern]
    patterns: list[RulerPattern] = Field(default_factory=list)

    @property
    def entity_names(self) -> list[str]:
        return self.labels.names

    @property
    def theme_names(self) -> list[str]:
        return self.taxonomy.names

    def color(self, label: str) -> str:
        for e in self.labels.entity:
            if e.name == label:
                return e.color
        return "#aaaaaa"

    def as_config(self) -> dict[str, Any]:
        """A plain-JSON form, stored inside a saved pipeline."""
        return self.model_dump(mode="json")


def _check_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"duplicate {what} {v!r}")
        seen.add(v)


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}?"
    return "use one of " + ", ".join(options) + "."


def _flatten(err: ValidationError, path: Path, entry: str | None = None) -> AnnotateError:
    """One line from a pydantic error: an unknown key first (with "did you mean"), else the first error."""
    errors = err.errors()
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    first = extra[0] if extra else errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    where = f"[{entry}.{loc}]" if entry and loc else f"[{entry or loc}]"
    msg = first["msg"]
    fix = "correct the value"
    if first["type"] == "extra_forbidden":
        bad = str(first["loc"][-1])
        parent = first["loc"][:-1]
        missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][:-1] == parent]
        msg = f"unknown key {bad!r}"
        fix = did_you_mean(bad, missing) if missing else "remove the key (unknown keys are not allowed; see labels/README.md)"
    elif first["type"] == "missing":
        fix = "add the missing key"
    return AnnotateError(f"{where} {msg}", where=path, fix=fix, code="E101")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise AnnotateError(
            "labels file not found", where=path, fix="restore it or point --labels at a complete folder", code="E100"
        ) from None
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None)
        raise AnnotateError(f"invalid TOML: {e}", where=path, line=line, fix="correct the TOML syntax", code="E102") from None


def _read_jsonl(path: Path, model: type[BaseModel], labels: list[str]) -> list[Any]:
    out: list[Any] = []
    if not path.exists():
        return out
    with path.open("r", encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise AnnotateError(
                    f"invalid JSON ({e.msg})", where=path, line=i, fix="write one JSON object per line", code="E103"
                ) from None
            if isinstance(data, dict) and "label" in data and data["label"] not in labels:
                raise AnnotateError(
                    f"unknown label {data['label']!r}",
                    where=path,
                    line=i,
                    fix=did_you_mean(str(data["label"]), labels),
                    code="E104",
                )
            try:
                out.append(model.model_validate(data))
            except ValidationError as e:
                first = e.errors()[0]
                loc = ".".join(str(p) for p in first["loc"])
                raise AnnotateError(
                    f"[{loc}] {first['msg']}", where=path, line=i, fix="see labels/README.md for the entry format", code="E105"
                ) from None
    return out


def load_labels(path: str | Path | None = None) -> Labels:
    """Load and validate a labels folder (default: the repository's ``labels/``)."""
    root = Path(path) if path is not None else default_labels_dir()
    if not root.is_dir():
        raise AnnotateError(
            "labels folder not found", where=root, fix="pass --labels with a folder holding labels.toml", code="E100"
        )
    return _load_labels_cached(str(root.resolve()), _mtimes(root))


def _mtimes(root: Path) -> tuple[float, ...]:
    return tuple(
        (root / n).stat().st_mtime if (root / n).exists() else 0.0
        for n in (ENTITY_LABELS_FILE, THEMES_FILE, LEXICON_FILE, ORGS_FILE, PATTERNS_FILE)
    )


@lru_cache(maxsize=8)
def _load_labels_cached(root_s: str, _mtimes: tuple[float, ...]) -> Labels:
    root = Path(root_s)
    p = root / ENTITY_LABELS_FILE
    try:
        labelset = LabelSet.model_validate(_read_toml(p))
    except ValidationError as e:
        raise _flatten(e, p) from None
    p = root / THEMES_FILE
    try:
        taxonomy = Taxonomy.model_validate(_read_toml(p))
    except ValidationError as e:
        raise _flatten(e, p) from None
    p = root / LEXICON_FILE
    try:
        lexicon = Lexicon.model_validate(_read_toml(p))
    except ValidationError as e:
        raise _flatten(e, p) from None
    orgs = _read_jsonl(root / ORGS_FILE, OrgPattern, ["ORG"])
    patterns = _read_jsonl(root / PATTERNS_FILE, RulerPattern, labelset.names)
    return Labels(
        path=str(root), labels=labelset, taxonomy=taxonomy, lexicon=lexicon, orgs=orgs, patterns=patterns
    )


def labels_from_config(data: dict[str, Any]) -> Labels:
    """Rebuild :class:`Labels` from :meth:`Labels.as_config` (saved pipelines)."""
    return Labels.model_validate(data)
