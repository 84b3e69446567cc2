"""Acronyms: an acronym takes the expansion the article gives it.

Decides: "Agence régionale de l'innovation (ARI)" and "ARI (Agence ...)" make every "ARI"
of the article the agency, with its label and name, even where the acronym holds a place
("ARI Lorraine") or the model labelled it otherwise. Data: none.
Tests: tests/test_rules_acronyms.py.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc

from nlp.keys import entity_key
from nlp.rules.base import TRUSTED_PREFIXES, Context, Named

ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,9}$")


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see `acronyms`."""
    return acronyms(ctx.doc, spans)


def acronyms(doc: Doc, spans: list[Named]) -> list[Named]:
    """Map acronyms to the expansion given in the article: "Expansion (ACR)", "ACR (Expansion)"."""
    expansions: dict[str, tuple[str, str]] = {}
    by_start = {span.start: (span, label, name) for span, label, name in spans}
    for ent in doc.ents:
        after = doc[ent.end : ent.end + 3]
        acronym = _bracketed_acronym(doc, ent.end)
        if acronym:
            # "Agence régionale de l'innovation Lorraine (ARI Lorraine)": the acronym,
            # with a place in it or not, names the expansion.
            info = by_start.get(ent.start)
            if (
                info
                and info[1] != "PER"
                and info[2] != acronym
                and entity_key(info[2])[:1] == acronym[:1].lower()
            ):
                expansions.setdefault(acronym, (info[1], info[2]))
        if len(ent) == 1 and ACRONYM.match(ent.text) and after[:1].text == "(":
            inner = by_start.get(ent.end + 1)
            if inner and inner[1] == "ORG" and doc[inner[0].end : inner[0].end + 1].text == ")":
                expansions.setdefault(ent.text, ("ORG", inner[2]))
    if not expansions:
        return spans
    covered = {i for span, _, _ in spans if len(span) > 1 for i in range(span.start, span.end)}
    out = []
    for span, label, name in spans:
        if len(span) == 1 and span.text in expansions:
            continue
        if span.text in expansions:
            # A multi-word acronym the model labelled ("ARI Lorraine" as a place).
            label, name = expansions[span.text]
        out.append((span, label, name))
    for token in doc:
        if token.text in expansions and token.i not in covered:
            label, name = expansions[token.text]
            out.append((doc[token.i : token.i + 1], label, name))
    text = doc.text if any(" " in a for a in expansions) else ""
    for acronym in (a for a in expansions if " " in a):
        # Every "ARI Lorraine" is the agency, whatever the model made of its words.
        at = text.find(acronym)
        while at >= 0:
            span = doc.char_span(at, at + len(acronym))
            if span is not None and not any(
                s.start < span.end and s.end > span.start and s.id_.startswith(TRUSTED_PREFIXES)
                for s, _, _ in out
            ):
                out = [
                    item
                    for item in out
                    if not (item[0].start < span.end and item[0].end > span.start)
                ]
                out.append((span, *expansions[acronym]))
            at = text.find(acronym, at + len(acronym))
    out.sort(key=lambda item: item[0].start)
    return out


def _bracketed_acronym(doc: Doc, i: int) -> str | None:
    """The acronym in brackets at token i: "(ARI)", "(ARI Lorraine)", else None."""
    if i >= len(doc) or doc[i].text != "(":
        return None
    close = i + 1
    while close < len(doc) and close - i <= 4 and doc[close].text != ")":
        close += 1
    if close >= len(doc) or doc[close].text != ")" or close == i + 1:
        return None
    inner = doc[i + 1 : close]
    if not ACRONYM.match(inner[0].text) or not all(_name_word(t.text) for t in inner):
        return None
    return inner.text


def _name_word(text: str) -> bool:
    return text[:1].isupper() or text in {"-", "&"}
