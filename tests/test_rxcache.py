"""The compiled-pattern cache (annotate.pipeline.rxcache): a slow pattern is recorded, replayed in a
later block with the same behaviour, and a damaged, foreign or switched-off cache changes nothing."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from annotate.pipeline import rxcache

LETTERS = "".join(chr(c) for c in range(0xC0, 0x250) if chr(c).isalpha())
HEADS = [f"{a}{b}" for a in ("anti", "contre", "extra", "hyper", "micro", "multi", "post", "semi", "super", "ultra")
         for b in ("", "a", "bo", "ci", "du", "fé", "gi", "hu", "jo", "ké")]
# like spaCy's French exceptions: case-insensitive classes of many letters, slow for re's compiler (~50 ms)
SLOW = "(?iu)(?:" + "|".join(f"^{h}[-‐][a-z{LETTERS}]+(?P<g{i}>s)?$" for i, h in enumerate(HEADS)) + ")"


def _samples(n: int = 400) -> list[str]:
    rng = random.Random(7)
    pool = "abcxyzÉéÀàßÿĀāŁłǅ-‐ "
    out = []
    for _ in range(n):
        head = rng.choice(HEADS)
        head = head.upper() if rng.random() < 0.3 else head
        out.append(head + rng.choice("-‐_ ") + "".join(rng.choice(pool) for _ in range(rng.randint(0, 6))))
    return out


def _compile_fresh(pattern: str) -> re.Pattern[str]:
    re.purge()  # re's in-memory cache would answer before the compiler is asked
    return re.compile(pattern)


def test_a_slow_pattern_is_recorded_then_replayed_and_matches_the_same(tmp_path: Path) -> None:
    original = re._compiler.compile  # type: ignore[attr-defined]
    with rxcache.compiled_patterns(tmp_path) as first:
        assert first["active"]
        assert re._compiler.compile is not original  # type: ignore[attr-defined]
        compiled = _compile_fresh(SLOW)
    assert re._compiler.compile is original  # type: ignore[attr-defined]  # restored
    assert first["new"] == 1 and first["replayed"] == 0
    (path,) = tmp_path.glob("regex-*.bin")
    assert path == rxcache.cache_file(tmp_path)
    [record] = rxcache.load(path)
    assert record[0] == SLOW

    written = path.stat().st_mtime_ns
    with rxcache.compiled_patterns(tmp_path) as second:
        replayed = _compile_fresh(SLOW)
    assert second["replayed"] == 1 and second["new"] == 0
    assert replayed is not compiled
    assert (replayed.pattern, replayed.flags, replayed.groups, replayed.groupindex) == (
        compiled.pattern, compiled.flags, compiled.groups, compiled.groupindex)
    hits = 0
    for s in _samples():
        a, b = compiled.match(s), replayed.match(s)
        assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), s
        hits += a is not None
    assert 50 < hits < 350  # the samples test both outcomes
    assert path.stat().st_mtime_ns == written  # nothing new: the file is not rewritten
    assert rxcache.load(path) == [record]


def test_fast_patterns_bytes_and_other_flags_are_not_recorded(tmp_path: Path) -> None:
    with rxcache.compiled_patterns(tmp_path) as stats:
        _compile_fresh(r"\d+ (?:euros?|dollars?)")
        re.purge()
        re.compile(rb"\d+[a-z]+")  # bytes patterns are never recorded
    assert stats["new"] == 0 and not list(tmp_path.glob("regex-*.bin"))


def test_a_damaged_file_is_ignored_and_rewritten(tmp_path: Path) -> None:
    with rxcache.compiled_patterns(tmp_path):
        _compile_fresh(SLOW)
    path = rxcache.cache_file(tmp_path)
    assert path is not None
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01  # one bit of the program: the digest no longer matches
    path.write_bytes(bytes(blob))
    assert rxcache.load(path) == []
    with rxcache.compiled_patterns(tmp_path) as stats:
        again = _compile_fresh(SLOW)
    assert stats["replayed"] == 0 and stats["new"] == 1
    assert again.match("ANTIBO-éléphant") is not None
    assert [r[0] for r in rxcache.load(path)] == [SLOW]
    path.write_bytes(b"not a cache file")
    assert rxcache.load(path) == []
    assert rxcache.load(tmp_path / "missing.bin") == []


def test_a_file_of_another_python_build_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with rxcache.compiled_patterns(tmp_path):
        _compile_fresh(SLOW)
    path = rxcache.cache_file(tmp_path)
    assert path is not None and rxcache.load(path)
    monkeypatch.setattr(rxcache, "interpreter_key", lambda: "another-build")
    assert rxcache.load(path) == []  # same name forced, other key inside: refused


def test_records_are_kept_across_runs_up_to_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rxcache, "KEEP", 2)
    patterns = [SLOW.replace("anti", f"anti{i}") for i in range(3)]
    for p in patterns:
        with rxcache.compiled_patterns(tmp_path):
            _compile_fresh(p)
    kept = [r[0] for r in rxcache.load(rxcache.cache_file(tmp_path))]
    assert kept == [patterns[2], patterns[1]]  # this run's first, then the newest of the others


def test_off_nested_and_an_error_inside_leave_re_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = re._compiler.compile  # type: ignore[attr-defined]
    monkeypatch.setenv("ANNOTATE_CACHE", "off")
    with rxcache.compiled_patterns() as stats:
        assert not stats["active"] and re._compiler.compile is original  # type: ignore[attr-defined]
    monkeypatch.setenv("ANNOTATE_CACHE", str(tmp_path))
    monkeypatch.setenv("ANNOTATE_REGEX_CACHE", "off")  # this cache alone
    with rxcache.compiled_patterns() as stats:
        assert not stats["active"] and re._compiler.compile is original  # type: ignore[attr-defined]
    monkeypatch.delenv("ANNOTATE_REGEX_CACHE")
    with pytest.raises(KeyError):
        with rxcache.compiled_patterns() as outer:
            with rxcache.compiled_patterns() as inner:
                assert inner["active"] and outer["active"]
                _compile_fresh(SLOW)
            assert re._compiler.compile is not original  # type: ignore[attr-defined]  # the outer block still runs
            raise KeyError("boom")
    assert re._compiler.compile is original and re._compiler._sre is sys.modules["_sre"]  # type: ignore[attr-defined]
    assert outer["new"] == 1  # stored by the outermost block, error or not
    assert [r[0] for r in rxcache.load(rxcache.cache_file(tmp_path))] == [SLOW]


_PROBE = """
import json, sys
import spacy
from annotate.pipeline import rxcache
from annotate.pipeline.build import build_pipeline
with rxcache.compiled_patterns() as stats:
    nlp = build_pipeline("fr")
