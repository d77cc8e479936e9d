"""Gold files: read them, check them, and say what each record scores.

A gold record is a JSON object with ``text`` and ``spans`` (``start``,
``end``, ``label``, optional ``text`` and ``alt``), and optionally ``id``,
``lang``, ``cats``, ``labels`` and ``recall_only``:

- no ``labels`` and no ``recall_only``: every entity label is scored, with
  precision and recall (the original gold format, e.g. ``seeds/gold/dev.jsonl``);
- ``labels``: the labels this record annotates completely; precision and
  recall for them only, predictions of any other label are ignored. A record
  with ``labels`` and no span is a negative for those labels;
- ``recall_only``: labels scored for recall only: their gold spans count as
  found or missed, their predictions are never false positives. When
  ``recall_only`` is given without ``labels``, the other labels are scored
  completely;
- ``alt`` on a span: other offsets that also count as finding it (a list of
  ``{"start", "end", "text"?}``);
- ``cats``: the record's themes; only records that have ``cats`` are scored
  on themes.

Every check raises one :class:`~annotate.errors.AnnotateError` naming the
file and line: a typo in the gold data must not silently change the scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Err, Errors
from ..io import Record, empty_input, read_records
from ..labels import Labels, did_you_mean
from ..tasks import check_spans

GOLD_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    label: str
    text: str | None = None
    alts: tuple[tuple[int, int], ...] = ()

    @property
    def offsets(self) -> tuple[tuple[int, int], ...]:
        """Every accepted (start, end): the span's own first, then its ``alt``s."""
        own = (self.start, self.end)
        return (own,) + tuple(a for a in self.alts if a != own)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        if self.text is not None:
            out["text"] = self.text
        if self.alts:
            out["alt"] = [{"start": s, "end": e} for s, e in self.alts]
        return out


@dataclass
class GoldRecord:
    """One checked gold record and what it scores."""

    record: Record  # what the pipeline reads (text, lang, ...)
    doc_id: str
    spans: list[GoldSpan]
    full: frozenset[str]  # labels scored with precision and recall
    recall_only: frozenset[str]  # labels scored for recall only
    cats: dict[str, float] | None  # None: the record is not scored on themes

    @property
    def text(self) -> str:
        return self.record.text

    def mode(self, label: str) -> str | None:
        """``"full"``, ``"recall_only"`` or None (the label is not scored here)."""
        if label in self.full:
            return "full"
        if label in self.recall_only:
            return "recall_only"
        return None


@dataclass
class GoldFile:
    path: str  # as given (or as found in a folder); "<stdin>" for -
    records: list[GoldRecord] = field(default_factory=list)


def gold_paths(sources: Iterable[str | Path]) -> list[str]:
    """The gold files named by ``sources``: .jsonl files, folders (their .jsonl files, sorted) or ``-``.

    A path named twice is read once.
    """
    out: list[str] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        key = p if p == "-" else str(Path(p).resolve())
        if key not in seen:
            seen.add(key)
            out.append(p)

    for src in sources:
        s = str(src)
        if s == "-":
            add(s)
            continue
        p = Path(s)
        if p.is_dir():
            files = sorted(
                f for f in p.iterdir()
                if f.is_file() and f.suffix.lower() == GOLD_SUFFIX and not f.name.startswith(".")
            )
            if not files:
                raise Errors.E511(where=p)
            for f in files:
                add(str(f))
        elif p.is_file():
            if p.suffix.lower() != GOLD_SUFFIX:
                raise Errors.E510(detail=p.suffix or '(no suffix)', where=p)
            add(s)
        elif p.exists():
            raise Errors.E003(where=p)
        else:
            raise Errors.E004(where=p)
    return out


def read_gold(sources: Iterable[str | Path] | str | Path, lab: Labels) -> list[GoldFile]:
    """Read and check every gold file; one :class:`GoldFile` per file, in the order given."""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    files = []
    for path in gold_paths(sources):
        gf = GoldFile(path="<stdin>" if path == "-" else path)
        gf.records = [check_record(rec, lab) for rec in read_records([path])]
        if not gf.records:
            raise empty_input(gf.path)
        files.append(gf)
    return files


def iter_gold_records(files: Iterable[GoldFile]) -> Iterator[GoldRecord]:
    for gf in files:
        yield from gf.records


# ---------------------------------------------------------------- checks


