"""Clean-up of entity spans (spaCy component `veille_cleanup`, last).

Decides: strips elisions, determiners, quotes and punctuation from span edges, and a
weekday, a score or a date's number after a name ("l'agence Vestrel lundi"), cuts spans
at line breaks, separators and spaced dashes ("Lorient | Économie", "Perrin - Gadou"),
drops a span opened by a role noun ("le président de la République" is an office), drops
an article capitalised only by its place ("La France est..."), ends a place that runs on
into the sentence, joins a direction to the place after it ("Nord Franche-Comté") and
drops what is not a name, judging by the model's own part-of-speech
tags and lexicon of common nouns rather than by a list of words of ours. Words in
capitals last (`nlp.rules.capitals`).

Data: none of its own; the one-word names of the ruler and places.csv are `known` (never
dropped as common words). Tests: tests/test_rules_cleanup.py.
"""

from __future__ import annotations

import re

import numpy as np
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from nlp.rules import capitals
from nlp.rules.base import (
    DETERMINERS,
    DIRECTIONS,
    ELISIONS,
    TWO_LETTERS,
    breaks_line,
    common_noun,
    is_trusted,
    known_word,
    name_like,
)

# Lowercase words at a span's edge that are grammar, not name (when POS tags are missing).
FUNCTION_WORDS = {
    "le", "la", "les", "de", "du", "des", "à", "au", "aux", "en", "et", "pour", "par", "avec",
    "sur", "dans", "chez",
}  # fmt: skip
OPENING = {"#", "@", "«", '"', "'", "(", "[", "“", "‘", "-", "–", "—", "/", "•", "·", "*"}
NAME_POS = {"PROPN", "NOUN", "X"}
# Parts of speech that cannot head a name but that the tagger gives a capitalised name it
# does not recognise, from its place alone (never a verb: "Partager" is a button wherever
# it stands).
CAPITAL_WINS = {"PRON", "ADV", "ADJ", "INTJ"}


# Separators no name contains: "Lorient | Économie | Bretagne" is a section line.
SEPARATORS = {"|", "•", "·", "›", ">"}
WEEKDAYS = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"}
_SCORE = re.compile(r"^\d{1,2}-\d{1,2}$")
# Lowercase role nouns: a span they open names an office, not a person or a body ("le
# président de la République", "le ministre de l'Économie"); the holder's name, when the
# article gives it, is a span of its own.
ROLE_NOUNS = {
    "président", "présidente", "ministre", "secrétaire", "directeur", "directrice", "maire",
    "préfet", "préfète", "député", "députée", "sénateur", "sénatrice", "adjoint", "adjointe",
    "conseiller", "conseillère", "chef", "cheffe", "porte-parole", "délégué", "déléguée",
    "vice-président", "vice-présidente", "gouverneur", "ambassadeur", "ambassadrice",
}  # fmt: skip


def _line_edge(token: Token) -> bool:
    """A line break or a separator: what stands between two items of a menu line."""
    return breaks_line(token) or token.text in SEPARATORS


def _strippable_left(token: Token, span_start: int) -> bool:
    if token.is_space or token.is_punct or token.text in OPENING:
        return True
    lower = token.lower_
    if lower in ELISIONS:
        return True
    if token.is_lower and (token.pos_ in {"DET", "ADP"} or lower in FUNCTION_WORDS):
        return True
    nxt = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    # A capitalised determiner before a lowercase word is grammar ("La start-up ...", "Cet
    # essor"); before a capital it belongs to the name ("La Poste", "à La Rochelle").
    if (token.pos_ == "DET" or lower in DETERMINERS) and nxt is not None and nxt.is_lower:
        return True
    # A number spelled out ("Trois cents domaines ...") is not part of a name; an unknown
    # capitalised word the tagger took for a number ("le data center Datacomté") may be.
    return token.pos_ == "NUM" and token.is_alpha and (token.like_num or token.is_lower)


def _strippable_right(token: Token) -> bool:
    if token.is_space or token.text in {"»", '"', "'", ",", ";", ":", "!", "?", ".", "…", "(", "["}:
        return True
    if token.is_punct and token.text not in {")", "]"}:
        return True
    if token.lower_ in ELISIONS:
        return True
    # A day or a score after a name is the sentence's: "l'agence Vestrel lundi", "battu
    # Crystal Palace 3-0"; a number after a spaced dash is a date's ("Libérons-Les - 12").
    if (token.is_lower and token.text in WEEKDAYS) or _SCORE.match(token.text):
        return True
    if token.like_num and token.i > 1 and token.doc[token.i - 1].text in {"-", "–", "—"}:
        dash = token.doc[token.i - 1]
        return dash.whitespace_ != "" or token.doc[token.i - 2].whitespace_ != ""
    return token.is_lower and (
        token.pos_ in {"DET", "ADP", "CCONJ"} or token.lower_ in FUNCTION_WORDS
    )


