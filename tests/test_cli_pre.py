"""`annotate pre` and `annotate evaluate` as a user runs them: golden output,
stdin/stdout, splitting, bad input (one line, exit 1, no output file)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli.app import app
from annotate.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "pre"
GOLDEN = FIXTURES / "golden.jsonl"

runner = CliRunner()


def run(args: list[str], stdin: str | bytes | None = None):
    return runner.invoke(app, args, input=stdin, catch_exceptions=False)


def test_cli_pre_golden(tmp_path):
    """Same input, same output, byte for byte. Regenerate deliberately with UPDATE_GOLDEN=1."""
    out = tmp_path / "out.jsonl"
    res = run(["pre", str(FIXTURES / "input.jsonl"), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.stderr
    produced = out.read_text(encoding="utf-8").replace(str(FIXTURES / "input.jsonl"), "input.jsonl")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(produced, encoding="utf-8")
    assert produced == GOLDEN.read_text(encoding="utf-8")


def test_cli_pre_keeps_input_fields_and_task_shape(tmp_path):
    out = tmp_path / "out.jsonl"
    assert run(["pre", str(FIXTURES / "input.jsonl"), "-o", str(out), "-q"]).exit_code == 0
    tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    inputs = [json.loads(line) for line in (FIXTURES / "input.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(tasks) == len(inputs)
    for task, rec in zip(tasks, inputs):
        assert task["id"] == rec["id"]
        assert task["meta"]["lang"] in ("fr", "en")
        assert {"model", "model_version", "annotate_version"} <= set(task["meta"])
        assert all(0.0 <= v <= 1.0 for v in task["cats"].values()) and len(task["cats"]) == 10
        assert isinstance(task["_input_hash"], int) and isinstance(task["_task_hash"], int)
        for s in task["spans"]:
            assert {"start", "end", "token_start", "token_end", "label", "source"} <= set(s)
    # the record's own meta is kept
    assert tasks[0]["meta"]["feed"] == "demo"


def test_cli_pre_stdin_to_stdout_only_data():
    res = run(["pre", "-", "-o", "-"], stdin='{"text": "Nvidia a gagné 6,4 % mardi."}\n{"text": "Amazon shares rose 5% on Monday."}\n')
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(x) for x in lines)
    assert [(s["text"], s["label"]) for s in first["spans"]] == [("Nvidia", "ORG"), ("6,4 %", "PERCENT"), ("mardi", "DATE")]
    assert first["meta"]["lang"] == "fr" and second["meta"]["lang"] == "en"
    assert "tasks" in res.stderr  # the summary goes to stderr, never stdout


def test_cli_pre_txt_folder_and_paragraph_split(tmp_path):
    (tmp_path / "a.txt").write_text("Premier paragraphe sur EDF en 2024.\n\nSecond paragraphe sur Engie.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(["pre", str(tmp_path), "-o", str(out), "--split", "paragraphs", "-q"]).exit_code == 0
    tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [t["text"] for t in tasks] == ["Premier paragraphe sur EDF en 2024.", "Second paragraphe sur Engie."]
    assert [t["meta"]["offset"] for t in tasks] == [0, 37]
    assert tasks[1]["meta"]["part"] == 1


def test_cli_pre_sentence_split(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "EDF a gagné 2 %. Engie a perdu 3 %."}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(["pre", str(src), "-o", str(out), "--split", "sentences", "-q"]).exit_code == 0
    tasks = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [t["text"] for t in tasks] == ["EDF a gagné 2 %.", "Engie a perdu 3 %."]
    assert [t["meta"]["offset"] for t in tasks] == [0, 17]


def test_cli_pre_empty_text_passes_through(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": ""}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(["pre", str(src), "-o", str(out), "-q"]).exit_code == 0
    task = json.loads(out.read_text(encoding="utf-8"))
    assert task["text"] == "" and task["spans"] == []


BAD_INPUTS = [
    ("invalid-json", b'{"text": "ok"}\n{"text": oops}\n', "in.jsonl:2", "invalid JSON"),
    ("no-text", b'{"text": "ok"}\n{"body": "x"}\n', "in.jsonl:2", 'no "text"'),
    ("text-not-string", b'{"text": 42}\n', "in.jsonl:1", "not a string"),
    ("not-an-object", b'["text"]\n', "in.jsonl:1", "JSON object"),
    ("invalid-utf8", b'{"text": "ok"}\n{"text": "caf\xe9"}\n', "in.jsonl:2", "UTF-8"),
    ("nul-byte", b'{"text": "a\\u0000b"}\n', "in.jsonl:1", "NUL"),
]


@pytest.mark.parametrize(("content", "where", "what"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_cli_pre_bad_input(tmp_path, capsys, content, where, what):
    src = tmp_path / "in.jsonl"
    src.write_bytes(content)
    out = tmp_path / "out.jsonl"
    code = main(["pre", str(src), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    assert where in err and what in err and "Fix:" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]  # no temporary file left behind


def test_cli_pre_bad_input_leaves_existing_output_untouched(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "EDF"}\n{"text": 1}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    assert main(["pre", str(src), "-o", str(out), "-q"]) == 1
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_cli_pre_missing_path(tmp_path, capsys):
    assert main(["pre", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "nope.jsonl" in err and "no such file" in err and len(err.strip().splitlines()) == 1


def test_cli_pre_broken_labels(tmp_path, capsys, root):
    import shutil

    labels = tmp_path / "labels"
    shutil.copytree(root / "labels", labels)
    text = (labels / "labels.toml").read_text(encoding="utf-8").replace('color = "#7aecec"', 'colour = "#7aecec"')
    (labels / "labels.toml").write_text(text, encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "EDF"}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["pre", str(src), "-o", str(out), "--labels", str(labels)]) == 1
    err = capsys.readouterr().err
    assert "labels.toml" in err and "colour" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_pre_misspelt_label_in_gazetteer(tmp_path, capsys, root):
    import shutil

    labels = tmp_path / "labels"
    shutil.copytree(root / "labels", labels)
    orgs = labels / "orgs.jsonl"
    lines = orgs.read_text(encoding="utf-8").splitlines()
    orgs.write_text("\n".join([*lines, '{"label": "ORGG", "pattern": "Acme"}']) + "\n", encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "EDF"}\n', encoding="utf-8")
    assert main(["pre", str(src), "-o", str(tmp_path / "o.jsonl"), "--labels", str(labels)]) == 1
    err = capsys.readouterr().err
    assert f"orgs.jsonl:{len(lines) + 1}" in err and "did you mean 'ORG'" in err


def test_cli_evaluate_json(dev_gold_path):
    res = run(["evaluate", str(dev_gold_path), "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["n_docs"] == 30
    assert set(data["entities"]) == {"ORG", "MONEY", "DATE", "PERCENT"}
    assert data["entities_micro"]["f1"] >= 0.92


def test_cli_every_command_has_help_with_example():
    import typer

    cmd = typer.main.get_command(app)
    names = []
    for name, sub in cmd.commands.items():
        subs = sub.commands.items() if hasattr(sub, "commands") else [(name, sub)]
        for sub_name, leaf in subs:
            names.append(sub_name)
            assert leaf.help and "Example" in leaf.help, f"{sub_name} has no Example in its help"
    assert {"pre", "evaluate"} <= set(names)


def test_cli_usage_error_exit_2(capsys):
    assert main(["pre"]) == 2
    assert main(["no-such-command"]) == 2
    assert main(["pre", "x.txt", "--split", "words"]) == 2


def test_cli_pre_ctrl_c_with_workers(tmp_path):
    """Ctrl-C during `pre --n-process 2`: exit 130, one line, no output, no worker left, no worker noise."""
    import signal
    import subprocess
    import sys
    import time

    from bench import corpus, write_jsonl

    src = write_jsonl(corpus(1500, seed=5), tmp_path / "big.jsonl")  # well over the size that starts workers
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotate.cli.main", "pre", str(src), "-o", str(out), "-n", "2", "-q", "--lang", "fr"],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    workers: list[str] = []
    deadline = time.time() + 120
    while time.time() < deadline and len(workers) < 2 and proc.poll() is None:
        time.sleep(0.2)
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert len(workers) == 2, "the worker pool did not start"
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends: the whole foreground group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == "annotate: interrupted\n"
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["big.jsonl"]
    time.sleep(0.5)
    alive = [w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]]
    assert alive == []


@pytest.mark.usefixtures("fr_nlp")
def test_pre_n_process_same_tasks_in_order(monkeypatch):
    from annotate.pipeline import pre
    from bench import corpus
    from annotate.io import Record

    monkeypatch.setattr(pre, "MIN_CHARS_PER_PROCESS", 2_000)  # let a small input start the pool
    recs = [Record({"text": t, "n": i}, "in.jsonl", i + 1) for i, t in enumerate(corpus(150, seed=9))]
    warned: list[str] = []
    one = list(pre.pre_annotate(recs, lang="fr", batch_size=16))
    two = list(pre.pre_annotate(recs, lang="fr", n_process=2, batch_size=16, on_warning=warned.append))
    assert warned == []  # the pool really ran
    assert [t["n"] for t in two] == list(range(150))
    assert two == one


@pytest.mark.usefixtures("fr_nlp")
def test_pre_n_process_mixed_languages_same_tasks_in_order(monkeypatch):
    """fr and en records interleaved: the same tasks, in order, as one process."""
    from annotate.pipeline import pre
    from bench import base_texts, corpus
    from annotate.io import Record

    monkeypatch.setattr(pre, "MIN_CHARS_PER_PROCESS", 2_000)
    fr, en = corpus(40, seed=3), base_texts("en")[:20]
    texts = [t for pair in zip(fr[::2], fr[1::2], en) for t in pair]  # fr fr en fr fr en ...
    recs = [Record({"text": t, "n": i}, "in.jsonl", i + 1) for i, t in enumerate(texts)]
    one = list(pre.pre_annotate(recs, batch_size=4))
    two = list(pre.pre_annotate(recs, n_process=2, batch_size=4, on_warning=pytest.fail))
    assert {t["meta"]["lang"] for t in one} == {"fr", "en"}
    assert [t["n"] for t in two] == list(range(len(texts)))
    assert two == one


def test_pre_workers_one_window_across_languages():
    """A change of language neither cuts a batch nor drains the window: the next language's batch is
    sent while batches of the previous one are still pending; results come back in input order."""
    from annotate.io import Record
    from annotate.pipeline import pre

    log: list[tuple[str, str, int]] = []

    class Result:
        def __init__(self, runs: list[tuple[str, list[Record]]]) -> None:
            self.runs = runs

        def get(self) -> list[str]:
            log.extend(("get", lg, batch[0].data["n"]) for lg, batch in self.runs)
            return [f"{lg}{r.data['n']}" for lg, batch in self.runs for r in batch]

    class FakePool:
        def apply_async(self, fn, args):  # noqa: ANN001, ANN201
            runs, _encode = args[0]
            for lg, batch in runs:
                log.append(("send", lg, batch[0].data["n"]))
            return Result(runs)

    langs = ["fr"] * 5 + ["en"] * 3 + ["fr"] * 4
    stream = [(lg, Record({"text": "x", "n": i}, "in.jsonl", i + 1)) for i, lg in enumerate(langs)]
    workers = pre._Workers(2, {"fr": None, "en": None}, None, None, 2)
    workers._pool = FakePool()  # prepare() keeps an existing pool
    out = [task for _rec, task in workers.annotate_tagged(iter(stream))]
    assert out == [f"{lg}{i}" for i, lg in enumerate(langs)]
    sends = [(lg, n) for kind, lg, n in log if kind == "send"]
    # batches of 2 records, cut into runs of one language: [fr0 fr1] [fr2 fr3] [fr4 | en5] [en6 en7] ...
    assert sends == [("fr", 0), ("fr", 2), ("fr", 4), ("en", 5), ("en", 6), ("fr", 8), ("fr", 10)]
    first_en_only = log.index(("send", "en", 6))
    assert ("get", "fr", 4) in log[first_en_only:]  # sent while the batch with the last fr was pending


@pytest.mark.parametrize(("value", "code"), [("0", 2), ("-2", 2), ("-1", 0)])
def test_cli_pre_n_process_values(tmp_path, capsys, value, code):
    out = tmp_path / "out.jsonl"
    assert main(["pre", str(FIXTURES / "input.jsonl"), "-o", str(out), "-q", "-n", value]) == code
    err = capsys.readouterr().err
    if code:
        assert "E203" in err and len(err.strip().splitlines()) == 1 and not out.exists()
    else:
        assert out.exists()
        assert ("ignored" in err) == ((os.cpu_count() or 1) > 1)  # -1 is one per core; this input is too small for more
