"""The action table and --keymap files (annotate.review.keymap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.errors import EXIT_USAGE, AnnotateError
from annotate.review.keymap import (
    ACTION_IDS,
    ACTIONS,
    check_keys,
    key_display,
    keys_of,
    read_keymap,
)
from annotate.store import Store


def test_review_keymap_reads_a_remapping(tmp_path: Path):
    p = tmp_path / "keys.toml"
    p.write_text('next_span = "j,right"\naccept = "y"\n')
    assert read_keymap(p) == {"next_span": "j,right", "accept": "y"}
    keys = keys_of(read_keymap(p))
    assert keys["accept"] == "y" and keys["reject"] == "x" and set(keys) == set(ACTION_IDS)


def test_review_keymap_none_is_no_remapping():
    assert read_keymap(None) == {}
    assert keys_of() == {a.id: a.keys for a in ACTIONS}


@pytest.mark.parametrize(
    ("content", "code", "exit_code", "needle"),
    [
        (None, "E323", EXIT_USAGE, "keymap file not found"),
        ("next_span = \n", "E340", 1, "invalid TOML"),
        ('acept = "y"\n', "E324", 1, "did you mean 'accept'"),
        ("undo = 3\n", "E341", 1, "keys of undo must be a string"),
        ('undo = "  "\n', "E342", 1, "keys of undo must be a string"),
    ],
    ids=["missing-file", "not-toml", "misspelt-action", "keys-not-a-string", "blank-keys"],
)
def test_review_keymap_rejects_bad_files(tmp_path: Path, content: str | None, code: str, exit_code: int, needle: str):
    p = tmp_path / "keys.toml"
    if content is not None:
        p.write_text(content)
    with pytest.raises(AnnotateError) as info:
        read_keymap(p)
    assert info.value.code == code and info.value.exit_code == exit_code
    assert needle in str(info.value) and str(p) in str(info.value)


@pytest.mark.parametrize(
    ("keys", "shown"),
    [("left_square_bracket", "["), ("u,backspace", "u/⌫"), ("question_mark,f12", "?/f12"), ("j", "j")],
    ids=["bracket", "two-keys", "unnamed-key-kept", "letter"],
)
def test_review_keymap_key_display(keys: str, shown: str):
    assert key_display(keys) == shown


def test_review_keymap_ids_are_unique_and_every_action_has_help():
    assert len(set(ACTION_IDS)) == len(ACTIONS)
    assert all(a.keys and a.description for a in ACTIONS)


@pytest.mark.parametrize(
    ("content", "code", "needle"),
    [
        ('reject = "n"\n', "E328", "key 'n' is bound to add_span and to reject"),
        ('next_span = "j,right"\n', "E328", "key 'j' is bound to next_span and to scroll_down"),
        ('accept = "ctrl+foo"\n', "E327", "unknown key name 'ctrl+foo' for accept"),
        ('accept = "1"\n', "E328", "key '1' is bound to accept and to label ORG"),
        ('help = "f3"\n', "E328", "key 'f3' is bound to help and to theme FINANCE"),
    ],
    ids=["clash-with-add-span", "clash-with-scroll", "unknown-key-name", "clash-with-label-key", "clash-with-theme-key"],
)
def test_review_keymap_clashes_and_unknown_keys_stop_the_review(tmp_path: Path, content: str, code: str, needle: str, capsys):
    from annotate.cli.main import main

    km = tmp_path / "keys.toml"
    km.write_text(content)
    tasks = tmp_path / "t.jsonl"
    tasks.write_text('{"text": "Acme a payé."}\n')
    exit_code = main(["review", str(tasks), "-d", "news", "--db", str(tmp_path / "a.db"), "--keymap", str(km)])
    err = capsys.readouterr().err
    assert exit_code == 2 and f"[{code}]" in err and needle in err and str(km) in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a.db").exists() or Store(tmp_path / "a.db").count_tasks("news") == 0


def test_review_keymap_label_key_shadowing_an_action_is_refused(tmp_path: Path):
    import shutil

    from annotate.labels import default_labels_dir
    from annotate.review.session import ReviewLabels

    labels_dir = tmp_path / "labels"
    shutil.copytree(default_labels_dir(), labels_dir)
    toml = labels_dir / "labels.toml"
    toml.write_text(toml.read_text().replace('key = "1"', 'key = "a"', 1))
    with pytest.raises(AnnotateError) as info:
        check_keys({}, ReviewLabels.load(str(labels_dir)), labels_path=labels_dir)
    assert info.value.code == "E328" and info.value.exit_code == EXIT_USAGE
    assert "key 'a' is bound to accept and to label ORG" in str(info.value) and str(labels_dir) in str(info.value)


def test_review_keymap_empty_keys_say_what_to_write(tmp_path: Path):
    p = tmp_path / "keys.toml"
    p.write_text('quit = ""\n')
    with pytest.raises(AnnotateError) as info:
        read_keymap(p)
    assert 'it names no key' in str(info.value) and 'quit = "q"' in str(info.value)


def test_review_keymap_default_keys_have_no_clash():
    from annotate.review.session import ReviewLabels

    check_keys({}, ReviewLabels.load())
