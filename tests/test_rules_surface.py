"""nlp/rules/surface.py: each entity of the doc, named from its text as written."""

from __future__ import annotations

import pytest
from helpers_rules import context, rule_data, with_ents

from nlp.rules import surface
from nlp.rules.surface import surface_name


def named(text: str, label: str) -> str:
    data = rule_data()
    return surface_name(text, label, data.legal_forms, data.demonyms)


@pytest.mark.parametrize(
    "surface, name",
    [
        ("vallée du Grésival", "Grésival"),
        ("mer Ormée", "Ormée"),
        ("département de la Vendelle", "Vendelle"),
        # The elided article goes with the common noun.
        ("vallée de l'Arvelle", "Arvelle"),
        ("plateau d’Orsenne", "Orsenne"),
        # A street is named with its common noun; a capitalised article stays.
        ("rue de la République", "rue de la République"),
        ("La Rochelle", "La Rochelle"),
    ],
)
def test_a_place_is_named_without_its_common_noun(surface, name):
    assert named(surface, "LOC") == name


@pytest.mark.parametrize(
    "text, label, name",
    [
        ("M. Gaspard Lenoir", "PER", "Gaspard Lenoir"),
        ("Docteur Lenoir", "PER", "Lenoir"),
        ("Numelec SAS", "ORG", "Numelec"),
        ("Pellune.fr", "ORG", "Pellune"),
        ("« Kalistène »", "ORG", "Kalistène"),
        # An adjective alone names nothing: the ocean keeps its noun.
        ("océan Indien", "LOC", "océan Indien"),
    ],
)
def test_titles_legal_forms_and_domains_are_not_the_name(text, label, name):
    assert named(text, label) == name


def test_the_pass_names_the_entities_of_our_labels_only():
    doc = with_ents(
        "Numelec SAS ouvre un site le 3 mars.", [("Numelec SAS", "ORG"), ("3 mars", "MISC")]
    )
    out = surface.apply(context(doc), [])
    assert [(s.text, label, name) for s, label, name in out] == [("Numelec SAS", "ORG", "Numelec")]


def test_a_title_is_left_out_of_a_persons_span():
    doc = with_ents(
        "« Nous avons signé », a dit M. Valorin. Monsieur Delestrac n'a rien dit.",
        [("M. Valorin", "PER"), ("Monsieur Delestrac", "PER")],
    )
    out = surface.apply(context(doc), [])
    assert [(s.text, label, name) for s, label, name in out] == [
        ("Valorin", "PER", "Valorin"),
        ("Delestrac", "PER", "Delestrac"),
    ]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        # Nothing after the title, or no name: the span is left as the model made it.
        ("Le Docteur reçoit.", "Docteur"),
        ("Monsieur l'abbé a béni la cloche.", "Monsieur l'abbé"),
    ],
)
def test_a_title_without_a_name_after_it_stays(text, span):
    doc = with_ents(text, [(span, "PER")])
    out = surface.apply(context(doc), [])
    assert [(s.text, label) for s, label, _ in out] == [(span, "PER")]
