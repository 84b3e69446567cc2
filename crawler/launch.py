"""Run one crawl of the sources in a child process and report what it did.

The parent opens the database first (a bad path fails before anything is fetched), records
the run, starts `python -m crawler.child`, shows progress read from the database, forwards
Ctrl-C, and returns the run's figures as a `CrawlSummary`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.source_config import Config
from db import article_store
from db.schema import DatabaseError, explain_error, open_db

REPO_ROOT = Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.5
PLAIN_EVERY_SECONDS = 10.0
# After Ctrl-C, Scrapy finishes the requests under way; give it this long before forcing.
GRACE_SECONDS = 20.0

ProgressCallback = Callable[["CrawlSummary"], None]


@dataclass
class SourceStats:
    """One source's figures in a crawl run."""

    pages: int = 0
    new_articles: int = 0
    errors: int = 0


@dataclass
class CrawlSummary:
    """What one crawl run did, read back from the database."""

    run_id: int
    status: str
    started_at: str | None
    ended_at: str | None
    pages: int = 0
    new_articles: int = 0
    errors: int = 0
    per_source: dict[str, SourceStats] = field(default_factory=dict)
    log_file: str | None = None

    @classmethod
    def from_run(cls, run: dict, log_file: str | None = None) -> CrawlSummary:
        """From `db.article_store.get_run`'s dict."""
        return cls(
            run_id=run["id"],
            status=run["status"],
            started_at=run["started_at"],
            ended_at=run["ended_at"],
            pages=run["pages"] or 0,
            new_articles=run["new_articles"] or 0,
            errors=run["errors"] or 0,
            per_source={name: SourceStats(**s) for name, s in run["per_source"].items()},
            log_file=log_file,
        )

    def describe(self) -> str:
        """A short human summary, one line per source."""
        head = (
            f"Crawl #{self.run_id} {self.status}: {_plural(self.pages, 'page')}, "
            f"{_plural(self.new_articles, 'new article')}, {_plural(self.errors, 'error')}."
        )
        lines = [head]
        for name, s in self.per_source.items():
            lines.append(
                f"  {name}: {_plural(s.pages, 'page')}, {_plural(s.new_articles, 'new article')}, "
                f"{_plural(s.errors, 'error')}"
            )
        if self.errors:
            lines.append("Failed pages are in the fetch_errors table (url, reason).")
        if self.status in ("failed", "interrupted") and self.log_file:
            lines.append(f"Crawl log: {self.log_file}")
        return "\n".join(lines)


def run_crawl(
    config: Config,
    db_path: str | Path,
    *,
    progress: bool | ProgressCallback | None = None,
) -> CrawlSummary:
    """Crawl `config.sources` once into `db_path`, in a child process; return its figures.

    `progress`: None shows a live display when stderr is a terminal, plain log lines
    otherwise; True/False force the display/plain lines; a callable receives a running
    `CrawlSummary` instead. Ctrl-C stops the crawl cleanly (status "interrupted").
    Runs still "running" in the database are closed as "interrupted" first: callers hold the
    database's run lock (the CLI and `veille run` do), so no other crawl is under way, and
    such a run is one whose parent and child were both killed.
    Raises DatabaseError when the database cannot be used.
    """
    db_path = Path(db_path)
    db = open_db(db_path)
    try:
        try:
            article_store.close_stale_runs(db)
            article_store.sync_sources(db, config)
            run_id = article_store.start_run(db, [s.name for s in config.sources])
        except sqlite3.Error as exc:
            raise explain_error(db_path, exc) from None
        log_file = db_path.with_name(db_path.stem + ".crawl.log")
        job = {
            "config": config.to_dict(),
            "db": str(db_path.resolve()),
            "run_id": run_id,
            "log_file": str(log_file),
        }
        if progress is None:
            progress = sys.stderr.isatty()
        show = _display(progress, db, run_id, str(log_file))
        try:
            interrupted = _run_child(job, log_file, show)
        finally:
            show.close()
        try:
            run = article_store.get_run(db, run_id)
            if run["status"] == "running":
                # The child died without closing the run (killed, crashed): close it here.
                run = article_store.finish_run(
                    db, run_id, "interrupted" if interrupted else "failed"
                )
        except sqlite3.Error as exc:
            raise DatabaseError(
                f"{explain_error(db_path, exc)} (while recording the crawl's results: articles "
                f"stored before the problem are kept. Crawl log: {log_file})"
            ) from None
        return CrawlSummary.from_run(run, str(log_file))
    finally:
        db.conn.close()


