"""The `news` spider: feeds, sitemaps and listing pages → article pages → extract().

It only navigates: every article candidate is canonicalised and yielded, newest first where
the page dates them; `crawler.middlewares.NewUrlsMiddleware` drops those already stored or
known dead (seen_urls; see db.article_store for the dead-link policy) and those over the source's
`max_new`. Article pages go through the pure `crawler.extract.extract`; items (articles,
pages that are not articles, dead links, failures) go to `crawler.pipelines.StorePipeline`,
the only writer; page counts are kept by `crawler.extensions.PageStats`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
from parsel import Selector
from scrapy import Request, Spider, signals
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
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap
from twisted.internet import error as tx_error
from twisted.python.failure import Failure

from common.clock import now_iso
from common.items import DEAD_LINK_STATUSES, Article, DeadLink, FetchError, SeenPage
from common.source_config import Config, Source
from crawler.extract import extract
from crawler.urls import canonicalize_url, fetchable, same_site

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
# Pages a source's sources.toml entry leads to (and their pagination, child sitemaps): a
# failure here is a failure of the source, robots.txt included.
DISCOVERY_KINDS = ("feed", "sitemap", "listing")
NEWS_SITEMAP = b"http://www.google.com/schemas/sitemap-news/0.9"


class NewsSpider(Spider):
    """Crawl every source of a `Config` once; see the module docstring."""

    name = "news"

    def __init__(self, config: Config, **kwargs: Any) -> None:
        # No database and no run id: the item pipeline, middlewares and extension that store
        # and count read them from the settings (VEILLE_DB, VEILLE_RUN_ID).
        super().__init__(**kwargs)
        self.config = config
        self.sources = {s.name: s for s in config.sources}
        # Listing pages and child sitemaps requested in this crawl (articles: the middleware).
        self.scheduled: set[str] = set()
        # Hosts whose robots.txt forbids us their home page: nothing there can be read.
        self.closed_hosts: set[str] = set()
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

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        return spider

    def robots_parsed(self, robotparser, request: Request) -> None:
        """Note a host whose robots.txt forbids us its home page (usually `Disallow: /`)."""
        parts = urlsplit(request.url)
        agent = self.settings.get("USER_AGENT")
        if not robotparser.allowed(f"{parts.scheme}://{parts.netloc}/", agent):
            self.closed_hosts.add(parts.netloc)

    async def start(self) -> Any:
        """Entry points of every source: feeds, sitemaps, listing pages."""
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
            yield from self._candidate(link, response, source)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Sitemap, sitemap index or news sitemap, gzipped or not, up to 50 MB.

        Entries are taken newest first (lastmod, or news:publication_date), so that a
        source's `max_new` keeps the newest articles of a first crawl.
        """
        source = self._source(response)
        limit = self.settings.getint("VEILLE_SITEMAP_MAXSIZE")
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=limit)
            except ValueError:  # over the limit once decompressed (Scrapy's own error type)
                yield self._error(response.url, source, f"sitemap over {limit / 2**20:g} MB")
                return
            except (OSError, EOFError):
                body = b""
        sitemap = None
        if body.strip():
            try:
                sitemap = Sitemap(body)
            except Exception:  # noqa: BLE001 — lxml gives up on some garbage; same answer
                sitemap = None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            yield self._error(response.url, source, f"not a sitemap ({_ctype(response)})")
            return
        entries = list(sitemap)
        if sitemap.type == "urlset" and NEWS_SITEMAP in body[:4096]:
            published = _news_dates(body)
            for entry in entries:
                entry.setdefault("lastmod", published.get(entry.get("loc", "")))
        entries = newest_first(entries)
        for rank, entry in enumerate(entries):
            loc = entry.get("loc", "")
            if sitemap.type == "urlset":
                yield from self._candidate(loc, response, source)
                continue
            try:
                url = urljoin(response.url, loc)
            except ValueError:
                url = loc
            key = canonicalize_url(url)
            if not fetchable(url):
                yield self._error(url, source, f"malformed link in {response.url}")
            elif key not in self.scheduled:
                self.scheduled.add(key)
                request = self._request(url, source, "sitemap", self.parse_sitemap)
                # Newest child sitemap first, so its articles come first under max_new.
                request.priority = len(entries) - rank
                yield request

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """A section page: article links, and pagination followed to `listing_depth`."""
        source = self._source(response)
        if not _is_html(response):
            yield self._error(response.url, source, f"not HTML ({_ctype(response)})")
            return
        depth = response.meta.get("depth_listing", 0)
        max_depth = (
            source.listing_depth
            if source.listing_depth is not None
            else self.config.crawl.listing_depth
        )
        try:
            found = self._links[source.name].extract_links(response)
        except ValueError:  # a link LinkExtractor cannot parse; read them one by one below
            found = []
        links = [(link.url, link.text) for link in found]
        rel_next = {
            urljoin(response.url, href)
            for href in response.css(
                "a[rel~=next]::attr(href), link[rel~=next]::attr(href)"
            ).getall()
        }
        links += [(url, "") for url in rel_next]
        pages = [(url, text) for url, text in links if _is_pagination(url, text, rel_next)]
        # One pagination page followed per page, so listing_depth counts pages: page 1
        # linking pages 2..1111 fetches page 2, which leads to page 3, and so on. A "next"
        # link when the page has one, otherwise the first pagination link not yet fetched.
        forward = [url for url, text in pages if _is_next(url, text, rel_next)]
        paginated = {url for url, _ in pages}
        if depth < max_depth:
            for url in forward or [url for url, _ in pages]:
                key = canonicalize_url(url)
                if (
                    same_site(url, source.homepage)
                    and fetchable(url)
                    and key not in self.scheduled
                    and key not in self.entry_points
                ):
                    self.scheduled.add(key)
                    yield self._request(url, source, "listing", self.parse_listing, depth=depth + 1)
                    break
        for url, _ in links:
            if url not in paginated and same_site(url, source.homepage):
                yield from self._candidate(url, response, source)

    # --- articles --------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        """Extract an article page; a non-article page is remembered and skipped next time."""
        source = self._source(response)
        if not _is_html(response):
            # Remembered: a PDF or an image will not turn into an article tomorrow.
            yield SeenPage(response.url, source.name, "not-html", _origins(response))
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
            yield self._error(response.url, source, f"extraction failed ({_describe(exc)})")
            return
        if article is None:
            if _is_blank(response):
                # An empty answer is a fault of the moment (a site being published, a cache
                # gone wrong), not a page: reported and requested again by the next crawl.
                yield self._error(response.url, source, "empty page", response.status)
                return
            # A home, section or tag page reached from a listing: not an article, not again.
            yield SeenPage(response.url, source.name, "page", _origins(response))
            return
        yield _with_origins(article, source, response)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        """A request that failed for good (after retries): one fetch_errors row.

        An article candidate that answered 404 or 410 is also remembered as a dead link, so
        later crawls skip it like a stored article; entry points are requested every time.
        """
        request = failure.request
        source = self.sources[request.meta["source"]]
        if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            # An article the site keeps from robots is its choice, not a failure: no error
            # row (it would flag a healthy outlet as failing), counted in the crawl log's
            # stats. A feed, sitemap or listing forbidden leaves the outlet unread: staff
            # must see it.
            self.crawler.stats.inc_value("veille/robots_forbidden")
            if request.meta.get("kind") in DISCOVERY_KINDS:
                netloc = urlsplit(request.url).netloc
                if netloc in self.closed_hosts:
                    reason = f"robots.txt forbids us everything on {urlsplit(request.url).hostname}"
                else:
                    reason = "robots.txt forbids us this page"
                yield self._error(request.url, source, reason)
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
        # dont_filter: duplicates are filtered on canonical URLs (here and in
        # NewUrlsMiddleware), and Scrapy's own filter would silently drop the second hop of
        # a redirect loop instead of failing it.
        meta = {"source": source.name, "kind": kind, "depth_listing": depth}
        if kind == "sitemap":
            meta["download_maxsize"] = self.settings.getint("VEILLE_SITEMAP_MAXSIZE")
        return Request(url, callback=callback, errback=self.on_error, dont_filter=True, meta=meta)

    def _candidate(self, link: str, response: Response, source: Source) -> Iterator[Any]:
        """The request for one link found on a page, or a fetch error naming a malformed one.

        One bad link must cost only itself: the page's other links are still read.
        """
        link = (link or "").strip()
        try:
            url = urljoin(response.url, link)
        except ValueError:
            url = link
        # Not urlsplit: it raises on the very links this method must report.
        scheme = url.partition("://")[0].lower() if "://" in url else ""
        if scheme not in ("http", "https"):
            return  # mailto:, javascript:, relative garbage: not a page to fetch
        if not fetchable(url):
            yield self._error(url, source, f"malformed link in {response.url}")
            return
        if request := self._article_request(url, source):
            yield request

    def _article_request(self, url: str, source: Source) -> Request | None:
        """A request for an article candidate, or None when excluded by the source's rules.

        Whether it is new (not stored, not dead, within `max_new`) is NewUrlsMiddleware's call.
        """
        if urlsplit(url).scheme not in ("http", "https") or not fetchable(url):
            return None
        key = canonicalize_url(url)
        if key in self.entry_points:
            return None
        if any(p.search(url) for p in self._deny[source.name]):
            return None
        allow = self._allow[source.name]
        if allow and not any(p.search(url) for p in allow):
            return None
        request = self._request(key, source, "article", self.parse_article)
        request.meta["found_as"] = url
        request.meta["max_new"] = source.max_new or self.config.crawl.max_new
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


