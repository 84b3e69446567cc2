"""`veille run`: the daily job — crawl every source, then process the new articles.

One run at a time per database, enforced by an advisory lock (fcntl.flock) on a file next to
the database. The kernel drops a flock when its holder dies, even by kill -9, so a crash never
leaves a stale lock behind. Each run is recorded in `daily_runs`; a run found still `running`
by the next one was killed and is marked `interrupted`. Nothing else needs repairing: the
crawl stores each article in its own transaction and the NLP stage processes each article
atomically, so the next run simply completes what is missing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib.util
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from common.clock import now_iso
from common.errors import VeilleError
from common.source_config import Config
from db import run_store
from db.schema import FULL_DISK, DatabaseError, explain_error, open_db

LOCK_SUFFIX = ".lock"


class AlreadyRunning(VeilleError, RuntimeError):
    """Another `veille run` holds the lock of this database."""


class RunError(VeilleError, RuntimeError):
    """The run could not start (unusable model, lock file, ...); the message says why."""


def lock_path_for(db_path: str | Path) -> Path:
    """The lock file of a database: `<db>.lock` beside it."""
    return Path(f"{db_path}{LOCK_SUFFIX}")


@contextmanager
def run_lock(db_path: str | Path) -> Iterator[Path]:
    """Hold the database's run lock, or raise AlreadyRunning at once."""
    lock_path = lock_path_for(db_path)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise RunError(_lock_file_problem(db_path, lock_path, exc)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise RunError(f"{lock_path}: cannot lock ({exc.strerror})") from None
        holder = _read_pid(lock_path)
        who = f" (pid {holder})" if holder else ""
        raise AlreadyRunning(
            f"{db_path}: another veille run is already running on this database{who}; "
            f"this one stops here. Wait for it to finish, or see `veille status`."
        ) from None
    try:
        # The pid is informative only (for the message above); the flock is the lock. The file
        # is never deleted: unlinking it while another process opens it would split the lock.
        with contextlib.suppress(OSError):  # a full disk: the lock works without the pid
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield lock_path
    finally:
        os.close(fd)


def running_pid(db_path: str | Path) -> int | None:
    """The pid of the `veille run` holding the lock, 0 if unknown, None when no run holds it."""
    lock_path = lock_path_for(db_path)
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _read_pid(lock_path) or 0
    finally:
        os.close(fd)
    return None


def _read_pid(lock_path: Path) -> int | None:
    try:
        return int(lock_path.read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _lock_file_problem(db_path: str | Path, lock_path: Path, exc: OSError) -> str:
    folder = lock_path.resolve().parent
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"{db_path}: cannot write in the database's folder {folder} ({exc.strerror}); "
            f"veille needs to write there (database, journal and {lock_path.name})."
        )
    if exc.errno == errno.ENOENT:
        return f"{db_path}: folder {folder} does not exist"
    if exc.errno == errno.ENOSPC:
        return FULL_DISK.format(path=db_path, reason=exc.strerror)
    return f"{lock_path}: cannot create the lock file ({exc.strerror})"


def check_model(model: str) -> None:
    """Fail before crawling when the spaCy pipeline is not installed."""
    if importlib.util.find_spec(model) is None:
        from nlp.model import DEFAULT_MODEL

        raise RunError(
            f"spaCy pipeline {model!r} is not installed; use --model {DEFAULT_MODEL} "
            f"(installed with veille) or fr_core_news_sm"
        )


@dataclass
class OutletResult:
    """What one outlet gave in a run."""

    pages: int = 0
    new_articles: int = 0
    errors: int = 0  # every failed fetch of the run
    failed: bool = False
    first_errors: list[dict] = field(default_factory=list)  # the first new failures
    new_errors: int = 0  # failures not already reported as dead links by an earlier run
    known_dead: int = 0  # dead links reported by an earlier run: counted, not listed


@dataclass
class DailySummary:
    """The outcome of `veille run`, as recorded in `daily_runs` and printed at the end."""

    run_id: int
    status: str  # completed, failed, interrupted
    started_at: str
    seconds: float = 0.0
    crawl_run_id: int | None = None
    outlets: dict[str, OutletResult] = field(default_factory=dict)
    processed: int = 0
    new_entities: int = 0
    unprocessed: int = 0
    message: str | None = None

    @property
    def new_articles(self) -> int:
        return sum(o.new_articles for o in self.outlets.values())

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outlets.values())

    @property
    def errors(self) -> int:
        return sum(o.errors for o in self.outlets.values())

    @property
    def known_dead(self) -> int:
        return sum(o.known_dead for o in self.outlets.values())

    @property
    def failed_sources(self) -> list[str]:
        return sorted(name for name, o in self.outlets.items() if o.failed)

    def describe(self) -> str:
        """The end-of-run summary: new articles per outlet, new entities, failures."""
        lines = [f"Run #{self.run_id} {self.status} in {format_duration(self.seconds)}."]
        if self.message:
            lines.append(f"Problem: {self.message}")
        if self.outlets:
            if self.new_articles == 0:
                lines.append(f"Nothing new: no new article from the {len(self.outlets)} outlet(s).")
            else:
                lines.append(f"New articles: {self.new_articles}")
                width = max(len(name) for name in self.outlets)
                for name, outlet in sorted(self.outlets.items()):
                    lines.append(f"  {name:<{width}}  {outlet.new_articles:>4}")
        lines.append(
            f"Processed {self.processed} article(s); {self.new_entities} new entit"
            f"{'y' if self.new_entities == 1 else 'ies'}."
        )
        if self.unprocessed:
            lines.append(f"{self.unprocessed} article(s) still to process: the next run will.")
        # Failures already reported (dead links found by an earlier run) are counted, not
        # listed: a summary that repeats the same dead link every day gets ignored.
        failed = self.failed_sources
        troubled = {n: o for n, o in sorted(self.outlets.items()) if o.new_errors or o.failed}
        new_errors = sum(o.new_errors for o in self.outlets.values())
        if not troubled:
            lines.append("Failures: none." if not self.known_dead else "Failures: none new.")
        else:
            lines.append(
                f"Failures: {new_errors} page(s) could not be fetched; "
                f"{len(failed)} outlet(s) could not be read at all."
            )
            for name, outlet in troubled.items():
                state = "FAILED" if outlet.failed else f"{outlet.new_errors} error(s)"
                reasons = "; ".join(
                    f"{e.get('url')}: {e.get('reason')}" for e in outlet.first_errors[:2]
                )
                if not reasons and outlet.known_dead:
                    reasons = f"{outlet.known_dead} known dead link(s)"
                lines.append(f"  {name}: {state}" + (f" — {reasons}" if reasons else ""))
        if self.known_dead:
            lines.append(
                f"Known dead links: {self.known_dead}, already reported (not listed again)."
            )
        return "\n".join(lines)


