"""Serve the veille database in Datasette, read-only, with the project's French metadata.

Datasette opens a mutable database with `?mode=ro` for every query, and only opens a
writable connection for writable canned queries or plugins that write; veille declares
neither (a test checks), so nothing served can write. Immutable mode (`-i`) is not used:
it tells SQLite the file never changes, which is false while a crawl is writing.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import os
import socket
from pathlib import Path

import click
from datasette.app import Datasette
from datasette.database import Database as DatasetteDatabase

from db import dashboard, display, entity_page, guard, search
from db.schema import DatabaseError, missing_database, open_db
from db.search import DATABASE_NAME, ROW_LIMIT, load_metadata
from db.users import auth_plugin_config, load_users, users_path

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

SETTINGS = {
    # Every query, canned or typed, is cut off after this; communicators get a message,
    # the server stays responsive.
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "max_returned_rows": ROW_LIMIT,
    "default_page_size": 50,
    # Suggested facets run extra GROUP BYs on every table page; the useful ones are declared.
    "suggest_facets": False,
    "allow_download": False,
    "truncate_cells_html": 400,
}


class ServeError(DatabaseError):
    """The server cannot start (port taken, bad host); a DatabaseError so callers that
    already report those show this one too."""


def datasette_app(
    db_path: str | Path, *, sql: bool = False, team: dict[str, dict] | None = None
) -> Datasette:
    """A Datasette instance serving `db_path` as /veille, read-only, with db/metadata.yml.

    `sql` allows arbitrary SQL (off by default: canned queries and tables cover what
    communicators do, and one typed query can cost the server gigabytes). `team` is the
    accounts of db/users.py: every page then needs a sign-in, feeds a per-user token.
    """
    path = Path(db_path)
    if not path.is_file():
        raise missing_database(path)
    if sql and team is not None:
        raise ServeError("--sql and --team do not go together: a team server runs no typed SQL")
    guard.register()
    display.register()  # French dates, numbers, drop-downs (hooks, not forked templates)
    dashboard.register()
    entity_page.register()
    search.register()  # name filters of the views through the ids' indexes
    metadata = copy.deepcopy(load_metadata())
    if team is not None:
        if not team:
            raise ServeError(
                f"{users_path(path)}: no account yet; add one with `veille users add NAME`"
            )
        metadata["allow"] = {"id": "*"}
        metadata.setdefault("plugins", {})["datasette-auth-passwords"] = _auth_config(team)
    ds = Datasette(
        metadata=metadata,
        template_dir=str(TEMPLATES),
        static_mounts=[("veille-static", str(STATIC))],
        settings={**SETTINGS, "default_allow_sql": sql},
    )
    # Read by db/guard.py's hooks (feed tokens, sign-in redirect); None outside team mode.
    ds.veille_team = team
    # A fixed name, whatever the file is called, so that metadata, links and feed URLs hold.
    ds.add_database(DatasetteDatabase(ds, path=str(path), is_mutable=True), name=DATABASE_NAME)
    # Datasette adds an empty in-memory database when started without files; it would only
    # confuse readers of the home page.
    ds.remove_database("_memory")
    return ds


def prepare(db_path: str | Path) -> None:
    """Bring the database's schema up to date (search indexes, views) before serving it."""
    path = Path(db_path)
    if not path.is_file():
        raise missing_database(path)
    open_db(path).conn.close()


def _auth_config(team: dict[str, dict]) -> dict:
    # The hashes reach the plugin through `$env` references, so that /-/metadata (readable by
    # every signed-in member) shows the variable names, not the hashes.
    config = {}
    for i, (key, value) in enumerate(auth_plugin_config(team).items()):
        variable = f"VEILLE_PASSWORD_HASH_{i}"
        os.environ[variable] = value
        config[key] = {"$env": variable}
    return config


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    sql: bool = False,
    team: bool = False,
    public: bool = False,
    open_message: bool = True,
) -> None:
    """Serve the database in Datasette until interrupted; print the URL first.

    Beyond 127.0.0.1 the server needs `team` (sign-in) or `public` (an explicit choice to show
    everything to anyone who can reach it); typed SQL is refused there.
    """
    import uvicorn

    if not is_loopback(host):
        if sql:
            raise ServeError(
                f"--sql is for 127.0.0.1 only: on {host} anyone reaching the server could "
                "run queries that take it down"
            )
        if not (team or public):
            raise ServeError(
                f"--host {host} shows every article to anyone on the network: add --team "
                "(sign-in with `veille users add NAME`) or --public to confirm"
            )
    prepare(db_path)
    _check_free(host, port)
    accounts = load_users(users_path(db_path)) if team else None
    ds = datasette_app(db_path, sql=sql, team=accounts)
    asyncio.run(ds.invoke_startup())
    if open_message:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        click.echo(f"Datasette : http://{shown}:{port}/  (Ctrl-C pour arrêter)")
        click.echo(f"Chercher un nom : http://{shown}:{port}/{DATABASE_NAME}/mentions?q=")
        click.echo(f"Tableau de bord : http://{shown}:{port}/-/dashboards/{dashboard.SLUG}")
        if team:
            click.echo(f"Mode équipe : {len(accounts)} compte(s), connexion sur /-/login")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)


def _check_free(host: str, port: int) -> None:
    # uvicorn logs a bind failure and exits the process; this says what to do instead.
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServeError(f"--host {host}: unknown address ({exc})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As uvicorn does, so a port left in TIME_WAIT by a previous run counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise ServeError(
                f"{host}:{port} is not available ({exc.strerror}); choose another --port"
            ) from None
