"""One `veille run` per database, and databases it cannot use: real processes, real files."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_ops import (
    OPS_SOURCES,
    filled_db,
    render_sources,
    run_veille,
    settle,
    snapshot,
    veille_env,
    veille_run,
)

from ops.daily import AlreadyRunning, RunError, lock_path_for, run_lock, running_pid
from pipeline import cli


@pytest.fixture
def shared_dir(tmp_path):
    """A folder whose permissions a test changes; restored so pytest can clean it up."""
    folder = tmp_path / "shared"
    folder.mkdir()
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    """The ops sources file; these tests stop before crawling, so no site is served."""
    folder = tmp_path_factory.mktemp("sources")
    folder.chmod(0o755)
    bases = {
        name: "http://127.0.0.1:9" for name in ("ops_site", "ops_slow", "ops_garbage", "ops_loop")
    }
    path = render_sources(OPS_SOURCES, bases, folder / "sources.toml")
    path.chmod(0o644)
    return path


def permissions_apply() -> tuple[str, ...]:
    """A command prefix under which file permissions stop the child.

    chmod does not stop root: as root, the child runs without the capabilities that bypass
    permission bits (setpriv, util-linux), so the checks are real; any other user needs nothing.
    """
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    return (setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner")


def _hold_lock(db_path: Path) -> subprocess.Popen:
    code = (
        "import sys, time\n"
        "from ops.daily import run_lock\n"
        "with run_lock(sys.argv[1]):\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(600)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(db_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=veille_env(),
    )
    assert child.stdout.readline().strip() == "locked"
    return child


def test_lock_is_exclusive_and_released_by_kill_9(tmp_path):
    db_path = tmp_path / "veille.db"
    holder = _hold_lock(db_path)
    try:
        assert running_pid(db_path) == holder.pid
        with (
            pytest.raises(
                AlreadyRunning, match=f"already running on this database \\(pid {holder.pid}\\)"
            ),
            run_lock(db_path),
        ):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The kernel dropped the dead process's lock: no stale lock, though the file stays.
    assert lock_path_for(db_path).exists()
    assert running_pid(db_path) is None
    with run_lock(db_path):
        assert running_pid(db_path) == os.getpid()


def test_a_second_run_exits_at_once_with_a_message(tmp_path, sources):
    db_path = filled_db(tmp_path / "veille.db")
    before = snapshot(db_path)
    holder = _hold_lock(db_path)
    try:
        result = veille_run(db_path, sources, timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3, result.stderr
    assert "another veille run is already running on this database" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(db_path) == before


def test_lock_file_in_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(RunError, match="does not exist"), run_lock(tmp_path / "absent" / "x.db"):
        pass


def _run_as_other(db_path: Path, sources: Path, *extra: str) -> subprocess.CompletedProcess:
    return veille_run(db_path, sources, *extra, timeout=60, prefix=permissions_apply())


def _assert_clear_failure(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr


def test_read_only_folder(shared_dir, sources):
    db_path = filled_db(shared_dir / "veille.db")
    db_path.chmod(0o644)
    before = snapshot(db_path)
    shared_dir.chmod(0o555)
    result = _run_as_other(db_path, sources)
    _assert_clear_failure(result, "cannot write in the database's folder")
    assert snapshot(db_path) == before
    assert not lock_path_for(db_path).exists()


def test_read_only_folder_with_an_old_lock_file(shared_dir, sources):
    db_path = filled_db(shared_dir / "veille.db")
    lock_path_for(db_path).touch()
    for path in (db_path, lock_path_for(db_path)):
        path.chmod(0o666)
    before = snapshot(db_path)
    settle(db_path)
    # SQLite must create its -wal and -shm files beside the database to write: it cannot here.
    assert sorted(p.name for p in shared_dir.iterdir()) == ["veille.db", "veille.db.lock"]
    shared_dir.chmod(0o555)
    result = _run_as_other(db_path, sources)
    _assert_clear_failure(result, str(db_path), "cannot")
    assert snapshot(db_path) == before


def test_read_only_database_file(shared_dir, sources):
    db_path = filled_db(shared_dir / "veille.db")
    db_path.chmod(0o444)
    # The folder stays writable (SQLite's -shm and the lock file go there); the file is not.
    shared_dir.chmod(0o777)
    before = snapshot(db_path)
    result = _run_as_other(db_path, sources)
    _assert_clear_failure(result, "read-only")
    assert snapshot(db_path) == before


def test_database_locked_by_another_program(tmp_path, sources):
    db_path = filled_db(tmp_path / "veille.db")
    before = snapshot(db_path)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock, as a sqlite3 shell mid-edit would
    try:
        result = veille_run(db_path, sources, "--wait", "0.2", timeout=60)
    finally:
        other.execute("ROLLBACK")
        other.close()
    _assert_clear_failure(result, "locked by another program")
    assert snapshot(db_path) == before


def test_bad_sources_file_names_the_file_and_key(tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text('[[sources]]\nname = "Sans adresse"\nfeeds = ["http://127.0.0.1:9/rss"]\n')
    db_path = tmp_path / "veille.db"
    result = CliRunner().invoke(cli, ["run", "--sources", str(bad), "--db", str(db_path)])
    assert result.exit_code == 2
    assert f"{bad}: source 'Sans adresse': key 'homepage': missing" in result.output
    assert not db_path.exists()


def test_missing_model_is_reported_before_anything_runs(tmp_path, sources):
    db_path = tmp_path / "veille.db"
    result = CliRunner().invoke(
        cli,
        ["run", "--sources", str(sources), "--db", str(db_path), "--model", "fr_pas_installe"],
    )
    assert result.exit_code == 2
    assert "spaCy pipeline 'fr_pas_installe' is not installed" in result.output
    assert not db_path.exists()


@pytest.fixture
def full_disk(tmp_path):
    """A real, tiny filesystem (tmpfs) that the test fills up; needs root to mount."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs for the full-disk test: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk(full_disk, sources):
    db_path = filled_db(full_disk / "veille.db")
    settle(db_path)
    before = snapshot(db_path)
    settle(db_path)
    with open(full_disk / "filler", "wb") as filler, pytest.raises(OSError):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()
    result = veille_run(db_path, sources, timeout=60)
    _assert_clear_failure(result, "is full", "nothing stored was lost")
    status = run_veille("status", "--db", str(db_path), timeout=60)
    _assert_clear_failure(status, "is full")
    report = run_veille("report", "--db", str(db_path), timeout=60)
    _assert_clear_failure(report, "is full")
    (full_disk / "filler").unlink()
    assert snapshot(db_path) == before
