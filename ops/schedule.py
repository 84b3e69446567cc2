"""`veille schedule`: stay running and start `veille run` at set times of day.

Each run is a child process in its own session, so the Ctrl-C meant for the scheduler does not
cut the run short: the first SIGINT/SIGTERM stops the scheduler once the run in progress ends;
a second one stops that run too (safe: the database stays consistent and the next run
completes what is missing). The scheduler's log, with each run's output, goes to a file next
to the database.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import schedule

from common.errors import VeilleError

TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ScheduleError(VeilleError, ValueError):
    """Bad schedule options; the message says what to give instead."""


def parse_at(value: str) -> str:
    """'6:30' or '06:30' → '06:30'; anything else is a ScheduleError."""
    match = TIME_OF_DAY.match(value.strip())
    if not match:
        raise ScheduleError(
            f"--at {value!r}: give a time of day as HH:MM on the 24-hour clock, e.g. 06:30"
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def run_times(at: str, every_hours: int | None = None) -> list[str]:
    """The times of day a run starts: `at`, then every `every_hours` hours until the day ends.

    The series restarts from `at` every day, so `--at 06:00 --every-hours 5` runs at 02:00,
    06:00, 11:00, 16:00 and 21:00.
    """
    at = parse_at(at)
    if every_hours is None:
        return [at]
    if not 1 <= every_hours <= 24:
        raise ScheduleError(f"--every-hours {every_hours}: give a whole number from 1 to 24")
    hours, minutes = (int(x) for x in at.split(":"))
    start = hours * 60 + minutes
    times = {(start + k * every_hours * 60) % (24 * 60) for k in range(24) if k * every_hours < 24}
    return sorted(f"{m // 60:02d}:{m % 60:02d}" for m in times)


def log_path_for(db_path: str | Path) -> Path:
    """The scheduler's log beside the database: `veille.db` → `veille-schedule.log`."""
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}-schedule.log")


def make_logger(log_path: Path, *, echo: bool = True) -> logging.Logger:
    """A logger writing to `log_path` (rotated at 5 MB) and, when `echo`, to stderr."""
    logger = logging.getLogger(f"veille.schedule.{log_path}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(
            log_path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    ]
    if echo:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


class Scheduler:
    """Start `veille run` at set times until SIGINT or SIGTERM."""

    def __init__(self, times: list[str], run_args: list[str], logger: logging.Logger) -> None:
        self.times = times
        self.run_args = run_args
        self.log = logger
        self.stop_requested = False
        self.child: subprocess.Popen | None = None
        self.scheduler = schedule.Scheduler()
        for at in times:
            self.scheduler.every().day.at(at).do(self.run_once)

    def _on_signal(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        child = self.child
        if not self.stop_requested:
            self.stop_requested = True
            if child and child.poll() is None:
                self.log.info(
                    "%s received: stopping after the run in progress (pid %s); "
                    "send it again to stop that run now",
                    name,
                    child.pid,
                )
            else:
                self.log.info("%s received: stopping", name)
        elif child and child.poll() is None:
            self.log.info(
                "%s received again: stopping the run in progress (pid %s)", name, child.pid
            )
            # The run's whole process group, so its crawl child goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)

    def run_once(self) -> int | None:
        """Run `veille run` once in a child process, logging its output; its exit status."""
        if self.stop_requested:
            return None
        command = [sys.executable, "-m", "pipeline", "run", *self.run_args]
        self.log.info("starting: veille run %s", " ".join(self.run_args))
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        assert self.child.stdout is not None
        for line in self.child.stdout:
            self.log.info("  | %s", line.rstrip())
        code = self.child.wait()
        self.child = None
        self.log.info("run finished with exit status %s", code)
        return code

    def serve(self, *, run_now: bool = False) -> int:
        """Loop until asked to stop; 0 on a clean stop."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.log.info(
                "veille schedule: runs every day at %s (pid %s)", ", ".join(self.times), os.getpid()
            )
            if run_now:
                self.run_once()
            while not self.stop_requested:
                self.scheduler.run_pending()
                if self.stop_requested:
                    break
                next_run = self.scheduler.next_run
                if next_run:
                    self.log.debug("next run at %s", next_run)
                idle = self.scheduler.idle_seconds or 1.0
                # Short sleeps so a signal is acted on within a second.
                time.sleep(min(max(idle, 0.0), 1.0))
            self.log.info("veille schedule stopped")
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
