"""The pipeline build cache (annotate/pipeline/buildcache.py): a hit builds the same pipeline
(same `pre` output, byte for byte) without tokenizing the label data again; any change of a key
part, a corrupt entry or the cache turned off falls back to a full build, never to an error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli.app import app
from annotate.cli.main import main  # noqa: F401  (registers the commands)
from annotate.pipeline import build, buildcache, themes
from annotate.pipeline.job import run_pre

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    {"text": "La Banque de France a relevé mardi 4 mars 2025 son taux de 0,25 point, soit 1,2 milliard d'euros pour BNP Paribas."},
    {"text": "Vantor Bank said on Monday its profit rose 12% to $3.4 billion in the third quarter of 2024."},
]


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ANNOTATE_CACHE", str(folder))
    build.cached_pipeline.cache_clear()
    yield folder
    build.cached_pipeline.cache_clear()


def _pre(tmp_path: Path, name: str, lang: str = "fr", labels: Path | None = None) -> bytes:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in TEXTS), encoding="utf-8")
    out = tmp_path / name
    build.cached_pipeline.cache_clear()  # a new build, as in a new process
    run_pre([src], out, lang=lang, labels=labels)
    return out.read_bytes()


def _no_tokenizer(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
    raise AssertionError("a cache hit must not build the themes tokenizer")


def test_buildcache_hit_same_output_as_cold_build(cache, tmp_path, monkeypatch):
    cold = _pre(tmp_path, "cold.jsonl")
    entries = list(cache.glob("pipeline-*.json"))
    assert len(entries) == 1
    real = themes.default_tokenizer
    monkeypatch.setattr(themes, "default_tokenizer", _no_tokenizer)  # proves the second build is a hit
    warm = _pre(tmp_path, "warm.jsonl")
    assert warm == cold
    monkeypatch.setattr(themes, "default_tokenizer", real)
    monkeypatch.setenv("ANNOTATE_CACHE", "off")
    assert _pre(tmp_path, "off.jsonl") == cold


def test_buildcache_changed_labels_invalidate(cache, tmp_path):
    labels = tmp_path / "labels"
    shutil.copytree(ROOT / "labels", labels)
    _pre(tmp_path, "a.jsonl", lang="en", labels=labels)
    with (labels / "orgs.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"label": "ORG", "pattern": "Quarterly Profit Watch", "lang": "en"}) + "\n")
    src_text = {"text": "Quarterly Profit Watch said on Monday its profit rose 12% to $3.4 billion."}
    TEXTS.append(src_text)
    try:
        after = _pre(tmp_path, "b.jsonl", lang="en", labels=labels)
    finally:
        TEXTS.remove(src_text)
    assert len(list(cache.glob("pipeline-*.json"))) == 2  # a new key, a new entry
    task = json.loads(after.decode().splitlines()[-1])
    names = {task["text"][s["start"]:s["end"]] for s in task["spans"] if s["label"] == "ORG"}
    assert "Quarterly Profit Watch" in names  # the new gazetteer entry is used, not the stale tokens


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"format": 1, "key": "x", "memo": {}}', None],
                         ids=["empty", "garbage", "other-key", "tampered-tokens"])
def test_buildcache_corrupt_entry_rebuilt(cache, tmp_path, damage):
    cold = _pre(tmp_path, "cold.jsonl", lang="en")
    (entry,) = cache.glob("pipeline-*.json")
    if damage is None:  # valid JSON, tokens that do not give back their text
        data = json.loads(entry.read_text(encoding="utf-8"))
        table = data["memo"]["pipeline"]
        text = next(iter(table))
        table[text] = [["X" + table[text][0][0]] + table[text][0][1:], table[text][1]]
        entry.write_text(json.dumps(data), encoding="utf-8")
    else:
        entry.write_bytes(damage)
    assert _pre(tmp_path, "again.jsonl", lang="en") == cold
    assert buildcache.load(entry.name[len("pipeline-"):-len(".json")], cache) is not None  # rewritten whole


def test_buildcache_off_and_no_cache_write_nothing(cache, tmp_path, monkeypatch):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(TEXTS[1]) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["pre", str(src), "-o", str(tmp_path / "o.jsonl"), "-q", "--lang", "en", "--no-cache"],
                             catch_exceptions=False)
    assert res.exit_code == 0
    assert not cache.exists() or not list(cache.iterdir())
    import os

    assert os.environ["ANNOTATE_CACHE"] == str(cache)  # --no-cache leaves the environment as it was
    monkeypatch.setenv("ANNOTATE_CACHE", "off")
    assert buildcache.cache_dir() is None
    _pre(tmp_path, "off.jsonl", lang="en")
    assert not cache.exists() or not list(cache.iterdir())


def test_buildcache_unwritable_folder_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ANNOTATE_CACHE", str(blocker / "cache"))
    assert buildcache.store("k", {"pipeline": {"a b": (["a", "b"], [True, False])}}) is False
    assert buildcache.load("k") is None


def test_buildcache_key_parts(tmp_path):
    labels = tmp_path / "labels"
    shutil.copytree(ROOT / "labels", labels)
    meta = {"name": "core_news_md", "version": "3.8.0", "lang": "fr"}
    base = buildcache.cache_key("fr", None, meta, labels)
    assert buildcache.cache_key("fr", None, meta, labels) == base
    assert buildcache.cache_key("en", None, meta, labels) != base
    assert buildcache.cache_key("fr", None, {**meta, "version": "3.8.1"}, labels) != base
    (labels / "themes.toml").write_text((labels / "themes.toml").read_text(encoding="utf-8") + "\n# edit\n",
                                        encoding="utf-8")
    assert buildcache.cache_key("fr", None, meta, labels) != base


def _hammer(folder: str, seed: int) -> list[bool]:
    memo = {"pipeline": {f"Nom {i} SA": (["Nom", str(i), "SA"], [True, True, False]) for i in range(2000)}}
    seen = []
    for _ in range(15):
        assert buildcache.store("same", memo, Path(folder))
        got = buildcache.load("same", Path(folder))
        seen.append(got is not None and len(got["pipeline"]) == 2000)
    return seen


def test_buildcache_concurrent_writers_never_leave_a_partial_entry(tmp_path):
    import multiprocessing as mp

    with mp.get_context("fork").Pool(3) as pool:
        results = pool.starmap(_hammer, [(str(tmp_path), i) for i in range(3)])
    assert all(all(r) for r in results)  # every read saw a whole entry
    assert [p.name for p in tmp_path.iterdir()] == ["pipeline-same.json"]  # no temporary file left
