"""nlp/rules/credits.py: the names of a photo credit (issue 10, real pages' furniture)."""

from __future__ import annotations

import pytest
from helpers_rules import assert_names, pass_labels

from nlp.rules import credits


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # Before the slash an agency or a medium, after it the photographer.
        (
            "La digue a cédé.\nPhoto : Radio Armor / Jean Kervella",
            [("Radio Armor", "PER"), ("Jean Kervella", "PER")],
            [("Radio Armor", "ORG"), ("Jean Kervella", "PER")],
        ),
        # A name the model missed is added; a lone one-word name is an agency.
        ("Le site ouvre lundi.\nCrédits photos : Lumidia", [], [("Lumidia", "ORG")]),
        ("Le site ouvre lundi. (Photo Ouest Images)", [], [("Ouest Images", "ORG")]),
        # "DR" is no name; a person named in full alone stays a person.
        ("Le site ouvre lundi.\nPhoto DR", [], []),
        (
            "Le site ouvre lundi.\nPhoto : Jean Kervella",
            [("Jean Kervella", "PER")],
            [("Jean Kervella", "PER")],
        ),
        # Not a credit: "photo" in running text.
        (
            "La photo de groupe a été prise à Rennes par Lumidia.",
            [("Rennes", "LOC"), ("Lumidia", "PER")],
            [("Rennes", "LOC"), ("Lumidia", "PER")],
        ),
    ],
)
def test_a_credit_names_agencies_and_photographers(text, spans, expected):
    assert pass_labels(credits.apply, text, spans) == expected


@pytest.mark.model
def test_a_credit_line_through_the_model():
    assert_names(
        "Le chantier a repris mardi.\nPhoto : Radio Armor / Jean Kervella",
        {("Radio Armor", "ORG"), ("Jean Kervella", "PER")},
        {("Radio Armor", "PER")},
    )
