"""The spaCy components in spaCy's own shape: data through ``initialize()``,
each component saving only its own part, no path in a saved config, declared
``assigns`` / ``requires`` / ``retokenizes``, and a saved pipeline that keeps
the data it was built from whatever labels folder is around when it loads.

English (a blank pipeline, built in well under a second) where the behaviour
does not depend on the French model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from annotate.labels import LABEL_FILES
from annotate.pipeline.build import OUR_COMPONENTS, build_pipeline

ROOT = Path(__file__).resolve().parent.parent

# what each component writes into its folder of a saved pipeline, and nothing else
PARTS = {
    "annotate_quantities": {"lexicon.json"},
    "annotate_org_gazetteer": {"patterns.jsonl"},
    "annotate_entities": {"labels.json", "lexicon.json"},
    "annotate_themes": {"taxonomy.json"},
}
# an invented company, a theme cue and a currency word that the repository's labels do not have
PROBE = "Zorblax Widgets paid 40 glimmers to gleep the quarzle."
EXTRA_ORG = '{"label": "ORG", "pattern": "Zorblax Widgets", "id": "zorblax"}'


def _probe_labels(root: Path, dest: Path) -> Path:
    """A copy of labels/ that knows the probe's company, currency and theme cue."""
    shutil.copytree(root / "labels", dest)
    orgs = dest / "orgs.jsonl"
    orgs.write_text(orgs.read_text(encoding="utf-8").rstrip("\n") + "\n" + EXTRA_ORG + "\n", encoding="utf-8")
    lex = dest / "lexicon.toml"
    text = lex.read_text(encoding="utf-8")
    head = "[en.currencies]\n"
    assert head in text
    lex.write_text(text.replace(head, head + 'glimmers = "GLM"\n', 1), encoding="utf-8")
    themes = dest / "themes.toml"
    text = themes.read_text(encoding="utf-8")
    cue = "en = ["
    j = text.index(cue, text.index("[theme.strong]")) + len(cue)  # the first theme's strong English cues
    themes.write_text(text[:j] + '"quarzle", ' + text[j:], encoding="utf-8")
    return dest


def _observe(doc) -> dict:
    return {
        "ents": [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents],
        "cats": {k: v for k, v in doc.cats.items() if v > 0},
    }


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory) -> Path:
    return _probe_labels(ROOT, tmp_path_factory.mktemp("probe") / "labels")


@pytest.fixture(scope="module")
def probe_nlp(probe_dir):
    return build_pipeline("en", labels_path=probe_dir)


def test_components_probe_labels_change_the_output(probe_nlp, en_nlp):
    """The probe folder makes a difference, so the tests below can tell which data was used."""
    probe, plain = _observe(probe_nlp(PROBE)), _observe(en_nlp(PROBE))
    assert ("Zorblax Widgets", "ORG") in [(PROBE[a:b], lab) for a, b, lab, _ in probe["ents"]]
    assert any(lab == "MONEY" and json.loads(kb)["currency"] == "GLM" for _, _, lab, kb in probe["ents"])
    assert probe["cats"] != plain["cats"]
    assert probe != plain


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_components_saved_parts_and_config(lang, en_nlp, fr_nlp, tmp_path):
    nlp = {"en": en_nlp, "fr": fr_nlp}[lang]
    nlp.to_disk(tmp_path / "p")
    cfg = (tmp_path / "p" / "config.cfg").read_text(encoding="utf-8")
    assert "labels_path" not in cfg and str(ROOT) not in cfg and os.sep + "labels" + os.sep not in cfg.replace("corpus/labels/", "")
    for name in OUR_COMPONENTS:
        section = cfg[cfg.index(f"[components.{name}]") :].split("\n\n")[0]
        # no label data in the config: only the factory and, for a trained NER in the base NER's place,
        # the model policy's label lists (empty here)
        policy = {"annotate_quantities": ["defer = []"], "annotate_org_gazetteer": ["defer = []"],
                  "annotate_entities": ["ner_no_adds = []", "ner_wins = []"]}.get(name, [])
        lines = section.splitlines()
        assert lines[0] == f"[components.{name}]" and sorted(lines[1:]) == sorted([f'factory = "{name}"', *policy]), section
        files = {p.name for p in (tmp_path / "p" / name).iterdir()}
        assert files == PARTS[name], name
    # the gazetteer keeps the entries of its language only, not the other language's
    lines = (tmp_path / "p" / "annotate_org_gazetteer" / "patterns.jsonl").read_text(encoding="utf-8").splitlines()
    other = "fr" if lang == "en" else "en"
    assert lines and not any(json.loads(x)["lang"] == other for x in lines)