from spacy.lang.fr.tokenizer_exceptions import TOKEN_MATCH
words = sys.argv[1].split()
doc = nlp.make_doc(sys.argv[1])
print(json.dumps({"stats": stats, "tokens": [t.text for t in doc],
                  "token_match": [bool(TOKEN_MATCH(w)) for w in words],
                  "tokenizer_match": [bool(nlp.tokenizer.token_match(w)) for w in words]}))
"""

TEXT = ("Le faux-vampire et un anti-héros des États-Unis ont dit : peut-être que le prud'homme ou un ex-ministre "
        "est un méga-fan du hip-hop et du black-out ; ANTI-HÉROS et Contre-Exemple , post-vérité , c'est-à-dire .")


def test_the_french_pipeline_replays_spacy_s_exceptions_in_a_fresh_process_with_the_same_tokens(tmp_path: Path) -> None:
    def run(cache: str) -> dict:
        env = dict(os.environ, ANNOTATE_CACHE=cache)
        out = subprocess.run([sys.executable, "-c", _PROBE, TEXT], env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    first = run(str(tmp_path))
    assert first["stats"]["new"] >= 1  # spaCy's French exceptions, and the grammar's long patterns
    second = run(str(tmp_path))
    # the 1.45-million-character TOKEN_MATCH replayed (a pattern near the time limit may be recorded
    # only now: the records grow until every slow one is in)
    assert second["stats"]["replayed_chars"] > 1_000_000
    records = rxcache.load(rxcache.cache_file(tmp_path))
    assert any(len(r[0]) > 1_000_000 for r in records)  # the 1.45-million-character TOKEN_MATCH
    plain = run("off")  # no cache at all: every pattern compiled by re
    assert plain["stats"]["active"] is False
    assert second["tokens"] == plain["tokens"] == first["tokens"]
    assert second["token_match"] == plain["token_match"] and second["tokenizer_match"] == plain["tokenizer_match"]
    assert sum(plain["token_match"]) >= 8  # the exceptions really are tested (faux-vampire, anti-héros, ...)
    assert not all(plain["token_match"])  # and so are words they leave alone


def test_an_unwritable_folder_only_means_no_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder would be")
    with rxcache.compiled_patterns(blocker / "cache") as stats:
        compiled = _compile_fresh(SLOW)
    assert stats["new"] == 1 and compiled.match("ultraké-été")  # recorded, then not stored: no error
    assert not (blocker / "cache").exists() and blocker.read_text().startswith("a file")
    assert rxcache.store(blocker / "cache" / "x.bin", []) is False


def test_a_debug_compile_is_left_to_re(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with rxcache.compiled_patterns(tmp_path):
        _compile_fresh(SLOW)
    with rxcache.compiled_patterns(tmp_path) as stats:
        re.purge()
        re.compile(SLOW, re.DEBUG)  # prints its program: never replayed silently, never recorded
    assert stats["replayed"] == 0 and stats["new"] == 0
    assert "LITERAL" in capsys.readouterr().out


_GRAMMAR_DIGEST = """
import hashlib
from annotate.labels import load_labels
from annotate.pipeline.quantities import QuantityGrammar
labels = load_labels()
h = hashlib.sha256()
for lang in ("fr", "en"):
    g = QuantityGrammar(getattr(labels.lexicon, lang), lang)
    for rx in [p[2] for p in g.patterns] + [p[1] for p in g.dates.patterns]:
        h.update(rx.pattern.encode() + b"\\0")
print(h.hexdigest())
"""


def test_the_grammar_s_patterns_are_the_same_string_in_every_process() -> None:
    # the cache finds a pattern by its string: one built from a set in hash order would be a new
    # pattern (and a rewrite of the file) in every process
    digests = {subprocess.run([sys.executable, "-c", _GRAMMAR_DIGEST], env=dict(os.environ, PYTHONHASHSEED=seed),
                              capture_output=True, text=True, check=True).stdout for seed in ("1", "2", "3")}
    assert len(digests) == 1
