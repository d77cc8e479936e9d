"""`annotate pre --engine dask`: chunks on disk, byte-identical output, resume, a lost worker (real French model)."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path

import pytest

from annotate.cli.main import main
from annotate.io import read_records
from annotate.pipeline import distributed as dd

TEXTS = [
    "La Banque centrale européenne a relevé ses taux de 0,25 % le 12 mars 2024.",
    "Airbus a annoncé un bénéfice net de 3,2 milliards d’euros pour 2023.",
    "Le chiffre d’affaires de Danone recule de 4 % au troisième trimestre.",
    "TotalEnergies investira 1,5 milliard de dollars dans l’éolien en mer d’ici 2030.",
    "Selon l’Insee, le chômage est resté stable à 7,3 % fin septembre.",
    "La Commission européenne a infligé une amende de 500 millions d’euros à Meta.",
    "Nvidia vaut désormais plus de 3 000 milliards de dollars en Bourse.",
    "Le Parlement a adopté le budget le 21 décembre 2023, après trois semaines de débats.",
]


@pytest.fixture()
def inputs(tmp_path: Path) -> list[str]:
    """Two JSONL files (one with a byte-order mark, a blank line and extra fields) and one .txt file."""
    a = tmp_path / "a.jsonl"
    lines = [json.dumps({"text": t, "id": f"a{i}"}, ensure_ascii=False) for i, t in enumerate(TEXTS * 3)]
    lines.insert(5, "")
    a.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8") + b"\n")
    b = tmp_path / "b.txt"
    b.write_text("Renault a vendu 2,2 millions de voitures en 2023.\n\nSa marge atteint 7,9 %.\n", encoding="utf-8")
    c = tmp_path / "c.jsonl"
    c.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in reversed(TEXTS)) + "\n", encoding="utf-8")
    return [str(a), str(b), str(c)]


@pytest.mark.parametrize(("sizes", "want"), [
    ([1_000], dd.MIN_AUTO_CHUNK_BYTES),  # a small input: chunks of the floor
    ([3_000_000, 2_409_199], -(-5_409_199 // dd.AUTO_CHUNKS)),  # two files: their total in AUTO_CHUNKS chunks
    ([1_000_000_000], dd.CHUNK_BYTES),  # an archive: chunks of the cap
], ids=["small", "mid", "large"])
def test_distributed_default_chunk_size_follows_the_input_size(tmp_path, sizes, want):
    files = []
    for i, n in enumerate(sizes):
        f = tmp_path / f"in{i}.jsonl"
        with f.open("wb") as out:
            out.truncate(n)  # sparse: the size is all that is read
        files.append(str(f))
    assert dd.auto_chunk_bytes(files) == want


def test_distributed_default_chunks_balance_a_mid_sized_input(tmp_path):
    """5 MB of paragraphs: about AUTO_CHUNKS chunks by default, not one 4 MB chunk and a remainder."""
    line = json.dumps({"text": TEXTS[0]}, ensure_ascii=False) + "\n"
    f = tmp_path / "mid.jsonl"
    f.write_text(line * (5_000_000 // len(line.encode("utf-8"))), encoding="utf-8")
    chunks = dd.plan_chunks([str(f)], dd.auto_chunk_bytes([str(f)]))
    assert dd.AUTO_CHUNKS - 1 <= len(chunks) <= dd.AUTO_CHUNKS + 1
    assert len(dd.plan_chunks([str(f)], dd.CHUNK_BYTES)) == 2  # what a fixed 4 MB gave


def test_distributed_stdin_is_refused_before_sizing(tmp_path):
    from annotate.errors import AnnotateError

    with pytest.raises(AnnotateError, match="E050"):
        dd.auto_chunk_bytes(["-"])


@pytest.mark.parametrize("chunk_bytes", [1, 300, 1_000, 10**9], ids=["one-line-each", "small", "medium", "one-chunk"])
def test_distributed_plan_chunks_covers_every_line_once(inputs, chunk_bytes):
    chunks = dd.plan_chunks(inputs, chunk_bytes)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    got = [(r.source, r.line, r.data) for c in chunks for r in dd.read_chunk(c, None)]
    want = [(r.source, r.line, r.data) for r in read_records(inputs)]
    assert got == want
    # byte ranges of one file are contiguous, start at 0 and end at its size
    for src in inputs:
        pieces = [p for c in chunks for p in c.pieces if p.source == src]
        assert pieces[0].start == 0 and pieces[-1].end == os.path.getsize(src)
        assert all(x.end == y.start for x, y in zip(pieces, pieces[1:]))
    if chunk_bytes == 10**9:
        assert len(chunks) == 1
    if chunk_bytes == 1:
        assert len(chunks) == sum(1 for _ in read_records(inputs)) + 1  # the blank line is a chunk of its own


def test_distributed_plan_chunks_tail_is_cut_smaller(tmp_path):
    """With ``tail``, the last quarter of the input is in chunks a quarter of the size; the lines stay in order."""
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps({"text": f"Ligne {i:05d} du fichier."}) + "\n" for i in range(4000)), encoding="utf-8")
    size, chunk_bytes = f.stat().st_size, 8_000
    plain = dd.plan_chunks([str(f)], chunk_bytes)
    tailed = dd.plan_chunks([str(f)], chunk_bytes, tail=True)
    lengths = [sum(p.end - p.start for p in c.pieces) for c in tailed]
    starts = [c.pieces[0].start for c in tailed]
    small_from = size * (1 - dd.TAIL_SHARE)
    line = len(f.read_bytes().splitlines()[0]) + 1
    assert all(n <= chunk_bytes + line for s, n in zip(starts, lengths) if s < small_from)
    assert all(n <= chunk_bytes // dd.TAIL_DIVISOR + line for s, n in zip(starts, lengths) if s >= small_from)
    assert sum(s >= small_from for s in starts) >= 3 * dd.TAIL_DIVISOR  # the last quarter: about 4 x 3 small chunks
    assert len(tailed) > len(plain)
    got = [(r.line, r.data) for c in tailed for r in dd.read_chunk(c, None)]
    assert got == [(r.line, r.data) for r in read_records([str(f)])]


def test_distributed_read_chunk_paragraphs_keep_offsets(inputs):
    chunks = dd.plan_chunks(inputs, 200)
    got = [(r.source, r.line, r.extra_meta) for c in chunks for r in dd.read_chunk(c, "paragraphs")]
    want = [(r.source, r.line, r.extra_meta) for r in read_records(inputs, split="paragraphs")]
    assert got == want


def test_distributed_job_key_changes_with_input_and_options(inputs, tmp_path):
    opts = {"lang": None, "split": None}
    k1 = dd.job_key(inputs, opts, 100)
    assert dd.job_key(inputs, opts, 100) == k1
    assert dd.job_key(inputs, {**opts, "lang": "fr"}, 100) != k1
    assert dd.job_key(inputs, opts, 200) != k1
    assert dd.job_key(inputs, opts, 100, tail=True) != k1  # another plan of the same size
    with open(inputs[0], "a", encoding="utf-8") as f:
        f.write(json.dumps({"text": "Une ligne de plus."}) + "\n")
    assert dd.job_key(inputs, opts, 100) != k1


@pytest.mark.parametrize(
    "args,code",
    [
        (["-", "-o", "out.jsonl"], "E050"),
        (["IN", "-o", "-"], "E052"),
        (["IN", "-o", "out.jsonl", "--scheduler", "tcp://127.0.0.1:9"], "E053"),
    ],
    ids=["stdin", "stdout", "no-scheduler"],
)
def test_cli_pre_dask_usage_errors(inputs, tmp_path, capsys, monkeypatch, args, code):
    pytest.importorskip("dask.distributed")
    monkeypatch.chdir(tmp_path)
    args = [inputs[0] if a == "IN" else a for a in args]
    assert main(["pre", *args, "--engine", "dask", "-q"]) == 2
    err = capsys.readouterr().err
    assert f"[{code}]" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out.jsonl").exists()


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("dask.distributed")
    import logging

    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                 silence_logs=logging.ERROR)
    yield c
    c.close()


def _single(inputs, out: Path, **kw) -> bytes:
    assert main(["pre", *inputs, "-o", str(out), "-q", *kw.get("extra", [])]) == 0
    return out.read_bytes()


def test_pre_dask_output_is_byte_identical_to_one_process(inputs, tmp_path, cluster):
    want = _single(inputs, tmp_path / "one.jsonl", extra=["--split", "paragraphs"])
    res = dd.run_pre_dask(inputs, str(tmp_path / "out") + os.sep, scheduler=cluster.scheduler_address,
                          split="paragraphs", chunk_bytes=400)
    assert res.chunks > 3 and res.reused == 0
    out = tmp_path / "out" / "pre.jsonl"
    assert out.read_bytes() == want
    assert res.n_tasks == len(want.splitlines())
    assert not dd.work_dir_for(str(out)).exists()  # the work folder goes once the output is complete


def test_pre_dask_rerun_skips_complete_chunks(inputs, tmp_path, cluster):
    want = _single(inputs, tmp_path / "one.jsonl")
    out = str(tmp_path / "out.jsonl")
    first = dd.run_pre_dask(inputs, out, scheduler=cluster.scheduler_address, chunk_bytes=400, keep_chunks=True)
    work = dd.work_dir_for(out)
    # a crash before the merge: two chunks unfinished, no output
    os.remove(out)
    for name in ("chunk-000001", "chunk-000003"):
        (work / f"{name}.jsonl").unlink()
        (work / f"{name}.json").unlink()
    (work / dd.ATTEMPTS).unlink()
    again = dd.run_pre_dask(inputs, out, scheduler=cluster.scheduler_address, chunk_bytes=400, keep_chunks=True)
    assert again.reused == first.chunks - 2
    assert sorted((work / dd.ATTEMPTS).read_text().split()) == ["1", "3"]
    assert Path(out).read_bytes() == want
    # another job (a changed option) does not reuse the chunks
    third = dd.run_pre_dask(inputs, out, scheduler=cluster.scheduler_address, chunk_bytes=400, lang="fr", force=True)
    assert third.reused == 0


def test_pre_dask_survives_a_killed_worker(inputs, tmp_path, cluster):
    from dask.distributed import Client

    many = tmp_path / "many.jsonl"
    many.write_text("\n".join(json.dumps({"text": f"{t} ({i})"}, ensure_ascii=False) for i in range(12) for t in TEXTS) + "\n",
                    encoding="utf-8")
    want = _single([str(many)], tmp_path / "one.jsonl")
    out = str(tmp_path / "out.jsonl")
    work = dd.work_dir_for(out)
    with Client(cluster.scheduler_address) as client:
        pids = list(client.run(os.getpid).values())
    box: dict = {}

    def job() -> None:
        try:
            box["res"] = dd.run_pre_dask([str(many)], out, scheduler=cluster.scheduler_address, chunk_bytes=300)
        except BaseException as e:  # noqa: BLE001
            box["err"] = e

    t = threading.Thread(target=job)
    t.start()
    deadline = time.monotonic() + 120
    while t.is_alive() and not list(work.glob("chunk-*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(pids[0], 9)
    t.join(300)
    assert "err" not in box, box.get("err")
    res = box["res"]
    assert Path(out).read_bytes() == want
    assert res.redone <= 1  # at most the chunk the killed worker had in hand


@pytest.mark.parametrize("earlier", [None, "an earlier output\n"], ids=["new", "existing"])
def test_pre_dask_bad_line_is_one_error_with_file_and_line(inputs, tmp_path, cluster, earlier):
    """The chunks before the bad line are joined into the output as they complete; the error leaves no output,
    or the earlier one untouched."""
    from annotate.errors import AnnotateError

    bad = Path(inputs[2])
    lines = bad.read_text(encoding="utf-8").splitlines()
    lines[4] = '{"text": 12}'
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    if earlier is not None:
        out.write_text(earlier, encoding="utf-8")
    with pytest.raises(AnnotateError) as e:
        dd.run_pre_dask(inputs, str(out), scheduler=cluster.scheduler_address, chunk_bytes=400, force=True)
    assert e.value.code == "E013" and e.value.where == str(bad) and e.value.line == 5
    if earlier is None:
        assert not out.exists()
    else:
        assert out.read_text(encoding="utf-8") == earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.jsonl", "b.txt", "c.jsonl", ".out.jsonl.chunks",
                                                                  *(["out.jsonl"] if earlier else [])])


def test_pre_dask_local_cluster_turns_dask_diagnostics_down(inputs, tmp_path, monkeypatch):
    """The local cluster a job starts runs its workers without Dask's profiler (and with slower monitors) and
    without the nannies' MALLOC_TRIM_THRESHOLD_ (their thread limits kept); the settings do not leak out of the
    job, and the output is the one process's."""
    distributed = pytest.importorskip("dask.distributed")
    import dask

    seen: dict = {}
    real = distributed.LocalCluster

    def spy(*args, **kwargs):
        cluster = real(*args, **kwargs)
        with distributed.Client(cluster) as client:  # what each worker process was started with
            seen.update(client.run(lambda: (dask.config.get("distributed.worker.profile.enabled"),
                                            dask.config.get("distributed.admin.tick.interval"),
                                            os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                                            os.environ.get("OMP_NUM_THREADS"))))
        return cluster

    monkeypatch.setattr(distributed, "LocalCluster", spy)
    # a nanny started earlier in this process (the module's cluster) writes its settings into os.environ
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    want = _single(inputs, tmp_path / "one.jsonl")
    before = dask.config.get("distributed.worker.profile.enabled")
    res = dd.run_pre_dask(inputs, str(tmp_path / "out.jsonl"), n_workers=1, chunk_bytes=400)
    assert res.n_tasks == len(want.splitlines())
    assert (tmp_path / "out.jsonl").read_bytes() == want
    assert len(seen) == 1 and list(seen.values()) == [(False, "1s", None, "1")]
    assert dask.config.get("distributed.worker.profile.enabled") == before is True


