"""Typed items that flow from the crawler to the database (shared by crawler/ and db/)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Article:
    """One extracted article page, ready to be stored.

    Dates are ISO 8601 strings with a UTC offset (Europe/Paris when the page gives none).
    """

    url: str
    canonical_url: str
    source: str
    title: str | None = None
    author: str | None = None
    # The outlet or agency a byline credits beside its people ("France Bleu Besançon", "AFP").
    credit: str | None = None
    published: str | None = None
    modified: str | None = None
    lang: str | None = None
    text: str = ""
    paywalled: bool = False
    fetched_at: str | None = None
    # URLs that led to this page (the requested URL before redirects, feed links...).
    seen_urls: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain dict, for JSON output and storage."""
        return asdict(self)


@dataclass
class FetchError:
    """A page or source that could not be fetched or read; stored in `fetch_errors`."""

    url: str
    source: str
    reason: str
    status: int | None = None
    time: str | None = None


@dataclass
class SeenPage:
    """A fetched page that is not an article (a section page, a PDF): remembered in seen_urls
    under every URL that led to it, so later crawls do not request it again."""

    url: str
    source: str
    kind: str  # "page" (HTML, not an article) or "not-html"
    also: tuple[str, ...] = ()  # other URLs that led to it (as linked, before redirects)


# The HTTP statuses that make an article candidate a dead link (the spider yields a DeadLink
# for them, db/article_store.py remembers it).
DEAD_LINK_STATUSES = (404, 410)


@dataclass
class DeadLink:
    """An article candidate that answered 404 or 410: remembered in seen_urls, not retried."""

    url: str
    source: str
    status: int
