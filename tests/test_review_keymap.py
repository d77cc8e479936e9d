"""The action table and --keymap files (annotate.review.keymap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.errors import EXIT_USAGE, AnnotateError
from annotate.review.keymap import ACTION_IDS, ACTIONS, key_display, keys_of, read_keymap


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
        ("next_span = \n", "E323", 1, "invalid TOML"),
        ('acept = "y"\n', "E324", 1, "did you mean 'accept'"),
        ("undo = 3\n", "E324", 1, "keys of undo must be a string"),
        ('undo = "  "\n', "E324", 1, "keys of undo must be a string"),
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
