"""nlp/rules/public_bodies.py (within veille_org_phrases, then veille_cleanup): a body's
head and its name are one organisation; legal forms and tails close a name (issue 10,
classes 4 and 5); on spacy.blank("fr")."""

from __future__ import annotations

import pytest
from helpers_rules import blank_pipeline, ents, model_names, preset, run_components


@pytest.fixture(scope="module")
def blank():
    return blank_pipeline()


# --- issue 10, classes 4 and 5: public bodies, legal forms, span boundaries ---------


@pytest.mark.parametrize(
    "text, given, expected",
    [
        ("Les Hautes-Alpes et Martin Frères SA signent.", [], [("Martin Frères SA", "ORG")]),
        (
            "Cholet Agglomération soutient le projet.",
            [("Cholet", "LOC")],
            [("Cholet Agglomération", "ORG")],
        ),
        (
            "La Communauté de communes du Val de Sèvre vote.",
            [("Val de Sèvre", "LOC")],
            [("Communauté de communes du Val de Sèvre", "ORG")],
        ),
        (
            "Un accord avec la préfecture de la Vendée est signé.",
            [("Vendée", "LOC")],
            [("préfecture de la Vendée", "ORG")],
        ),
        (
            "Les élèves du lycée Jean-Macé exposent.",
            [("Jean-Macé", "PER")],
            [("lycée Jean-Macé", "ORG")],
        ),
        (
            "L'Eurométropole de Metz investit.",
            [("Metz", "LOC")],
            [("Eurométropole de Metz", "ORG")],
        ),
        # A head's words after the first in any case: one name, not a head plus a place.
        (
            "Le centre Hospitalier de la Côte Sauvage recrute.",
            [("Côte Sauvage", "LOC")],
            [("centre Hospitalier de la Côte Sauvage", "ORG")],
        ),
        (
            "Départ devant la Chambre de Commerce et d'Industrie de Vendelle.",
            [("Chambre de Commerce", "ORG"), ("Vendelle", "LOC")],
            [("Chambre de Commerce et d'Industrie de Vendelle", "ORG")],
        ),
        # English institution words close a name as "Métropole" does, or go on with it.
        (
            "Un accord avec Kestrel University et le Marlow District School Board.",
            [("Kestrel", "LOC"), ("Marlow District School Board", "LOC")],
            [("Kestrel University", "ORG"), ("Marlow District School Board", "ORG")],
        ),
        (
            "La Marlow School Transport Authority attend.",
            [("Marlow School", "ORG")],
            [("Marlow School Transport Authority", "ORG")],
        ),
    ],
)
def test_public_bodies_and_legal_names_are_one_organisation(blank, text, given, expected):
    assert ents(preset(blank, text, given)) == expected


def test_head_phrase_absorbs_the_place(blank):
    text = "L'Université de Franche-Comté recrute."
    start = text.index("Franche")
    doc = run_components(blank, text, [(start, start + len("Franche-Comté"), "LOC")])
    assert ents(doc) == [("Université de Franche-Comté", "ORG")]


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "L'Agence régionale pour le développement de l'Occitanie accompagne la start-up.",
            "Agence régionale pour le développement de l'Occitanie",
        ),
        (
            "La Fondation pour la recherche médicale soutient le projet.",
            "Fondation pour la recherche médicale",
        ),
        ("L'Agence de développement pour la Bretagne finance Kerzen.", None),
    ],
)
def test_a_body_named_by_its_purpose_is_one_name(text, name):
    names = {n for n, label in model_names(text) if label == "ORG"}
    assert (name or "Agence de développement pour la Bretagne") in names


@pytest.mark.model
def test_a_purpose_is_not_read_after_a_place_body_or_a_name():
    names = {
        n
        for n, _ in model_names(
            "La Région pour l'instant hésite. Le contrat signé avec le Grand Port Maritime de "
            "Brest pour l'accueil des câbles court."
        )
    }
    assert not any("pour" in n for n in names)


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "name"),
    [
        # Courts and prisons named by their seat are one body, lowercase head included.
        (
            "Il a été condamné par le tribunal correctionnel de Vannes à six mois.",
            "tribunal correctionnel de Vannes",
        ),
        ("Le parquet de Lorient a ouvert une enquête.", "parquet de Lorient"),
        ("Il est détenu au centre pénitentiaire de Ploemeur.", "centre pénitentiaire de Ploemeur"),
        # A university named in its own language, with its own connector.
        (
            "La start-up s'appuie sur les chercheurs de l'Università di Corsica, à Corte.",
            "Università di Corsica",
        ),
    ],
)
def test_courts_prisons_and_foreign_universities_are_one_body(text, name):
    assert (name, "ORG") in model_names(text)


@pytest.mark.model
def test_a_lowercase_head_alone_names_nothing():
    assert model_names("Elle a posé un parquet de chêne dans le salon.") == set()
