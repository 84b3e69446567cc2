"""Search the veille database: the canned queries of db/metadata.yml, for Datasette and the CLI.

The SQL of every canned query lives once, in db/metadata.yml; `veille search` runs the
`mentions` query from there, so the terminal and Datasette always return the same rows.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from functools import cache
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl

import yaml
from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.plugins import pm
from sqlite_utils import Database

from db.schema import explain_error, missing_database

METADATA_FILE = Path(__file__).with_name("metadata.yml")
DATABASE_NAME = "veille"  # the name Datasette serves the database under, whatever the file
MENTION_COLUMNS = (
    "entity",
    "label",
    "title",
    "url",
    "published",
    "source",
    "sentence",
    "also_published_by",  # other outlets that ran the story, '' when none
)
ROW_LIMIT = 500  # rows a canned query shows, as Datasette's max_returned_rows
# Mentions counted beyond the rows shown in a terminal: the count of a frequent name would
# otherwise read millions of rows for a caption.
COUNT_LIMIT = 10_000
FTS_TABLES = ("articles_fts", "mentions_fts", "entities_fts", "entity_aliases_fts", "quotes_fts")
# Views whose name columns are looked up per row, each with the kept id column beside it.
# Datasette's filter on a name ("entity_b = Silicon Comté") reads every row of the view (past
# the 3 s limit at 2,000,000 mentions, 3 to 4.8 s at 20,000,000); `filters_from_request` adds
# the same filter on the id, which walks the id's index (0.01 to 0.13 s).
NAME_COLUMNS = {
    "mention_rows": {"entity": "entity_id"},
    "mentions_by_month": {"entity": "entity_id"},
    "co_mentions": {"entity_a": "entity_a_id", "entity_b": "entity_b_id"},
}
# Tables whose full-text search pages show the newest matches without counting them all or
# faceting them (`asgi_wrapper`): Datasette counts and facets a search by reading every
# matching row, and a common word is in most articles (840,000 of 1,000,000: 1.6 s a page,
# 0.16 s without the count and facets; bench/search.py --pages-only --scale 1m).
# The ranked search with a bounded cost is the `articles_search` query.
UNCOUNTED_SEARCHES = {"articles"}


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
  a.published AS published, a.source AS source, m.sentence AS sentence,
  coalesce((SELECT group_concat(c.source, ', ') FROM article_copies c
   WHERE c.article_id = a.id), '') AS also_published_by
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
  AND (trim(:tous) <> '' OR a.relevant IS NOT 0)
ORDER BY a.published DESC, a.id DESC, m.id
LIMIT 501
"""


@hookimpl
def filters_from_request(request, database, table, datasette) -> FilterArguments | None:
    """Beside Datasette's filter on an entity's name in a view, the same filter on its id.

    The rows are those of the name filter alone (an entity's id is in the list of the ids
    bearing that name exactly when its name is that name); only the plan changes.
    """
    columns = NAME_COLUMNS.get(table) if database == DATABASE_NAME else None
    if not columns:
        return None
    clauses, params = [], {}
    for key in request.args:
        column, _, op = key.partition("__")
        if column in columns and op in ("", "exact"):
            for value in request.args.getlist(key):
                name = f"veille_name_{len(params)}"
                clauses.append(
                    f"[{columns[column]}] IN (SELECT id FROM entities WHERE name = :{name})"
                )
                params[name] = value
    return FilterArguments(clauses, params) if clauses else None


@hookimpl
def asgi_wrapper(datasette):
    """A full-text search of a table in UNCOUNTED_SEARCHES gets `_nocount=1` (and
    `_nofacet=1` unless facets are asked for): Datasette's own switches for its table pages."""

    def wrap(app):
        async def uncounted(scope, receive, send):
            if scope["type"] == "http":
                scope = _uncounted_search(scope)
            await app(scope, receive, send)

        return uncounted

    return wrap


