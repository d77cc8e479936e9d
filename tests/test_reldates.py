"""Relative dates resolved against a reference date (annotate/pipeline/reldates.py): the resolver on
span texts, then `annotate pre` with a record's meta.date and with --ref-date, and the bad dates."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from annotate.cli.app import app
from annotate.cli.main import main
from annotate.pipeline.reldates import parse_ref_date, resolve

REF = dt.date(2026, 4, 15)  # a Wednesday, in the second quarter, in ISO week 16

runner = CliRunner()


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("fr", "aujourd'hui", "2026-04-15"),
        ("fr", "hier", "2026-04-14"),
        ("fr", "Demain", "2026-04-16"),
        ("fr", "avant-hier", "2026-04-13"),
        ("fr", "le lendemain", "2026-04-16"),
        ("fr", "la veille", "2026-04-14"),
        ("fr", "la semaine prochaine", "2026-W17"),
        ("fr", "la semaine dernière", "2026-W15"),
        ("fr", "cette semaine", "2026-W16"),
        ("fr", "le mois précédent", "2026-03"),
        ("fr", "ce mois-ci", "2026-04"),
        ("fr", "l’an dernier", "2025"),
        ("fr", "l'année prochaine", "2027"),
        ("fr", "l'exercice en cours", "2026"),
        ("fr", "le prochain trimestre", "2026-Q3"),
        ("fr", "le semestre dernier", "2025-H2"),
        ("fr", "il y a deux ans", "2024"),
        ("fr", "il y a trois jours", "2026-04-12"),
        ("fr", "il y a 6 mois", "2025-10"),
        ("fr", "deux jours plus tard", "2026-04-17"),
        ("fr", "trois semaines auparavant", "2026-W13"),
        ("fr", "jeudi prochain", "2026-04-16"),
        ("fr", "mercredi dernier", "2026-04-08"),
        ("fr", "ce vendredi", "2026-04-17"),
        ("fr", "l'été dernier", "2025-SU"),
        ("fr", "l'hiver prochain", "2026-WI"),
        ("en", "today", "2026-04-15"),
        ("en", "Yesterday", "2026-04-14"),
        ("en", "the day after tomorrow", "2026-04-17"),
        ("en", "the following day", "2026-04-16"),
        ("en", "next week", "2026-W17"),
        ("en", "last month", "2026-03"),
        ("en", "this quarter", "2026-Q2"),
        ("en", "the previous quarter", "2026-Q1"),
        ("en", "last year", "2025"),
        ("en", "next fiscal year", "2027"),
        ("en", "earlier this year", "2026"),
        ("en", "two weeks ago", "2026-W14"),
        ("en", "a year ago", "2025"),
        ("en", "18 months earlier", "2024-10"),
        ("en", "three days later", "2026-04-18"),
        ("en", "the week before", "2026-W15"),
        ("en", "next Monday", "2026-04-20"),
        ("en", "last Wednesday", "2026-04-08"),
        ("en", "this past Sunday", "2026-04-12"),
        ("en", "last summer", "2025-SU"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_reldates_resolves_against_the_reference(lang, text, expected):
    assert resolve(text, None, lang, REF) == expected


@pytest.mark.parametrize(
    ("lang", "text", "value", "expected"),
    [
        ("fr", "le 3 mai", "XXXX-05-03", "2026-05-03"),
        ("fr", "le 28", "XXXX-XX-28", "2026-04-28"),
        ("fr", "du 2 au 4 juin", "XXXX-06-02/XXXX-06-04", "2026-06-02/2026-06-04"),
        ("en", "the third quarter", "XXXX-Q3", "2026-Q3"),
        ("en", "July 4", "XXXX-07-04", "2026-07-04"),
        ("en", "Feb 30", "XXXX-02-30", "XXXX-02-30"),  # no such day: left as it is
        ("fr", "le 21 janvier 2025", "2025-01-21", "2025-01-21"),  # the text fixes it already
        ("en", "five years", "P5Y", "P5Y"),  # a duration, not a point
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_reldates_fills_a_missing_year_and_keeps_fixed_values(lang, text, value, expected):
    assert resolve(text, value, lang, REF) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "lundi"),  # past or coming: the text does not say
        ("fr", "deux ans"),
        ("fr", "les années à venir"),
        ("en", "Monday"),
        ("en", "the coming years"),
        ("en", "a few weeks ago"),
        ("en", "the past year"),  # the last twelve months, not the previous calendar year
    ],
    ids=lambda v: v,
)
def test_reldates_leaves_what_the_reference_does_not_fix(lang, text):
    assert resolve(text, None, lang, REF) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [("2026-04-15", dt.date(2026, 4, 15)), ("2026-04-15T08:30:00Z", dt.date(2026, 4, 15)), (" 2026-04-15 ", dt.date(2026, 4, 15))],
    ids=["day", "with-time", "spaces"],
)
def test_reldates_parse_ref_date_accepts_iso_days(given, expected):
    assert parse_ref_date(given) == expected


@pytest.mark.parametrize("given", ["15/04/2026", "2026-02-30", "2026-4-15", "tomorrow", 20260415, ""], ids=str)
def test_reldates_parse_ref_date_rejects_the_rest(given):
    with pytest.raises(ValueError):
        parse_ref_date(given)


def _dates(stdout: str) -> list[dict]:
    tasks = [json.loads(line) for line in stdout.splitlines()]
    return [{s["text"]: s.get("value") for s in t["spans"] if s["label"] == "DATE"} | {"ref": t["meta"].get("ref_date")} for t in tasks]


def test_reldates_pre_uses_meta_date_then_ref_date_then_nothing():
    stdin = (
        json.dumps({"text": "Hier, la mairie a promis des travaux pour la semaine prochaine.", "meta": {"date": "2026-04-15"}}) + "\n"
        + json.dumps({"text": "Yesterday the council promised repairs for next week.", "lang": "en"}) + "\n"
    )
    with_ref = runner.invoke(app, ["pre", "-", "-o", "-", "-q", "--ref-date", "2025-12-31"], input=stdin)
    assert with_ref.exit_code == 0, with_ref.output
    fr, en = _dates(with_ref.stdout)
    assert fr == {"Hier": "2026-04-14", "la semaine prochaine": "2026-W17", "ref": "2026-04-15"}  # the record's date wins
    assert en == {"Yesterday": "2025-12-30", "next week": "2026-W02", "ref": "2025-12-31"}  # 2025-12-31 is in ISO week 2026-W01
    without = runner.invoke(app, ["pre", "-", "-o", "-", "-q"], input=stdin)
    assert without.exit_code == 0
    assert _dates(without.stdout)[1] == {"Yesterday": None, "next week": None, "ref": None}


def test_reldates_pre_bad_ref_date_is_one_line_usage_error(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Il pleuvait hier."}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["pre", str(src), "-o", str(out), "--ref-date", "2026-13-01"]) == 2
    msg = capsys.readouterr().err.strip()
    assert msg.count("\n") == 0 and "[E040] --ref-date:" in msg and "YYYY-MM-DD" in msg
    assert not out.exists()


def test_reldates_pre_bad_meta_date_names_file_and_line(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"text": "It rained yesterday.", "meta": {"date": "2026-04-15"}}\n'
        '{"text": "It rained yesterday.", "meta": {"date": "April 15"}}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert main(["pre", str(src), "-o", str(out), "--lang", "en"]) == 1
    msg = capsys.readouterr().err.strip()
    assert msg.count("\n") == 0 and f"[E041] {src}:2:" in msg and "meta.date" in msg
    assert not out.exists()  # no partial output
