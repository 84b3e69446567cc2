"""One-word places (spaCy component `veille_places`, after the NER).

Decides: a one-word place of places.csv ("Dole", "Laval"), a saint's name or a dateline
in capitals is a LOC where the model found nothing and tags a proper noun (a dateline
wins over the model's span). Names of several words are fixed before the NER by the
ruler instead (`nlp.model.place_patterns`).

Data: places.csv. Tests: tests/test_rules_places.py.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from nlp.rules.base import is_trusted


class PlacesComponent:
    """Add one-word places ("Dole", "Laval") where the model found nothing and tags a proper noun.

    A PhraseMatcher rather than token patterns: thousands of names cost nothing this way.
    """

    def __init__(self, nlp: Language, places: list[tuple[str, str]]):
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        for text, name in places:
            self.matcher.add("place:" + name, [nlp.make_doc(text)])

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        taken = {i for ent in ents for i in range(ent.start, ent.end)}
        model_ents = {(e.start, e.end): e for e in ents if not is_trusted(e)}
        added, replaced = [], set()
        for key, start, end in self.matcher(doc):
            text = doc[start:end].text
            # A dateline in capitals ("LISIEUX. La CCI...") is the place even where the
            # model called it something else; the tagger's POS is unreliable on capitals.
            shouting = text.isupper() and len(text) > 2
            if shouting and (start, end) in model_ents:
                replaced.add((start, end))
            elif (not shouting and doc[end - 1].pos_ != "PROPN") or any(
                i in taken for i in range(start, end)
            ):
                continue
            added.append(Span(doc, start, end, label="LOC", span_id=key))
            taken.update(range(start, end))
        if added:
            kept = [e for e in ents if (e.start, e.end) not in replaced]
            doc.ents = sorted([*kept, *added], key=lambda span: span.start)
        return doc


@Language.factory("veille_places", default_config={"places": []})
def make_places(nlp: Language, name: str, places: list[list[str]]) -> PlacesComponent:
    """Factory of `veille_places`; `places` is a list of [text as written, canonical name]."""
    return PlacesComponent(nlp, [(text, canonical) for text, canonical in places])
