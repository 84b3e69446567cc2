"""Names in brackets: a name in brackets right after an organisation is another name of it.

Decides: "Faurecia (Forvia)" makes "Forvia" an ORG; a place the gazetteer or the model's
vocabulary knows stays a place ("l'université de Catalogne (Espagne)"). Data: places.csv.
Tests: tests/test_rules_brackets.py.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc

from nlp.rules.base import Context, Named, known_word, place_of


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see `parenthesised`."""
    return parenthesised(ctx.doc, spans, lambda name: place_of(ctx.data.places, name) is not None)


def parenthesised(
    doc: Doc, spans: list[Named], is_place: Callable[[str], bool] = lambda name: False
) -> list[Named]:
    """A name in brackets right after an organisation is another name of one: "Faurecia (Forvia)".

    Not a place that says where the organisation is: a known place (`is_place`), or a
    one-word place the model's vocabulary knows ("(Espagne)"), where an organisation's
    other name is most often a coined word ("Forvia").
    """
    orgs_end = {span.end for span, label, _ in spans if label == "ORG"}
    out = []
    for span, label, name in spans:
        if (
            label != "ORG"
            and span.start >= 2
            and doc[span.start - 1].text == "("
            and span.start - 1 in orgs_end
            and span.end < len(doc)
            and doc[span.end].text == ")"
            and not (
                label == "LOC"
                and (is_place(name) or (len(span) == 1 and known_word(doc.vocab, span.text)))
            )
        ):
            label = "ORG"
        out.append((span, label, name))
    return out
