"""Surnames: a surname alone takes the full name the article gives.

Decides: "Brenas" or "M. Brenas" near "Jean-Pierre Brenas" is that person (the nearest
full name before it, else the first), even where the model called the lone surname a
place or an organisation (unless staff data gave it). Data: none.
Tests: tests/test_rules_surnames.py.
"""

from __future__ import annotations

from nlp.keys import entity_key
from nlp.rules.base import TRUSTED_PREFIXES, Context, Named


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see `surnames`."""
    return surnames(spans)


def surnames(spans: list[Named]) -> list[Named]:
    """A surname alone ("Brenas", "M. Brenas") takes the nearest full name ending with it.

    The model sometimes labels the lone surname as a place or an organisation: a
    single word equal to the surname of a person named in full in the same article is
    that person (unless it came from staff data).
    """
    full = [
        (span.start, name, [entity_key(w) for w in name.split()])
        for span, label, name in spans
        if label == "PER" and len(name.split()) > 1
    ]
    if not full:
        return spans
    out = []
    for span, label, name in spans:
        words = [entity_key(w) for w in name.split()]
        if label == "PER" or (len(words) == 1 and not span.id_.startswith(TRUSTED_PREFIXES)):
            matches = [
                (start, full_name)
                for start, full_name, full_words in full
                if len(full_words) > len(words) and full_words[-len(words) :] == words
            ]
            if matches:
                before = [m for m in matches if m[0] < span.start]
                label, name = "PER", (before[-1] if before else matches[0])[1]
        out.append((span, label, name))
    return out
