"""Items only the crawl passes from its spider to its pipeline (articles and fetch errors,
which db/ stores too, are in common/items.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SeenPage:
    """A fetched page that is not an article (a section page, a PDF): remembered in seen_urls
    under every URL that led to it, so later crawls do not request it again."""

    url: str
    source: str
    kind: str  # "page" (HTML, not an article) or "not-html"
    also: tuple[str, ...] = ()  # other URLs that led to it (as linked, before redirects)


@dataclass
class DeadLink:
    """An article candidate that answered 404 or 410: remembered in seen_urls, not retried."""

    url: str
    source: str
    status: int
