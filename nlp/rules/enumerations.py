"""Enumerations and announced lists: names listed together are of one kind.

Decides: names listed after a plural business noun ("des entreprises : X, Y et Z.fr",
"cinq PME, dont X", "Parmi elles, X") or alongside an organisation known from staff data
or a phrase are ORG, members the model missed included ("Z.fr" names "Z"), and so are
names whose list is followed by its kind ("de X et de Y, deux PME voisines"); a person
named in full in apposition stays a person. In a list of three names or more that are all
people but one, or all places but one, the odd one is of their kind.
Data: org_phrases.toml `enumeration_nouns`. Tests: tests/test_rules_enumerations.py.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from itertools import pairwise

import numpy as np
from spacy.attrs import LOWER
from spacy.tokens import Doc, Span

from nlp.rules.base import DOMAIN as _DOMAIN
from nlp.rules.base import ENUM_ID, TRUSTED_PREFIXES, Context, Named, proper_run

# What may stand between two members of an enumeration: a comma, "et", "ou", and a short
# description in brackets ("Kalixo (logiciels), Brevan (tests) et Ondula").
# Between two listed names: a comma, "et" or "ou", perhaps a preposition repeated ("ceux de
# Solvane et de Tramis") and a description in brackets before.
_ENUM_GAP = re.compile(
    r"^\s*(?:\([^()\n]{1,40}\)\s*)?(?:,|(?:,\s*)?(?:et|ou)(?:\s+(?:de|du|des)|\s+d['’])?)\s*$"
)
# After a list, an apposition with a count or a demonstrative: "X et Y, deux PME voisines".
_ENUM_AFTER = re.compile(
    r"^\s*(?:\([^()\n]{1,40}\)\s*)?,\s*(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|\d+"
    r"|ces|les|des|toutes deux|tous deux|tous|toutes)\s+((?:[\w’'-]+\s+){0,2}?[\w’'-]+)",
    re.IGNORECASE,
)
_ENUM_LEAD = {":", "comme", "dont", "notamment", "parmi", "lesquels", "lesquelles"}


def apply(ctx: Context, spans: list[Named]) -> list[Named]:
    """The pass: see `enumerations`."""
    return enumerations(ctx.doc, spans, ctx.data.enumeration_nouns)


def enumerations(doc: Doc, spans: list[Named], nouns: frozenset[str]) -> list[Named]:
    """Names listed together are of one kind: organisations, where the list follows a
    plural business noun ("des entreprises sont installées : X, Y (tests) et Z") or one
    member is an organisation by staff data or a phrase. Members the model missed between
    listed names ("X (logiciels), Y (tests) et Z") are added."""
    spans = _announced_lists(doc, spans, nouns)
    if not spans:
        return spans
    spans = sorted(spans, key=lambda item: item[0].start)
    taken = {i for span, _, _ in spans for i in range(span.start, span.end)}
    text = doc.text  # doc.text rebuilds the text token by token: once, not per gap
    spans = _one_kind(spans, _groups(spans, text, lambda item: True), text)
    groups = _groups(spans, text, _listable)
    out = list(spans)
    added: list[Named] = []
    for group in groups:
        members = [spans[k] for k in group]
        first = members[0][0]
        lead = doc[max(0, first.start - 12) : first.start]
        by_noun = (
            first.start > 0
            and doc[first.start - 1].lower_ in _ENUM_LEAD
            and any(f" {noun} " in f" {' '.join(t.lower_ for t in lead)} " for noun in nouns)
            and not any(t.is_sent_start for t in doc[first.start - 1 : first.start])
        )
        by_member = any(
            label == "ORG" and span.id_.startswith(TRUSTED_PREFIXES) for span, label, _ in members
        )
        if len(members) > 1 and not by_noun:
            end_char = members[-1][0].end_char
            after = _ENUM_AFTER.match(text[end_char : end_char + 80])
            by_noun = after is not None and any(
                _word_in(noun, f" {after.group(1).lower()} ") for noun in nouns
            )
        if not (by_noun or by_member):
            continue
        # Names the model missed after a listed one: "(tests) et Sabrak", ", Sabrak".
        extra: list[Span] = []
        last = members[-1][0]
        i = last.end
        while i < len(doc):
            j = i
            if doc[j].text == "(":
                while j < len(doc) and doc[j].text != ")" and j - i < 10:
                    j += 1
                j += 1
            if j < len(doc) and doc[j].text == ",":
                j += 1
            if j < len(doc) and doc[j].lower_ in {"et", "ou"}:
                j += 1
            if j == i or j >= len(doc) or j in taken:
                break
            end = proper_run(doc, j)
            if end == j or any(k in taken for k in range(j, end)) or not _letters(doc[j:end]):
                break
            extra.append(doc[j:end])
            i = end
        if len(members) + len(extra) < 2:
            continue
        for k in group:
            span, _, name = out[k]
            if not span.id_.startswith(TRUSTED_PREFIXES):
                # Marked, so that the article's other mentions of the name follow it.
                span = Span(doc, span.start, span.end, label="ORG", span_id=ENUM_ID)
            out[k] = (span, "ORG", name)
        for span in extra:
            taken.update(range(span.start, span.end))
            name = _DOMAIN.sub("", span.text) or span.text
            added.append(
                (Span(doc, span.start, span.end, label="ORG", span_id=ENUM_ID), "ORG", name)
            )
    if not added:
        return out
    return sorted(out + added, key=lambda item: item[0].start)


def _groups(spans: list[Named], text: str, member: Callable[[Named], bool]) -> list[list[int]]:
    """Indexes of `spans` (in text order) grouped by list: names one after another with
    only a list's gap between them (`_ENUM_GAP`), each accepted by `member`."""
    groups: list[list[int]] = [[0]]
    for k in range(1, len(spans)):
        prev, cur = spans[k - 1][0], spans[k][0]
        gap = text[prev.end_char : cur.start_char]
        if _ENUM_GAP.match(gap) and "\n" not in gap and member(spans[k - 1]) and member(spans[k]):
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


