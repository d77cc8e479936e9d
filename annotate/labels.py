"""The declarative label set: entity labels, the theme taxonomy, organisation
gazetteers and quantity lexicons, all loaded from a labels folder and
validated by pydantic.

Layout of a labels folder::

    labels.toml        entity labels (name, description, colour, key)
    themes.toml        theme taxonomy (name, description, key, cues per language)
    lexicon.toml       words the quantity and date rules are built from, per language
    orgs.jsonl         organisation gazetteer, spaCy EntityRuler pattern format

The default folder ships inside the package as ``annotate/_labels`` (package
data; in a source checkout the top-level ``labels/`` folder is its source,
mapped by ``[tool.setuptools.package-dir]`` in pyproject.toml).

Every problem is reported as one :class:`~annotate.errors.AnnotateError` line
naming the file, the entry and the fix.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import AnnotateError, Errors

ENTITY_LABELS_FILE = "labels.toml"
THEMES_FILE = "themes.toml"
LEXICON_FILE = "lexicon.toml"
ORGS_FILE = "orgs.jsonl"
LABEL_FILES = (ENTITY_LABELS_FILE, THEMES_FILE, LEXICON_FILE, ORGS_FILE)

LANGS = ("fr", "en")


def default_labels_dir() -> Path:
    """The labels folder: ``$ANNOTATE_LABELS``, else the package's own labels.

    In a source checkout (a ``pyproject.toml`` beside the package, as in an
    editable install or with the checkout on ``PYTHONPATH``) that is the
    checkout's ``labels/`` folder, so an edit there takes effect at once;
    installed from a wheel it is the package data ``annotate/_labels``.
    """
    env = os.environ.get("ANNOTATE_LABELS")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parent
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "labels" / ENTITY_LABELS_FILE).is_file():
        return checkout / "labels"
    return Path(str(resources.files(__package__ or "annotate").joinpath("_labels")))


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
    # sub-unit word -> [ISO code of the main unit, factor] (e.g. "cents" = ["USD", 0.01])
    currency_subunits: dict[str, tuple[str, float]] = Field(default_factory=dict)
    # CLDR currency head words and codes too common as plain words to be a currency ("won", "real")
    currency_stopwords: list[str] = Field(default_factory=list)
    percent_words: list[str]
    percentage_points: list[str] = Field(default_factory=list)
    months: dict[str, int]
    # month abbreviations recognised next to a day or a year only ("14 nov", "Jan 2001")
    month_abbrevs: dict[str, int] = Field(default_factory=dict)
    # months that are a DATE alone only when capitalised (English "May", "March", "August")
    months_case_sensitive: list[str] = Field(default_factory=list)
    weekdays: list[str]
    # weekday abbreviations recognised before a date only ("mer. 10 juin", "Tue May 9")
    weekday_abbrevs: list[str] = Field(default_factory=list)
    # nouns of periods that relative words qualify ("la semaine suivante", "next fiscal year")
    period_nouns: list[str] = Field(default_factory=list)
    # relative words before a period noun or a weekday ("le prochain trimestre", "this past Monday")
    relative_pre: list[str] = Field(default_factory=list)
    demonstratives: list[str] = Field(default_factory=list)
    # holiday name -> "MM-DD" when the holiday has a fixed date, "" when it moves
    holidays: dict[str, str] = Field(default_factory=dict)
    # decade words -> decade digit ("soixante-dix" = 7, "seventies" = 7)
    decade_words: dict[str, int] = Field(default_factory=dict)
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


class Labels(_Strict):
    """Everything in one labels folder, validated."""

    path: str
    labels: LabelSet
    taxonomy: Taxonomy
    lexicon: Lexicon
    orgs: list[OrgPattern]

    @property
    def entity_names(self) -> list[str]:
        return self.labels.names

    @property
    def theme_names(self) -> list[str]:
        return self.taxonomy.names


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
    return Errors.E101(where_=where, msg=msg, fix=fix, where=path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise Errors.E107(where=path) from None
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None)
        raise Errors.E102(detail=e, where=path, line=line) from None


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
                raise Errors.E103(msg=e.msg, where=path, line=i) from None
            if isinstance(data, dict) and "label" in data and data["label"] not in labels:
                raise Errors.E104(label=data['label'], fix=did_you_mean(str(data['label']), labels), where=path, line=i)
            try:
                out.append(model.model_validate(data))
            except ValidationError as e:
                first = e.errors()[0]
                loc = ".".join(str(p) for p in first["loc"])
                raise Errors.E105(loc=loc, msg=first['msg'], where=path, line=i) from None
    return out


def load_labels(path: str | Path | None = None) -> Labels:
    """Load and validate a labels folder (default: :func:`default_labels_dir`)."""
    root = Path(path) if path is not None else default_labels_dir()
    if not root.is_dir():
        raise Errors.E100(where=root)
    return _load_labels_cached(str(root.resolve()), _mtimes(root))


def _mtimes(root: Path) -> tuple[float, ...]:
    return tuple((root / n).stat().st_mtime if (root / n).exists() else 0.0 for n in LABEL_FILES)


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
    return Labels(path=str(root), labels=labelset, taxonomy=taxonomy, lexicon=lexicon, orgs=orgs)
