"""nlp/rules/enumerations.py: names listed together are of one kind (issue 10, class 1)."""

from __future__ import annotations

import pytest
import spacy
from helpers_rules import as_triples, assert_names, pass_labels

from nlp.resources import DATA_DIR, load_org_phrases
from nlp.rules import enumerations as enumerations_pass
from nlp.rules.base import ENUM_ID
from nlp.rules.enumerations import enumerations

PHRASES = load_org_phrases(DATA_DIR / "org_phrases.toml")


@pytest.mark.parametrize(
    "text, given, expected",
    [
        (
            "Trois jeunes pousses ont rejoint la pépinière : Morvelo et Quintane (logiciels), "
            "Sabrak (tests) et Pellune.fr (vente en ligne).",
            [("Morvelo", "LOC"), ("Quintane", "PER")],
            [
                ("Morvelo", "ORG", "Morvelo"),
                ("Quintane", "ORG", "Quintane"),
                ("Sabrak", "ORG", "Sabrak"),
                ("Pellune.fr", "ORG", "Pellune"),
            ],
        ),
        (
            "Les PME du secteur, comme Dravel, Ostrane ou Kelbo, recrutent.",
            [("Dravel", "PER"), ("Ostrane", "LOC"), ("Kelbo", "LOC")],
            [("Dravel", "ORG", "Dravel"), ("Ostrane", "ORG", "Ostrane"), ("Kelbo", "ORG", "Kelbo")],
        ),
    ],
)
def test_names_listed_after_a_plural_business_noun_are_organisations(text, given, expected):
    nlp = spacy.blank("fr")
    doc = nlp(text)
    out = enumerations(doc, as_triples(doc, given), PHRASES.enumeration_nouns)
    assert [(span.text, label, name) for span, label, name in out] == expected


def test_a_list_with_a_known_organisation_is_a_list_of_organisations():
    doc = spacy.blank("fr")("Le salon réunit Bpifrance, Talvane et Mirecourt Industrie.")
    spans = as_triples(doc, [("Bpifrance", "ORG"), ("Talvane", "PER")])
    spans[0] = (
        doc.char_span(*_at(doc, "Bpifrance"), span_id="watch:Bpifrance"),
        "ORG",
        "Bpifrance",
    )
    out = enumerations(doc, spans, PHRASES.enumeration_nouns)
    assert [(s.text, label) for s, label, _ in out] == [
        ("Bpifrance", "ORG"),
        ("Talvane", "ORG"),
        ("Mirecourt Industrie", "ORG"),
    ]
    assert out[1][0].id_ == ENUM_ID


def _at(doc, surface):
    start = doc.text.index(surface)
    return start, start + len(surface)


def test_a_person_in_apposition_to_an_organisation_stays_a_person():
    doc = spacy.blank("fr")("Le président de Bpifrance, Odile Marchetti, et Talvane signent.")
    spans = as_triples(doc, [("Odile Marchetti", "PER"), ("Talvane", "LOC")])
    bpi = doc.char_span(*_at(doc, "Bpifrance"), span_id="watch:Bpifrance")
    out = enumerations(doc, [(bpi, "ORG", "Bpifrance"), *spans], PHRASES.enumeration_nouns)
    assert [(s.text, label) for s, label, _ in out] == [
        ("Bpifrance", "ORG"),
        ("Odile Marchetti", "PER"),
        ("Talvane", "LOC"),
    ]


@pytest.mark.parametrize(
    "text, given, expected",
    [
        # Members the model missed entirely, after "dont".
        (
            "Cinq jeunes entreprises ont été retenues, dont Quelvo et Brisane, pour un an.",
            [],
            [("Quelvo", "ORG", "Quelvo"), ("Brisane", "ORG", "Brisane")],
        ),
        # "Parmi elles" refers back to the sentence about entreprises; one member is enough.
        (
            "Les entreprises du drone affluent à Kourou. Parmi elles, Varlo, qui conçoit des "
            "drones.",
            [("Kourou", "LOC"), ("Varlo", "PER")],
            [("Kourou", "LOC", "Kourou"), ("Varlo", "ORG", "Varlo")],
        ),
        # "ou encore" continues the list.
        (
            "Des start-up comme Talmo ou encore Virel.io recrutent.",
            [("Talmo", "LOC")],
            [("Talmo", "ORG", "Talmo"), ("Virel.io", "ORG", "Virel")],
        ),
        # A person named in full among the partners stays a person.
        (
            "Les partenaires, dont Odile Marchetti, signent.",
            [("Odile Marchetti", "PER")],
            [("Odile Marchetti", "PER", "Odile Marchetti")],
        ),
        # No business noun before the lead word: nothing announced.
        (
            "Il a visité trois villes, dont Auxonne.",
            [("Auxonne", "LOC")],
            [("Auxonne", "LOC", "Auxonne")],
        ),
    ],
)
def test_names_announced_by_a_business_noun_are_organisations_found_or_not(text, given, expected):
    doc = spacy.blank("fr")(text)
    out = enumerations(doc, as_triples(doc, given), PHRASES.enumeration_nouns)
    assert [(span.text, label, name) for span, label, name in out] == expected


