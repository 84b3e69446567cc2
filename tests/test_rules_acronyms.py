"""nlp/rules/acronyms.py: an acronym takes the expansion the article gives (issue 10, class 3)."""

from __future__ import annotations

from helpers_rules import context, triples, with_ents

from nlp.rules import acronyms

AGENCY = "Agence régionale de l'innovation"


def named(doc):
    return [(e, e.label_, e.text) for e in doc.ents]


def test_an_acronym_after_its_expansion_names_it_everywhere():
    text = f"L'{AGENCY} (ARI) finance Kalixo. Selon l'ARI, le projet avance."
    doc = with_ents(text, [(AGENCY, "ORG"), ("Kalixo", "ORG")])
    out = acronyms.apply(context(doc), named(doc))
    # The acronym in brackets is a mention of the agency too.
    assert triples(out) == [
        (AGENCY, "ORG", AGENCY),
        ("ARI", "ORG", AGENCY),
        ("Kalixo", "ORG", "Kalixo"),
        ("ARI", "ORG", AGENCY),
    ]


def test_an_acronym_with_a_place_takes_its_expansions_label():
    text = f"L'{AGENCY} Vendelle (ARI Vendelle) aide. L'ARI Vendelle recrute."
    doc = with_ents(text, [(f"{AGENCY} Vendelle", "ORG")])
    # The model saw a place in the second "ARI Vendelle".
    second = text.index("ARI Vendelle", text.index(")"))
    place = doc.char_span(second, second + len("ARI Vendelle"), label="LOC")
    spans = [*named(doc), (place, "LOC", "ARI Vendelle")]
    out = acronyms.apply(context(doc), spans)
    assert [(label, name) for span, label, name in out if "ARI" in span.text] == [
        ("ORG", f"{AGENCY} Vendelle"),
        ("ORG", f"{AGENCY} Vendelle"),
    ]


def test_an_acronym_before_its_expansion():
    text = "Le CRIT (Centre régional d'innovation textile) ouvre. Le CRIT recrute."
    doc = with_ents(text, [("CRIT", "ORG"), ("Centre régional d'innovation textile", "ORG")])
    out = acronyms.apply(context(doc), named(doc))
    assert [name for span, _, name in out if span.text == "CRIT"] == [
        "Centre régional d'innovation textile",
        "Centre régional d'innovation textile",
    ]


def test_a_person_gives_no_expansion():
    doc = with_ents("Amélie Renaud (AR) parle.", [("Amélie Renaud", "PER")])
    out = acronyms.apply(context(doc), named(doc))
    assert triples(out) == [("Amélie Renaud", "PER", "Amélie Renaud")]
