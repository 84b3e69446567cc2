"""nlp/rules/staff_names.py: the watchlist's and the gazetteer's names win."""

from __future__ import annotations

from helpers_rules import context, triples, with_ents

from nlp.rules import staff_names


def test_a_watchlist_alias_takes_the_watchlist_name_and_label():
    doc = with_ents("BPI France et Mission French Tech.", [("BPI France", "LOC")])
    tech = doc.char_span(doc.text.index("Mission"), len(doc.text) - 1)
    spans = [(doc.ents[0], "LOC", "BPI France"), (tech, "PER", "Mission French Tech")]
    out = staff_names.apply(context(doc), spans)
    assert triples(out) == [
        ("BPI France", "ORG", "Bpifrance"),
        ("Mission French Tech", "ORG", "La French Tech"),
    ]
    # Marked as staff data's, for the one-label pass.
    assert [span.id_ for span, _, _ in out] == ["watch:Bpifrance", "watch:La French Tech"]


def test_a_place_takes_the_gazetteers_name_and_a_nameless_mention_goes():
    doc = with_ents("En BFC, « ».", [("BFC", "LOC")])
    empty = doc.char_span(doc.text.index("«"), doc.text.index("»") + 1)
    out = staff_names.apply(context(doc), [(doc.ents[0], "LOC", "BFC"), (empty, "ORG", "« »")])
    assert triples(out) == [("BFC", "LOC", "Bourgogne-Franche-Comté")]
