"""What every rule unit shares: span origins, the name-shape helpers and the pass types.

A pass of the analyser (`nlp.rules.PASSES`) takes the article's `Context` and its named
spans, `(span, label, name)` triples in text order, and returns new ones; it never edits
the doc. A span's `id_` says where it came from: staff data (`watch:`, `place:`,
`pattern:`), an organisation phrase (`PHRASE_ID`) or an enumeration (`ENUM_ID`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

from nlp.keys import entity_key
from nlp.resources import (
    Gazetteer,
    Place,
    WatchEntry,
    data_path,
    load_not_names,
    load_org_phrases,
    load_places,
    load_watchlist,
)

# Span ids that mark where a span came from; spans from staff data are trusted as written.
PHRASE_ID = "veille:phrase"
ENUM_ID = "veille:enumeration"
# doc.spans key of names that are none of PER, ORG, LOC ("la tempête Ciaran").
NOT_NAMES = "veille_not_names"
TRUSTED_PREFIXES = ("watch:", "place:", "pattern:", PHRASE_ID)

ELISIONS = {"l'", "d'", "qu'", "n'", "s'", "j'", "c'", "m'", "t'", "jusqu'", "lorsqu'", "puisqu'"}
DETERMINERS = {
    "le",
    "la",
    "les",
    "l'",
    "un",
    "une",
    "ce",
    "cet",
    "cette",
    "ces",
    "son",
    "sa",
    "ses",
}
# Words that make a new place of the place after them ("Nord Franche-Comté", "Haut-Jura").
DIRECTIONS = {
    "Nord", "Sud", "Est", "Ouest", "Centre", "Haut", "Haute", "Bas", "Basse", "Grand", "Grande",
}  # fmt: skip
TITLES = {
    "m.", "mme", "mlle", "mme.", "me", "dr", "dr.", "pr", "pr.", "maître", "monsieur",
    "madame", "mademoiselle", "docteur", "professeur",
}  # fmt: skip
MAX_NAME_TOKENS = 8
TWO_LETTERS = re.compile(r"[^\W\d_].*[^\W\d_]", re.DOTALL)
DOMAIN = re.compile(r"\.(?:fr|com|io|net|org|eu|co|ai|app|tech)$", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(r"^(?:La|Le|Les)\s+|^L['\u2019]")

# One named span: the span in the doc, its label, its canonical name.
Named = tuple[Span, str, str]


@dataclass(frozen=True)
class RuleData:
    """What the passes read from nlp/data/, loaded once by the Analyzer."""

    # entity_key of every watchlist name and alias (with and without its article).
    watchlist: dict[str, WatchEntry]
    places: Gazetteer  # places.csv
    legal_forms: frozenset[str]  # org_phrases.toml `legal_forms`, lowercase
    head_words: frozenset[str]  # org_phrases.toml one-word `heads` ("Région", "Métropole")
    enumeration_nouns: frozenset[str]  # org_phrases.toml `enumeration_nouns`
    demonyms: frozenset[str]  # demonyms.txt, every form
    not_names: frozenset[str]  # not_names.txt, as written
    credit_leads: tuple[str, ...] = ()  # org_phrases.toml `credit_leads`


def load_rule_data(data_dir: str | Path | None = None) -> RuleData:
    """The passes' data, read from a data folder (nlp/data/ by default)."""
    watchlist: dict[str, WatchEntry] = {}
    for entry in load_watchlist(data_path("watchlist.toml", data_dir)):
        for spelling in (entry.name, *entry.aliases):
            watchlist.setdefault(entity_key(spelling), entry)
            watchlist.setdefault(entity_key(strip_article(spelling)), entry)
    phrases = load_org_phrases(data_path("org_phrases.toml", data_dir))
    return RuleData(
        watchlist=watchlist,
        places=load_places(data_path("places.csv", data_dir)),
        legal_forms=frozenset(f.lower() for f in phrases.legal_forms),
        head_words=frozenset(h for h in phrases.heads if " " not in h and "'" not in h),
        enumeration_nouns=frozenset(phrases.enumeration_nouns),
        demonyms=frozenset(phrases.demonyms),
        not_names=frozenset(load_not_names(data_path("not_names.txt", data_dir))),
        credit_leads=phrases.credit_leads,
    )