def test_pre_dask_client_does_not_import_spacy(inputs, tmp_path):
    """The client plans, waits and joins; only the workers load spaCy (0.4 s less before the cluster starts)."""
    pytest.importorskip("dask.distributed")
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from annotate.pipeline.distributed import run_pre_dask\n"
        "if __name__ == '__main__':\n"
        "    res = run_pre_dask(sys.argv[2:], sys.argv[1], n_workers=1, ref_date='2024-05-01')\n"
        "    print(json.dumps([res.n_tasks, 'spacy' in sys.modules]))\n"
    )
    script = tmp_path / "client.py"
    script.write_text(code, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "out.jsonl"), *inputs], capture_output=True,
                         text=True, timeout=300, check=True)
    n_tasks, spacy_loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert n_tasks > 0 and spacy_loaded is False


def test_pre_dask_workers_annotate_in_a_single_threaded_child(inputs, tmp_path, monkeypatch):
    """Each worker of the local cluster starts a child process with one thread, which with --lang builds the job's
    pipeline before any chunk arrives; the chunks are annotated there, and the output is the one process's."""
    distributed = pytest.importorskip("dask.distributed")

    seen: dict = {}
    real = distributed.LocalCluster

    def probe():
        from annotate.pipeline import dask_worker

        return dask_worker.child().call(("info",))  # answered once the child's warm-up is over

    def spy(*args, **kwargs):
        cluster = real(*args, **kwargs)
        with distributed.Client(cluster) as client:  # before any chunk reaches the worker
            seen.update(client.run(probe))
        return cluster

    monkeypatch.setattr(distributed, "LocalCluster", spy)
    want = _single(inputs, tmp_path / "one.jsonl", extra=["--lang", "fr"])
    dd.run_pre_dask(inputs, str(tmp_path / "out.jsonl"), n_workers=1, lang="fr", chunk_bytes=400)
    assert (tmp_path / "out.jsonl").read_bytes() == want
    assert list(seen.values()) == [{"threads": 1, "pipelines": 1}]


