"""Per-source CSS selectors from the sources file: where a page keeps its text, title, author
and date, when the source says so instead of leaving it to trafilatura's guessing."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.extract.text import norm_lines

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from common.source_config import Selectors

log = logging.getLogger(__name__)

_SKIP = {"script", "style", "noscript", "nav", "aside", "form", "button", "iframe", "svg"}
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "tr"}  # fmt: skip
_CONTAINERS = {"div", "section", "article", "ul", "ol", "table"}


class Selected(NamedTuple):
    """What a source's selectors found on one page (None where a selector is unset or empty)."""

    text: list[str] | None
    title: str | None
    author: str | None
    date: str | None


NOTHING = Selected(None, None, None, None)


def select(tree: HtmlElement, selectors: Selectors | None) -> Selected:
    """Apply a source's selectors to the page."""
    if selectors is None:
        return NOTHING
    return Selected(
        text=select_text(tree, selectors.text) if selectors.text else None,
        title=select_first(tree, selectors.title) if selectors.title else None,
        author=select_first(tree, selectors.author) if selectors.author else None,
        date=(
            select_first(tree, selectors.date, attrs=("datetime", "content"))
            if selectors.date
            else None
        ),
    )


@lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector | None:
    try:
        return CSSSelector(selector)
    except Exception:  # cssselect raises several error types for a bad selector
        # A sources file with one is refused when it loads (crawler/sources.py); this only
        # keeps extract() total for a Source built in code: such a selector finds nothing.
        log.warning("invalid CSS selector: %r", selector)
        return None


def _select(tree: HtmlElement, selector: str) -> list:
    compiled = _css(selector)
    return compiled(tree) if compiled is not None else []


def select_first(tree: HtmlElement, selector: str, attrs: tuple[str, ...] = ()) -> str | None:
    """The first matching element's attribute (first of `attrs` set) or else its text."""
    for el in _select(tree, selector):
        for attr in attrs:
            if el.get(attr):
                return el.get(attr).strip()
        text = " ".join(el.text_content().split())
        if text:
            return text
    return None


def select_text(tree: HtmlElement, selector: str) -> list[str] | None:
    """Text blocks of the elements a source's `text` selector names; None when nothing matches.

    A plain walk of our own: the source has already said where the text is, and running
    trafilatura again on the subtree would re-apply the guessing the selector replaces.
    """
    blocks: list[str] = []
    for root in _select(tree, selector):
        pieces: list[str] = []
        _collect(root, pieces, blocks)
        _flush(pieces, blocks)
    return blocks or None


def _collect(el: etree._Element, pieces: list[str], blocks: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _SKIP or not tag:
        if el.tail:
            pieces.append(el.tail)
        return
    is_block = tag in _BLOCKS or tag in _CONTAINERS
    if is_block:
        _flush(pieces, blocks)
    if tag == "br":
        pieces.append("\n")
    if el.text:
        pieces.append(el.text)
    for child in el:
        _collect(child, pieces, blocks)
    if is_block:
        _flush(pieces, blocks)
    if el.tail:
        pieces.append(el.tail)


def _flush(pieces: list[str], blocks: list[str]) -> None:
    text = norm_lines("".join(pieces))
    if text:
        blocks.append(text)
    pieces.clear()