@dataclass(frozen=True)
class Context:
    """One processed doc, the normalised text it was made from, and the rules' data."""

    doc: Doc
    text: str
    data: RuleData


Pass = Callable[[Context, list[Named]], list[Named]]


@dataclass
class PhraseCandidate:
    """A span an organisation phrase proposes (`veille_org_phrases`), before it is applied."""

    start: int
    end: int
    kind: str  # head, trigger, legal, person, other
    strong: bool = False
    descriptor: bool = False


def strip_article(name: str) -> str:
    """ "La French Tech" → "French Tech": the article is the sentence's, not the name's.

    Matching without it lets a longer name win ("la French Tech Besançon") and leaves
    "la"/"La" to the grammar, as for any other name.
    """
    match = _LEADING_ARTICLE.match(name)
    return name[match.end() :] if match and name[match.end() :].strip() else name


def breaks_line(token: Token) -> bool:
    """Whether the token is whitespace holding a line break."""
    return token.is_space and ("\n" in token.text)


def common_noun(lower: str, common_nouns: frozenset[str]) -> bool:
    """Whether the model's lexicon knows the lowercase word as a common noun, in the
    singular or the plural."""
    return lower in common_nouns or (lower[-1:] in {"s", "x"} and lower[:-1] in common_nouns)


def known_word(vocab: Vocab, text: str) -> bool:
    """Whether the model's word vectors know `text` in lowercase: a word of the language
    ("petit", "allemagne"), not an invented name or an acronym ("Kalixo", "INRAE")."""
    return vocab.strings[text.lower()] in vocab.vectors


def is_trusted(span: Span) -> bool:
    """Whether the span came from staff data or an organisation phrase."""
    return span.id_.startswith(TRUSTED_PREFIXES)


def name_like(token: Token) -> bool:
    """Could start or continue a proper name: capitalised, an acronym, "iXblue", "3D Ouest"."""
    text = token.text
    if token.is_space or token.is_punct or not text:
        return False
    if text[0].isupper():
        return True
    if text[0].isdigit():
        return any(c.isalpha() for c in text)
    return text[0].isalpha() and any(c.isupper() for c in text[1:])


def proper_run(doc: Doc, start: int, stop_words: frozenset[str] = frozenset()) -> int:
    """End of the capitalised name starting at token `start` (== start when there is none).

    Hyphens and apostrophes glued to both neighbours are part of the name
    ("Bourgogne-Franche-Comté", "Saint-Martin-d'Hères"); a line break or a new sentence
    ends it.
    """
    n = len(doc)
    if start >= n or not name_like(doc[start]) or doc[start].text in stop_words:
        return start
    end = start + 1
    while end < n and end - start < MAX_NAME_TOKENS:
        token = doc[end]
        if token.is_sent_start or token.text in stop_words:
            break
        glued = doc[end - 1].whitespace_ == ""
        if (
            token.text == "-"
            and glued
            and not token.whitespace_
            and end + 2 < n
            and doc[end + 1].lower_ in ELISIONS
            and not doc[end + 1].whitespace_
            and name_like(doc[end + 2])
        ):
            # "Côtes-d'Armor", "Villenave-d'Ornon": the tokenizer splits the elision off.
            end += 3
            continue
        if token.text in {"-", "'", "&"} and end + 1 < n:
            nxt = doc[end + 1]
            if (glued and token.whitespace_ == "" and nxt.is_alpha) or (
                token.text == "&" and name_like(nxt)
            ):
                end += 2
                continue
            break
        if name_like(token):
            end += 1
            continue
        break
    return end


def place_of(places: Gazetteer, name: str) -> Place | None:
    """The gazetteer's place for a name, or for its end ("Nord Franche-Comté")."""
    place = places.lookup(name)
    words = name.split()
    if place is None and len(words) > 1 and words[0] in DIRECTIONS:
        place = places.lookup(" ".join(words[1:]))
    return place
