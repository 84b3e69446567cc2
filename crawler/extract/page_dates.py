"""A page's publication and modification times, from the best of what it says about them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from lxml import etree

from crawler.dates import find_french_date, iter_french_dates, parse_french_date, to_iso

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extract.jsonld import JsonLd

_META_PUBLISHED = (
    "article:published_time", "datepublished", "og:article:published_time", "publication_date",
    "date", "dc.date", "dc.date.issued", "dcterms.date", "sailthru.date", "pubdate",
)  # fmt: skip
_META_MODIFIED = ("article:modified_time", "datemodified", "og:updated_time", "dcterms.modified")
_DATE_ELEMENTS = etree.XPath(
    "//time | //*[@class or @id or @itemprop][contains(@class, 'date') or contains(@class, 'publi')"
    " or contains(@class, 'byline') or contains(@class, 'time') or contains(@id, 'date')"
    " or contains(@itemprop, 'date') or contains(@class, 'meta') or contains(@class, 'info')]"
)
_VISIBLE_TEXT = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]")
WHOLE_PAGE_CHARS = 5000  # a page's date line is near its top


def page_dates(
    day: str | None,
    ld: JsonLd,
    meta: dict[str, str],
    selected: str | None,
    tree: HtmlElement,
    fetched: datetime,
) -> tuple[str | None, str | None]:
    """Published and modified times as ISO 8601 with offset.

    `day` is htmldate's publication day (YYYY-MM-DD, through trafilatura's metadata), `selected`
    what the source's date selector found. Order: the selector, then machine dates (JSON-LD,
    <meta>) that agree with htmldate's day, then French dates printed in the page.
    """

    def parse(value: str | None) -> datetime | None:
        return parse_french_date(value, relative_base=fetched) if value else None

    machine = parse(ld.published) or next(
        (d for d in (parse(meta.get(k)) for k in _META_PUBLISHED) if d), None
    )
    modified = parse(ld.modified) or next(
        (d for d in (parse(meta.get(k)) for k in _META_MODIFIED) if d), None
    )
    published = parse(selected)
    if published is None and machine and (day is None or machine.date().isoformat() == day):
        published = machine
    if published is None:
        # htmldate is the best judge of the day; a French date printed in the page on that
        # day adds the time, and pages without metadata get their date from the text alone.
        shown, shown_modified = _visible_dates(tree, fetched, whole_page=day is None)
        modified = modified or shown_modified
        if day is None or (shown and shown.date().isoformat() == day):
            published = shown
        else:
            published = parse(day)
    return (to_iso(published) if published else None, to_iso(modified) if modified else None)


def _visible_dates(
    tree: HtmlElement, fetched: datetime, *, whole_page: bool
) -> tuple[datetime | None, datetime | None]:
    """Dates printed in the page: in date-like elements, else (when asked) anywhere in it."""
    published = modified = None
    for el in _DATE_ELEMENTS(tree):
        value = el.get("datetime")
        found = parse_french_date(value, relative_base=fetched) if value else None
        if found is not None:
            published = published or found
            continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > 300:
            continue
        for found, is_update in iter_french_dates(text, relative_base=fetched):
            if is_update:
                modified = modified or found
            else:
                published = published or found
        if published and modified:
            break
    if published is None and whole_page:
        body = tree.find(".//body")
        text = " ".join(" ".join(_VISIBLE_TEXT(body)).split()) if body is not None else ""
        hit = find_french_date(text[:WHOLE_PAGE_CHARS], relative_base=fetched)
        if hit:
            published = hit[0]
    return published, modified
