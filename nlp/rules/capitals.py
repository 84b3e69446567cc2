"""Words in capitals: datelines and acronyms (called by `veille_cleanup`, last).

Decides: a place in capitals opening a paragraph or a sentence, then a full stop or a
dash, is the dateline of a brief and a place ("GRANVILLE. Écume équipe...", "LE HAVRE –
..."), unless it is a kicker or a common noun ("EN BREF.", "ÉCONOMIE."); an acronym the
model calls a place, that no place list gave and that the model's vectors do not know in
lowercase, is a body ("formé à l'ENSAVIR", "le soutien d'INRAL"), where a place in
capitals follows "à" or "en" and a word of the language in capitals ("ALLEMAGNE" in a
headline) stays a place.

Data: none (the kickers and place acronyms below are closed lists of the language).
Tests: tests/test_rules_capitals.py.
"""

from __future__ import annotations

import numpy as np
from spacy.attrs import IS_UPPER
from spacy.tokens import Doc, Span

from nlp.rules.base import TWO_LETTERS, breaks_line, common_noun, is_trusted, known_word

DATELINE_ID = "pattern:dateline"
# Kickers in capitals that are not nouns of the lexicon: "BREF. ...", "EXCLUSIF. ...".
KICKERS = {"bref", "exclusif", "urgent", "direct", "vidéo", "info", "infos", "édito", "alerte"}
# Acronyms of places: an acronym the model calls a place is otherwise a body.
PLACE_ACRONYMS = {"USA", "URSS", "RDC", "RDA", "RFA", "PACA", "EAU", "DOM", "TOM", "DOM-TOM"}


def _line_start(doc: Doc, i: int) -> bool:
    return i == 0 or doc[i].is_sent_start or breaks_line(doc[i - 1])


def datelines(doc: Doc, ents: list[Span], common_nouns: frozenset[str]) -> list[Span]:
    """`ents` with each dateline a place (over whatever the model saw there)."""
    n = len(doc)
    found: list[Span] = []
    # Only the words in capitals are looked at: a loop over every token costs more.
    for i in np.flatnonzero(doc.to_array([IS_UPPER])).tolist():
        if not _line_start(doc, i):
            continue
        end = i
        while end < n and end - i < 4 and doc[end].is_upper and TWO_LETTERS.search(doc[end].text):
            end += 1
        if end == i or end >= n or doc[end].text not in {".", "–", "—", "-"}:
            continue
        if doc[end].text == "." and not (end + 1 < n and doc[end + 1].text[:1].isupper()):
            continue
        words = [t.lower_ for t in doc[i:end]]
        if len(words) > 1 and words[0] not in {"le", "la", "les"}:
            continue
        if len(words) == 1 and (
            words[0] in KICKERS or len(words[0]) < 3 or common_noun(words[0], common_nouns)
        ):
            continue
        found.append(Span(doc, i, end, label="LOC", span_id=DATELINE_ID))
    if not found:
        return ents
    kept = [e for e in ents if not any(e.start < d.end and e.end > d.start for d in found)]
    return sorted(kept + found, key=lambda s: s.start)


def acronym_bodies(doc: Doc, ents: list[Span]) -> list[Span]:
    """`ents` with each unknown acronym the model called a place an organisation."""
    out = []
    for ent in ents:
        if (
            ent.label_ == "LOC"
            and not is_trusted(ent)
            and all(t.is_upper or t.text == "-" for t in ent)
            and not ent.text.startswith("-")
            and sum(c.isalpha() for c in ent.text) >= 3
            and ent.text not in PLACE_ACRONYMS
            and not known_word(doc.vocab, ent.text)
            and not (ent.start > 0 and doc[ent.start - 1].lower_ in {"à", "en", "dans", "vers"})
        ):
            ent = Span(doc, ent.start, ent.end, label="ORG", span_id=ent.id)
        out.append(ent)
    return out
