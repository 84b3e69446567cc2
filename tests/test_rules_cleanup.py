"""nlp/rules/cleanup.py (component veille_cleanup): span edges, line breaks, what is not a
name, a direction and a place; on spacy.blank("fr")."""

from __future__ import annotations

import pytest
from helpers_rules import assert_names, blank_pipeline, ents, model_names, run_components


@pytest.fixture(scope="module")
def blank():
    return blank_pipeline()


@pytest.mark.parametrize(
    "text, span, expected",
    [
        ("Avec l'Agence Lumen, rien.", "l'Agence Lumen,", [("Agence Lumen", "ORG")]),
        (
            "Il quitte Radio Comté\n\npour Dijon.",
            "Radio Comté\n\npour Dijon",
            [("Radio Comté", "ORG"), ("Dijon", "ORG")],
        ),
        ("Voir « Kalistène » ici.", "« Kalistène »", [("Kalistène", "ORG")]),
        ("C'est d'accord.", "d'", []),
        ("Qu'en pense-t-il ?", "Qu'", []),
        ("Le lot 2024 est vendu.", "2024", []),
        ("La marque x est vendue.", "x", []),
        ("Une entreprise innovante.", "entreprise innovante", []),
        ("Autour de l'Institut. Cet essor doit beaucoup.", "Cet essor", []),
        ("Avec La Poste.", "La Poste", [("La Poste", "ORG")]),
        # A spaced dash stands between two names; a dash inside a word is the name's.
        ("Perrin - Gadou, Maréchal.", "Perrin - Gadou", [("Perrin", "ORG"), ("Gadou", "ORG")]),
        ("Le Saint-Malo Agglo a voté.", "Saint-Malo Agglo", [("Saint-Malo Agglo", "ORG")]),
    ],
)
def test_cleanup_strips_edges_cuts_lines_and_drops_non_names(blank, text, span, expected):
    start = text.index(span)
    doc = run_components(blank, text, [(start, start + len(span), "ORG")])
    assert ents(doc) == expected


def test_direction_and_place_make_one_place(blank):
    text = "Une antenne dans le Nord Franche-Comté ouvrira."
    nord = text.index("Nord")
    fc = text.index("Franche")
    doc = run_components(
        blank, text, [(nord, nord + 4, "LOC"), (fc, fc + len("Franche-Comté"), "LOC")]
    )
    assert ents(doc) == [("Nord Franche-Comté", "LOC")]


# --- through the trained model: shapes of real articles (issue 10) ---


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # A section line: each item between separators is apart, a lone common noun is none.
        (
            "La start-up Brevalis a été fondée à Lorient | Économie | Bretagne",
            {("Lorient", "LOC"), ("Brevalis", "ORG")},
            {("Économie", "LOC"), ("Lorient | Économie | Bretagne", "LOC")},
        ),
        # A day after a name is the sentence's.
        (
            "La décision a été confirmée par l'agence Vestrel lundi.",
            {("Vestrel", "ORG")},
            {("Vestrel lundi", "ORG")},
        ),
        # A number after a spaced dash is a date's; a number in the name stays.
        (
            "Communiqué de presse de la société Verdalys - 12 juin 2025.",
            {("Verdalys", "ORG")},
            {("Verdalys - 12", "ORG")},
        ),
        (
            "La chaîne France 3 Bourgogne a couvert l'inauguration.",
            {("France 3 Bourgogne", "ORG")},
            set(),
        ),
    ],
)
def test_names_end_where_the_sentence_goes_on(text, expected, absent):
    assert_names(text, expected, absent)


@pytest.mark.model
def test_an_office_is_not_a_name_but_its_holder_and_place_are():
    names = model_names(
        "Le président de la République a salué le projet, comme le ministre de "
        "l'Économie. Le maire de Besançon, Anne Verdier, a inauguré le site avec le "
        "préfet du Doubs.",
    )
    assert {("Anne Verdier", "PER"), ("Besançon", "LOC"), ("Doubs", "LOC")} <= names
    assert not {name for name, _ in names} & {
        "président de la République",
        "ministre de l'Économie",
        "République",
    }


@pytest.mark.model
def test_an_unknown_name_the_tagger_took_for_a_number_stays_a_name():
    names = model_names(
        "Le data center Datacomté, exploité par l'opérateur Fibroc, ouvrira à Besançon. "
        "Trois cents domaines ont été vendus."
    )
    assert {("Datacomté", "ORG"), ("Fibroc", "ORG")} <= names
    assert not {name for name, _ in names} & {"Trois", "Trois cents"}
