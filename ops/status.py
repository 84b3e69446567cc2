"""`veille status`: what the last runs did, which outlets are in trouble, how big the database is."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db import run_store
from db.schema import explain_error, missing_database, open_db
from ops.daily import format_duration, running_pid

QUIET_DAYS = 14
FAILED_RUNS = 3


@dataclass
class Status:
    """Everything `veille status` shows."""

    db_path: Path
    size_bytes: int
    runs: list[dict] = field(default_factory=list)
    crawl_runs: list[dict] = field(default_factory=list)  # when no daily run exists yet
    failing: list[dict] = field(default_factory=list)
    quiet: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    running_pid: int | None = None


def database_size(db_path: str | Path) -> int:
    """Bytes on disk: the database plus its write-ahead log."""
    total = 0
    for suffix in ("", "-wal"):
        path = Path(f"{db_path}{suffix}")
        if path.exists():
            total += path.stat().st_size
    return total


def gather_status(db_path: str | Path, *, now: datetime | None = None, limit: int = 10) -> Status:
    """Read the status of a database without writing to it (never creates one)."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise missing_database(db_path)
    now = now or datetime.now(UTC)
    before = (now - timedelta(days=QUIET_DAYS)).isoformat(timespec="seconds")
    try:
        db = open_db(db_path, readonly=True)
        status = Status(
            db_path=db_path,
            size_bytes=database_size(db_path),
            runs=run_store.last_daily_runs(db, limit),
            failing=run_store.failing_sources(db, FAILED_RUNS),
            quiet=run_store.quiet_sources(db, before=before),
            totals=run_store.totals(db),
            running_pid=running_pid(db_path),
        )
        if not status.runs:
            status.crawl_runs = run_store.last_crawl_runs(db, limit)
    except sqlite3.DatabaseError as exc:
        raise explain_error(db_path, exc) from None
    return status


def render_status(status: Status) -> str:
    """Plain text, readable in a terminal, a log or an e-mail from cron."""
    t = status.totals
    lines = [
        f"Database {status.db_path}: {format_size(status.size_bytes)}, {t.get('articles', 0)} "
        f"articles from {t.get('sources', 0)} outlet(s), {t.get('entities', 0)} entities, "
        f"{t.get('mentions', 0)} mentions."
    ]
    if t.get("unprocessed"):
        lines.append(f"{t['unprocessed']} article(s) not processed yet (the next run will).")
    if status.running_pid is not None:
        pid = f" (pid {status.running_pid})" if status.running_pid else ""
        lines.append(f"A run is in progress{pid}.")
    lines.append("")
    if status.runs:
        lines.append("Last runs:")
        lines.append(
            f"  {'#':>4}  {'started':<16}  {'duration':>10}  {'status':<11}  "
            f"{'new':>5}  {'errors':>6}  failed outlets"
        )
        for run in status.runs:
            state = run["status"] or "?"
            if state == "running" and status.running_pid is None:
                state = "interrupted"  # its process died; the next run will record it
            lines.append(
                f"  {run['id']:>4}  {local_time(run['started_at']):<16}  "
                f"{format_duration(_seconds(run['started_at'], run['ended_at'])):>10}  "
                f"{state:<11}  {_n(run['new_articles']):>5}  {_n(run['errors']):>6}  "
                f"{', '.join(run['failed_sources']) or '-'}"
            )
            if run.get("message") and state != "completed":
                lines.append(f"        {run['message']}")
    elif status.crawl_runs:
        lines.append("No daily run yet; last crawls:")
        for run in status.crawl_runs:
            lines.append(
                f"  {run['id']:>4}  {local_time(run['started_at']):<16}  "
                f"{format_duration(_seconds(run['started_at'], run['ended_at'])):>10}  "
                f"{run['status'] or '?':<11}  {_n(run['new_articles']):>5} new  "
                f"{_n(run['errors']):>4} errors"
            )
    else:
        lines.append("No run yet: start one with `veille run`.")
    lines.append("")
    if status.failing:
        lines.append(f"Outlets that failed on each of their last {FAILED_RUNS} runs:")
        for row in status.failing:
            reason = f" — last error: {row['last_reason']}" if row.get("last_reason") else ""
            lines.append(f"  {row['source']} (since {local_time(row['since'])}){reason}")
        lines.append("  Check their feeds and sitemaps in the sources file.")
    else:
        lines.append(f"No outlet failed on each of its last {FAILED_RUNS} runs.")
    if status.quiet:
        lines.append(f"Outlets with nothing new for {QUIET_DAYS} days:")
        for row in status.quiet:
            last = local_time(row["last_new"]) if row["last_new"] else "never"
            lines.append(f"  {row['source']} (last new article: {last})")
    else:
        lines.append(f"Every outlet gave something new in the last {QUIET_DAYS} days.")
    return "\n".join(lines)


def format_size(size: int) -> str:
    """'12.3 MB'."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def local_time(iso: str | None) -> str:
    """An ISO timestamp shown in local time, to the minute."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:16]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _seconds(start: str | None, end: str | None) -> float | None:
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return None


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)
