"""The article's text: the tree made lighter, trafilatura's body rendered as blocks, and page
furniture (teasers, share buttons, cookie notices, bylines and date lines) dropped."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from crawler.extract.paywall import is_paywall_banner

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# Lines that are page furniture wherever they appear: "Lire aussi" teasers, share buttons,
# ad labels, cookie and newsletter prompts. Only whole short blocks are dropped.
BOILERPLATE = re.compile(
    r"""^\W*(?:
        (?:à|a)?\s*lire\s+(?:aussi|également|egalement)\b.*
      | (?:à|a)\s+(?:voir|écouter|découvrir)\s+(?:aussi|également)\b.*
      | voir\s+aussi\s*:.*
      | (?:read|see)\s+(?:also|more)\s*:.*
      | (?:partager|partagez|share)(?:\s+(?:cet\s+article|sur\s+\w+|this(?:\s+article)?))?
      | (?:facebook|twitter|x|linkedin|whatsapp|e-?mail|imprimer|envoyer|copier\s+le\s+lien|tweeter)
      | publicité|advertisement|sponsorisé
      | (?:nous|ce\s+site)\s+utilis\w+\s+des\s+cookies\b.*
      | en\s+poursuivant\s+votre\s+navigation\b.*
      | (?:inscrivez-vous|abonnez-vous)\s+(?:à|a)\s+(?:notre|la)\s+newsletter\b.*
      | (?:accepter|refuser|paramétrer)(?:\s+(?:les|tous\s+les)\s+cookies)?
      | (?:s['’]abonner|je\s+m['’]abonne|abonnez-vous|déjà\s+abonné|se\s+connecter)\b.*
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
BOILERPLATE_MAX = 160
# Consent banners speak to the reader about cookies; news about cookies (a CNIL fine) does not
# say "vous" or "nous".
COOKIE_WORD = re.compile(r"\bcookies?\b", re.IGNORECASE)
READER_WORDS = re.compile(r"\b(?:vous|votre|vos|nous|nos|you|your|we|our)\b", re.IGNORECASE)
COOKIE_NOTICE_MAX = 400
# Bylines and date lines at the top of an article body ("Par ...", "Publié le ...").
HEADER_BLOCKS = 5
HEADER_MAX = 120
HEADER_LINE = re.compile(
    # "Par" + a capitalised name, so that "Par ailleurs, ..." stays.
    r"^\W*(?:(?:[Pp]ar|PAR|[Bb]y|BY)\s+[A-ZÀ-Ý][\w'’.-]*(?:\s+[A-ZÀ-Ý][\w'’.-]*)"
    r"|(?i:publi[ée]e?s?|published|mis[e]?\s+à\s+jour|modifi[ée]e?|updated|cr[ée]{2}e?)\b)"
)

# Soft hyphens and zero-width characters split words for search and NLP; they are invisible.
# U+FFFD marks bytes that were not text in the page's encoding: noise, not content.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\ufffd"))
# trafilatura's output elements that start a line of their own inside a block.
_LINE_TAGS = {"p", "head", "list", "item", "quote", "table", "row", "code", "div"}

_INERT = etree.XPath(
    "//script[@src or not(contains(@type, 'json'))] | //style | //svg | //comment()"
)


def strip_inert(tree: HtmlElement) -> None:
    """Drop what no extractor reads (code, styles, inline SVG, HTML comments) before trafilatura
    copies and walks the tree several times (htmldate even searches the serialised page).

    JSON scripts (JSON-LD, state data with dates) and <noscript> stay: some pages keep their
    text in <noscript> for readers without JavaScript.
    """
    for el in _INERT(tree):
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:
            previous = el.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


def render_blocks(body: etree._Element) -> list[str]:
    """trafilatura's body as text blocks: one per paragraph, heading, list, quote or table."""
    blocks = []
    if body.text and body.text.strip():
        blocks.append(body.text.strip())
    for child in body:
        text = norm_lines(_inline(child))
        if text:
            blocks.append(text)
        if child.tail and child.tail.strip():
            blocks.append(norm_lines(child.tail))
    return blocks


def _inline(el: etree._Element) -> str:
    if el.tag == "row":
        return " | ".join(" ".join(_inline(c).split()) for c in el if c.tag == "cell")
    parts = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag in _LINE_TAGS:
            parts.append("\n" + _inline(child) + "\n")
        else:  # inline markup: hi, ref, del...
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def norm_lines(text: str) -> str:
    """Invisible characters dropped, spaces collapsed within lines, empty lines dropped."""
    text = text.translate(INVISIBLE)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def is_boilerplate(block: str) -> bool:
    """A block that is page furniture: a cookie notice, a teaser line, a paywall banner."""
    if len(block) <= COOKIE_NOTICE_MAX and COOKIE_WORD.search(block) and READER_WORDS.search(block):
        return True
    if len(block) > BOILERPLATE_MAX:
        return False
    # A paywall banner that trafilatura kept in the text is a message, not the article.
    return bool(BOILERPLATE.match(block)) or is_paywall_banner(block)


def drop_header_lines(blocks: list[str]) -> tuple[list[str], list[str]]:
    """Drop the byline and date line that open many article bodies: they are stored in their
    own fields. (The headline stays: readers and searches expect it with the text.)
    Returns the blocks kept and the lines dropped."""
    kept, header = [], []
    for i, block in enumerate(blocks):
        if i < HEADER_BLOCKS and len(block) <= HEADER_MAX and HEADER_LINE.match(block):
            header.append(block)
            continue
        kept.append(block)
    return kept, header