def test_components_load_uses_saved_data_not_labels_folder(probe_nlp, probe_dir, tmp_path):
    """Saved from the probe labels, loaded where only the repository's labels (or none) are found."""
    out = tmp_path / "p"
    probe_nlp.to_disk(out)
    expected = _observe(probe_nlp(PROBE))
    script = (
        "import json, sys, spacy\n"
        "doc = spacy.load(sys.argv[1])(sys.argv[2])\n"
        "print(json.dumps({'ents': [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents],"
        " 'cats': {k: v for k, v in doc.cats.items() if v > 0}}))\n"
    )
    for labels in (ROOT / "labels", tmp_path / "missing"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "ANNOTATE_LABELS": str(labels)}
        res = subprocess.run(
            [sys.executable, "-c", script, str(out), PROBE], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr
        got = json.loads(res.stdout)
        assert got == json.loads(json.dumps(expected)), labels


def test_components_bytes_round_trip(probe_nlp):
    # the same pipeline from its config (the shipped English ner's architecture included), then its bytes
    clone = spacy.util.load_model_from_config(probe_nlp.config, auto_fill=True, validate=True)
    clone.from_bytes(probe_nlp.to_bytes())
    assert _observe(clone(PROBE)) == _observe(probe_nlp(PROBE))


def _gazetteer(doc):
    """The gazetteer's matches (in English they wait in the candidates group for the resolver, not in doc.ents)."""
    from annotate.tasks import SPANS_KEY

    return [s.text for s in doc.spans.get(SPANS_KEY, []) if s.id_ == "gazetteer"]


def test_components_initialize_reads_config_block(probe_dir):
    """``nlp.initialize()`` takes the folder from ``[initialize.components.<name>.labels]``."""
    nlp = spacy.blank("en")
    nlp.add_pipe("annotate_org_gazetteer")
    nlp.config["initialize"]["components"]["annotate_org_gazetteer"] = {
        "labels": {"@misc": "annotate.labels.v1", "path": str(probe_dir)}
    }
    nlp.initialize()
    assert _gazetteer(nlp(PROBE)) == ["Zorblax Widgets"]


def test_components_initialize_default_is_default_labels():
    nlp = spacy.blank("en")
    nlp.add_pipe("annotate_org_gazetteer")
    nlp.initialize()
    assert _gazetteer(nlp("Shares of Nvidia and Zorblax Widgets rose.")) == ["Nvidia"]


@pytest.mark.parametrize("name", OUR_COMPONENTS)
def test_components_uninitialized_call_says_what_to_do(name):
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe(name)
    with pytest.raises(AttributeError, match=r"call nlp.initialize\(\)"):
        pipe(nlp.make_doc("Shares of Nvidia rose 3 %."))


def test_components_load_of_incomplete_folder_is_refused(en_nlp, tmp_path):
    en_nlp.to_disk(tmp_path / "p")
    (tmp_path / "p" / "annotate_themes" / "taxonomy.json").unlink()
    with pytest.raises(ValueError, match="taxonomy.json"):
        spacy.load(tmp_path / "p")


@pytest.mark.parametrize(
    ("name", "retokenizes", "assigns"),
    [
        ("annotate_quantities", True, {"doc.ents", "doc.spans", "token.ent_kb_id"}),
        ("annotate_org_gazetteer", False, {"doc.ents", "doc.spans"}),
        ("annotate_entities", False, {"doc.ents", "doc.spans", "token.ent_kb_id"}),
        ("annotate_themes", False, {"doc.cats", "doc.spans"}),
    ],
    ids=["quantities", "gazetteer", "entities", "themes"],
)
def test_components_factory_meta(name, retokenizes, assigns):
    meta = Language.get_factory_meta(name)
    assert meta.retokenizes is retokenizes
    assert assigns <= set(meta.assigns)
    # no label data in the default config; the model policy's label lists (see build._ner_policy), empty
    assert meta.default_config == {"annotate_quantities": {"defer": []}, "annotate_org_gazetteer": {"defer": []},
                                   "annotate_entities": {"ner_wins": [], "ner_no_adds": []}}.get(name, {})


def test_components_pipeline_requirements_are_met(en_nlp, fr_nlp):
    for nlp in (en_nlp, fr_nlp):
        problems = nlp.analyze_pipes(pretty=False)["problems"]
        assert all(not problems[n] for n in OUR_COMPONENTS), problems


def test_components_label_files_are_the_folder(root):
    """Every file the loader knows is in labels/ (and nothing there is left unread but docs and the policy of
    trained models, which `pre --model` reads: annotate.pipeline.trained)."""
    from annotate.pipeline.trained import POLICY_FILE

    present = {p.name for p in (root / "labels").iterdir()}
    assert set(LABEL_FILES) <= present
    assert present - set(LABEL_FILES) <= {"README.md", "GUIDELINES.md", POLICY_FILE}
