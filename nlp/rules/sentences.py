"""Sentence starts (spaCy component `veille_sentences`, before the NER).

Decides: where sentences start, from punctuation and line breaks. Data: none.
Tests: tests/test_rules_sentences.py.
"""

from __future__ import annotations

import numpy as np
from spacy.attrs import IS_SPACE, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc


class SentencesComponent:
    """Sentence starts from punctuation and line breaks, for what veille needs of sentences.

    The model's `senter` costs about a twentieth of the whole processing time; news text
    marks its sentences well enough for a mention's sentence and a quote's extent: a full
    stop, "!", "?" or "…" (then a closing quote) before a capital, a digit or an opening
    quote, and every line break. The French tokenizer keeps the dot of "M." or "J.-C."
    inside the token, so abbreviations do not end sentences.
    """

    ENDS = (".", "!", "?", "…", "...", "!!", "?!", "!?")

    def __init__(self, nlp: Language):
        strings = nlp.vocab.strings
        self._ends = np.array(sorted(strings.add(p) for p in self.ENDS), dtype="uint64")

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        ids = doc.to_array([ORTH, IS_SPACE])
        starts = np.full(n, -1, dtype="int32")
        starts[0] = 1
        for i in np.flatnonzero(np.isin(ids[:, 0], self._ends) | (ids[:, 1] == 1)).tolist():
            token = doc[i]
            if token.is_space and "\n" not in token.text:
                continue
            j = i + 1
            while j < n and (doc[j].text in {"»", '"', ")"} or doc[j].is_space):
                j += 1
            if j >= n:
                continue
            nxt = doc[j].text
            if token.is_space or nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in '«"-–—':
                starts[j] = 1
        doc.from_array([SENT_START], starts.reshape(-1, 1).astype("uint64"))
        return doc


@Language.factory("veille_sentences")
def make_sentences(nlp: Language, name: str) -> SentencesComponent:
    """Factory of `veille_sentences`."""
    return SentencesComponent(nlp)
