"""`veille search` prints what Datasette's `mentions` query shows; `veille serve` fails clearly."""

from __future__ import annotations

import csv
import io
import json
import socket
import sqlite3
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from helpers_search import datasette_client, fill_many_mentions, fill_small_db

from db.search import MENTION_COLUMNS, ROW_LIMIT
from pipeline import cli


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return fill_small_db(tmp_path_factory.mktemp("cli") / "small.db")


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    return fill_many_mentions(tmp_path_factory.mktemp("many") / "many.db")


def stored_mentions(path, since: str = "") -> list[tuple[str, str]]:
    """(url, sentence) of every stored mention of Besançon, newest article first."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT a.url, m.sentence FROM mentions m JOIN articles a ON a.id = m.article_id "
            "JOIN entities e ON e.id = m.entity_id WHERE e.name = 'Besançon' "
            "AND a.published >= ? ORDER BY a.published DESC, a.id DESC, m.id",
            [since],
        ).fetchall()
    finally:
        conn.close()


def run(*args: str):
    # A wide terminal, so that rich does not wrap names inside table cells.
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, list(args))


def test_commands_have_help():
    for name in ("search", "serve"):
        assert cli.commands[name].help


def test_table_shows_mentions_with_outlet_and_date(small):
    result = run("search", "Besancon", "--db", str(small))
    assert result.exit_code == 0, result.output
    for expected in ("Besançon", "Grand Besançon Métropole", "L'Écho du Doubs", "2024-03-28"):
        assert expected in result.stdout
    assert "3 mentions" in result.stdout


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"since": "2024-02"},
        {"until": "2024-02-20"},
        {"label": "lieu"},
        {"source": "Côte-d'Or Éco"},
    ],
)
def test_json_and_csv_are_the_rows_datasette_returns(small, options):
    args = ["search", "silicon comte", "--db", str(small)]
    for key, value in options.items():
        args += [f"--{key}", value]
    as_json = run(*args, "--json")
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    with datasette_client(small) as get:
        query = urlencode({"q": "silicon comte", **options, "_shape": "array"})
        assert rows == get(f"/veille/mentions.json?{query}").json()
    as_csv = run(*args, "--csv")
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert table == [{k: str(v) for k, v in row.items()} for row in rows]
    assert as_csv.stdout.splitlines()[0] == ",".join(MENTION_COLUMNS)


def test_nothing_found_says_so(small):
    result = run("search", "Personne Inconnue", "--db", str(small))
    assert result.exit_code == 0
    assert "Aucune mention" in result.stderr and result.stdout == ""
    assert json.loads(run("search", "Personne Inconnue", "--db", str(small), "--json").stdout) == []


@pytest.mark.parametrize("text", ["'; DROP TABLE articles; --", '"', "NEAR(", "*"])
def test_sql_or_fts_looking_text_is_just_text(small, text):
    result = run("search", text, "--db", str(small), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "hier"], "--since 'hier': not a date"),
        (["--until", "31/12/2024"], "--until '31/12/2024': not a date"),
    ],
)
def test_bad_dates_are_named(small, args, message):
    result = run("search", "Besançon", "--db", str(small), *args)
    assert result.exit_code == 2 and message in result.stderr
    assert "Traceback" not in result.output


def test_missing_database_is_named(tmp_path):
    missing = tmp_path / "absent.db"
    for args in (["search", "x", "--db", str(missing)], ["serve", "--db", str(missing)]):
        result = run(*args)
        assert result.exit_code == 2
        assert f"{missing}: no such database" in result.stderr
    assert not missing.exists()


def test_not_a_database_is_named(tmp_path):
    garbage = tmp_path / "notes.db"
    garbage.write_text("pas une base SQLite\n" * 100)
    result = run("search", "x", "--db", str(garbage))
    assert result.exit_code == 2 and f"{garbage}: " in result.stderr
    assert "Traceback" not in result.output


def test_a_database_without_veille_tables_says_how_to_upgrade(tmp_path):
    # The search opens read-only and never migrates: the shared explainer says what to run.
    other = tmp_path / "autre.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE carnet (note TEXT)")
    conn.close()
    result = run("search", "x", "--db", str(other))
    assert result.exit_code == 2, result.output
    assert f"{other}: not a veille database, or made by an older veille" in result.stderr
    assert "veille process" in result.stderr and "Traceback" not in result.output
    assert sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall() == [
        ("carnet",)
    ]


def test_serve_refuses_a_port_in_use(small):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--db", str(small), "--port", str(port))
    assert result.exit_code == 2
    assert f"127.0.0.1:{port} is not available" in result.stderr


@pytest.mark.parametrize("since", ["", "2023-03"])
def test_exports_hold_every_matching_mention(many, since):
    expected = stored_mentions(many, since)
    assert len(expected) > ROW_LIMIT + 1  # more than Datasette shows, or reads to know it
    args = ["search", "Besancon", "--db", str(many)] + (["--since", since] if since else [])
    as_json = run(*args, "--json")
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert [(r["url"], r["sentence"]) for r in rows] == expected
    assert as_json.stderr == ""
    as_csv = run(*args, "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert list(csv.DictReader(io.StringIO(as_csv.stdout))) == [
        {k: str(v) for k, v in row.items()} for row in rows
    ]
    # Datasette shows the first ROW_LIMIT of the same rows.
    with datasette_client(many) as get:
        query = urlencode({"q": "Besancon", "since": since, "_shape": "array"})
        assert get(f"/veille/mentions.json?{query}").json() == rows[:ROW_LIMIT]


def test_table_says_how_many_it_shows_out_of_how_many(many):
    total = len(stored_mentions(many))
    result = run("search", "Besancon", "--db", str(many))
    assert result.exit_code == 0, result.output
    assert f"{ROW_LIMIT} mentions affichées sur {total}" in result.stdout
    assert "--csv" in result.stdout
    assert "Rencontre 399" in result.stdout  # the newest article is shown...
    assert "Rencontre 0 " not in result.stdout  # ...the oldest is past the table's rows


def test_table_count_stops_at_the_count_limit(many, monkeypatch):
    # A frequent name must not read every mention for a caption: past COUNT_LIMIT more
    # rows, the caption says "plus de".
    monkeypatch.setattr("db.search.COUNT_LIMIT", 100)
    result = run("search", "Besancon", "--db", str(many))
    assert result.exit_code == 0, result.output
    assert f"{ROW_LIMIT} mentions affichées sur plus de {ROW_LIMIT + 100}" in result.stdout
