"""Lone names: a one-word "person" or unknown "place" that acts like a company is one.

Decides: in business news, a one-word name with no title, no preposition of place, out of
the gazetteer, the watchlist and the model's vocabulary, that is the subject of a verb
("Talvenn lève 4 millions") is an ORG. Data: places.csv, watchlist.toml.
Tests: tests/test_rules_lone_names.py.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

from nlp.keys import entity_key
from nlp.rules.base import TITLES, TRUSTED_PREFIXES, Context, Named, RuleData

# Words before a place name: prepositions of place and articles ("à Lyon", "la Norvège").
PLACE_WORDS = {
    "à", "au", "aux", "en", "dans", "vers", "près", "sur", "depuis", "entre", "jusqu'",
    "outre", "le", "la", "les", "l'",
}  # fmt: skip
CLITICS = {"s'", "se", "y", "en", "ne", "n'", "l'", "le", "la", "les", "lui", "leur"}
# Words of today's business news: an article with one of them is about companies, where a
# lone unknown name acting as a subject is a company (see `lone_names`). The euro
# dates the text; the others name what companies are, employ and raise.
BUSINESS = re.compile(
    r"€|\b(?:euros?|start-?ups?|PME|ETI|TPE|SCOP|incubateurs?|entreprises?|salariés|emplois"
    r"|investisseurs|levée|financement|recrute|recrutement|clients)\b",
    re.IGNORECASE,
)


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see `lone_names`."""
    return lone_names(ctx.doc, spans, ctx.data)


def lone_names(doc: Doc, spans: list[Named], data: RuleData) -> list[Named]:
    """A one-word "person" or unknown "place" that acts like a company is one.

    The model calls invented company names ("Talvenn lève 4 millions") people or places.
    A person in the news is named in full once (then `_surnames` gives the full name)
    or with a title; a place takes "à", "en", "la"... So a one-word name with none of
    those, not in the gazetteer nor in the model's word vectors, that is the subject of
    a verb somewhere in the article ("X lève", "X s'installe") is taken for an
    organisation. That holds in business news only: in a biography, a sports result or
    an old newspaper the unknown subject is a foreign surname or town as often as not,
    so the rule applies only to an article that speaks of business (`BUSINESS`), or to
    a name in a paragraph that names an organisation as one ("la start-up X", a
    watchlist member).
    """
    text = doc.text  # rebuilt token by token on each call: read once
    business = bool(BUSINESS.search(text))
    orgs = [
        span for span, label, _ in spans if label == "ORG" and span.id_.startswith(TRUSTED_PREFIXES)
    ]
    if not business and not orgs:
        return spans
    groups: dict[tuple[str, str], list[Span]] = {}
    for span, label, name in spans:
        if label in ("PER", "LOC") and len(span) == 1 and len(name.split()) == 1:
            groups.setdefault((label, entity_key(name)), []).append(span)
    relabel = set()
    for (label, key), found in groups.items():
        if key in data.watchlist or any(s.id_.startswith(TRUSTED_PREFIXES) for s in found):
            continue
        before = {doc[s.start - 1].lower_ for s in found if s.start > 0}
        if label == "PER" and before & TITLES:
            continue
        if label == "LOC" and (
            before & PLACE_WORDS or data.places.lookup(found[0].text) is not None
        ):
            continue
        if found[0][0].has_vector:
            # A word the model's vocabulary knows ("Berlin", "Mozart") is left alone:
            # invented company names are out of its vocabulary.
            continue
        if not business and not any(_same_paragraph(text, s, o) for s in found for o in orgs):
            continue
        if any(_subject_of_verb(doc, s.end) for s in found):
            relabel.add((label, key))
    if not relabel:
        return spans
    return [
        (span, "ORG" if (label, entity_key(name)) in relabel else label, name)
        for span, label, name in spans
    ]


def _same_paragraph(text: str, a: Span, b: Span) -> bool:
    """Whether no line break separates spans `a` and `b` in the doc's `text`."""
    return "\n" not in text[min(a.end_char, b.end_char) : max(a.start_char, b.start_char)]


def _subject_of_verb(doc: Doc, i: int) -> bool:
    """Whether a verb follows at token i, after clitics: "lève", "s'offre", "y installe"."""
    while i < len(doc) and doc[i].lower_ in CLITICS:
        i += 1
    return i < len(doc) and doc[i].pos_ in {"VERB", "AUX"}