def _is_blank(response: Response) -> bool:
    """True when a page has no visible text at all (an empty body, an empty shell)."""
    if not response.body.strip():
        return True
    try:
        return not "".join(response.xpath("//body//text()").getall()).strip()
    except (ValueError, AttributeError):  # not parseable as HTML: not blank
        return False


def _sort_key(entry: dict) -> float:
    value = (entry.get("lastmod") or "").strip()
    if not value:
        return float("inf")
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return -stamp.timestamp()


def newest_first(entries: list[dict]) -> list[dict]:
    """Sitemap entries by `lastmod`, newest first; undated ones after, in file order."""
    return sorted(entries, key=_sort_key)


def _news_dates(body: bytes) -> dict[str, str]:
    """{loc: news:publication_date} of a news sitemap (Scrapy's Sitemap reads one level)."""
    dates: dict[str, str] = {}
    loc = None
    try:
        for _, elem in lxml.etree.iterparse(
            BytesIO(body), events=("end",), recover=True, resolve_entities=False
        ):
            name = elem.tag.rpartition("}")[2] if isinstance(elem.tag, str) else ""
            if name == "loc" and elem.text:
                loc = elem.text.strip()
            elif name == "publication_date" and elem.text and loc:
                dates[loc] = elem.text.strip()
            elif name == "url":
                loc = None
                elem.clear()
    except lxml.etree.LxmlError:
        pass
    return dates


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
