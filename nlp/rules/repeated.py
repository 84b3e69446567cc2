"""Repeated names: every other occurrence of a name the article names once is a mention.

Decides: the same words (case as written, more than two letters) elsewhere in the article
are the same name with the same label, and so is the surname alone of a person named in
full ("Vasseur" after "Aurélie Vasseur"; not a word of the language opening a sentence),
unless they stand inside another mention or a name that is none of ours
(`doc.spans[NOT_NAMES]`). Data: none.
Tests: tests/test_rules_repeated.py.
"""

from __future__ import annotations

from spacy.tokens import Doc

from nlp.rules.base import NOT_NAMES, Context, Named, known_word

# Particles of a surname: "Gaëtan Le Bihan" is "Le Bihan" alone.
PARTICLES = {"Le", "La", "De", "Du", "Des", "Van", "Von", "Di", "Da", "Del", "Ben", "El", "Mac"}


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
    # A person named in full is then named by the surname alone ("Aurélie Vasseur" ...
    # "Vasseur compte embaucher"), where the model often sees nothing.
    surnames: set[str] = set()
    for _, label, name in spans:
        words = name.split()
        if label != "PER" or len(words) < 2:
            continue
        cut = -2 if len(words) > 2 and words[-2] in PARTICLES else -1
        surname = " ".join(words[cut:])
        if len(surname) > 2 and surname[0].isupper() and surname not in known:
            known[surname] = (label, name)
            surnames.add(surname)
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
            if (
                span is not None
                and surface in surnames
                and span[0].is_sent_start
                and known_word(doc.vocab, surface)
            ):
                # A word of the language opening a sentence ("Petit à petit") is no surname.
                span = None
            if span is not None and not any(i in taken for i in range(span.start, span.end)):
                label, name = known[surface]
                added.append((span, label, name))
                taken.update(range(span.start, span.end))
            at = text.find(surface, end)
    if not added:
        return spans
    return sorted(spans + added, key=lambda item: item[0].start)
