"""The crawl's page counters: per-source figures in `crawler.stats`, written to the run.

Like Scrapy's CoreStats, counters are kept on signals (`response_received`), so the spider
only navigates. They reach the run's per-source figures (crawl_run_sources.pages) every
FLUSH_SECONDS, for the live progress display, and once more when the crawl closes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.pipelines import DATABASE_ERROR
from db.article_store import count_pages
from db.schema import open_db

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
PAGES = "veille/pages/"  # + source name: pages read (2xx answers) of that source
KINDS = "veille/pages_by_kind/"  # + feed, sitemap, listing, article


class PageStats:
    """Count the pages each source answered and add them to the run's figures."""

    def __init__(self, crawler, db_path: str, run_id: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_path = db_path
        self.run_id = run_id
        self.written: Counter[str] = Counter()
        self.db = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler) -> PageStats:
        db_path = crawler.settings.get("VEILLE_DB")
        if not db_path:
            raise NotConfigured("no VEILLE_DB to write the page counts to")
        ext = cls(crawler, db_path, crawler.settings.getint("VEILLE_RUN_ID"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def spider_opened(self, spider) -> None:
        self.db = open_db(self.db_path)
        self.loop = task.LoopingCall(self.flush)
        self.loop.start(FLUSH_SECONDS, now=False)

    def response_received(self, response, request, spider) -> None:
        """A page of a source answered: one more for it (redirects and errors are not pages)."""
        source = request.meta.get("source")
        if source is None or not 200 <= response.status < 300:
            return  # robots.txt, or a failure the errback records
        self.stats.inc_value(PAGES + source)
        self.stats.inc_value(KINDS + str(request.meta.get("kind")))

    def flush(self, closing: bool = False) -> None:
        """Add the pages counted since the last flush to the run's figures."""
        if self.db is None:
            return
        counts = {
            key.removeprefix(PAGES): value
            for key, value in self.stats.get_stats().items()
            if key.startswith(PAGES)
        }
        try:
            for source, value in counts.items():
                if value > self.written[source]:
                    count_pages(self.db, self.run_id, source, value - self.written[source])
                    self.written[source] = value
        except sqlite3.Error as exc:
            logger.error("database error, stopping the crawl: %s", exc)
            self._stop()
            engine = self.crawler.engine
            if engine is not None and not closing:
                deferred_from_coro(engine.close_spider_async(reason=DATABASE_ERROR))

    def spider_closed(self, spider, reason: str) -> None:
        self._stop()
        if self.db is None:
            return
        try:
            self.flush(closing=True)
        finally:
            if self.db is not None:
                self.db.conn.close()
                self.db = None

    def _stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.loop = None
