"""The learning-loop figure of the README: `annotate train` on the French dev gold plus the French
external developer sets, then ORG on the held-out split for the rules alone, the model alone and
`annotate pre --model` (the three columns `annotate train` prints and writes into meta.json), over
several seeds (each seed draws its own held-out split).

    python benchmarks/train_heldout.py                 # seeds 0 1 2, into a temporary folder
    python benchmarks/train_heldout.py --seeds 0 --keep runs/

The data: `seeds/gold/dev.jsonl` (French records) and `tests/fixtures/external/seq_{emea,europarl,frwiki}_fr.jsonl`
(which annotate ORG only: `--label ORG`), each record accepted, imported with `annotate db-in`. Each
training run takes the default budget (the exported step budget, at most 3 minutes) on one core.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "seeds" / "gold" / "dev.jsonl"] + [
    ROOT / "tests" / "fixtures" / "external" / f"seq_{k}_fr.jsonl" for k in ("emea", "europarl", "frwiki")
]
COLUMNS = ("rules", "model", "combined")


def build_data(out: Path) -> int:
    n = 0
    with out.open("w", encoding="utf-8") as f:
        for src in SOURCES:
            for line in src.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                rec = json.loads(line)
                if rec.get("lang", "fr") != "fr":
                    continue
                rec["answer"] = "accept"
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    return n


def annotate(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "annotate", *args], capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"annotate {args[0]} failed (exit {done.returncode})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--keep", type=Path, help="a folder for the data, store and models (default: a temporary one)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="train-heldout-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "fr_org.jsonl"
        n = build_data(data)
        db = work / "m.db"
        if db.exists():
            db.unlink()
        annotate("db-in", "fr_org", str(data), "--db", str(db))
        print(f"{n} records ({', '.join(p.name for p in SOURCES)}); ORG on the held-out split, exact match")
        print(f"{'seed':>4} {'held-out':>8} {'ORG n':>5}  " + "  ".join(f"{c + ' P/R/F1':>20}" for c in COLUMNS)
              + "  mode     minutes")
        sums = dict.fromkeys(COLUMNS, 0.0)
        for seed in args.seeds:
            out = work / "models" / f"fr_org_s{seed}"
            if out.exists():
                shutil.rmtree(out)
            t = time.monotonic()
            annotate("train", "fr_org", "-o", str(out), "--db", str(db), "--label", "ORG", "--align", "expand",
                     "--from-model-ner", "--seed", str(seed))
            minutes = (time.monotonic() - t) / 60
            block = json.loads((out / "meta.json").read_text(encoding="utf-8"))["annotate"]
            row = []
            for c in COLUMNS:
                s = block["heldout"][c]["labels"]["ORG"]
                sums[c] += s["f"]
                row.append(f"{s['p']:.3f} {s['r']:.3f} {s['f']:.3f}".rjust(20))
            n_org = block["heldout"]["rules"]["labels"]["ORG"]["n"]
            print(f"{seed:>4} {block['n_heldout']:>8} {n_org:>5}  " + "  ".join(row) + f"  {block['mode']:<8} {minutes:.1f}")
        k = len(args.seeds)
        print(f"mean F1 over {k} seed(s): " + ", ".join(f"{c} {sums[c] / k:.3f}" for c in COLUMNS))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