def _spaced_dash(token: Token) -> bool:
    """A dash with a space on each side: it stands between two names ("Perrin - Gadou" in a
    team sheet, "Nike Tech - désormais"), never inside one ("Saint-Malo", "Jean-Pierre")."""
    doc = token.doc
    return (
        token.text in {"-", "–", "—"}
        and token.i > 0
        and doc[token.i - 1].whitespace_ != ""
        and token.whitespace_ != ""
    )


def _pieces(span: Span) -> list[tuple[int, int]]:
    """Token ranges of `span` between line breaks, separators and spaced dashes."""
    out, start = [], span.start
    for token in span:
        if _line_edge(token) or _spaced_dash(token):
            if token.i > start:
                out.append((start, token.i))
            start = token.i + 1
    if span.end > start:
        out.append((start, span.end))
    return out


def _positional_capital(doc: Doc, i: int) -> bool:
    """Whether token i is capitalised by where it stands: first of a sentence or a line,
    perhaps after opening punctuation ("« Leader, nous le sommes »")."""
    while True:
        token = doc[i]
        if i == 0 or token.is_sent_start or _line_edge(doc[i - 1]):
            return True
        if doc[i - 1].text not in OPENING:
            return False
        i -= 1


def _capitalised_elsewhere(doc: Doc, token: Token) -> bool:
    """Whether the doc writes `token` the same way where position does not explain it."""
    orths = doc.to_array([ORTH])
    return any(
        not _positional_capital(doc, int(i))
        for i in np.flatnonzero(orths == token.orth)
        if i != token.i
    )


def _keep(
    doc: Doc,
    start: int,
    end: int,
    trusted: bool,
    has_pos: bool,
    known: frozenset[str],
    common_nouns: frozenset[str] = frozenset(),
) -> bool:
    tokens = doc[start:end]
    text = tokens.text
    # No capital: a lowercase phrase or a number. Fewer than two letters: "X", "n'".
    if text == text.lower() or (not trusted and not TWO_LETTERS.search(text)):
        return False
    if trusted:
        return True
    if not has_pos:
        return True
    if len(tokens) == 1 and _unknown_capitalised(tokens[0]) and _before_verb(doc, tokens[0].i + 1):
        # The model tags a word it has never seen from its shape and place alone
        # ("Braxion emploie..." → NOUN, "Sentalis y installe..." → VERB): that tag says
        # nothing of a capitalised word out of its vocabulary, the subject of a verb.
        return True
    if len(tokens) == 1:
        token = tokens[0]
        positional = _positional_capital(doc, token.i)
        # The tagger guesses the class of a capitalised word from its place ("à Osaka les
        # ..." → PRON, "Wuhan, Chengdu, ..." → ADV); a pronoun, adverb or adjective is not
        # capitalised in mid-sentence, so there the capital the NER saw wins.
        capital_wins = (
            token.pos_ in CAPITAL_WINS and token.is_title and token.is_alpha and not positional
        )
        if token.pos_ not in NAME_POS and not capital_wins:
            return False
        line_start = token.i == 0 or _line_edge(doc[token.i - 1])
        line_end = token.i + 1 == len(doc) or _line_edge(doc[token.i + 1])
        # A common noun alone at the start of a sentence or line ("Verdict :", "Leader du
        # marché") is capitalised by position, not because it is a name; a word alone on its
        # line is a menu item or a button ("Partager", "Imprimer"), not running text. With
        # the model's lexicon at hand, a "noun" it does not know as a common noun is a
        # name the tagger mistook ("Barcelone l'emporte").
        if (
            token.pos_ != "PROPN"
            and (token.is_sent_start or line_start)
            and not (
                token.pos_ == "NOUN"
                and common_nouns
                and not common_noun(token.lower_, common_nouns)
            )
        ):
            return False
        if line_start and line_end:
            return False
        # Tagged a proper noun only because of its capital: a word of the language (in the
        # model's vocabulary in lowercase) opening a sentence before "de"/":" is a label or
        # a noun phrase ("Leader du marché, ...", "Verdict : ..."), not a name.
        if (token.is_sent_start or line_start) and token.i + 1 < len(doc):
            nxt = doc[token.i + 1].lower_
            if (
                nxt in {"de", "du", "des", "d'", ":"}
                and known_word(doc.vocab, token.lower_)
                and token.lower_ not in known
            ):
                return False
        # A common noun of the model's own lexicon, capitalised only by its position and
        # not the subject of a verb ("Leader sur son marché, la société..."): a bare
        # common noun does not start a French clause, a name does ("Orange ouvre...").
        # It stays a name where the article writes it capitalised mid-sentence.
        return not (
            token.lower_ in common_nouns
            and token.lower_ not in known
            and positional
            and not _before_verb(doc, token.i + 1)
            and not _capitalised_elsewhere(doc, token)
        )
    return any(t.pos_ in NAME_POS for t in tokens)


def _unknown_capitalised(token: Token) -> bool:
    """A capitalised word out of the model's vocabulary (never so for a vector-less model)."""
    return bool(token.doc.vocab.vectors.size) and token.is_title and not token.has_vector


