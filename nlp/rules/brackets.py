"""Names in brackets: a name in brackets right after an organisation is another name of it.

Decides: "Faurecia (Forvia)" makes "Forvia" an ORG. Data: none.
Tests: tests/test_rules_brackets.py.
"""

from __future__ import annotations

from spacy.tokens import Doc

from nlp.rules.base import Context, Named


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see `parenthesised`."""
    return parenthesised(ctx.doc, spans)


def parenthesised(doc: Doc, spans: list[Named]) -> list[Named]:
    """A name in brackets right after an organisation is another name of one: "Faurecia (Forvia)"."""
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
        ):
            label = "ORG"
        out.append((span, label, name))
    return out
