"""What a page's schema.org JSON-LD says that trafilatura's metadata does not carry.

trafilatura reads JSON-LD for title, author and site name, but its Document keeps neither the
page's types (article or listing?), nor times of day, nor `isAccessibleForFree`, nor whether an
author is a Person or the outlet itself: those are read here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# schema.org types that say "this page is one article".
ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "askpublicnewsarticle", "blogposting",
    "liveblogposting", "socialmediaposting", "techarticle", "scholarlyarticle", "report",
}  # fmt: skip
# ...and types that say "this page lists other pages".
LISTING_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage", "blog"}

_SCRIPTS = etree.XPath('//script[contains(@type, "ld+json")]')
# Where pages nest the article inside a wrapper object.
_NESTING_KEYS = ("@graph", "mainEntity", "hasPart")


@dataclass
class JsonLd:
    """The page's JSON-LD, reduced to what extraction decides on."""

    types: set[str] = field(default_factory=set)  # every @type, lowercased
    published: str | None = None  # the article's datePublished, as written
    modified: str | None = None
    free: bool | None = None  # False when isAccessibleForFree says so
    person: str | None = None  # authors typed Person, joined with "; "


def read_json_ld(tree: HtmlElement) -> JsonLd:
    """Read every JSON-LD block of the page; malformed blocks are skipped."""
    info = JsonLd()
    for script in _SCRIPTS(tree):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
                continue
            if not isinstance(item, dict):
                continue
            stack.extend(v for k, v in item.items() if k in _NESTING_KEYS)
            kinds = item.get("@type")
            kinds = {str(k).lower() for k in (kinds if isinstance(kinds, list) else [kinds]) if k}
            info.types |= kinds
            if not kinds & ARTICLE_TYPES and "isAccessibleForFree" not in item:
                continue
            free = item.get("isAccessibleForFree")
            if free is not None and str(free).strip().lower() in ("false", "0", "no"):
                info.free = False
            if kinds & ARTICLE_TYPES:
                info.published = info.published or _as_str(item.get("datePublished"))
                info.modified = info.modified or _as_str(item.get("dateModified"))
                info.person = info.person or _people(item.get("author"))
    return info


def _as_str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _people(value: object) -> str | None:
    # Only authors typed Person: outlets also list themselves (Organization) as the author.
    items = value if isinstance(value, list) else [value]
    names = [
        i.get("name")
        for i in items
        if isinstance(i, dict) and "person" in str(i.get("@type", "")).lower()
    ]
    names = [n.strip() for n in names if isinstance(n, str) and n.strip()]
    return "; ".join(names) or None