def _before_verb(doc: Doc, i: int) -> bool:
    """Whether a verb comes at token i, after clitics and pronouns ("s'installe")."""
    while i < len(doc) and doc[i].pos_ == "PRON" and doc[i].is_lower:
        i += 1
    return i < len(doc) and doc[i].pos_ in {"VERB", "AUX"}


def _positional_article(doc: Doc, start: int, end: int) -> int:
    """Start of a name after an article capitalised only by its place: "La France est..."
    names France when the text writes "France" elsewhere without that article ("en
    France", "la France"); "La Rochelle" keeps its article, written "à La Rochelle"."""
    article = doc[start]
    if article.text not in {"La", "Le", "Les", "L'"} or not _positional_capital(doc, start):
        return start
    text = doc.text
    rest = doc[start + 1 : end].text
    at = text.find(rest)
    while at >= 0:
        before = text[max(0, at - len(article.text) - 1) : at].strip()
        if at != doc[start + 1].idx and before != article.text and not text[at - 1 : at].isalnum():
            return start + 1
        at = text.find(rest, at + 1)
    return start


def _runaway_end(doc: Doc, start: int, end: int) -> int:
    """End of a place the model ran on into the sentence: "Côte d'Azur des gains de
    productivité" is "Côte d'Azur". A lowercase preposition then a common noun after the
    last capitalised word is the sentence going on, not the name."""
    last = max((k for k in range(start, end) if name_like(doc[k])), default=start)
    k = last + 1
    while k < end and doc[k].text in {"-", "'"}:
        k += 1
    tail = doc[k:end]
    if (
        len(tail) >= 2
        and tail[0].is_lower
        and tail[0].pos_ == "ADP"
        and any(t.is_lower and t.pos_ == "NOUN" for t in tail[1:])
    ):
        return k
    return end


def _join_directions(doc: Doc, spans: list[Span]) -> list[Span]:
    """ "Nord" + "Franche-Comté" → "Nord Franche-Comté": one place, not two.

    The gazetteer fixes "Franche-Comté" before the NER, which then cannot extend it.
    """
    out: list[Span] = []
    for span in spans:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.label_ == "LOC"
            and span.label_ == "LOC"
            and prev.end == span.start
            and len(prev) == 1
            and prev.text in DIRECTIONS
        ):
            out[-1] = Span(doc, prev.start, span.end, label="LOC", span_id=span.id)
        else:
            out.append(span)
    return out


class CleanupComponent:
    """Tidy entity spans and drop what is not a name (see the module docstring)."""

    def __init__(
        self,
        has_pos: bool = True,
        known: frozenset[str] = frozenset(),
        common_nouns: frozenset[str] = frozenset(),
    ):
        self.has_pos = has_pos
        # Lowercased one-word places and watchlist names: never dropped as common words.
        self.known = known
        # The model's lexicon of common nouns (see `nlp.model.common_nouns`).
        self.common_nouns = common_nouns

    def __call__(self, doc: Doc) -> Doc:
        kept: list[Span] = []
        ents = doc.ents
        # Known from the pipeline rather than doc.has_annotation, which visits every token.
        has_pos = self.has_pos
        for ent in ents:
            trusted = is_trusted(ent)
            for start, end in _pieces(ent):
                while start < end and _strippable_left(doc[start], start):
                    start += 1
                while end > start and _strippable_right(doc[end - 1]):
                    end -= 1
                # "Ploumanac'h", "Penmarc'h": the tokenizer cuts the Breton "c'h" after
                # the apostrophe, and the model's span often ends there.
                while (
                    start < end < len(doc)
                    and doc[end - 1].text.endswith("'")
                    and not doc[end - 1].whitespace_
                    and doc[end].is_alpha
                    and doc[end].is_lower
                    and not breaks_line(doc[end])
                ):
                    end += 1
                if not trusted and doc[start].is_lower and doc[start].text in ROLE_NOUNS:
                    continue
                if not trusted and end - start > 1:
                    start = _positional_article(doc, start, end)
                    if ent.label_ == "LOC":
                        end = _runaway_end(doc, start, end)
                if end > start and _keep(
                    doc, start, end, trusted, has_pos, self.known, self.common_nouns
                ):
                    if (start, end) == (ent.start, ent.end):
                        kept.append(ent)
                    else:
                        kept.append(Span(doc, start, end, label=ent.label, span_id=ent.id))
        kept = capitals.acronym_bodies(doc, kept)
        doc.ents = _join_directions(doc, capitals.datelines(doc, kept, self.common_nouns))
        return doc


@Language.factory("veille_cleanup", default_config={"has_pos": True, "known": []})
def make_cleanup(nlp: Language, name: str, has_pos: bool, known: list[str]) -> CleanupComponent:
    """Factory of `veille_cleanup`; `has_pos`: whether the pipeline tags parts of speech;
    `known`: one-word names (places, watchlist) never taken for common words. Its
    `common_nouns` are set after (`nlp.model.add_veille_components`): tens of thousands of
    words have no place in the pipeline's config."""
    return CleanupComponent(has_pos, frozenset(k.lower() for k in known))
