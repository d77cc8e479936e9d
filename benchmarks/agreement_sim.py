"""Three simulated annotators with controlled disagreement over 200 tasks, scored by `annotate agreement`.

A seeded generator writes 200 short French-like news tasks with a "true"
annotation (2 to 5 spans of ORG, LOC, PER, DATE, MONEY and 0 to 2 of four
themes). Each annotator copies the truth with their own error rate ``p``: each
true span is dropped with probability p/3, gets its end moved one token (an
overlap, not an exact match) with p/3, or its label changed with p/3; a
spurious one-token span is added with probability p per task; each theme is
flipped with probability p; a task is rejected with probability p/10.
The rates: alice 0.05, bob 0.10, carol 0.20. Every annotator answers every
task (overlap 3). The decisions go through a real store in a temporary folder
and the figures are those of ``annotate agreement``.

    python benchmarks/agreement_sim.py [--tasks 200] [--seed 15] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotate.evaluation.agreement import agreement  # noqa: E402
from annotate.store import Store  # noqa: E402
from annotate.tasks import set_hashes  # noqa: E402

LABELS = ("ORG", "LOC", "PER", "DATE", "MONEY")
THEMES = ("economie", "politique", "sport", "culture")
RATES = {"alice": 0.05, "bob": 0.10, "carol": 0.20}
WORDS = ("le", "groupe", "a", "annoncé", "hier", "une", "hausse", "de", "ses", "ventes", "à", "la", "suite", "du",
         "rachat", "par", "son", "concurrent", "selon", "les", "chiffres", "publiés", "en", "mars")


def make_truth(rng: random.Random, n: int) -> list[dict[str, Any]]:
    tasks = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(18, 30))]
        tokens, pos = [], 0
        for i, w in enumerate(words):
            tokens.append({"text": w, "start": pos, "end": pos + len(w), "id": i})
            pos += len(w) + 1
        # non-overlapping spans of 1-3 tokens, with a free token between them
        spans, i = [], rng.randint(0, 2)
        while i < len(tokens) - 4 and len(spans) < rng.randint(2, 5):
            length = rng.randint(1, 3)
            spans.append((i, i + length - 1, rng.choice(LABELS)))
            i += length + rng.randint(2, 5)
        task = {"text": " ".join(words), "tokens": tokens, "spans": [], "cats": {t: 0.5 for t in THEMES},
                "_truth": {"spans": spans, "themes": rng.sample(THEMES, rng.randint(0, 2))}}
        tasks.append(set_hashes(task))
    return tasks


def annotate_like(rng: random.Random, task: dict[str, Any], p: float) -> tuple[str, dict[str, Any]]:
    tokens, truth = task["tokens"], task["_truth"]
    taken = set()
    spans = []
    for ts, te, label in truth["spans"]:
        r = rng.random()
        if r < p / 3:
            continue  # missed
        if r < 2 * p / 3 and te + 1 < len(tokens) and te + 1 not in {s for s, _, _ in truth["spans"]}:
            te += 1  # one token too long: overlaps the true span
        elif r < p:
            label = rng.choice([x for x in LABELS if x != label])
        spans.append((ts, te, label))
        taken.update(range(ts, te + 1))
    if rng.random() < p:
        free = [i for i in range(len(tokens)) if i not in taken and i - 1 not in taken and i + 1 not in taken]
        if free:
            i = rng.choice(free)
            spans.append((i, i, rng.choice(LABELS)))
    themes = [t for t in THEMES if (t in truth["themes"]) != (rng.random() < p)]
    out = {k: v for k, v in task.items() if k != "_truth"}
    out["spans"] = [{"start": tokens[s]["start"], "end": tokens[e]["end"], "label": lab, "token_start": s,
                     "token_end": e} for s, e, lab in sorted(spans)]
    out["accept"] = themes
    return ("reject" if rng.random() < p / 10 else "accept"), out


def simulate(n_tasks: int = 200, seed: int = 15, folder: Path | None = None) -> Any:
    rng = random.Random(seed)
    truth = make_truth(rng, n_tasks)
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(folder or tmp) / "sim.db") as store:
            store.add_tasks("sim", [{k: v for k, v in t.items() if k != "_truth"} for t in truth])
            for who, p in RATES.items():
                for t in truth:
                    answer, version = annotate_like(rng, t, p)
                    store.add_decision("sim", version, answer=answer, annotator=who, session=f"sim-{who}")
            return agreement(store.iter_decisions("sim"), dataset="sim")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    res = simulate(args.tasks, args.seed)
    if args.json:
        print(json.dumps(res.to_dict(), ensure_ascii=False, sort_keys=True))
    else:
        from annotate.cli.agreement import format_agreement

        print(f"error rates: {', '.join(f'{k} {v}' for k, v in RATES.items())}; {args.tasks} tasks, seed {args.seed}")
        print(format_agreement(res, worst=5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