def format_duration(seconds: float | None) -> str:
    """'2 min 05 s', '12 s', '1 h 03 min'."""
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Reporter:
    """Where the run tells what it is doing: plain timestamped lines on stderr.

    The crawl and the NLP stage draw their own progress (a live table and a bar on a
    terminal, a line now and then otherwise); `live` tells them which.
    """

    live = False

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr

    def log(self, message: str) -> None:
        """One line with a timestamp."""
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
        print(f"{stamp} veille run: {message}", file=self.stream, flush=True)


class RichReporter(Reporter):
    """On a terminal: rich's log lines, and live progress from the crawl and the NLP stage."""

    live = True

    def __init__(self) -> None:
        from rich.console import Console

        super().__init__(sys.stderr)
        self.console = Console(stderr=True)

    def log(self, message: str) -> None:
        self.console.log(message)


def make_reporter() -> Reporter:
    """Rich progress when stderr is a terminal, plain log lines otherwise."""
    return RichReporter() if sys.stderr.isatty() else Reporter()


def daily_run(
    config: Config,
    db_path: str | Path,
    *,
    model: str | None = None,
    workers: int = 1,
    wait: float = 30.0,
    reporter: Reporter | None = None,
) -> DailySummary:
    """Crawl every source of `config` into `db_path`, then process the new articles.

    `model`: the spaCy pipeline, nlp.model.DEFAULT_MODEL when None.

    Raises AlreadyRunning, RunError or DatabaseError when the run cannot start; once started,
    outlets that fail are recorded in the summary and the run goes on.
    """
    reporter = reporter or Reporter()
    if model is None:
        from nlp.model import DEFAULT_MODEL

        model = DEFAULT_MODEL
    check_model(model)
    with run_lock(db_path):
        db = open_db(db_path)
        # How long to wait for a database another program holds locked before giving up.
        db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        started = time.monotonic()
        try:
            run_store.mark_interrupted_runs(db)
            run_id = run_store.begin_daily_run(db, started_at=now_iso(), pid=os.getpid())
        except sqlite3.Error as exc:
            raise explain_error(db_path, exc) from None
        summary = DailySummary(run_id=run_id, status="running", started_at=now_iso())
        reporter.log(
            f"run #{run_id}: {len(config.sources)} source(s) from {config.path}, database {db_path}"
        )
        try:
            # Imported here, once the database is known usable: Scrapy and spaCy are slow to
            # import, and errors about the database should come at once.
            from crawler.launch import run_crawl

            reporter.log(f"crawling {len(config.sources)} source(s)")
            try:
                crawl = run_crawl(config, db_path, progress=reporter.live)
            except DatabaseError:
                raise
            except Exception as exc:  # noqa: BLE001 — a dead crawl must not stop processing
                summary.message = f"the crawl failed: {exc}"
                reporter.log(summary.message)
            else:
                _take_crawl(db, summary, crawl)
            reporter.log(
                f"crawl done: {summary.new_articles} new article(s); finding entities with {model}"
            )
            from nlp.process import process_articles

            # None: the NLP stage's own plain lines when not on a terminal.
            processed = process_articles(
                db_path, workers=workers, model=model, progress=True if reporter.live else None
            )
            summary.processed = processed.articles
            summary.new_entities = processed.new_entities
            summary.unprocessed = run_store.unprocessed_count(db)
            summary.status = "failed" if summary.message else "completed"
        except KeyboardInterrupt:
            summary.status = "interrupted"
            summary.message = "stopped (Ctrl-C or SIGTERM)"
            raise
        except DatabaseError as exc:
            summary.status = "failed"
            summary.message = str(exc)
            raise
        except sqlite3.Error as exc:
            error = explain_error(db_path, exc)
            summary.status = "failed"
            summary.message = str(error)
            raise error from None
        except BaseException as exc:
            summary.status = "failed"
            summary.message = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            summary.seconds = time.monotonic() - started
            _record(db, summary)
            db.conn.close()
    return summary


