"""Pages that list other pages (home, section, tag pages): not articles."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_HEADLINE_LINKS = etree.XPath("//a[@href][string-length(normalize-space(.)) >= 20]")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_INLINE_PARENTS = {"p", "span", "em", "strong", "b", "i", "small", "blockquote", "td", "body"}
CARD_MAX = 800  # characters: a teaser is a title, a standfirst and a date, not an article


def is_home(url: str) -> bool:
    """True for a site's home page URL (no path, no query)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.netloc) and parts.path in ("", "/") and not parts.query


def _cards(tree: HtmlElement) -> list[tuple[str, bool]]:
    """Teaser cards, smallest first (nested cards hold each other's text): short <article>
    elements, and the short block around each link written like a headline (a link inside
    running text is not a card). Each comes with True when it was found by its link."""
    found = {" ".join(el.text_content().split()): False for el in tree.iterfind(".//article")}
    for link in _HEADLINE_LINKS(tree):
        if len(link.text_content().split()) < 4:
            continue
        card = link.getparent()
        if card is not None and card.tag in _HEADINGS:
            card = card.getparent()
        if card is not None and card.tag not in _INLINE_PARENTS:
            found[" ".join(card.text_content().split())] = True
    return sorted(
        ((t, by_link) for t, by_link in found.items() if 0 < len(t) <= CARD_MAX),
        key=lambda c: len(c[0]),
    )


def looks_like_listing(tree: HtmlElement, blocks: list[str]) -> bool:
    """True when the 'main text' trafilatura found is spread over teaser cards (section, tag and
    home pages) rather than held in one article body."""
    cards = _cards(tree)
    if len(cards) < 2:
        return False
    used: set[int] = set()
    in_cards = total = 0
    # Line by line: when trafilatura falls back to dumping a small page, one block holds it all.
    for line in (line for block in blocks for line in block.split("\n")):
        total += len(line)
        if len(line) < 10:  # "|", "Accueil": found in any card by chance
            continue
        index = next((i for i, (card, _) in enumerate(cards) if line in card), None)
        if index is not None:
            used.add(index)
            in_cards += len(line)
    # Several teasers extracted, or one teaser (found by its headline link: a short post in an
    # <article> beside sidebar teasers is still an article) among several cards.
    spread = len(used) >= 2 or (len(used) == 1 and len(cards) >= 3 and cards[min(used)][1])
    return spread and in_cards >= 0.6 * total
