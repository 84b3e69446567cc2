"""The veille_ruler component (nlp/model.py: watchlist.toml, multi-word places of
places.csv, org_phrases.toml `bodies`, patterns.jsonl), fixed before the NER; on
spacy.blank("fr")."""

from __future__ import annotations

import pytest
from helpers_rules import blank_pipeline, ents

from nlp.normalize import normalize


@pytest.fixture(scope="module")
def blank():
    return blank_pipeline()


def test_watchlist_aliases_are_matched_in_any_case(blank):
    doc = blank(
        normalize("La FRENCH TECH et BPI France soutiennent l’association Silicon Comté.").text
    )
    # The article is grammar, not name; nothing else is an entity.
    assert ents(doc) == [("FRENCH TECH", "ORG"), ("BPI France", "ORG"), ("Silicon Comté", "ORG")]


def test_watchlist_single_word_needs_a_capital(blank):
    assert ents(blank("La bpifrance.")) == []
    assert ents(blank("Avec Bpifrance.")) == [("Bpifrance", "ORG")]


def test_multiword_places_are_fixed_before_the_model(blank):
    found = ents(blank("Elle vit en Bourgogne-Franche-Comté, près de Clermont-Ferrand."))
    assert found == [("Bourgogne-Franche-Comté", "LOC"), ("Clermont-Ferrand", "LOC")]


def test_one_word_places_do_not_fire_without_the_model(blank):
    # "Laval" may be a surname: only the model's proper-noun tag lets it in (after NER).
    assert ents(blank("Pierre Laval est venu.")) == []


def test_french_tech_city_pattern(blank):
    found = ents(blank("La French Tech Besançon accueille la Communauté French Tech Dijon."))
    assert found == [("French Tech Besançon", "ORG"), ("Communauté French Tech Dijon", "ORG")]


def test_public_bodies_are_data_fixed_before_the_ner(blank):
    doc = blank(normalize("Elle s'est inscrite à France Travail puis chez Pôle emploi.").text)
    assert ents(doc) == [("France Travail", "ORG"), ("Pôle emploi", "ORG")]
