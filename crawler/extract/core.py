"""extract(): the order of the extraction stages, each in its own module of this package."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import trafilatura
from lxml import etree

from common.items import Article
from crawler.dates import PARIS, to_iso
from crawler.extract.bylines import GENERIC_AUTHORS, byline_in_page, is_byline, read_byline
from crawler.extract.decoding import decode_html
from crawler.extract.jsonld import ARTICLE_TYPES, LISTING_TYPES, read_json_ld
from crawler.extract.listing import is_home, looks_like_listing
from crawler.extract.metadata import canonical_url, clean_title, date_params, page_lang, read_meta
from crawler.extract.page_dates import page_dates
from crawler.extract.paywall import is_paywalled
from crawler.extract.source_selectors import select
from crawler.extract.text import drop_header_lines, is_boilerplate, render_blocks, strip_inert

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from common.source_config import Source

log = logging.getLogger(__name__)

MIN_TEXT = 100  # characters
# Signatures that name no one: trafilatura then looks further (JSON-LD, the page's bylines).
NOT_AUTHORS = set(GENERIC_AUTHORS)


def extract(
    html: bytes | str,
    url: str,
    source: Source | None = None,
    *,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> Article | None:
    """Extract the article of one HTML page; None when the page is not an article."""
    fetched = fetched_at or datetime.now(PARIS)
    text_html = decode_html(html, content_type)
    if not text_html or not text_html.strip():
        return None
    try:
        tree = trafilatura.load_html(text_html)
    except (ValueError, etree.ParserError, TypeError):
        return None
    if tree is None or tree.find(".//body") is None:
        return None
    try:
        return _extract_tree(tree, text_html, url, source, fetched)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        # What malformed markup makes lxml or trafilatura raise: a page without an article.
        # Anything else is a bug and propagates (the spider records it as a fetch error).
        log.warning("extraction failed for %s: %s", url, exc)
        return None


def _extract_tree(
    tree: HtmlElement, raw: str, url: str, source: Source | None, fetched: datetime
) -> Article | None:
    strip_inert(tree)
    meta = read_meta(tree)
    # trafilatura parses the JSON-LD too, but keeps neither page types, times of day,
    # isAccessibleForFree nor Person authors: our own read (jsonld.py) is the only way to them.
    ld = read_json_ld(tree)
    is_article_page = bool(ld.types & ARTICLE_TYPES) or meta.get("og:type") == "article"
    if not is_article_page and (is_home(url) or ld.types & LISTING_TYPES):
        return None

    selected = select(tree, source.selectors if source else None)
    # trafilatura reads the metadata before its text stage prunes (a copy of) the tree.
    if selected.text:
        # The source told us where the text is: only the metadata is asked of trafilatura.
        doc = trafilatura.extract_metadata(
            tree, default_url=url, date_config=date_params(), author_blacklist=NOT_AUTHORS
        )
        blocks = selected.text
    else:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            # Reader comments are not the article: leaving them out also prunes comment
            # sections before the main text is searched, which trafilatura's defaults do not.
            include_comments=False,
            date_extraction_params=date_params(),
            author_blacklist=NOT_AUTHORS,
        )
        if doc is None or doc.body is None:
            return None
        blocks = render_blocks(doc.body)
    paywalled = is_paywalled(tree, raw, ld, blocks)
    blocks, header = drop_header_lines([b for b in blocks if not is_boilerplate(b)])
    if not selected.text and not is_article_page and looks_like_listing(tree, blocks):
        return None
    text = "\n\n".join(blocks).strip()
    # A few words ("Accueil", a menu) are no article; a teaser may be short but is flagged.
    if not text or (len(text) < MIN_TEXT and not paywalled):
        return None

    title = selected.title or clean_title(doc.title or meta.get("og:title"), doc.sitename, url)
    published, modified = page_dates(doc.date, ld, meta, selected.date, tree, fetched)
    outlets = [source.name if source else "", doc.sitename or "", meta.get("og:site_name", "")]
    author, credit = read_byline(selected.author or ld.person or doc.author, outlets)
    # The "Par ..." lines dropped from the top of the text fill in a missing author or credit.
    for line in (h for h in header if is_byline(h)):
        if author and credit:
            break
        printed = read_byline(line, outlets)
        author, credit = author or printed.author, credit or printed.credit
    # Then elements marked as author or byline, unless the signature named only the outlet or
    # an agency: those elements are then more often share buttons and sidebars than a writer.
    if author is None and credit is None:
        author, credit = byline_in_page(tree, outlets)
    return Article(
        url=url,
        canonical_url=canonical_url(tree, meta, url),
        source=source.name if source else "",
        title=" ".join(title.split()) if title else None,
        author=author,
        credit=credit,
        published=published,
        modified=modified,
        lang=page_lang(tree, meta, text),
        text=text,
        paywalled=paywalled,
        fetched_at=to_iso(fetched),
    )
