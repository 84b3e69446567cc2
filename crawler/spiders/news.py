"""The `news` spider: feeds, sitemaps and listing pages → article pages → extract().

It only navigates: every URL is canonicalised and skipped when already stored or known dead
(seen_urls; see db.article_store for the dead-link policy); article pages go through the pure
`crawler.extract.extract`; items (articles, pages visited, dead links, failures) go to
`crawler.pipelines.StorePipeline`, the only writer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spiders import SitemapSpider
from scrapy.utils.sitemap import Sitemap
from twisted.internet import error as tx_error
from twisted.python.failure import Failure

from common.clock import now_iso
from common.items import Article, FetchError
from common.sources import Config, Source
from crawler.extract import extract
from crawler.urls import canonicalize_url
from db.article_store import DEAD_LINK_STATUSES, seen_urls
from db.schema import open_db

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Pagination links on listing pages: rel=next, page numbers and the usual French labels.
PAGINATION_URL = re.compile(
    r"([?&](page|p|pg|start|offset)=\d+|/page/?\d+/?$|/p\d+/?$|[-_/]page-?\d+(\.html?)?$)",
    re.IGNORECASE,
)
PAGINATION_TEXT = re.compile(
    r"^(\d{1,3}|page \d{1,3}|(page )?suivante?s?|(pages? )?précédente?s?|next|previous|"
    r"plus d'articles|articles (plus anciens|suivants|précédents))$",
    re.IGNORECASE,
)
NEXT_TEXT = re.compile(
    r"^((page )?suivante?s?|next|plus d'articles|articles (plus anciens|suivants))$", re.IGNORECASE
)
ARROWS = " \t\n»›>«‹<→←·-"


@dataclass
class PageVisit:
    """A page fetched for a source; `record` asks to remember it in seen_urls."""

    url: str
    source: str
    kind: str  # feed, sitemap, listing, article, page (not an article), not-html
    record: bool = False
    also: tuple[str, ...] = ()  # other URLs that led to it (before redirects, as linked)


@dataclass
class DeadLink:
    """An article candidate that answered 404 or 410: remembered in seen_urls, not retried."""

    url: str
    source: str
    status: int


class NewsSpider(SitemapSpider):
    """Crawl every source of a `Config` once; see the module docstring."""

    name = "news"

    def __init__(self, config: Config, run_id: int, db_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.run_id = run_id
        self.db_path = db_path
        self.sources = {s.name: s for s in config.sources}
        self.seen: set[str] = set()
        self.scheduled: set[str] = set()
        self.article_requests: Counter[str] = Counter()
        self._allow = {s.name: [re.compile(p) for p in s.allow] for s in config.sources}
        self._deny = {s.name: [re.compile(p) for p in s.deny] for s in config.sources}
        # unique=False: the "next" label may sit on the second link to a page ("2", then
        # "Page suivante »"); duplicates are dropped later on canonical URLs.
        self._links = {s.name: LinkExtractor(deny=s.deny, unique=False) for s in config.sources}
        # Entry points are fetched on every crawl and never taken for articles.
        self.entry_points: set[str] = set()
        for s in config.sources:
            for url in (s.homepage, *s.feeds, *s.sitemaps, *s.listings):
                self.entry_points.add(canonicalize_url(url))

    def _load_seen(self) -> None:
        db = open_db(self.db_path)
        try:
            self.seen = seen_urls(db)
        finally:
            db.conn.close()
        self.logger.info(
            "%d URLs already seen (or dead links) will not be fetched again", len(self.seen)
        )

    async def start(self) -> Any:
        """Entry points of every source: feeds, sitemaps, listing pages."""
        self._load_seen()
        for source in self.config.sources:
            for url in source.feeds:
                yield self._request(url, source, "feed", self.parse_feed)
            for url in source.sitemaps:
                yield self._request(url, source, "sitemap", self.parse_sitemap)
            for url in source.listings:
                yield self._request(url, source, "listing", self.parse_listing, depth=0)

    # --- discovery -------------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """RSS 2.0 or Atom: each item's link is an article candidate."""
        source = self._source(response)
        yield PageVisit(response.url, source.name, "feed")
        try:
            selector = Selector(body=response.body or b"<empty/>", type="xml")
            selector.remove_namespaces()
            root = selector.xpath("name(/*)").get() or ""
        except (ValueError, TypeError):  # parsel gives up on some binary garbage
            root = ""
        if root not in ("rss", "feed", "RDF"):
            yield self._error(response.url, source, f"not an RSS or Atom feed ({_ctype(response)})")
            return
        links = selector.xpath("//item/link/text()").getall()
        for item in selector.xpath("//item[not(link)]"):
            guid = item.xpath("guid")
            if guid and guid.xpath("@isPermaLink").get("true") != "false":
                links.append(guid.xpath("text()").get(""))
        for entry in selector.xpath("//entry"):
            href = entry.xpath("link[@rel='alternate' or not(@rel)]/@href").get()
            if href:
                links.append(href)
        for link in links:
            request = self._article_request(urljoin(response.url, link.strip()), source)
            if request:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Sitemap, sitemap index or news sitemap, gzipped or not (Scrapy's own parsing)."""
        source = self._source(response)
        yield PageVisit(response.url, source.name, "sitemap")
        body = self._get_sitemap_body(response)
        sitemap = None
        if body:
            try:
                sitemap = Sitemap(body)
            except Exception:  # noqa: BLE001 — lxml gives up on some garbage; same answer
                sitemap = None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            yield self._error(response.url, source, f"not a sitemap ({_ctype(response)})")
            return
        for entry in sitemap:
            loc = urljoin(response.url, entry.get("loc", ""))
            if sitemap.type == "sitemapindex":
                key = canonicalize_url(loc)
                if key not in self.scheduled:
                    self.scheduled.add(key)
                    yield self._request(loc, source, "sitemap", self.parse_sitemap)
            elif request := self._article_request(loc, source):
                yield request

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """A section page: article links, and pagination followed to `listing_depth`."""
        source = self._source(response)
        yield PageVisit(response.url, source.name, "listing")
        if not _is_html(response):
            yield self._error(response.url, source, f"not HTML ({_ctype(response)})")
            return
        depth = response.meta.get("depth_listing", 0)
        max_depth = (
            source.listing_depth
            if source.listing_depth is not None
            else self.config.crawl.listing_depth
        )
        links = [(link.url, link.text) for link in self._links[source.name].extract_links(response)]
        rel_next = {
            urljoin(response.url, href)
            for href in response.css(
                "a[rel~=next]::attr(href), link[rel~=next]::attr(href)"
            ).getall()
        }
        links += [(url, "") for url in rel_next]
        pages = [(url, text) for url, text in links if _is_pagination(url, text, rel_next)]
        # Follow "next" links only when the page has some, so depth counts pages (page 1
        # linking pages 2..50 must not fetch 50 pages); otherwise any pagination link.
        forward = [url for url, text in pages if _is_next(url, text, rel_next)]
        follow = set(forward or (url for url, _ in pages))
        paginated = {url for url, _ in pages}
        for url, _ in links:
            if not _same_site(url, source):
                continue
            if url in paginated:
                key = canonicalize_url(url)
                if (
                    url in follow
                    and depth < max_depth
                    and key not in self.scheduled
                    and key not in self.entry_points
                ):
                    self.scheduled.add(key)
                    yield self._request(url, source, "listing", self.parse_listing, depth=depth + 1)
            elif request := self._article_request(url, source):
                yield request

    # --- articles --------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        """Extract an article page; a non-article page is remembered and skipped next time."""
        source = self._source(response)
        if not _is_html(response):
            # Remembered: a PDF or an image will not turn into an article tomorrow.
            yield PageVisit(response.url, source.name, "not-html", True, _origins(response))
            yield self._error(
                response.url, source, f"not HTML ({_ctype(response)})", response.status
            )
            return
        content_type = response.headers.get("Content-Type")
        try:
            article = extract(
                response.body,
                response.url,
                source,
                content_type=content_type.decode("latin-1") if content_type else None,
                fetched_at=datetime.now(UTC),
            )
        except Exception as exc:  # noqa: BLE001 — one unreadable page must not stop the crawl
            self.logger.exception("extract() failed on %s", response.url)
            yield PageVisit(response.url, source.name, "article")
            yield self._error(response.url, source, f"extraction failed ({_describe(exc)})")
            return
        if article is None:
            # A home, section or tag page reached from a listing: not an article, not again.
            yield PageVisit(response.url, source.name, "page", True, _origins(response))
            return
        yield PageVisit(response.url, source.name, "article")
        yield _with_origins(article, source, response)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        """A request that failed for good (after retries): one fetch_errors row.

        An article candidate that answered 404 or 410 is also remembered as a dead link, so
        later crawls skip it like a stored article; entry points are requested every time.
        """
        request = failure.request
        source = self.sources[request.meta["source"]]
        if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            # Robots-disallowed pages are the site's choice, not a failure: no error row
            # (it would flag a healthy outlet as failing); counted in the crawl log's stats.
            self.crawler.stats.inc_value("veille/robots_forbidden")
            return
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
        first_url = (request.meta.get("redirect_urls") or [request.url])[0]
        yield self._error(first_url, source, self._reason(failure), status)
        if request.meta.get("kind") == "article" and status in DEAD_LINK_STATUSES:
            # The URL the spider checks next time: the canonical one it requested.
            yield DeadLink(first_url, source.name, status)

    def _reason(self, failure: Failure) -> str:
        request = failure.request
        if failure.check(HttpError):
            return f"HTTP {failure.value.response.status}"
        if failure.check(DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError):
            timeout = request.meta.get("download_timeout") or self.settings.getfloat(
                "DOWNLOAD_TIMEOUT"
            )
            return f"timeout after {timeout:g} s"
        if failure.check(DownloadConnectionRefusedError, tx_error.ConnectionRefusedError):
            return "connection refused"
        if failure.check(CannotResolveHostError, tx_error.DNSLookupError):
            return f"host not found ({urlsplit(request.url).hostname})"
        if failure.check(IgnoreRequest) and "redirect" in str(failure.value):
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if len(set(map(canonicalize_url, chain))) < len(chain):
                return "redirect loop"
            return f"too many redirects (over {self.settings.getint('REDIRECT_MAX_TIMES')})"
        if failure.check(DownloadCancelledError) and "size" in str(failure.value):
            limit = self.settings.getint("DOWNLOAD_MAXSIZE") / (1024 * 1024)
            return f"page over {limit:g} MB"
        if failure.check(ResponseDataLossError, tx_error.ConnectionLost, tx_error.ConnectionDone):
            return "connection lost before the page was complete"
        return _describe(failure.value)

    # --- helpers ---------------------------------------------------------------------------

    def _source(self, response: Response) -> Source:
        return self.sources[response.meta["source"]]

    def _request(self, url: str, source: Source, kind: str, callback, depth: int = 0) -> Request:
        # dont_filter: duplicates are filtered here on canonical URLs, and Scrapy's own
        # filter would silently drop the second hop of a redirect loop instead of failing it.
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            dont_filter=True,
            meta={"source": source.name, "kind": kind, "depth_listing": depth},
        )

    def _article_request(self, url: str, source: Source) -> Request | None:
        """A request for an article candidate, or None when it is known, excluded or over."""
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        key = canonicalize_url(url)
        if key in self.seen or key in self.scheduled or key in self.entry_points:
            return None
        if any(p.search(url) for p in self._deny[source.name]):
            return None
        allow = self._allow[source.name]
        if allow and not any(p.search(url) for p in allow):
            return None
        limit = self.config.crawl.max_pages_per_source
        if limit and self.article_requests[source.name] >= limit:
            return None
        self.scheduled.add(key)
        self.article_requests[source.name] += 1
        request = self._request(key, source, "article", self.parse_article)
        request.meta["found_as"] = url
        return request

    def _error(
        self, url: str, source: Source, reason: str, status: int | None = None
    ) -> FetchError:
        return FetchError(url=url, source=source.name, reason=reason, status=status, time=now_iso())


