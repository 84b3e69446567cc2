"""Repeated names: every other occurrence of a name the article names once is a mention.

Decides: the same words (case as written, more than two letters) elsewhere in the article
are the same name with the same label, unless they stand inside another mention or a
name that is none of ours (`doc.spans[NOT_NAMES]`). Data: none.
Tests: tests/test_rules_repeated.py.
"""

from __future__ import annotations

from spacy.tokens import Doc

from nlp.rules.base import NOT_NAMES, Context, Named


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see `repeated`."""
    return repeated(ctx.doc, ctx.text, spans)


def repeated(doc: Doc, norm_text: str, spans: list[Named]) -> list[Named]:
    """Every other occurrence of a name the article names once is a mention too.

    The model often finds a name in one sentence and misses it in the next ("Datacomté a
    inauguré..." / "dont Datacomté"); the same words in the same article are the same name.
    """
    if not spans:
        return spans
    taken = {i for span, _, _ in spans for i in range(span.start, span.end)}
    # Names that are none of ours ("le plan Norvège 2030") hold no mention either.
    taken |= {i for span in doc.spans.get(NOT_NAMES, []) for i in range(span.start, span.end)}
    known: dict[str, tuple[str, str]] = {}
    for span, label, name in spans:
        surface = norm_text[span.start_char : span.end_char]
        if len(surface) > 2 and not surface.islower():
            known.setdefault(surface, (label, name))
    if not known:
        return spans
    # The normalised text the doc was made from: doc.text rebuilds it token by token.
    text = norm_text
    added = []
    for surface in sorted(known, key=len, reverse=True):
        at = text.find(surface)
        while at >= 0:
            end = at + len(surface)
            bounded = (at == 0 or not text[at - 1].isalnum()) and (
                end == len(text) or not text[end].isalnum()
            )
            span = doc.char_span(at, end) if bounded else None
            if span is not None and not any(i in taken for i in range(span.start, span.end)):
                label, name = known[surface]
                added.append((span, label, name))
                taken.update(range(span.start, span.end))
            at = text.find(surface, end)
    if not added:
        return spans
    return sorted(spans + added, key=lambda item: item[0].start)
