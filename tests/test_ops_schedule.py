"""`veille schedule`: times of day, validation, and a real scheduler stopped by SIGTERM."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from ops.schedule import ScheduleError, Scheduler, log_path_for, parse_at, run_times
from pipeline import cli


@pytest.mark.parametrize(
    ("value", "expected"),
    [("06:30", "06:30"), ("6:05", "06:05"), ("23:59", "23:59"), ("0:00", "00:00")],
)
def test_at_accepts_24_hour_times(value, expected):
    assert parse_at(value) == expected


@pytest.mark.parametrize("value", ["25:00", "9h", "24:00", "06:60", "6", "06:30:00", "midi", ""])
def test_at_rejects_anything_else(value):
    with pytest.raises(ScheduleError, match="HH:MM on the 24-hour clock"):
        parse_at(value)


@pytest.mark.parametrize(
    ("at", "every", "expected"),
    [
        ("06:00", None, ["06:00"]),
        ("06:00", 6, ["00:00", "06:00", "12:00", "18:00"]),
        ("06:00", 5, ["02:00", "06:00", "11:00", "16:00", "21:00"]),
        ("23:30", 12, ["11:30", "23:30"]),
        ("07:15", 24, ["07:15"]),
    ],
)
def test_run_times_repeat_within_each_day(at, every, expected):
    assert run_times(at, every) == expected


@pytest.mark.parametrize("every", [0, 25, -3])
def test_every_hours_out_of_range(every):
    with pytest.raises(ScheduleError, match="from 1 to 24"):
        run_times("06:00", every)


def test_the_scheduler_registers_one_daily_job_per_time(tmp_path):
    logger = logging.getLogger("test-schedule")
    scheduler = Scheduler(["06:00", "18:00"], ["--db", str(tmp_path / "v.db")], logger)
    jobs = sorted(str(job.at_time) for job in scheduler.scheduler.jobs)
    assert jobs == ["06:00:00", "18:00:00"]
    assert all(job.unit == "days" and job.interval == 1 for job in scheduler.scheduler.jobs)


def test_log_file_sits_beside_the_database(tmp_path):
    assert log_path_for(tmp_path / "veille.db") == tmp_path / "veille-schedule.log"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "25:00"], "--at '25:00': give a time of day as HH:MM"),
        (["--at", "9h"], "--at '9h': give a time of day as HH:MM"),
        (
            ["--at", "06:00", "--every-hours", "0"],
            "--every-hours 0: give a whole number from 1 to 24",
        ),
        (["--at", "06:00", "--model", "fr_absent"], "'fr_absent' is not installed"),
    ],
)
def test_cli_rejects_bad_options_before_starting(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["schedule", "--db", str(tmp_path / "v.db"), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert list(tmp_path.iterdir()) == []  # no log file, no database