def _one_kind(spans: list[Named], groups: list[list[int]], text: str) -> list[Named]:
    """In a list of three names or more where all but one are people, or all but one
    places, the odd one is of their kind: "Diallo (12e), Camara (56e) et Roux" lists
    scorers, "Vannes, Lorient, Pontivy et Ploërmel" towns. Names from staff data or a
    phrase keep their label; organisations have their own rules above."""
    out = list(spans)
    for group in (part for whole in groups for part in _ended(spans, whole, text)):
        if len(group) < 3:
            continue
        labels = Counter(spans[k][1] for k in group)
        kind, count = labels.most_common(1)[0]
        if kind not in {"PER", "LOC"} or count < len(group) - 1 or count == len(group):
            continue
        for k in group:
            span, label, name = spans[k]
            if label != kind and not span.id_.startswith(TRUSTED_PREFIXES):
                # Marked, so that the article's other mentions of the name follow it.
                out[k] = (
                    Span(span.doc, span.start, span.end, label=kind, span_id=ENUM_ID),
                    kind,
                    name,
                )
    return out


def _ended(spans: list[Named], group: list[int], text: str) -> list[list[int]]:
    """A group cut after "et"/"ou": the conjunction comes before a list's last name, so in
    "Fondée par A et B, Talvenn conçoit..." the list is "A et B", and Talvenn stands apart."""
    parts, closed = [[group[0]]], False
    for prev, k in pairwise(group):
        if closed:
            parts.append([k])
            closed = False
            continue
        parts[-1].append(k)
        gap = text[spans[prev][0].end_char : spans[k][0].start_char]
        closed = re.search(r"\b(?:et|ou)\b", gap) is not None
    return parts


def _announces(doc: Doc, i: int, nouns: frozenset[str]) -> int | None:
    """Where the list starts when token i announces names of organisations, else None.

    "des entreprises du numérique : X", "cinq jeunes entreprises, dont X", "des PME
    comme X", and "Parmi elles, X" after a sentence about entreprises: a plural business
    noun (`enumeration_nouns`) shortly before the lead word.
    """
    token = doc[i]
    lower = token.lower_
    start = i + 1
    window = 12
    if lower == "parmi":
        if i + 1 >= len(doc) or doc[i + 1].lower_ not in {"elles", "eux", "lesquelles", "lesquels"}:
            return None
        start = i + 2
        if start < len(doc) and doc[start].text == ",":
            start += 1
        window = 60  # the pronoun refers back to the sentence before
    elif lower not in {":", "dont", "notamment", "comme"}:
        return None
    lead = f" {doc[max(0, i - window) : i].text.lower()} "
    if not any(_word_in(noun, lead) for noun in nouns):
        return None
    return start


