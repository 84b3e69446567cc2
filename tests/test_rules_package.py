"""nlp/rules/__init__.py: the order of components and passes is declared once, every rule
unit has a docstring and a test module, and the rules' version follows the modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import spacy
from helpers_rules import blank_pipeline

import nlp.rules
from nlp.model import add_veille_components
from nlp.resources import DATA_DIR
from nlp.rules import COMPONENTS, PASSES

RULES = Path(nlp.rules.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent
UNITS = sorted(p.stem for p in RULES.glob("*.py") if p.stem not in {"__init__", "base"})


def test_the_pipeline_follows_the_declared_order():
    # spacy.blank has no tagger, so no one-word places (they need proper-noun tags).
    declared = [name for name, _ in COMPONENTS if name != "veille_places"]
    assert blank_pipeline().pipe_names == declared


def test_components_declared_before_the_ner_go_before_it():
    nlp = spacy.blank("fr")
    nlp.add_pipe("ner")
    add_veille_components(nlp, DATA_DIR)
    names = nlp.pipe_names
    for name, before_ner in COMPONENTS:
        if name in names:
            assert (names.index(name) < names.index("ner")) == before_ner, name


def test_every_pass_is_a_unit_of_the_package():
    for name, apply in PASSES:
        assert apply.__module__ == f"nlp.rules.{name}"
        assert apply.__doc__


@pytest.mark.parametrize("unit", UNITS)
def test_every_unit_says_what_it_decides_and_has_its_tests(unit):
    doc = ast.get_docstring(ast.parse((RULES / f"{unit}.py").read_text(encoding="utf-8")))
    assert doc and "Decides:" in doc and "Data:" in doc
    assert f"tests/test_rules_{unit}.py" in doc
    assert (TESTS / f"test_rules_{unit}.py").exists()


def test_the_rules_version_follows_the_rule_modules(tmp_path, monkeypatch):
    import nlp.model

    before = nlp.model.rules_version()
    assert before == nlp.model.RULES_VERSION and len(before) == 8
    copy = tmp_path / "nlp"
    copy.mkdir()
    for name in nlp.model.RULE_MODULES:
        (copy / name).parent.mkdir(exist_ok=True)
        (copy / name).write_bytes((DATA_DIR.parent / name).read_bytes())
    monkeypatch.setattr(nlp.model, "__file__", str(copy / "model.py"))
    assert nlp.model.rules_version() == before
    with (copy / "components.py").open("a", encoding="utf-8") as handle:
        handle.write("\n# one more rule\n")
    assert nlp.model.rules_version() != before
