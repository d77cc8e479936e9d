"""`python benchmarks/bench.py --size tiny`: the whole suite runs (a smoke test: no timing is asserted)."""

from __future__ import annotations

import json
import math

import pytest

from bench import HERE, FIGURE_NAMES, SIZES, corpus, main, run_child

EXPECTED = {
    "pre_words_per_s", "pre_n_process_2_words_per_s", "rules_share_pct", "pre_peak_memory_mb",
    "review_key_p95_ms", "review_first_task_s", "store_decisions_per_s", "export_examples_per_s", "export_peak_memory_mb",
    "dask_words_per_s", "dask_large_words_per_s", "dask_resume_redone_chunks",
    "startup_s", "startup_regex_cache_s",
}
NO_BASELINE = {"review_first_task_s", "dask_resume_redone_chunks"}
ZERO_OK = {"dask_resume_redone_chunks"}  # a count: 0 when the killed worker held no chunk


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    code = main(["--size", "tiny", "--json", str(out), "--quiet"])
    return code, out


def test_bench_tiny_writes_every_figure_with_its_baseline(tiny_run, capsys):
    code, out = tiny_run
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["size"] == "tiny"
    assert data["machine"]["cores"] >= 1 and data["machine"]["python"]
    figures = {f["name"]: f for f in data["figures"]}
    assert set(figures) == EXPECTED
    for name, f in figures.items():
        low = 0 if name in ZERO_OK else 1e-12
        assert isinstance(f["value"], (int, float)) and math.isfinite(f["value"]) and f["value"] >= low, name
        assert f["runs"] and all(r >= low for r in f["runs"]), name
        assert f["target"] and f["what"] and f["unit"], name
        assert f["met"] in (True, False), name
        if name in NO_BASELINE:
            assert f["baseline"] is None
        else:
            assert isinstance(f["baseline"], (int, float)) and math.isfinite(f["baseline"]) and f["baseline"] > 0, name
            assert f["baseline_runs"] and all(r > 0 for r in f["baseline_runs"]), name
            assert f["baseline_what"], name


def test_bench_corpus_is_varied_and_sized():
    texts = corpus(120, seed=0)
    assert len(texts) == 120
    assert len(set(texts)) > 100  # repeated paragraphs come back with other numbers and names
    sentences = corpus(50, seed=0, unit="sentence")
    assert len(sentences) == 50 and max(len(s) for s in sentences) < max(len(t) for t in texts)


def test_bench_child_reports_its_own_peak_memory():
    # a child that allocates ~200 MB reports more than one that does not: the figures do not mix
    _, small = run_child("bench:_allocate", ["0"], pythonpath=HERE)
    _, big = run_child("bench:_allocate", ["200"], pythonpath=HERE)
    assert big > small + 150 * 1024


def test_bench_rejects_an_unknown_size_or_figure(capsys):
    for argv in (["--size", "huge"], ["--only", "nope", "--size", "tiny"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert "nope" in capsys.readouterr().err
    assert set(SIZES) == {"tiny", "small", "full"} and "export" in FIGURE_NAMES