def test_a_list_of_places_without_business_evidence_stays_places():
    doc = spacy.blank("fr")("Il a vécu à Dole, Auxonne et Gray avant de rentrer.")
    spans = as_triples(doc, [("Dole", "LOC"), ("Auxonne", "LOC"), ("Gray", "LOC")])
    out = enumerations(doc, spans, PHRASES.enumeration_nouns)
    assert [(s.text, label) for s, label, _ in out] == [
        ("Dole", "LOC"),
        ("Auxonne", "LOC"),
        ("Gray", "LOC"),
    ]


# --- through the trained model: shapes of real articles (issue 10) ---


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # The preposition repeated in the list, the kind said after it.
        (
            "Les salariés de Brivex ont rencontré ceux de Solvane et de Tramis, deux PME voisines.",
            {("Solvane", "ORG"), ("Tramis", "ORG")},
            {("Solvane", "PER")},
        ),
        # A place after a comma and "à" is where the firm is, not a second firm.
        (
            "Le cabinet Ferrand & Associés, à Besançon, recrute.",
            {("Besançon", "LOC")},
            {("Besançon", "ORG")},
        ),
        # Places listed with no business noun stay places.
        (
            "Le festival passera par Dijon et par Besançon, puis Dole et Vesoul.",
            {("Dijon", "LOC"), ("Besançon", "LOC")},
            {("Dijon", "ORG"), ("Besançon", "ORG")},
        ),
    ],
)
def test_lists_take_the_kind_said_before_or_after_them(text, expected, absent):
    assert_names(text, expected, absent)


@pytest.mark.model
@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # A plural business noun naming its members right after it.
        (
            "Les éditeurs Mnémo et Kerys ainsi que l'intégrateur Altivo participent au projet.",
            {("Mnémo", "ORG"), ("Kerys", "ORG"), ("Altivo", "ORG")},
            {("Mnémo", "LOC"), ("Kerys", "LOC")},
        ),
        (
            "Les dirigeants de Vitagreen et de Bio Loop ont rencontré le préfet du Jura.",
            {("Vitagreen", "ORG"), ("Bio Loop", "ORG"), ("Jura", "LOC")},
            {("Vitagreen", "PER"), ("Bio Loop", "LOC")},
        ),
    ],
)
def test_a_plural_business_noun_names_its_members(text, expected, absent):
    assert_names(text, expected, absent)


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # All people but one: the odd one is a person too (a team sheet, scorers).
        (
            "Buteurs : Diallo (12e), Camara (56e) et Roux (80e).",
            [("Diallo", "PER"), ("Camara", "LOC"), ("Roux", "PER")],
            [("Diallo", "PER"), ("Camara", "PER"), ("Roux", "PER")],
        ),
        # All places but one.
        (
            "Les élus de Vannes, Lorient, Pontivy et Camaret se sont réunis.",
            [("Vannes", "LOC"), ("Lorient", "LOC"), ("Pontivy", "LOC"), ("Camaret", "PER")],
            [("Vannes", "LOC"), ("Lorient", "LOC"), ("Pontivy", "LOC"), ("Camaret", "LOC")],
        ),
        # Two names are no majority.
        (
            "Buteurs : Diallo et Camara.",
            [("Diallo", "PER"), ("Camara", "LOC")],
            [("Diallo", "PER"), ("Camara", "LOC")],
        ),
        # The list ends after "et": the name after the comma is the sentence's subject.
        (
            "Fondée par Maëlys Quéré et Tanguy Le Goff, Talvenn conçoit des sondes.",
            [("Maëlys Quéré", "PER"), ("Tanguy Le Goff", "PER"), ("Talvenn", "LOC")],
            [("Maëlys Quéré", "PER"), ("Tanguy Le Goff", "PER"), ("Talvenn", "LOC")],
        ),
    ],
)
def test_a_list_of_people_or_places_but_one_is_of_one_kind(text, spans, expected):
    assert pass_labels(enumerations_pass.apply, text, spans) == expected
