"""Manual `veille crawl` and `veille process` respect the daily run's lock."""

import pytest
from click.testing import CliRunner

from ops.daily import run_lock
from pipeline import cli


@pytest.mark.parametrize("command", [["crawl"], ["process"], ["demo"]])
def test_command_refuses_to_overlap_a_run(tmp_path, command):
    db_path = tmp_path / "veille.db"
    with run_lock(db_path):
        result = CliRunner().invoke(cli, [*command, "--db", str(db_path)])
    assert result.exit_code == 3, result.output
    assert "already running" in result.output
    assert not db_path.exists()  # refused before touching the database
