"""nlp/rules/surnames.py: a surname alone takes the full name the article gives."""

from __future__ import annotations

from helpers_rules import context, triples, with_ents

from nlp.rules import surnames


def test_a_lone_surname_takes_the_nearest_full_name():
    text = "Jean-Pierre Brenas préside. Brenas parle. Lucie Brenas répond. Brenas conclut."
    doc = with_ents(text, [("Jean-Pierre Brenas", "PER"), ("Lucie Brenas", "PER")])
    first = text.index("Brenas parle")
    last = text.rindex("Brenas")
    spans = [
        (doc.ents[0], "PER", "Jean-Pierre Brenas"),
        (doc.char_span(first, first + 6), "LOC", "Brenas"),
        (doc.ents[1], "PER", "Lucie Brenas"),
        (doc.char_span(last, last + 6), "ORG", "Brenas"),
    ]
    out = surnames.apply(context(doc), spans)
    assert [(label, name) for _, label, name in out] == [
        ("PER", "Jean-Pierre Brenas"),
        ("PER", "Jean-Pierre Brenas"),
        ("PER", "Lucie Brenas"),
        ("PER", "Lucie Brenas"),
    ]


def test_a_surname_before_the_full_name_and_staff_data_left_alone():
    text = "Vasseur parle. Claire Vasseur signe chez Vasseur."
    doc = with_ents(text, [("Claire Vasseur", "PER")])
    last = text.rindex("Vasseur")
    trusted = doc.char_span(last, last + 7, span_id="watch:Vasseur")
    spans = [
        (doc.char_span(0, 7), "PER", "Vasseur"),
        (doc.ents[0], "PER", "Claire Vasseur"),
        (trusted, "ORG", "Vasseur"),
    ]
    out = surnames.apply(context(doc), spans)
    assert triples(out) == [
        ("Vasseur", "PER", "Claire Vasseur"),
        ("Claire Vasseur", "PER", "Claire Vasseur"),
        ("Vasseur", "ORG", "Vasseur"),
    ]
