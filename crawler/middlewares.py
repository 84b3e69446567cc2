"""Spider middlewares: callback errors become fetch_errors rows; only new URLs are requested.

They keep the spider a navigator: it yields every article candidate it finds, newest first,
and `NewUrlsMiddleware` drops those already stored or known dead and those over the source's
`max_new`, before the scheduler ever holds them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Request, signals
from scrapy.spidermiddlewares.httperror import HttpError

from common.clock import now_iso
from common.items import FetchError
from db.article_store import seen_urls
from db.schema import open_db

logger = logging.getLogger(__name__)


class CallbackErrorsMiddleware:
    """One page whose handling raised must not stop the crawl, and must leave a trace."""

    def process_spider_exception(self, response, exception: Exception) -> Iterable[Any] | None:
        """Record the exception as a failure of this page; let HttpError reach its errback."""
        if isinstance(exception, HttpError):
            return None
        source = response.meta.get("source")
        if source is None:
            return None
        logger.error("error while reading %s", response.url, exc_info=exception)
        reason = f"page could not be read ({type(exception).__name__}: {exception})"
        return [FetchError(response.url, source, reason, response.status, now_iso())]


class NewUrlsMiddleware:
    """Let through article requests for URLs never fetched, at most `max_new` per source.

    An article request carries meta kind "article", "source" and "max_new", and its URL is
    canonical (the spider canonicalises). Dropped: URLs in seen_urls (stored articles, pages
    that are not articles, dead links not yet due for their retry; read once at the start),
    URLs already requested in this crawl, and a source's candidates past its `max_new`: the
    spider yields them newest first, so the newest are fetched and the rest wait for the
    next crawl. Other requests (feeds, sitemaps, listings) pass untouched.
    """

    def __init__(self, crawler, db_path: str | None) -> None:
        self.stats = crawler.stats
        self.db_path = db_path
        self.seen: set[str] = set()
        self.requested: set[str] = set()
        self.new: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler) -> NewUrlsMiddleware:
        middleware = cls(crawler, crawler.settings.get("VEILLE_DB"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider) -> None:
        """Read the URLs a crawl must not request again."""
        if not self.db_path:
            return
        db = open_db(self.db_path)
        try:
            self.seen = seen_urls(db)
        finally:
            db.conn.close()
        logger.info(
            "%d URLs already seen (or dead links) will not be fetched again", len(self.seen)
        )

    def keep(self, request: Request) -> bool:
        """Whether an article request is for a new URL within its source's cap."""
        url = request.url
        if url in self.seen or url in self.requested:
            return False
        source = request.meta["source"]
        limit = request.meta.get("max_new") or 0
        if limit and self.new[source] >= limit:
            # Left for the next crawl: counted in the crawl log's stats.
            self.stats.inc_value(f"veille/left_for_next_crawl/{source}")
            return False
        self.requested.add(url)
        self.new[source] += 1
        return True

    def _passes(self, item: Any) -> bool:
        if isinstance(item, Request) and item.meta.get("kind") == "article":
            return self.keep(item)
        return True

    def process_spider_output(self, response, result: Iterable[Any]) -> Iterator[Any]:
        """Filter a callback's output (synchronous callbacks)."""
        for item in result:
            if self._passes(item):
                yield item

    async def process_spider_output_async(
        self, response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """Filter a callback's output (asynchronous callbacks)."""
        async for item in result:
            if self._passes(item):
                yield item
