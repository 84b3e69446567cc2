"""The crawl's child process: `python -m crawler.child` reads a JSON job on stdin and crawls.

Scrapy's Twisted reactor cannot be restarted within one process, so each crawl runs here,
started by `crawler.launch.run_crawl`. The job: {"config": Config.to_dict(), "db": path,
"run_id": int, "log_file": path}. Exit status: 0 crawl finished, 3 interrupted (SIGINT,
SIGTERM, parent gone), 1 stopped by a database error, anything else a crash (the traceback
is in the log file).
"""

from __future__ import annotations

import json
import os
import sys

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from common.source_config import config_from_dict
from crawler.pipelines import DATABASE_ERROR
from crawler.settings import crawl_settings

EXIT_INTERRUPTED = 3
PARENT_CHECK_SECONDS = 1.0


def crawl(job: dict) -> str:
    """Run the crawl a job describes; returns Scrapy's close reason ("finished" when done)."""
    from crawler.spiders.news import NewsSpider

    config = config_from_dict(job["config"])
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(crawl_settings(config.crawl), priority="project")
    settings.update(
        {
            "VEILLE_DB": str(job["db"]),
            "VEILLE_RUN_ID": int(job["run_id"]),
            "LOG_FILE": job.get("log_file"),
            "LOG_FILE_APPEND": True,
            "LOG_LEVEL": job.get("log_level", "INFO"),
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    outcome = {"reason": "not started"}

    def closed(spider, reason: str) -> None:
        outcome["reason"] = reason

    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, config=config)
    _stop_when_orphaned(process)
    process.start()
    return outcome["reason"]


def _stop_when_orphaned(process: CrawlerProcess) -> None:
    # The child runs in its own session (so a terminal's Ctrl-C reaches the parent only);
    # if the parent is killed, nobody would stop us: stop cleanly instead of crawling on.
    from twisted.internet import reactor, task

    parent = os.getppid()

    def check() -> None:
        if os.getppid() != parent:
            loop.stop()
            process.stop()

    loop = task.LoopingCall(check)
    reactor.callWhenRunning(loop.start, PARENT_CHECK_SECONDS, now=False)


def main() -> int:
    """Entry point: crawl, record the run's outcome, exit 0 (finished) or 3 (interrupted)."""
    from db.article_store import finish_run
    from db.schema import open_db

    job = json.load(sys.stdin)
    reason = crawl(job)
    if reason == "finished":
        status = "completed"
    elif reason == DATABASE_ERROR:
        status = "failed"
    else:
        status = "interrupted"
    db = open_db(job["db"])
    try:
        finish_run(db, int(job["run_id"]), status)
    finally:
        db.conn.close()
    print(f"crawl {status} ({reason})", file=sys.stderr)
    return {"completed": 0, "interrupted": EXIT_INTERRUPTED}.get(status, 1)


if __name__ == "__main__":
    sys.exit(main())
