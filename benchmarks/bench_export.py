"""Benchmark: export N reviewed examples to DocBin; compare with building the same Docs with char_span alone.

Prints figures, asserts nothing::

    python benchmarks/bench_export.py                # 10,000 and 100,000 examples
    python benchmarks/bench_export.py --sizes 2000   # quicker

Each size runs in a fresh subprocess so that its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES = [
    ("Airbus a levé 3 milliards d'euros en 2024 auprès de BNP Paribas, selon Les Echos.",
     [("Airbus", "ORG"), ("3 milliards d'euros", "MONEY"), ("2024", "DATE"), ("BNP Paribas", "ORG"), ("Les Echos", "ORG")], ["FINANCE"]),
    ("Orange recule de 2 % en mars après la publication de ses résultats trimestriels.",
     [("Orange", "ORG"), ("2 %", "PERCENT"), ("mars", "DATE")], ["MARKETS"]),
    ("Mistral AI signe avec Microsoft un accord de 15 millions de dollars pour ses centres de données.",
     [("Mistral AI", "ORG"), ("Microsoft", "ORG"), ("15 millions de dollars", "MONEY")], ["AI", "DEALS", "INFRASTRUCTURE"]),
]
THEMES = ["AI", "DEALS", "FINANCE", "MARKETS", "INFRASTRUCTURE"]


def make_decisions(n: int):
    """n reviewed decisions as the store returns them (built once per sentence, varied by text)."""
    import spacy

    from annotate.tasks import set_hashes, tokens_of

    nlp = spacy.blank("fr")
    base = [tokens_of(nlp.make_doc(s[0])) for s in SENTENCES]
    for i in range(n):
        text, spans, accept = SENTENCES[i % len(SENTENCES)]
        # tokens of the sentence (tokenized once) + of "Dépêche numéro {i}." shifted by hand
        toks = [dict(t) for t in base[i % len(SENTENCES)]]
        toks[-1]["ws"] = True
        pos = len(text) + 1
        num = str(i)
        for w, ws in (("Dépêche", True), ("numéro", True), (num, False), (".", False)):
            toks.append({"text": w, "start": pos, "end": pos + len(w), "id": len(toks), "ws": ws})
            pos += len(w) + (1 if ws else 0)
        text = f"{text} Dépêche numéro {i}."
        t = {"text": text, "tokens": toks, "meta": {"lang": "fr"}, "accept": accept, "spans": []}
        for sub, label in spans:
            a = text.index(sub)
            t["spans"].append({"start": a, "end": a + len(sub), "label": label, "text": sub, "answer": "accept", "source": "rules"})
        set_hashes(t)
        t.update(answer="accept", _annotator_id="a", _session_id="s", _timestamp=0, _seconds=1.0, _decision_id=i + 1)
        yield t


def run_one(n: int, mode: str) -> dict:
    from annotate.export import export_spacy
    from annotate.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "b.db"
        t0 = time.perf_counter()
        with Store(db) as store:
            # bulk-load through the store's own table (add_decision commits one by one: too slow for 100k)
            import sqlite3

            store.add_tasks("bench", [])
            conn = sqlite3.connect(db)
            ds = conn.execute("SELECT id FROM dataset WHERE name = 'bench'").fetchone()[0]
            rows = []
            for d in make_decisions(n):
                content = {k: v for k, v in d.items() if k not in ("answer", "_annotator_id", "_session_id", "_timestamp", "_seconds", "_decision_id")}
                rows.append((ds, d["_task_hash"], d["_input_hash"], "accept", "a", "s", 0, 1.0,
                             json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))))
                if len(rows) >= 5000:
                    conn.executemany("INSERT INTO decision (dataset_id, task_hash, input_hash, answer, annotator, session, timestamp, seconds, content) VALUES (?,?,?,?,?,?,?,?,?)", rows)
                    rows.clear()
            conn.executemany("INSERT INTO decision (dataset_id, task_hash, input_hash, answer, annotator, session, timestamp, seconds, content) VALUES (?,?,?,?,?,?,?,?,?)", rows)
            conn.commit()
            conn.close()
            load_s = time.perf_counter() - t0
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0 = time.perf_counter()
            if mode == "export":
                report = export_spacy(lambda: store.iter_decisions("bench"), Path(tmp) / "out", themes=THEMES, base_model="none")
                count = report.examples
            else:  # baseline: the same Docs with doc.char_span alone, into one DocBin
                import spacy
                from spacy.tokens import Doc, DocBin

                vocab = spacy.blank("fr").vocab
                db_ = DocBin()
                count = 0
                for d in store.iter_decisions("bench"):
                    toks = d["tokens"]
                    doc = Doc(vocab, words=[t["text"] for t in toks], spaces=[t["ws"] for t in toks])
                    spans = [doc.char_span(s["start"], s["end"], label=s["label"]) for s in d["spans"]]
                    doc.spans["sc"] = spans
                    doc.set_ents(spacy.util.filter_spans(spans))
                    doc.cats = {t: float(t in d["accept"]) for t in THEMES}
                    db_.add(doc)
                    count += 1
                db_.to_disk(Path(tmp) / "base.spacy")
            secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"n": n, "mode": mode, "examples": count, "seconds": round(secs, 2), "per_s": round(count / secs),
            "peak_rss_mb": round(rss / 1024), "rss_before_mb": round(rss_before / 1024), "load_s": round(load_s, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--one", nargs=2, metavar=("N", "MODE"))
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), args.one[1])))
        return
    for n in args.sizes:
        for mode in ("export", "char_span"):
            out = subprocess.run([sys.executable, __file__, "--one", str(n), mode], capture_output=True, text=True)
            if out.returncode != 0:
                print(f"n={n} {mode}: failed\n{out.stderr[-2000:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"n={r['n']:>7} {r['mode']:<9} {r['examples']:>7} examples in {r['seconds']:>6.2f}s = {r['per_s']:>6}/s"
                f"  peak RSS {r['peak_rss_mb']} MB (after loading the db: {r['rss_before_mb']} MB)"
            )


if __name__ == "__main__":
    main()