def _label_list(rec: Record, key: str, known: list[str], not_a_list: Err, unknown: Err) -> frozenset[str] | None:
    if key not in rec.data:
        return None
    value = rec.data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise not_a_list(where=rec.source, line=rec.line)
    for v in value:
        if v not in known:
            raise unknown(label=v, fix=did_you_mean(v, known), where=rec.source, line=rec.line)
    return frozenset(value)


def _offsets(obj: Any) -> tuple[int, int] | None:
    if not isinstance(obj, dict):
        return None
    s, e = obj.get("start"), obj.get("end")
    if isinstance(s, bool) or isinstance(e, bool) or not isinstance(s, int) or not isinstance(e, int):
        return None
    return s, e


def _check_alt(rec: Record, i: int, span: dict[str, Any], text: str) -> tuple[tuple[int, int], ...]:
    alt = span.get("alt")
    if alt is None:
        return ()
    where = f"span {i + 1} ({span['label']} {span['start']}-{span['end']})"
    if not isinstance(alt, list):
        raise Errors.E507(span_desc=where, where=rec.source, line=rec.line)
    out = []
    for a in alt:
        off = _offsets(a)
        if off is None:
            raise Errors.E513(span_desc=where, where=rec.source, line=rec.line)
        s, e = off
        if not (0 <= s < e <= len(text)):
            raise Errors.E508(s=s, e=e, span_desc=where, n_text=len(text), where=rec.source, line=rec.line)
        if not (s < span["end"] and span["start"] < e):
            raise Errors.E514(s=s, e=e, span_desc=where, where=rec.source, line=rec.line)
        if "text" in a and a["text"] != text[s:e]:
            raise Errors.E509(text=a['text'], span_desc=where, s=s, e=e, span_text=text[s:e], where=rec.source, line=rec.line)
        out.append((s, e))
    return tuple(out)


def check_record(rec: Record, lab: Labels) -> GoldRecord:
    """Check one record against the label set and turn it into a :class:`GoldRecord`."""
    data = rec.data
    entity_names = lab.entity_names
    raw_spans = data.get("spans", [])
    if not isinstance(raw_spans, list):
        raise Errors.E036(where=rec.source, line=rec.line)
    if not all(isinstance(s, dict) for s in raw_spans):
        raise Errors.E039(where=rec.source, line=rec.line)
    check_spans({"text": rec.text, "spans": raw_spans}, entity_names, where=rec.source, line=rec.line)

    full = _label_list(rec, "labels", entity_names, Errors.E501, Errors.E502)
    recall_only = _label_list(rec, "recall_only", entity_names, Errors.E503, Errors.E504)
    if full is not None and recall_only is not None and full & recall_only:
        both = sorted(full & recall_only)[0]
        raise Errors.E505(both=both, where=rec.source, line=rec.line)
    recall_only = recall_only or frozenset()
    if full is None:
        full = frozenset(entity_names) - recall_only

    text = rec.text
    spans: dict[tuple[int, int, str], GoldSpan] = {}
    for i, s in enumerate(raw_spans):
        start, end, label = int(s["start"]), int(s["end"]), s["label"]
        if "text" in s and s["text"] != text[start:end]:
            raise Errors.E500(text=s['text'], start=start, end=end, span_text=text[start:end], where=rec.source, line=rec.line)
        if label not in full and label not in recall_only:
            raise Errors.E506(start=start, end=end, label=label, where=rec.source, line=rec.line)
        alts = _check_alt(rec, i, {**s, "start": start, "end": end}, text)
        key = (start, end, label)
        if key in spans:  # the same span twice counts once (as it always has)
            merged = spans[key].alts + tuple(a for a in alts if a not in spans[key].alts)
            spans[key] = GoldSpan(start, end, label, spans[key].text, merged)
        else:
            spans[key] = GoldSpan(start, end, label, text[start:end], alts)

    cats = data.get("cats") if "cats" in data else None
    if cats is not None:
        if not isinstance(cats, dict):
            raise Errors.E037(where=rec.source, line=rec.line)
        for k, v in cats.items():
            if k not in lab.theme_names:
                raise Errors.E038(k=k, fix=did_you_mean(k, lab.theme_names), where=rec.source, line=rec.line)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise Errors.E512(k=k, v=v, where=rec.source, line=rec.line)
        cats = {k: float(v) for k, v in cats.items()}

    return GoldRecord(
        record=rec, doc_id=str(data.get("id", rec.where)), spans=list(spans.values()),
        full=full, recall_only=recall_only, cats=cats,
    )