@contextlib.contextmanager
def _job_cluster():
    """A one-worker local cluster with the settings run_pre_dask gives its own (the preload: a child per worker)."""
    distributed = pytest.importorskip("dask.distributed")
    import logging

    import dask

    with dask.config.set(dd.LOCAL_CLUSTER_CONFIG):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
    try:
        with distributed.Client(cluster) as client:
            yield cluster, client
    finally:
        cluster.close()


def test_pre_dask_worker_whose_child_dies_annotates_itself(inputs, tmp_path):
    """A child killed before the job: the worker annotates the chunks in its own process; the output is the same."""
    import signal

    want = _single(inputs, tmp_path / "one.jsonl")
    with _job_cluster() as (cluster, client):
        def child_pid():
            from annotate.pipeline import dask_worker

            return dask_worker.child().proc.pid

        (pid,) = client.run(child_pid).values()
        os.kill(pid, signal.SIGKILL)
        res = dd.run_pre_dask(inputs, str(tmp_path / "out.jsonl"), scheduler=cluster.scheduler_address,
                              chunk_bytes=400)

        def state():
            import sys

            from annotate.pipeline import dask_worker

            return dask_worker.child() is None, "spacy" in sys.modules

        assert list(client.run(state).values()) == [(True, True)]  # no child now; spaCy loaded here instead
    assert res.n_tasks == len(want.splitlines())
    assert (tmp_path / "out.jsonl").read_bytes() == want