def _run_child(job: dict, log_file: Path, show: _Display) -> bool:
    """Start the child, wait for it while showing progress; True if it was interrupted."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    interrupted = False
    log_file.write_text("", encoding="utf-8")  # one crawl's log at a time
    # Append mode: the child's own output and Scrapy's log handler share this file.
    with open(log_file, "a", encoding="utf-8") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "crawler.child"],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            # Own session: a terminal's Ctrl-C reaches only us, and we forward it once.
            start_new_session=True,
        )
        signals_sent = 0
        deadline = None

        def ctrl_c() -> None:
            """Stop the child after its pages under way (a second Ctrl-C forces it)."""
            nonlocal interrupted, signals_sent, deadline
            interrupted = True
            show.note("Stopping the crawl after the pages under way (Ctrl-C again forces)…")
            signals_sent = _stop(child, signals_sent)
            deadline = time.monotonic() + GRACE_SECONDS

        try:
            child.stdin.write(json.dumps(job).encode("utf-8"))
            child.stdin.close()
        except BrokenPipeError:
            pass  # the child died at once; its log says why
        except KeyboardInterrupt:
            # Ctrl-C while the child starts: it has its own session and would go on alone.
            with contextlib.suppress(OSError):
                child.stdin.close()
            ctrl_c()
        while child.poll() is None:
            try:
                try:
                    child.wait(timeout=POLL_SECONDS)
                except subprocess.TimeoutExpired:
                    show.update()
                if deadline and time.monotonic() > deadline and child.poll() is None:
                    # Scrapy did not stop in time: a second SIGINT forces it, then kill.
                    signals_sent = _stop(child, signals_sent)
                    deadline = time.monotonic() + GRACE_SECONDS / 2
            except KeyboardInterrupt:
                ctrl_c()
    return interrupted or child.returncode in (3, -signal.SIGINT, -signal.SIGTERM)


def _stop(child: subprocess.Popen, signals_sent: int) -> int:
    """SIGINT (graceful, then forced by Scrapy), then SIGKILL; returns signals sent."""
    if child.poll() is None:
        if signals_sent >= 2:
            child.kill()
        else:
            child.send_signal(signal.SIGINT)
    return signals_sent + 1


class _Display:
    """Progress of a running crawl, read from its run figures in the database."""

    def __init__(self, db, run_id: int, log_file: str) -> None:
        self.db = db
        self.run_id = run_id
        self.log_file = log_file

    def snapshot(self) -> CrawlSummary:
        return CrawlSummary.from_run(article_store.get_run(self.db, self.run_id), self.log_file)

    def update(self) -> None: ...

    def note(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def close(self) -> None: ...


class _Plain(_Display):
    """A log line every few seconds when the figures moved."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.last = time.monotonic()
        self.shown: tuple[int, int, int] | None = None
        self.note(f"crawl #{self.run_id} started (log: {self.log_file})")

    def update(self) -> None:
        if time.monotonic() - self.last < PLAIN_EVERY_SECONDS:
            return
        self.last = time.monotonic()
        s = self.snapshot()
        figures = (s.pages, s.new_articles, s.errors)
        if figures != self.shown:
            self.shown = figures
            self.note(
                f"crawl #{s.run_id}: {_plural(s.pages, 'page')}, "
                f"{_plural(s.new_articles, 'new article')}, {_plural(s.errors, 'error')}"
            )


class _Callback(_Display):
    """Hands a running summary to the caller's callback."""

    def __init__(self, callback: ProgressCallback, *args) -> None:
        super().__init__(*args)
        self.callback = callback
        self.shown: tuple | None = None

    def update(self) -> None:
        s = self.snapshot()
        figures = (s.pages, s.new_articles, s.errors)
        if figures != self.shown:
            self.shown = figures
            self.callback(s)


class _Live(_Display):
    """A rich table on the terminal: pages, new articles and errors per source."""

    def __init__(self, *args) -> None:
        from rich.console import Console
        from rich.live import Live

        super().__init__(*args)
        self.console = Console(stderr=True)
        self.live = Live(self._table(self.snapshot()), console=self.console, transient=True)
        self.live.start()

    def _table(self, s: CrawlSummary):
        from rich.table import Table

        table = Table(title=f"Crawl #{s.run_id}: {s.pages} pages, {s.new_articles} new articles")
        for column in ("source", "pages", "new articles", "errors"):
            table.add_column(column, justify="left" if column == "source" else "right")
        for name, st in s.per_source.items():
            table.add_row(name, str(st.pages), str(st.new_articles), str(st.errors))
        return table

    def update(self) -> None:
        self.live.update(self._table(self.snapshot()))

    def note(self, message: str) -> None:
        self.console.log(message)

    def close(self) -> None:
        self.live.stop()


def _display(progress, db, run_id: int, log_file: str) -> _Display:
    if callable(progress):
        return _Callback(progress, db, run_id, log_file)
    if progress:
        return _Live(db, run_id, log_file)
    return _Plain(db, run_id, log_file)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
