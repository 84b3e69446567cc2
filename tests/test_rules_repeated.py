"""nlp/rules/repeated.py: every other occurrence of a found name is a mention too."""

from __future__ import annotations

from helpers_rules import context, triples, with_ents

from nlp.rules import repeated
from nlp.rules.base import NOT_NAMES


def test_other_occurrences_of_a_name_are_mentions():
    doc = with_ents(
        "Datavel a inauguré son site. Les clients de Datavel, dont Norvel, applaudissent.",
        [("Datavel", "ORG")],
    )
    out = repeated.apply(context(doc), [(e, e.label_, "Datavel") for e in doc.ents])
    assert triples(out) == [("Datavel", "ORG", "Datavel"), ("Datavel", "ORG", "Datavel")]


def test_a_name_inside_a_word_or_another_mention_is_not_repeated():
    doc = with_ents(
        "Orvel ouvre. Orvelines et Groupe Orvel Sud suivent.",
        [("Orvel", "ORG"), ("Groupe Orvel Sud", "ORG")],
    )
    out = repeated.apply(context(doc), [(e, e.label_, e.text) for e in doc.ents])
    assert triples(out) == [
        ("Orvel", "ORG", "Orvel"),
        ("Groupe Orvel Sud", "ORG", "Groupe Orvel Sud"),
    ]


def test_short_and_lowercase_names_and_set_aside_names_are_not_repeated():
    doc = with_ents("SA et Kelia. La tempête Kelia et SA.", [("SA", "ORG"), ("Kelia", "PER")])
    second = doc.text.rindex("Kelia")
    doc.spans[NOT_NAMES] = [doc.char_span(second, second + 5)]
    spans = [(e, e.label_, e.text) for e in doc.ents]
    assert triples(repeated.apply(context(doc), spans)) == triples(spans)
