"""Page metadata: <meta> tags, trafilatura's metadata settings, the title without the outlet's
name, the canonical URL and the language."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from crawler.dates import PARIS
from crawler.extract.listing import is_home
from crawler.urls import canonicalize_url

if TYPE_CHECKING:
    from lxml.html import HtmlElement

TITLE_SEPARATOR = re.compile(r"\s+(?:[|\-–—•·»]|::)\s+")

# The most frequent words of each language, to tell French from English text.
FRENCH_WORDS = frozenset({"le", "la", "les", "des", "est", "une", "du", "dans", "pour", "que", "qui", "sur", "pas", "avec", "par", "au", "aux", "ont", "été"})  # fmt: skip
ENGLISH_WORDS = frozenset({"the", "of", "and", "to", "is", "in", "that", "for", "it", "was", "on", "with", "as", "are", "by", "this", "have"})  # fmt: skip


def date_params() -> dict[str, Any]:
    """htmldate's settings, as trafilatura passes them on: the original publication day rather
    than the last update, searched in the text too, never after today in Paris."""
    return {
        "original_date": True,
        "extensive_search": True,
        "max_date": datetime.now(PARIS).date().isoformat(),
    }


def read_meta(tree: HtmlElement) -> dict[str, str]:
    """The page's <meta> values by lowercased property, name or itemprop (first one wins)."""
    found: dict[str, str] = {}
    for el in tree.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = el.get("content")
        if key and value and key not in found:
            found[key] = value.strip()
    return found


def _squash(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def clean_title(title: str | None, sitename: str | None, url: str) -> str | None:
    """Drop the outlet's name from a page title ("Titre - Le Journal" → "Titre")."""
    if not title:
        return None
    title = " ".join(title.split())
    seps = list(TITLE_SEPARATOR.finditer(title))
    if not seps:
        return title
    bounds = [0, *(m.start() for m in seps), len(title)]
    starts = [0, *(m.end() for m in seps)]
    parts = [title[starts[i] : bounds[i + 1]] for i in range(len(starts))]
    try:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        host = ""
    labels = host.split(".")[:-1]
    site_keys = {_squash(sitename)} if sitename else set()
    if labels:
        site_keys.add(max(labels, key=len))
    site_keys = {k for k in site_keys if len(k) >= 2}

    def is_site(part: str) -> bool:
        squashed = _squash(part)
        return bool(squashed) and any(k in squashed or squashed in k for k in site_keys)

    # The outlet's name and what follows it (tagline, date) go; the first part always stays.
    for i in range(1, len(parts)):
        if is_site(parts[i]):
            return title[: seps[i - 1].start()]
    if is_site(parts[0]):
        return title[seps[0].end() :]
    return title


def canonical_url(tree: HtmlElement, meta: dict[str, str], url: str) -> str:
    """The page's rel=canonical (else og:url, else its own URL), without tracking parameters."""
    links = tree.xpath(
        '//link[@rel and translate(@rel, "CANONICAL", "canonical")="canonical"]/@href'
    )
    for candidate in [*links, meta.get("og:url")]:
        if not candidate or not candidate.strip():
            continue
        absolute = urljoin(url, candidate.strip())
        # Some CMSs point every page's canonical at the home page; that would merge all articles.
        if is_home(absolute) and not is_home(url):
            continue
        if absolute.startswith(("http://", "https://")):
            return canonicalize_url(absolute)
    return canonicalize_url(url)


def page_lang(tree: HtmlElement, meta: dict[str, str], text: str) -> str | None:
    """The page's language: its declaration, unless the text is plainly French or English
    while the page says otherwise (templates often keep lang="en")."""
    declared = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    declared = (
        declared or meta.get("content-language") or meta.get("og:locale") or meta.get("language")
    )
    code = re.split(r"[-_\s,]", declared.strip().lower())[0] if declared else ""
    code = code if 2 <= len(code) <= 3 and code.isalpha() else None
    if code not in (None, "fr", "en"):
        return code
    words = re.findall(r"[a-zà-ÿ]+", text[:3000].lower())
    fr = sum(w in FRENCH_WORDS for w in words)
    en = sum(w in ENGLISH_WORDS for w in words)
    if fr >= 5 and fr > 2 * en:
        return "fr"
    if en >= 5 and en > 2 * fr:
        return "en"
    return code