def _uncounted_search(scope: dict) -> dict:
    """`scope` with the switches added when it is a search of an UNCOUNTED_SEARCHES table."""
    table = scope.get("path", "").removeprefix(f"/{DATABASE_NAME}/").removesuffix(".json")
    if table not in UNCOUNTED_SEARCHES:
        return scope
    query = scope.get("query_string", b"")
    keys = {k for k, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
    if not any(k.startswith("_search") for k in keys):
        return scope
    extra = [b"_nocount=1"] if "_nocount" not in keys else []
    if not any(k.startswith(("_facet", "_nofacet")) for k in keys):
        extra.append(b"_nofacet=1")
    return dict(scope, query_string=b"&".join([query, *extra]) if query else b"&".join(extra))


def register() -> None:
    """Register this module's Datasette hooks (once per process)."""
    if pm.get_plugin("veille-search") is None:
        pm.register(sys.modules[__name__], name="veille-search")


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


# The one place the `mentions` query says how many rows to find: ROW_LIMIT + 1, as Datasette
# reads one row more than it shows to know there are more. `veille search` exports every
# mention by putting SQLite's "no limit" (-1) there instead.
MENTIONS_CAP = f"{ROW_LIMIT + 1} AS cap"


def mentions_sql(*, every: bool = False) -> str:
    """The SQL of the `mentions` query; with `every`, without its row limit."""
    sql = query_sql("mentions")
    if sql.count(MENTIONS_CAP) != 1:
        raise RuntimeError(f"{METADATA_FILE}: the mentions query must say `{MENTIONS_CAP}` once")
    return sql.replace(MENTIONS_CAP, "-1 AS cap") if every else sql


def search_mentions(
    db_path: str | Path,
    q: str,
    *,
    since: str | None = None,
    until: str | None = None,
    label: str | None = None,
    source: str | None = None,
    everything: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every mention of the entities named like `q`, newest first: the `mentions` canned
    query without its row limit (Datasette shows the first ROW_LIMIT of these rows).

    As the query, it covers the articles about the tech ecosystem (and those not classified
    yet) unless `everything` is true (its `tous` parameter).

    Rows stream from SQLite, so an export of a million mentions does not sit in memory; a
    database that cannot be searched raises DatabaseError here, before the first row.
    """
    params = {
        "q": q,
        "since": since,
        "until": until,
        "label": label,
        "source": source,
        "tous": "1" if everything else "",
    }
    return _execute(db_path, mentions_sql(every=True), _values("mentions", params))


def _values(name: str, params: dict[str, str | None]) -> dict[str, str]:
    unknown = set(params) - set(query_params(name))
    if unknown:
        raise ValueError(f"query {name!r} has no parameter {', '.join(sorted(unknown))}")
    return {p: (params.get(p) or "") for p in query_params(name)}


def _execute(db_path: str | Path, sql: str, values: dict[str, str]) -> Iterator[dict[str, Any]]:
    path = Path(db_path)
    if not path.exists():
        raise missing_database(path)
    # mode=ro: the search can never write, even if the SQL were changed to.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        # execute() runs the statement to its first row, so a bad database fails here.
        cursor = conn.execute(sql, values)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise explain_error(path, exc) from None
    return _stream(path, conn, cursor)


def _stream(path: Path, conn: sqlite3.Connection, cursor: sqlite3.Cursor) -> Iterator[dict]:
    try:
        for row in cursor:
            yield dict(row)
    except sqlite3.DatabaseError as exc:
        raise explain_error(path, exc) from None
    finally:
        conn.close()


def valid_date(text: str) -> bool:
    """True when the canned queries read `text` as a date: 2024-03-15, 2024-03 or an ISO time."""
    with closing(sqlite3.connect(":memory:")) as conn:
        sql = "SELECT coalesce(date(trim(:d)), date(trim(:d) || '-01')) IS NOT NULL"
        return bool(conn.execute(sql, {"d": text}).fetchone()[0])


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write mentions as CSV, columns in the query's order; return how many rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MENTION_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([row[column] for column in MENTION_COLUMNS])
        count += 1
    return count


def write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write mentions as a JSON array of objects, as Datasette's `_shape=array`; return how
    many rows. Written row by row, as `json.dumps(rows, indent=2)` would print them."""
    count = 0
    for row in rows:
        item = json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        out.write(("[\n  " if count == 0 else ",\n  ") + item)
        count += 1
    out.write("\n]\n" if count else "[]\n")
    return count


def mentions_table(
    rows: list[dict[str, Any]], title: str, total: int | None = None, at_least: bool = False
):
    """A rich Table of mentions for a terminal; the article title links to its URL.

    `total`: how many mentions match in all, when `rows` are only the first of them;
    `at_least`: the count stopped there and more match.
    """
    from rich.markup import escape
    from rich.table import Table

    total = len(rows) if total is None else total
    caption = f"{total} mention{'s' if total != 1 else ''}"
    if total > len(rows):
        caption = (
            f"{len(rows)} mentions affichées sur {'plus de ' if at_least else ''}{total}, "
            "les plus récentes ; toutes avec --csv ou --json, ou précisez avec --since, "
            "--until, --label, --source"
        )
    table = Table(title=title, caption=caption, expand=True)
    table.add_column("Date", no_wrap=True)
    table.add_column("Média", ratio=2, overflow="fold")
    table.add_column("Entité", ratio=2, overflow="fold")
    table.add_column("Type", no_wrap=True)
    table.add_column("Phrase", ratio=5, overflow="fold")
    table.add_column("Article", ratio=3, overflow="fold")
    for row in rows:
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
