"""The error catalogue (annotate/errors.py): every code once with its message, every code raised."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from annotate.errors import EXIT_DATA, EXIT_USAGE, AnnotateError, Err, Errors

PACKAGE = Path(__file__).resolve().parent.parent / "annotate"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "errors.py")
CODES = sorted(name for name, value in vars(Errors).items() if isinstance(value, Err))


def test_errors_every_code_is_assigned_once():
    tree = ast.parse((PACKAGE / "errors.py").read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Errors")
    names = [t.id for n in cls.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
    assert [n for n in names if names.count(n) > 1] == []
    assert all(re.fullmatch(r"E\d{3}", n) for n in names), names
    assert len(CODES) == len(names) > 50


def test_errors_no_code_outside_the_catalogue():
    """Raise sites call Errors.Ennn(...): no AnnotateError built with a code literal anywhere else."""
    offenders = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AnnotateError":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_errors_every_code_is_raised_somewhere():
    used = set()
    for path in SOURCES:
        used |= set(re.findall(r"\bErrors\.(E\d{3})\b", path.read_text(encoding="utf-8")))
    assert sorted(set(CODES) - used) == []
    assert sorted(used - set(CODES)) == []


@pytest.mark.parametrize("code", CODES)
def test_errors_each_renders_one_line_with_code_and_fix(code):
    err: Err = getattr(Errors, code)
    fields = {f for t in (err.message, err.fix or "") for _, f, _, _ in string.Formatter().parse(t) if f}
    e = err(where="in.jsonl", line=3, **{f: "X" for f in fields})
    assert isinstance(e, AnnotateError) and e.code == code and e.exit_code in (EXIT_DATA, EXIT_USAGE)
    text = str(e)
    assert text.startswith(f"[{code}] in.jsonl:3: ") and "\n" not in text
