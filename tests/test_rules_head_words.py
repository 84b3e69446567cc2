"""nlp/rules/head_words.py: a generic head alone is the longer name it abbreviates."""

from __future__ import annotations

from helpers_rules import context, triples, with_ents

from nlp.rules import head_words
from nlp.rules.head_words import REGION


def named(doc):
    return [(e, e.label_, e.text) for e in doc.ents]


def test_a_head_alone_takes_the_longer_name_before_it():
    text = "La Métropole du Grand Orval vote. La Métropole investit."
    doc = with_ents(text, [("Métropole du Grand Orval", "ORG")])
    at = text.rindex("Métropole")
    spans = [*named(doc), (doc.char_span(at, at + 9), "LOC", "Métropole")]
    out = head_words.apply(context(doc), spans)
    assert [(s.text, label, name) for s, label, name in out][1] == (
        "Métropole",
        "ORG",
        "Métropole du Grand Orval",
    )


def test_a_head_alone_with_no_longer_name_goes_except_region():
    text = "La Métropole vote. La Région aussi."
    doc = with_ents(text, [("Métropole", "ORG"), ("Région", "ORG")])
    out = head_words.apply(context(doc), named(doc))
    assert triples(out) == [("Région", "ORG", REGION)]
