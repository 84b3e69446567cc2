"""nlp/rules/places.py (component veille_places): one-word places where the model found
nothing. spacy.blank has no tagger: the proper-noun tag is set by hand."""

from __future__ import annotations

import spacy
from helpers_rules import ents

from nlp.rules.places import PlacesComponent


def run(text, proper=(), preset=()):
    nlp = spacy.blank("fr")
    component = PlacesComponent(nlp, [("Dole", "Dole"), ("DOLE", "Dole")])
    doc = nlp(text)
    for token in doc:
        token.pos_ = "PROPN" if token.text in proper else "NOUN"
    spans = []
    for surface, label in preset:
        start = text.index(surface)
        spans.append(doc.char_span(start, start + len(surface), label=label))
    doc.ents = spans
    return component(doc)


def test_a_one_word_place_tagged_a_proper_noun_is_added():
    doc = run("Il habite à Dole depuis mars.", proper={"Dole"})
    assert ents(doc) == [("Dole", "LOC")]
    assert doc.ents[0].id_ == "place:Dole"


def test_no_place_without_the_proper_noun_tag_or_over_the_models_span():
    assert ents(run("Il habite à Dole depuis mars.")) == []
    found = run("Pierre Dole arrive.", proper={"Pierre", "Dole"}, preset=[("Pierre Dole", "PER")])
    assert ents(found) == [("Pierre Dole", "PER")]


def test_a_dateline_in_capitals_replaces_the_models_label():
    doc = run("DOLE. La ville recrute.", preset=[("DOLE", "ORG")])
    assert ents(doc) == [("DOLE", "LOC")]
