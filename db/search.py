"""Search the veille database: the canned queries of db/metadata.yml, for Datasette and the CLI.

The SQL of every canned query lives once, in db/metadata.yml; `veille search` runs the
`mentions` query from there, so the terminal and Datasette always return the same rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from contextlib import closing
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlite_utils import Database

from db.schema import DatabaseError

METADATA_FILE = Path(__file__).with_name("metadata.yml")
DATABASE_NAME = "veille"  # the name Datasette serves the database under, whatever the file
MENTION_COLUMNS = ("entity", "label", "title", "url", "published", "source", "sentence")
ROW_LIMIT = 500  # rows a canned query shows, as Datasette's max_returned_rows
FTS_TABLES = ("articles_fts", "mentions_fts", "entities_fts", "entity_aliases_fts", "quotes_fts")


# The `mentions` query written the plain way, one plan for every case: the tests check that
# the planned query in metadata.yml returns exactly its rows, and bench/search.py times it as
# the baseline.
MENTIONS_REFERENCE_SQL = """
WITH found AS (
  SELECT rowid AS id FROM entities_fts
  WHERE entities_fts MATCH '"' || replace(substr(trim(:q), 1, length(trim(:q))), '"', '""') || '"'
  UNION
  SELECT entity_id FROM entity_aliases WHERE rowid IN (
    SELECT rowid FROM entity_aliases_fts
    WHERE entity_aliases_fts MATCH '"' || replace(substr(trim(:q), 1, length(trim(:q))), '"', '""') || '"')
)
SELECT e.name AS entity, e.label AS label, a.title AS title, a.url AS url,
  a.published AS published, a.source AS source, m.sentence AS sentence
FROM mentions m
JOIN articles a ON a.id = m.article_id
JOIN entities e ON e.id = m.entity_id
WHERE (trim(:q) = '' OR m.entity_id IN found)
  AND (trim(:label) = '' OR e.label = CASE lower(trim(:label))
    WHEN 'personne' THEN 'PER' WHEN 'organisation' THEN 'ORG' WHEN 'lieu' THEN 'LOC'
    ELSE upper(trim(:label)) END)
  AND (trim(:since) = '' OR a.published >= coalesce(date(trim(:since)), date(trim(:since) || '-01')))
  AND (trim(:until) = '' OR a.published < coalesce(date(trim(:until), '+1 day'),
    date(trim(:until) || '-01', '+1 month')))
  AND (trim(:source) = '' OR a.source = trim(:source))
ORDER BY a.published DESC, a.id DESC, m.id
LIMIT 501
"""


@cache
def load_metadata() -> dict[str, Any]:
    """The Datasette metadata (titles, descriptions, facets, canned queries) as a dict."""
    with METADATA_FILE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def canned_queries() -> dict[str, dict[str, Any]]:
    """Canned queries by name, as declared in db/metadata.yml."""
    return load_metadata()["databases"][DATABASE_NAME]["queries"]


def query_sql(name: str) -> str:
    """The SQL of one canned query."""
    return canned_queries()[name]["sql"]


def query_params(name: str) -> list[str]:
    """The named parameters of one canned query, in the order its form shows them."""
    query = canned_queries()[name]
    return list(query.get("params") or sorted(set(re.findall(r"(?<!:):(\w+)", query["sql"]))))


def run_query(db_path: str | Path, name: str, **params: str | None) -> list[dict[str, Any]]:
    """Run a canned query read-only; missing parameters count as empty, as in Datasette."""
    path = Path(db_path)
    if not path.exists():
        raise DatabaseError(f"{path}: no such database; run `veille crawl` or `veille demo` first")
    unknown = set(params) - set(query_params(name))
    if unknown:
        raise ValueError(f"query {name!r} has no parameter {', '.join(sorted(unknown))}")
    values = {p: (params.get(p) or "") for p in query_params(name)}
    # mode=ro: the search can never write, even if the SQL were changed to.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(query_sql(name), values)]
    except sqlite3.DatabaseError as exc:
        if "no such table" in str(exc):
            raise DatabaseError(
                f"{path}: not a veille database, or made by an older veille ({exc}); "
                "run `veille serve` or `veille process` on it once to upgrade it"
            ) from None
        raise DatabaseError(f"{path}: cannot search this database ({exc})") from None
    finally:
        conn.close()


def search_mentions(
    db_path: str | Path,
    q: str,
    *,
    since: str | None = None,
    until: str | None = None,
    label: str | None = None,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """Mentions of the entities named like `q`, newest first: the `mentions` canned query."""
    return run_query(db_path, "mentions", q=q, since=since, until=until, label=label, source=source)


def valid_date(text: str) -> bool:
    """True when the canned queries read `text` as a date: 2024-03-15, 2024-03 or an ISO time."""
    with closing(sqlite3.connect(":memory:")) as conn:
        sql = "SELECT coalesce(date(trim(:d)), date(trim(:d) || '-01')) IS NOT NULL"
        return bool(conn.execute(sql, {"d": text}).fetchone()[0])


def mentions_csv(rows: list[dict[str, Any]]) -> str:
    """The rows of `mentions` as CSV, columns in the query's order."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MENTION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def mentions_json(rows: list[dict[str, Any]]) -> str:
    """The rows of `mentions` as a JSON array of objects, as Datasette's `_shape=array`."""
    return json.dumps(rows, ensure_ascii=False, indent=2)


def mentions_table(rows: list[dict[str, Any]], title: str):
    """A rich Table of mentions for a terminal; the article title links to its URL."""
    from rich.markup import escape
    from rich.table import Table

    shown = rows[:ROW_LIMIT]
    caption = f"{len(shown)} mention{'s' if len(shown) != 1 else ''}"
    if len(rows) > ROW_LIMIT:
        caption = f"plus de {ROW_LIMIT} mentions : les plus récentes ; précisez (--since, --label)"
    table = Table(title=title, caption=caption, expand=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Média", ratio=2, overflow="fold")
    table.add_column("Entité", ratio=2, overflow="fold")
    table.add_column("Type", no_wrap=True)
    table.add_column("Phrase", ratio=5, overflow="fold")
    table.add_column("Article", ratio=3, overflow="fold")
    for row in shown:
        title_cell = escape(row["title"] or row["url"])
        table.add_row(
            (row["published"] or "")[:10],
            escape(row["source"] or ""),
            escape(row["entity"]),
            row["label"],
            escape(row["sentence"] or ""),
            f"[link={row['url']}]{title_cell}[/link]" if row["url"] else title_cell,
        )
    return table


def rebuild_fts(db: Database) -> None:
    """Rebuild every full-text index from its table (after bulk loads done without triggers)."""
    for table in FTS_TABLES:
        if db[table].exists():
            db.execute(f"INSERT INTO [{table}] ([{table}]) VALUES ('rebuild')")
