"""The package's layers point one way (issue #16): what each layer may import, and module size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "annotate"
CORE = {"about", "errors", "graphemes", "io", "labels", "tasks"}
UI = ("typer", "rich", "textual", "click")
# layer -> the annotate sub-packages / core modules it may import (besides itself)
ALLOWED = {
    "core": CORE,
    "pipeline": CORE,
    "store": CORE,
    "formats": CORE | {"store", "pipeline"},
    "evaluation": CORE | {"pipeline"},
    "training": CORE | {"pipeline", "store", "formats"},  # annotate train: the store's data through the export
    "review": CORE | {"store", "pipeline", "formats"},
    "cli": CORE | {"store", "pipeline", "formats", "evaluation", "training", "review"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    if rel.name == "__main__.py":
        return "cli"  # ``python -m annotate`` is the command line
    return rel.parts[0] if len(rel.parts) > 1 else "core"


def _imports(path: Path) -> list[str]:
    """Every module ``path`` imports (module level and inside functions), as absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = ["annotate", *path.relative_to(PACKAGE).parts[:-1]]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                out += [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            else:
                out.append(node.module or "")
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers_imports_point_one_way(path):
    layer = _layer(path)
    bad = []
    for name in _imports(path):
        top = name.split(".")[0]
        if layer not in ("cli", "review") and top in UI:
            bad.append(name)
        if top != "annotate":
            continue
        parts = name.split(".")
        target = parts[1] if len(parts) > 1 else "core"
        if target in CORE or target == "core" or target == layer:
            continue  # the core is below every layer
        if target not in ALLOWED[layer]:
            bad.append(name)
    assert bad == [], f"{path.relative_to(PACKAGE)} ({layer}) imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers_no_module_over_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600
