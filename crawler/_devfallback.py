"""TEMPORARY stand-ins for helper A's crawler.extract / crawler.urls while they are missing.

Removed once those modules land; nothing imports this when they exist.
"""

from __future__ import annotations

from w3lib.url import canonicalize_url as _w3c
from w3lib.url import url_query_cleaner

from crawler.items import Article


def canonicalize_url(url: str) -> str:
    import re

    from urllib.parse import parse_qsl, urlsplit

    q = [k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    drop = [k for k in q if re.match(r"utm_|xtor|fbclid|gclid", k)]
    url = url_query_cleaner(url, drop, remove=True) if drop else url
    return _w3c(url, keep_fragments=False)


def extract(html, url, source=None, *, content_type=None, fetched_at=None):
    import trafilatura
    from w3lib.encoding import html_to_unicode

    if isinstance(html, bytes):
        _, html = html_to_unicode(content_type, html)
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if not doc:
        return None
    doc = doc.as_dict() if hasattr(doc, "as_dict") else doc
    text = doc.get("text") or ""
    if len(text) < 300:
        return None
    return Article(
        url=url,
        canonical_url=canonicalize_url(url),
        source=getattr(source, "name", ""),
        title=doc.get("title"),
        author=doc.get("author"),
        published=doc.get("date"),
        text=text,
        fetched_at=fetched_at,
    )
