"""Speed of `annotate pre --model models/NAME/` against the default pipeline (`annotate pre`), same run.

    python benchmarks/bench_trained.py MODEL INPUT.jsonl [--rounds 3] [--cli] [--beside]

In one process (pipelines and model loaded and warmed first), the two jobs run alternately
(rules, model, rules, model, ...) on the same records, so machine noise hits both alike; the figure
is the ratio of the minimum times, with the median of the per-round ratios beside it. ``--cli``
also times both as fresh ``python -m annotate pre`` processes end to end, alternately. ``--beside``
forces the model's mode ``beside`` (its NER after the rules pipeline's own: the way before mode
``replace``), to compare. Target: ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.2


def _records(path: Path) -> list:
    from annotate.io import Record

    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            r = json.loads(line)
            out.append(Record({"text": r["text"], "lang": r.get("lang", "fr")}, str(path), i + 1))
    return out


def in_process(model_path: Path, data: Path, rounds: int, beside: bool) -> dict:
    from annotate.pipeline.pre import pre_annotate
    from annotate.pipeline.trained import TrainedModel

    recs = _records(data)
    model = TrainedModel(model_path)
    if beside:
        model.mode, model.mode_reason = "beside", "forced by --beside"
        model.run_pipes = model._needed()

    def rules() -> None:
        for _ in pre_annotate(iter(recs), lang="fr"):
            pass

    def with_model() -> None:
        for _ in pre_annotate(iter(recs), lang="fr", model=model, on_warning=lambda _: None):
            pass

    for job in (rules, with_model):  # load and warm both pipelines
        for _ in pre_annotate(iter(recs[:64]), lang="fr", **({"model": model, "on_warning": lambda _: None} if job is with_model else {})):
            pass
    times: dict[str, list[float]] = {"rules": [], "model": []}
    for _ in range(rounds):
        for name, job in (("rules", rules), ("model", with_model)):
            t = time.perf_counter()
            job()
            times[name].append(time.perf_counter() - t)
    ratios = [m / r for r, m in zip(times["rules"], times["model"])]
    return {"mode": model.mode, "records": len(recs), "rules_s": times["rules"], "model_s": times["model"],
            "ratio_min": min(times["model"]) / min(times["rules"]), "ratio_median": statistics.median(ratios)}


def cli(model_path: Path, data: Path, rounds: int) -> dict:
    times: dict[str, list[float]] = {"rules": [], "model": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for name, extra in (("rules", []), ("model", ["--model", str(model_path)])):
                cmd = [sys.executable, "-m", "annotate", "pre", str(data), "-o", f"{tmp}/{name}.jsonl", "-q",
                       "--force", "--lang", "fr", *extra]
                t = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - t)
    return {"rules_s": times["rules"], "model_s": times["model"],
            "ratio_min": min(times["model"]) / min(times["rules"]),
            "ratio_median": statistics.median(m / r for r, m in zip(times["rules"], times["model"]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("input", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cli", action="store_true", help="also time both as fresh CLI processes")
    ap.add_argument("--beside", action="store_true", help="force mode beside (the second NER pass)")
    a = ap.parse_args(argv)
    res = in_process(a.model, a.input, a.rounds, a.beside)
    print(f"in process, {res['records']} records, mode {res['mode']}: rules {min(res['rules_s']):.2f} s,"
          f" rules + model {min(res['model_s']):.2f} s (min of {a.rounds} alternating rounds):"
          f" ratio {res['ratio_min']:.2f}x (median of rounds {res['ratio_median']:.2f}x; target <= {TARGET}x)")
    if a.cli:
        c = cli(a.model, a.input, a.rounds)
        print(f"CLI end to end: annotate pre {min(c['rules_s']):.2f} s, pre --model {min(c['model_s']):.2f} s:"
              f" ratio {c['ratio_min']:.2f}x (median of rounds {c['ratio_median']:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
