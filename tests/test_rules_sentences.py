"""nlp/rules/sentences.py (component veille_sentences): sentence starts from punctuation
and line breaks."""

from __future__ import annotations

import pytest
import spacy

from nlp.rules.sentences import SentencesComponent


def sentences(text):
    nlp = spacy.blank("fr")
    doc = SentencesComponent(nlp)(nlp(text))
    return [s.text.strip() for s in doc.sents]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Orvel recrute. Elle ouvre un site !", ["Orvel recrute.", "Elle ouvre un site !"]),
        # A line break starts a sentence; an abbreviation does not end one.
        ("Accueil\nM. Lenoir parle.", ["Accueil", "M. Lenoir parle."]),
        # A full stop before a lowercase word does not end a sentence.
        ("Il cite la version 2. en bref.", ["Il cite la version 2. en bref."]),
        ("« C'est fait. » Il sourit.", ["« C'est fait. »", "Il sourit."]),
    ],
)
def test_sentence_starts(text, expected):
    assert sentences(text) == expected
