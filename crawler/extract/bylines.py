"""Authors: the names in a byline, apart from the outlet's name, dates and addresses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

from crawler.dates import DATE_IN_TEXT

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# "Par Anne Fauvarque, France Bleu Besançon": the words before a byline's names.
BYLINE_PREFIX = re.compile(
    r"^\W*(?:propos\s+recueillis\s+par|texte\s*(?:et\s+photos?)?\s*:?|r[ée]dig[ée]\s+par|"
    r"[ée]crit\s+par|publi[ée]\s+par|auteur(?:e|s|\(e\))?\s*:?|"
    r"(?:posted|written|reported)\s+by|authors?\s*:|par|by|de)\s+",
    re.IGNORECASE,
)
BYLINE_NOISE = re.compile(r"\([^)]*\)|\[[^]]*\]|\S+@\S+|@\w+|https?://\S+")
BYLINE_AND = re.compile(r"\s+(?:et|and|&)\s+", re.IGNORECASE)
BYLINE_START = re.compile(r"^\W*(?:par|by)\s", re.IGNORECASE)
# Credits: in brackets ("(avec AFP)"), glued after the names ("avec AFP", "/ AFP", "- Radio X"),
# or after the last name's comma ("Anne Fauvarque, France Bleu Besançon").
BRACKETED = re.compile(r"\(([^)]*)\)")
CREDIT_PREFIX = re.compile(r"^(?:avec|with|et|and|source\s*:|sources?\s*:|via)\s+", re.IGNORECASE)
CREDIT_GLUE = re.compile(r"\s+(avec|with|/|-|–|—)\s+(\S.*)$", re.IGNORECASE)
CREDIT_MAX = 60  # characters
# Press agencies, whose name is a credit and never a person's.
AGENCIES = {
    "afp", "agence france-presse", "agence france presse", "reuters", "ap", "associated press",
    "dpa", "ansa", "efe", "belga", "ats", "keystone-ats", "xinhua", "bloomberg", "agences",
}  # fmt: skip
# Outlets' names: a French article before a capital ("Le Courrier", "L'Écho") or a medium's word.
OUTLET_START = re.compile(r"^(?:Le|La|Les|L['’])\s*[A-ZÀ-Ý]")
OUTLET_WORD = re.compile(
    r"\b(?:radio|tv|télé|fm|info|infos|bleu|inter|presse|journal|magazine|hebdo|quotidien|"
    r"médias?|media|news|agence|rédaction|redaction|édition|edition)\b",
    re.IGNORECASE,
)
# Signatures that name no one.
GENERIC_AUTHORS = {"rédaction", "la rédaction", "redaction", "admin", "administrateur", "webmaster"}
NAME_OK = re.compile(r"^[^\W\d_][^\d@/]{0,58}$")
NAME_MAX_WORDS = 6


class Byline(NamedTuple):
    """A byline read: the people's names and the outlet or agency credited, each joined with
    ", " (None when there are none)."""

    author: str | None
    credit: str | None


_BYLINE_ELEMENTS = etree.XPath(
    "//*[@itemprop='author' or @rel='author' or contains(@class, 'auteur')"
    " or contains(@class, 'author') or contains(@class, 'signature') or contains(@class, 'byline')]"
)


def is_byline(line: str) -> bool:
    """A line that starts like a byline ("Par …", "By …")."""
    return BYLINE_START.match(line) is not None


def byline_in_page(tree: HtmlElement, outlets: Iterable[str] = ()) -> Byline:
    """The first element marked as author or byline that names anyone."""
    for el in _BYLINE_ELEMENTS(tree)[:10]:
        text = " ".join(el.text_content().split())
        if 3 <= len(text) <= 120:
            byline = read_byline(text, outlets)
            if byline.author:
                return byline
    return Byline(None, None)


def clean_authors(raw: str | None) -> str | None:
    """Names only, joined with ", ": 'Par Anne Fauvarque, France Bleu Besançon' → 'Anne Fauvarque'."""
    return read_byline(raw).author


def read_byline(raw: str | None, outlets: Iterable[str] = ()) -> Byline:
    """Split a byline into the people who wrote it and the outlet or agency credited.

    'Par Anne Fauvarque, France Bleu Besançon' → ('Anne Fauvarque', 'France Bleu Besançon');
    'Par Jean Dufour (avec AFP)' → ('Jean Dufour', 'AFP'); 'AFP' → (None, 'AFP').
    `outlets` are names known to be the outlet's (its source name, its site name).
    """
    if not raw:
        return Byline(None, None)
    known = {_squash(o) for o in outlets if o and len(_squash(o)) >= 3}
    names: list[str] = []
    credits: list[str] = []
    for chunk in re.split(r"[;|\n]", raw):
        chunk_names, chunk_credits = _read_chunk(chunk, known)
        _add_new(names, chunk_names)
        _add_new(credits, chunk_credits)
    return Byline(", ".join(names) or None, ", ".join(credits) or None)


def _add_new(found: list[str], new: list[str]) -> None:
    for item in new:
        if item.casefold() not in (f.casefold() for f in found):
            found.append(item)


def _squash(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _is_outlet(text: str, known: set[str]) -> bool:
    """A credit rather than a person: an agency, the outlet's own name, or a name that reads
    like a title ("Le Courrier…", "Radio …", "France 3 …")."""
    if text.casefold() in AGENCIES or OUTLET_START.match(text) or OUTLET_WORD.search(text):
        return True
    if any(ch.isdigit() for ch in text):
        return True
    squashed = _squash(text)
    return squashed in known


def _credit(text: str) -> str | None:
    """An affiliation written after a name, when it names someone (not "envoyé spécial")."""
    text = " ".join(text.split()).strip(" ,-–—:/")
    text = CREDIT_PREFIX.sub("", text)
    if not text or not (text[0].isupper() or text[0].isdigit()) or len(text) > CREDIT_MAX:
        return None
    if DATE_IN_TEXT.search(text) or "@" in text or "://" in text:
        return None
    return text


def _read_chunk(chunk: str, known: set[str]) -> tuple[list[str], list[str]]:
    credits = [c for c in map(_credit, BRACKETED.findall(chunk)) if c]
    text = BYLINE_NOISE.sub(" ", chunk)
    # A date glued to the byline ("Par Anne Fauvarque le 3 mars 2024") is not part of a name.
    date = DATE_IN_TEXT.search(text)
    if date:
        text = text[: date.start()]
    text = re.sub(r"\s+(?:le|publié|mis\s+à\s+jour)\s*$", "", " ".join(text.split()), flags=re.I)
    text = BYLINE_PREFIX.sub("", text).strip(" ,-–—:|·•/")
    # "Jean Dufour avec AFP", "Jean Dufour / AFP", "Jean Dufour - Radio Vallée".
    glued = CREDIT_GLUE.search(text)
    credit = _credit(glued.group(2)) if glued else None
    # "avec" says it is a credit; after a dash or a slash, only what reads like an outlet is.
    if credit and (glued.group(1).isalpha() or _is_outlet(credit, known)):
        credits.append(credit)
        text = text[: glued.start()]
    if not text:
        return [], credits
    # "A, B et C, Outlet": commas list names up to the last "et"; after the last name a comma
    # introduces the affiliation. Without "et", the first comma ends the name.
    joined = BYLINE_AND.split(text)
    if len(joined) > 1:
        names = [n for part in joined[:-1] for n in part.split(",")]
        last, _, affiliation = joined[-1].partition(",")
        names.append(last)
    else:
        first, _, affiliation = text.partition(",")
        names = [first]
    affiliation = _credit(affiliation)
    if affiliation and _is_outlet(affiliation, known):
        credits.append(affiliation)
    cleaned = []
    for name in names:
        name = " ".join(name.split()).strip(" -–—:")
        if (
            not NAME_OK.match(name)
            or len(name.split()) > NAME_MAX_WORDS
            or name.casefold() in GENERIC_AUTHORS
        ):
            continue
        if len(names) == 1 and _is_outlet(name, known):
            credits.append(name)  # the whole signature is the outlet or an agency
        else:
            cleaned.append(name)
    return cleaned, credits
