"""Not names: what names none of ours goes.

Decides: a mention written as a word of not_names.txt ("AG", "État") is dropped unless
staff data (watchlist, patterns) gave it, and so is every mention of a name a not-entity
phrase showed to be a storm, a ship or a law ("la tempête Ciaran ... Ciaran a touché",
`doc.spans[NOT_NAMES]`, set by `veille_org_phrases`). Data: not_names.txt,
org_phrases.toml `not_entity_triggers`. Tests: tests/test_rules_not_names.py.
"""

from __future__ import annotations

from nlp.keys import entity_key
from nlp.rules.base import NOT_NAMES, Context, Named


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see the module docstring."""
    others = {entity_key(s.text) for s in ctx.doc.spans.get(NOT_NAMES, [])}
    out = []
    for span, label, name in spans:
        surface = ctx.text[span.start_char : span.end_char]
        trusted = span.id_.startswith(("watch:", "pattern:"))
        if not trusted and (surface in ctx.data.not_names or entity_key(name) in others):
            continue
        out.append((span, label, name))
    return out
