"""Demonyms: a demonym or an adjective of place is never a place.

Decides: a LOC written as a demonym ("les Picards", "Francs-Comtois", "picard") is
dropped, unless the gazetteer knows it as a place or it follows a preposition or article
of place ("au Lorrain", "du Limousin"). ("le rennais X" naming the company X is the
`veille_org_phrases` component's.) Data: demonyms.txt, places.csv.
Tests: tests/test_rules_demonyms.py.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from nlp.rules.base import Context, Named, RuleData, place_of


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: drop the "places" that are demonyms."""
    return [s for s in spans if not is_demonym(ctx.doc, s[0], s[1], s[2], ctx.data)]


def is_demonym(doc: Doc, span: Span, label: str, name: str, data: RuleData) -> bool:
    """Whether a "place" is a demonym ("les Picards", "Francs-Comtois"): not one the
    gazetteer knows, and not after a preposition or article of place ("au Lorrain",
    "du Limousin")."""
    # The span as written: "océan Indien" is named "Indien" but is no demonym.
    if label != "LOC" or span.text.lower() not in data.demonyms or place_of(data.places, name):
        return False
    before = doc[span.start - 1].lower_ if span.start else ""
    return before not in {"à", "au", "aux", "en", "du", "de", "d'", "dans"}
