"""The package as users install it: every package listed in pyproject.toml, every
entry point resolving in a fresh process, and a wheel that works from a folder
outside the repository (default labels shipped as package data)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
ENTRY_POINTS = [
    (group, name, value)
    for group, points in PYPROJECT["project"]["entry-points"].items()
    for name, value in points.items()
] + [("console_scripts", name, value) for name, value in PYPROJECT["project"]["scripts"].items()]
SEED = ROOT / "seeds" / "openai-oracle-fr.txt"
PROBE = "Le groupe EDF a investi 2 milliards d’euros en 2024, soit 3 % de plus."


def test_packaging_every_package_is_listed():
    setuptools = PYPROJECT["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "annotate").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert set(setuptools["packages"]) == found | {"annotate._labels"}
    assert setuptools["package-dir"] == {"annotate._labels": "labels"}
    assert (ROOT / "labels" / "labels.toml").is_file()


def test_packaging_checkout_labels_are_the_default(monkeypatch):
    from annotate.labels import default_labels_dir

    monkeypatch.delenv("ANNOTATE_LABELS", raising=False)
    assert default_labels_dir() == ROOT / "labels"
    monkeypatch.setenv("ANNOTATE_LABELS", "/elsewhere")
    assert default_labels_dir() == Path("/elsewhere")


_CHECK = {
    "spacy_factories": (
        "import importlib, spacy\n"
        "from spacy.util import registry\n"
        "module, attr = {value!r}.split(':')\n"
        "func = getattr(importlib.import_module(module), attr)\n"
        "nlp = spacy.blank('fr')\n"
        "pipe = nlp.add_pipe({name!r})\n"
        "assert registry.factories.get(spacy.Language.get_factory_name({name!r})) is func\n"
        "nlp.initialize()\n"
        "doc = nlp('Le groupe EDF a investi 2 milliards d’euros en 2024.')\n"
        "print(type(pipe).__name__, len(doc))\n"
    ),
    "spacy_misc": (
        "import importlib\n"
        "from spacy.util import registry\n"
        "module, attr = {value!r}.split(':')\n"
        "func = getattr(importlib.import_module(module), attr)\n"
        "assert registry.misc.get({name!r}) is func\n"
        "print(type(func()).__name__)\n"
    ),
    "console_scripts": (
        "import importlib\n"
        "module, attr = {value!r}.split(':')\n"
        "print(callable(getattr(importlib.import_module(module), attr)))\n"
    ),
}


@pytest.mark.parametrize(("group", "name", "value"), ENTRY_POINTS, ids=[f"{g}:{n}" for g, n, _ in ENTRY_POINTS])
def test_packaging_entry_point_resolves_in_fresh_process(group, name, value, tmp_path):
    """Each entry point of pyproject.toml imports, and spaCy finds it by name, in a new process."""
    code = _CHECK[group].format(name=name, value=value)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{cmd}: {res.stderr[-2000:]}"
    return res


@pytest.mark.slow
def test_packaging_wheel_works_outside_the_repository(tmp_path, fr_nlp):
    """Build the wheel, install it alone into a new virtualenv, run it from a folder outside the repository.

    The new environment reaches the heavy dependencies (spaCy, the French model, ...) through a
    ``.pth`` line naming this environment's site-packages: appended after its own site-packages,
    and without processing this environment's ``.pth`` files, so an editable install of the
    checkout is not seen. No labels folder, no ANNOTATE_LABELS, no PYTHONPATH.
    """
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "annotate", src / "annotate", ignore=ignore)
    shutil.copytree(ROOT / "labels", src / "labels", ignore=ignore)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(src)])
    (wheel,) = dist.glob("annotate_news-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)])
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_annotate_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy2(SEED, work / "seed.txt")
    shutil.copy2(ROOT / "seeds" / "gold" / "dev.jsonl", work / "dev.jsonl")
    env = {k: v for k, v in os.environ.items() if k not in ("ANNOTATE_LABELS", "PYTHONPATH")}
    env["PYTHONNOUSERSITE"] = "1"
    here = _run(
        [str(python), "-c", "import annotate, annotate.labels as L; print(annotate.__file__); print(L.default_labels_dir())"],
        cwd=work, env=env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in here), here

    annotate = str(venv / "bin" / "annotate")
    _run([annotate, "pre", "seed.txt", "-o", "out.jsonl", "-q"], cwd=work, env=env)
    (task,) = [json.loads(line) for line in (work / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    from annotate.io import Record
    from annotate.pipeline.pre import pre_annotate

    (expected,) = pre_annotate([Record(data={"text": SEED.read_text(encoding="utf-8")}, source="seed.txt")])
    assert task["spans"] == expected["spans"] and task["cats"] == expected["cats"]

    scores = json.loads(_run([annotate, "evaluate", "dev.jsonl", "--json"], cwd=work, env=env).stdout)
    assert scores["n_docs"] == 30 and scores["entities_micro"]["f1"] >= 0.92

    # a pipeline saved here loads there: spaCy finds the components through the wheel's entry points
    fr_nlp.to_disk(tmp_path / "pipeline")
    code = (
        "import json, sys, spacy\n"
        "doc = spacy.load(sys.argv[1])(sys.argv[2])\n"
        "print(json.dumps([[e.text, e.label_] for e in doc.ents]))\n"
    )
    got = json.loads(_run([str(python), "-c", code, str(tmp_path / "pipeline"), PROBE], cwd=work, env=env).stdout)
    assert got == [[e.text, e.label_] for e in fr_nlp(PROBE).ents]
