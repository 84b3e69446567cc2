"""nlp/rules/cleanup.py (component veille_cleanup): span edges, line breaks, what is not a
name, a direction and a place; on spacy.blank("fr")."""

from __future__ import annotations

import pytest
from helpers_rules import blank_pipeline, ents, run_components


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