def _take_crawl(db, summary: DailySummary, crawl) -> None:
    summary.crawl_run_id = getattr(crawl, "run_id", None)
    failures = run_store.run_failures(db, summary.crawl_run_id) if summary.crawl_run_id else {}
    for name, stats in (getattr(crawl, "per_source", None) or {}).items():
        outlet = failures.get(name, {})
        summary.outlets[name] = OutletResult(
            pages=stats.pages or 0,
            new_articles=stats.new_articles or 0,
            errors=stats.errors or 0,
            failed=run_store.source_failed(
                stats.pages, stats.new_articles, (stats.errors or 0) - outlet.get("dead_links", 0)
            ),
            first_errors=outlet.get("new", []),
            new_errors=outlet.get("new_count", 0),
            known_dead=outlet.get("known_dead", 0),
        )
    status = getattr(crawl, "status", "completed")
    if status == "interrupted":
        # run_crawl turns Ctrl-C (and our SIGTERM) into a clean stop of its child and returns;
        # the run must stop there too rather than go on to the NLP stage.
        raise KeyboardInterrupt
    if status not in ("completed", None):
        summary.message = f"the crawl ended with status {status!r}"


def _record(db, summary: DailySummary) -> None:
    # If the run's own record cannot be written (disk full, database locked), the run stays
    # `running` and the next run marks it interrupted; what was stored is intact.
    with contextlib.suppress(sqlite3.Error):
        run_store.finish_daily_run(
            db,
            summary.run_id,
            status=summary.status,
            ended_at=now_iso(),
            crawl_run_id=summary.crawl_run_id,
            pages=summary.pages,
            new_articles=summary.new_articles,
            errors=summary.errors,
            failed_sources=summary.failed_sources,
            processed=summary.processed,
            new_entities=summary.new_entities,
            message=summary.message,
        )


def sigterm_as_interrupt() -> None:
    """Treat SIGTERM like Ctrl-C, so a stopped run is recorded as interrupted."""
    import signal

    def _raise(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)
