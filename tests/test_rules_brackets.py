"""nlp/rules/brackets.py: a name in brackets after an organisation is another name of it."""

from __future__ import annotations

import pytest
from helpers_rules import assert_names, context, triples, with_ents

from nlp.rules import brackets


def test_a_name_in_brackets_after_an_organisation_is_an_organisation():
    doc = with_ents("Le groupe Faurane (Orvia) recrute.", [("Faurane", "ORG"), ("Orvia", "LOC")])
    out = brackets.apply(context(doc), [(e, e.label_, e.text) for e in doc.ents])
    assert triples(out) == [("Faurane", "ORG", "Faurane"), ("Orvia", "ORG", "Orvia")]


def test_a_place_in_brackets_after_a_person_stays_a_place():
    doc = with_ents(
        "Odile Marchetti (Dijon) parle.", [("Odile Marchetti", "PER"), ("Dijon", "LOC")]
    )
    out = brackets.apply(context(doc), [(e, e.label_, e.text) for e in doc.ents])
    assert triples(out) == [
        ("Odile Marchetti", "PER", "Odile Marchetti"),
        ("Dijon", "LOC", "Dijon"),
    ]


def test_a_known_place_in_brackets_after_an_organisation_stays_a_place():
    doc = with_ents("Le cabinet Marval (Dijon) recrute.", [("Marval", "ORG"), ("Dijon", "LOC")])
    out = brackets.apply(context(doc), [(e, e.label_, e.text) for e in doc.ents])
    assert triples(out) == [("Marval", "ORG", "Marval"), ("Dijon", "LOC", "Dijon")]


@pytest.mark.model
def test_a_country_in_brackets_after_an_organisation_stays_a_place():
    # "Espagne" is no gazetteer place, but the model's vocabulary knows the word.
    assert_names(
        "Les chercheurs de l'université Ouverte de Catalogne (Espagne) ont publié l'étude.",
        {("Espagne", "LOC")},
        {("Espagne", "ORG")},
    )
