"""Surface names: the pipeline's entities, each named from its text as written.

Decides: the first named spans of an article, one per PER/ORG/LOC entity of the doc, and
each one's name: a person's without its title ("M.", "Dr", also left out of the span), a
place's without its common noun ("département du Finistère", "la vallée de l'Arve" →
"Finistère", "Arve"; not a street's), an organisation's without its legal form ("Numelec
SAS") or web domain ("Ondula.fr" → "Ondula").
Data: org_phrases.toml `legal_forms`, demonyms.txt. Tests: tests/test_rules_surface.py.
"""

from __future__ import annotations

import re

from spacy.tokens import Span

from nlp.resources import LABELS
from nlp.rules.base import DOMAIN, TITLES, Context, Named

_ELIDED = re.compile(r"^[ldLD]['\u2019](?=[A-ZÀ-Ý])")

# Street words: "rue de la République" is the street's name, not "République".
STREETS = {
    "rue", "avenue", "boulevard", "bd", "place", "quai", "allée", "impasse", "chemin",
    "route", "cours", "square", "passage", "parvis", "esplanade", "pont", "porte",
}  # fmt: skip


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: the doc's entities of our labels, named by `surface_name` (`spans` is empty)."""
    text = ctx.text
    spans = list(spans)
    for ent in ctx.doc.ents:
        if ent.label_ in LABELS:
            if ent.label_ == "PER":
                ent = _untitled(ent)
            surface = text[ent.start_char : ent.end_char]
            spans.append(
                (
                    ent,
                    ent.label_,
                    surface_name(surface, ent.label_, ctx.data.legal_forms, ctx.data.demonyms),
                )
            )
    return spans


def _untitled(span: Span) -> Span:
    """A person's span without the title in front ("M. Caldwell" → "Caldwell"): the name
    is what a reader looks for, and the same person is later named without it."""
    start = span.start
    while start < span.end - 1 and span.doc[start].lower_ in TITLES:
        start += 1
    # "M. l'abbé", "Madame veuve": what follows the title is no name, leave the span.
    if start == span.start or not span.doc[start].text[:1].isupper():
        return span
    return Span(span.doc, start, span.end, label=span.label, span_id=span.id)


def surface_name(
    surface: str, label: str, legal_forms: frozenset[str], demonyms: frozenset[str]
) -> str:
    """The name a mention's text gives, for its label (see the module docstring)."""
    words = surface.split()
    if label == "PER":
        while len(words) > 1 and words[0].lower() in TITLES:
            words = words[1:]
    if label == "LOC" and words and words[0].lower() not in STREETS:
        # "département du Finistère", "la vallée du Grésivaudan", "mer Méditerranée":
        # the place's common noun stays in the span, the name is the proper name.
        k = 0
        while k < len(words) - 1 and words[k] == words[k].lower():
            k += 1
        rest = words[k:]
        if rest and _ELIDED.match(rest[0]):
            # "la vallée de l'Arve": the elided article goes with the common noun.
            rest = [_ELIDED.sub("", rest[0]), *rest[1:]]
        # "océan Indien" keeps its noun: an adjective alone names nothing.
        if k > 0 and rest[0][:1].isupper() and " ".join(rest).lower() not in demonyms:
            words = rest
    if label == "ORG":
        while len(words) > 1 and words[-1].lower().strip(".") in legal_forms:
            words = words[:-1]
        if len(words) == 1:
            # "Ondula.fr" is the company Ondula.
            words = [DOMAIN.sub("", words[0]) or words[0]]
    return " ".join(words).strip("«»\"' ")
