"""Words in capitals (nlp/rules/capitals.py): datelines and acronyms, through the
trained model, with sentences of our own."""

from __future__ import annotations

import pytest
from helpers_rules import assert_names, model_names


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        (
            "Le programme est financé par la région.\n\nGRANVILLE. Écume équipe les "
            "pêcheurs de tablettes.",
            {("GRANVILLE", "LOC")},
            set(),
        ),
        (
            "Fin du premier appel. LORMONT. Reste une place dans la promotion.",
            {("LORMONT", "LOC")},
            {("LORMONT", "ORG")},
        ),
        # A kicker or a common noun in capitals is no dateline.
        (
            "EN BREF. La start-up Vendelis ouvre un bureau.\n\nÉCONOMIE. Le marché recule.",
            {("Vendelis", "ORG")},
            {("BREF", "LOC"), ("EN BREF", "LOC"), ("ÉCONOMIE", "LOC")},
        ),
    ],
)
def test_a_dateline_in_capitals_is_a_place(text, expected, absent):
    assert_names(text, expected, absent)


@pytest.mark.model
def test_an_acronym_no_place_list_knows_is_a_body_not_a_place():
    names = model_names(
        "Formée à l'ENSAVIR-TECMA, elle a rejoint l'INRAL, puis a travaillé aux USA.",
    )
    assert {("ENSAVIR-TECMA", "ORG"), ("INRAL", "ORG")} <= names
    assert not {("ENSAVIR-TECMA", "LOC"), ("INRAL", "LOC"), ("USA", "ORG")} & names
