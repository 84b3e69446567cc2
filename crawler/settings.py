"""Polite Scrapy defaults for veille's crawl.

The `[crawl]` table of sources.toml overrides a few of them (user agent, timeout, delays; see
`crawl_settings`); robots.txt and the user agent can never be turned off.
"""

from __future__ import annotations

from crawler import sources as _sources

BOT_NAME = "veille"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Replaced by `[crawl] user_agent`; sent on every request, robots.txt included.
USER_AGENT = _sources.DEFAULT_USER_AGENT
ROBOTSTXT_OBEY = True

# Politeness: at most two requests at a time per host, paced by AutoThrottle from the
# server's response times, never faster than DOWNLOAD_DELAY.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50%, so requests do not arrive like clockwork
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 5.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Faults: bounded waits, a few retries on server errors and timeouts, bounded redirects.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024  # news pages are far smaller; bigger is not an article
# Sitemaps may be much bigger: the protocol allows 50 MB (uncompressed) and 50,000 URLs per
# file. Sitemap requests carry this as their `download_maxsize`, gzipped ones as the limit of
# their decompressed size.
VEILLE_SITEMAP_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_ENABLED = True
REDIRECT_MAX_TIMES = 5
# 4xx/5xx responses go to the request's errback, which records them in fetch_errors.
HTTPERROR_ALLOW_ALL = False

COOKIES_ENABLED = False  # cookie walls and sessions are not needed to read public pages
TELNETCONSOLE_ENABLED = False
# Scrapy re-parses a callback's source on every response to warn about `return value` in
# generators (its cache misses on bound methods): an eighth of the crawl's CPU for nothing.
WARN_ON_GENERATOR_RETURN_VALUE = False
DNS_TIMEOUT = 20
LOG_LEVEL = "INFO"

SPIDER_MIDDLEWARES = {
    "crawler.middlewares.CallbackErrorsMiddleware": 45,
    "crawler.middlewares.NewUrlsMiddleware": 850,
}
EXTENSIONS = {
    "crawler.extensions.PageStats": 500,
}
ITEM_PIPELINES = {
    "crawler.pipelines.StorePipeline": 300,
}


def crawl_settings(crawl) -> dict:
    """Scrapy settings from a `CrawlSettings` (the `[crawl]` table of sources.toml)."""
    return {
        "USER_AGENT": crawl.user_agent,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_START_DELAY": crawl.autothrottle_start_delay,
    }