def _origins(response: Response) -> tuple[str, ...]:
    """Every URL that led to this response: as linked, as requested, before redirects."""
    urls = [
        response.meta.get("found_as"),
        *response.meta.get("redirect_urls", []),
        response.request.url if response.request else None,
    ]
    return tuple(dict.fromkeys(u for u in urls if u))


def _with_origins(article: Article, source: Source, response: Response) -> Article:
    """The article under its source's name, with every URL that led to it."""
    urls = [*_origins(response), *article.seen_urls]
    return replace(article, source=source.name, seen_urls=list(dict.fromkeys(urls)))


def _is_html(response: Response) -> bool:
    content_type = _ctype(response)
    if content_type == "no Content-Type":
        # Scrapy already guessed the type from the body and the URL's extension.
        return isinstance(response, HtmlResponse)
    return content_type in HTML_TYPES


def _ctype(response: Response) -> str:
    raw = response.headers.get("Content-Type")
    if not raw:
        return "no Content-Type"
    return raw.decode("latin-1").split(";")[0].strip().lower() or "no Content-Type"


def _same_site(url: str, source: Source) -> bool:
    # Host and port, so local test sites on one address stay apart; www. is the same site.
    def key(u: str) -> tuple[str, int | None]:
        parts = urlsplit(u)
        host = (parts.hostname or "").removeprefix("www.")
        return host, parts.port

    return key(url) == key(source.homepage)


def _is_next(url: str, text: str, rel_next: set[str]) -> bool:
    if url in rel_next:
        return True
    text = (text or "").strip()
    core = text.strip(ARROWS)
    return bool(NEXT_TEXT.match(core)) or (bool(text) and not core and text[-1] in "»›>→")


def _is_pagination(url: str, text: str, rel_next: set[str]) -> bool:
    if url in rel_next:
        return True
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    text = (text or "").strip()
    core = text.strip(ARROWS)
    if text and not core:
        return True  # "»", "›"…
    return bool(PAGINATION_URL.search(path) or PAGINATION_TEXT.match(core))


def _describe(exc: BaseException) -> str:
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