def _word_in(word: str, text: str) -> bool:
    """Whether `word` stands in `text` as a whole word ("start-up", not "startups")."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if not text[at - 1].isalnum() and not text[end].isalnum():
            return True
        at = text.find(word, at + 1)
    return False


def _list_members(doc: Doc, start: int) -> list[tuple[int, int]]:
    """Token ranges of the names listed from `start`: "X (logiciels), Y et Z.fr"."""
    members: list[tuple[int, int]] = []
    k, n = start, len(doc)
    while k < n:
        if doc[k].pos_ in {"DET", "ADP", "PRON", "CCONJ", "SCONJ", "AUX", "VERB"}:
            break
        end = proper_run(doc, k)
        if end == k or (members and doc[k].is_sent_start) or not _letters(doc[k:end]):
            break
        members.append((k, end))
        k = end
        if k < n and doc[k].text == "(":
            close = k
            while close < n and doc[close].text != ")" and close - k < 10:
                close += 1
            k = close + 1
        gap = k
        if gap < n and doc[gap].text == ",":
            gap += 1
        if gap < n and doc[gap].lower_ in {"et", "ou"}:
            gap += 1
            if gap < n and doc[gap].lower_ in {"encore", "aussi", "enfin"}:
                gap += 1
        if gap == k:
            break
        k = gap
    return members


_LEADS = {":", "dont", "notamment", "comme", "parmi"}
# Before a plural business noun that names its members right after it: "les éditeurs X et
# Y", "ses clients X, Y et Z", "deux PME, X et Y".
_PLURAL_DETERMINERS = {"les", "des", "ses", "leurs", "nos", "vos", "ces", "plusieurs"}


def _named_after_noun(doc: Doc, i: int) -> int | None:
    """Where the list starts when the plural business noun at i names its members right
    after it ("les éditeurs Mnémo et Kerys"), else None."""
    if i == 0 or i + 1 >= len(doc):
        return None
    before = doc[i - 1]
    if not (before.lower_ in _PLURAL_DETERMINERS or before.like_num):
        return None
    start = i + 2 if doc[i + 1].text == "," else i + 1
    if start >= len(doc) or not (doc[start].is_title or doc[start].is_upper):
        return None
    return start


def _announced_lists(doc: Doc, spans: list[Named], nouns: frozenset[str]) -> list[Named]:
    """Names listed after a plural business noun are organisations, found or not.

    "Cinq jeunes entreprises, dont Kalixo et Brevan": both are ORG even where the model
    saw nothing or a person; a person named in full stays a person.
    """
    if not nouns:
        return spans
    # Only the lead words are looked at: a loop over every token costs more.
    words = _LEADS | {noun for noun in nouns if " " not in noun}
    ids = np.array([doc.vocab.strings[w] for w in words], dtype="uint64")
    leads = np.flatnonzero(np.isin(doc.to_array([LOWER]), ids)).tolist()
    if not leads:
        return spans
    by_range = {(span.start, span.end): k for k, (span, _, _) in enumerate(spans)}
    out = list(spans)
    taken = {i for span, _, _ in spans for i in range(span.start, span.end)}
    for i in leads:
        lead = doc[i].lower_ in _LEADS
        start = _announces(doc, i, nouns) if lead else _named_after_noun(doc, i)
        if start is None:
            continue
        for a, b in _list_members(doc, start):
            k = by_range.get((a, b))
            if k is not None:
                span, label, name = out[k]
                if span.id_.startswith(TRUSTED_PREFIXES) or not _listable(out[k]):
                    continue
                out[k] = (Span(doc, a, b, label="ORG", span_id=ENUM_ID), "ORG", name)
            elif not any(m in taken for m in range(a, b)):
                text = doc[a:b].text
                name = _DOMAIN.sub("", text) or text
                out.append((Span(doc, a, b, label="ORG", span_id=ENUM_ID), "ORG", name))
                taken.update(range(a, b))
    return sorted(out, key=lambda item: item[0].start)


def _letters(span: Span) -> bool:
    """Whether a span has two letters at least: "G" in "G.-F. Gallot" is an initial."""
    return sum(c.isalpha() for c in span.text) >= 2


def _listable(item: Named) -> bool:
    """Whether a name can be a member of a list of organisations: a person named in full
    after a comma is an apposition ("le président de la Commission, Jean Gallot"), and a
    single letter is an initial."""
    span, label, name = item
    letters = sum(c.isalpha() for c in span.text)
    return letters >= 2 and not (label == "PER" and len(name.split()) > 1)
