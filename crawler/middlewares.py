"""Spider middleware that turns an exception in a callback into a fetch_errors row."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy.spidermiddlewares.httperror import HttpError

from common.clock import now_iso
from common.items import FetchError

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
