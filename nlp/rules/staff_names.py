"""Staff names: the watchlist's and the gazetteer's names win.

Decides: a mention whose name or text is a watchlist name or alias takes the watchlist's
name and label, and counts as staff data's (span id `watch:`); a place takes the
gazetteer's name ("St-Étienne" → "Saint-Étienne"); a mention left with no name (an empty
key) goes. Data: watchlist.toml, places.csv. Tests: tests/test_rules_staff_names.py.
"""

from __future__ import annotations

from spacy.tokens import Span

from nlp.keys import entity_key
from nlp.rules.base import Context, Named


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see the module docstring."""
    watchlist, text = ctx.data.watchlist, ctx.text
    out = []
    for span, label, name in spans:
        entry = watchlist.get(entity_key(name)) or watchlist.get(
            entity_key(text[span.start_char : span.end_char])
        )
        if entry is not None:
            label, name = entry.label, entry.name
            if not span.id_.startswith("watch:"):
                # Marked as staff data's, so that `one_label` trusts its label.
                span = Span(ctx.doc, span.start, span.end, label=label, span_id="watch:" + name)
        elif label == "LOC":
            place = ctx.data.places.lookup(name)
            if place is not None:
                name = place.name
        if entity_key(name):
            out.append((span, label, name))
    return out
