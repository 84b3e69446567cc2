"""Authors: the names in a byline, apart from the outlet's name, dates and addresses."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from crawler.dates import DATE_IN_TEXT

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# "Par Anne Fauvarque, France Bleu Besançon": the words before a byline's names.
BYLINE_PREFIX = re.compile(
    r"^\W*(?:propos\s+recueillis\s+par|texte\s*(?:et\s+photos?)?\s*:?|r[ée]dig[ée]\s+par|"
    r"[ée]crit\s+par|publi[ée]\s+par|auteur(?:e|s|\(e\))?\s*:?|par|by|de)\s+",
    re.IGNORECASE,
)
BYLINE_NOISE = re.compile(r"\([^)]*\)|\[[^]]*\]|\S+@\S+|@\w+|https?://\S+")
BYLINE_AND = re.compile(r"\s+(?:et|and|&)\s+", re.IGNORECASE)
BYLINE_START = re.compile(r"^\W*(?:par|by)\s", re.IGNORECASE)
# Signatures that name no one.
GENERIC_AUTHORS = {"rédaction", "la rédaction", "redaction", "admin", "administrateur", "webmaster"}
NAME_OK = re.compile(r"^[^\W\d_][^\d@/]{0,58}$")
NAME_MAX_WORDS = 6

_BYLINE_ELEMENTS = etree.XPath(
    "//*[@itemprop='author' or @rel='author' or contains(@class, 'auteur')"
    " or contains(@class, 'author') or contains(@class, 'signature') or contains(@class, 'byline')]"
)


def is_byline(line: str) -> bool:
    """A line that starts like a byline ("Par …", "By …")."""
    return BYLINE_START.match(line) is not None


def byline_in_page(tree: HtmlElement) -> str | None:
    """Names in the first element marked as author or byline that holds any."""
    for el in _BYLINE_ELEMENTS(tree)[:10]:
        text = " ".join(el.text_content().split())
        if 3 <= len(text) <= 120:
            names = clean_authors(text)
            if names:
                return names
    return None


def clean_authors(raw: str | None) -> str | None:
    """Names only, joined with ", ": 'Par Anne Fauvarque, France Bleu Besançon' → 'Anne Fauvarque'."""
    if not raw:
        return None
    names: list[str] = []
    for chunk in re.split(r"[;|\n]", raw):
        for name in _byline_names(chunk):
            if name.casefold() not in (n.casefold() for n in names):
                names.append(name)
    return ", ".join(names) or None


def _byline_names(chunk: str) -> list[str]:
    text = BYLINE_NOISE.sub(" ", chunk)
    # A date glued to the byline ("Par Anne Fauvarque le 3 mars 2024") is not part of a name.
    date = DATE_IN_TEXT.search(text)
    if date:
        text = text[: date.start()]
    text = re.sub(r"\s+(?:le|publié|mis\s+à\s+jour)\s*$", "", " ".join(text.split()), flags=re.I)
    text = BYLINE_PREFIX.sub("", text).strip(" ,-–—:|·•/")
    if not text:
        return []
    # "A, B et C, Outlet": commas list names up to the last "et"; after the last name a comma
    # introduces the affiliation. Without "et", the first comma ends the name.
    joined = BYLINE_AND.split(text)
    if len(joined) > 1:
        names = [n for part in joined[:-1] for n in part.split(",")]
        names.append(joined[-1].split(",")[0])
    else:
        names = [text.split(",")[0]]
    cleaned = []
    for name in names:
        name = " ".join(name.split()).strip(" -–—:")
        if (
            NAME_OK.match(name)
            and len(name.split()) <= NAME_MAX_WORDS
            and name.casefold() not in GENERIC_AUTHORS
        ):
            cleaned.append(name)
    return cleaned