@pytest.mark.parametrize("closed", [True, False], ids=["closed-by-dask", "other-exit"])
def test_dask_worker_exit_skips_teardown_only_once_closed(tmp_path, closed):
    """A worker Dask has closed exits at once (the exit handlers registered before the preload's are not run, the
    exit code is 0, printed text is flushed); any other exit keeps Python's own (its code and every handler)."""
    import subprocess
    import sys

    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('teardown ran', flush=True))\n"
        "from annotate.pipeline import dask_worker\n"
        "dask_worker.dask_setup(None)\n"
        f"if {closed}:\n"
        "    dask_worker.dask_teardown(None)\n"
        "print('last words', end='')\n"
        "sys.exit(3)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "ANNOTATE_DASK_WARM": ""})
    assert out.stdout.startswith("last words")
    assert ("teardown ran" in out.stdout) is (not closed)
    assert out.returncode == (0 if closed else 3)


def test_pre_dask_error_in_the_child_is_one_error_with_file_and_line(inputs, tmp_path):
    """A bad line met by a worker's child reaches the client as the same one-line error (code, file, line)."""
    pytest.importorskip("dask.distributed")
    from annotate.errors import AnnotateError

    bad = Path(inputs[0])
    lines = bad.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = '{"text": ["not", "a", "string"]}'
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with pytest.raises(AnnotateError) as e:
        dd.run_pre_dask(inputs, str(out), n_workers=1, chunk_bytes=400)
    assert e.value.code == "E013" and e.value.where == str(bad) and e.value.line == 3
    assert not out.exists()


def test_dask_worker_child_dies_with_its_worker(tmp_path):
    """A worker killed with SIGKILL leaves no child behind (an idle child sees its pipe close; a busy one is killed
    with the worker, PR_SET_PDEATHSIG)."""
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")

    def gone(pid: int) -> bool:  # exited (a zombie: its parent died, and nobody here reaps it)
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
        except OSError:
            return True

    with _job_cluster() as (_, client):
        def pids():
            from annotate.pipeline import dask_worker

            return os.getpid(), dask_worker.child().proc.pid

        ((worker, child),) = client.run(pids).values()
        assert not gone(child)
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not gone(child):
            time.sleep(0.05)
        assert gone(child)
