"""nlp/rules/lone_names.py: a lone unknown name acting like a company in business news is one.

spacy.blank has no tagger and no vectors: the verb is tagged by hand, and every word is
out of the (empty) vocabulary, as invented company names are for the trained model.
"""

from __future__ import annotations

import pytest
from helpers_rules import context, with_ents

from nlp.rules import lone_names


def run(text, spans, verbs=()):
    doc = with_ents(text, spans)
    for token in doc:
        if token.text in verbs:
            token.pos_ = "VERB"
    out = lone_names.apply(context(doc), [(e, e.label_, e.text) for e in doc.ents])
    return [(span.text, label) for span, label, _ in out]


def test_the_subject_of_a_verb_in_business_news_is_a_company():
    assert run("Talvenn lève 4 millions d'euros.", [("Talvenn", "PER")], {"lève"}) == [
        ("Talvenn", "ORG")
    ]


@pytest.mark.parametrize(
    "text, spans, verbs",
    [
        # Not business news.
        ("Talvenn chante ce soir.", [("Talvenn", "PER")], {"chante"}),
        # A title makes a person; a preposition a place.
        ("M. Talvenn lève 4 millions d'euros.", [("Talvenn", "PER")], {"lève"}),
        ("À Talvenn, la levée de fonds avance.", [("Talvenn", "LOC")], {"avance"}),
        # A place the gazetteer knows.
        ("Dijon recrute 40 salariés.", [("Dijon", "LOC")], {"recrute"}),
        # Not the subject of a verb.
        ("La levée de Talvenn est finie.", [("Talvenn", "PER")], set()),
    ],
)
def test_titles_places_and_other_articles_keep_their_label(text, spans, verbs):
    assert run(text, spans, verbs) == spans
