"""`veille demo`: serve the bundled sample web on 127.0.0.1, crawl it, process it, show it.

Needs no network: the three fictional outlets under `crawler/demo_site/` are served by our own
static server, and every later stage runs on what the crawl stored.
"""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, closing
from pathlib import Path

import click

import crawler
from common.source_config import Config
from crawler.sources import parse_config

# Takes the database's run lock for as long as the context lasts (e.g. ops.daily.run_lock).
RunLock = Callable[[str | Path], AbstractContextManager]

# The sample web stays beside the crawler, which also crawls it in its tests.
DEMO_DIR = Path(crawler.__file__).with_name("demo_site")
# Fixed ports keep the demo's URLs stable, so a second `veille demo` on the same database
# finds the articles it already stored instead of seeing new URLs.
DEMO_FIRST_PORT = 8711


def demo_sites() -> dict[str, Path]:
    """The outlet folders of the sample web, by name."""
    return {p.name: p for p in sorted(DEMO_DIR.iterdir()) if p.is_dir()}


def demo_ports(names: list[str], first: int = DEMO_FIRST_PORT) -> dict[str, int]:
    """Fixed ports from `first` on when free, else free ports chosen by the system (0)."""
    ports = {}
    for offset, name in enumerate(names):
        port = first + offset
        ports[name] = port if _port_free(port) else 0
    return ports


def _port_free(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        # As SiteServer binds (http.server sets SO_REUSEADDR): a port left in TIME_WAIT by
        # the last demo's visitors is free for it, and must count as free here too.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def demo_config(base_urls: dict[str, str]) -> Config:
    """The demo's sources file with each `{{base:<outlet>}}` replaced by its served URL."""
    path = DEMO_DIR / "sources.toml"
    text = fill_bases(path.read_text(encoding="utf-8"), base_urls)
    return parse_config(tomllib.loads(text), path)


def fill_bases(text: str, base_urls: dict[str, str]) -> str:
    """Replace each `{{base:<outlet>}}` placeholder with that outlet's served base URL."""
    for name, base in base_urls.items():
        text = text.replace("{{base:" + name + "}}", base)
    return text


def run_demo(
    db_path: str | Path,
    *,
    serve: bool = False,
    port: int = 8001,
    lock: RunLock | None = None,
) -> str:
    """Crawl and process the sample web into `db_path`; optionally serve it in Datasette.

    Returns the crawl's status: "completed", or "interrupted"/"failed" when the demo
    stopped after the crawl (what was stored is kept).

    The crawl and the processing hold the database's run lock (`lock`, by default
    `ops.daily.run_lock`, which raises AlreadyRunning when another run holds it), so the demo
    never writes at the same time as `veille run`. Serving is read-only and does not hold it.
    """
    from crawler.launch import run_crawl
    from crawler.siteserver import SiteServer
    from db.schema import open_db
    from nlp.process import process_articles
    from ops.daily import run_lock

    sites = demo_sites()
    # The sample outlets stay served until Datasette stops: the article links shown in
    # Datasette point to them. The stack stops them however the demo ends.
    with ExitStack() as outlets:
        with (lock or run_lock)(db_path):
            open_db(db_path).conn.close()  # fail early, before serving anything
            server = outlets.enter_context(SiteServer(sites, ports=demo_ports(list(sites))))
            bases = {name: server.base_url(name) for name in sites}
            for name, base in bases.items():
                click.echo(f"Serving the sample outlet {name} at {base}/")
            summary = run_crawl(demo_config(bases), db_path)
            click.echo(summary.describe())
            if summary.status != "completed":
                # Ctrl-C or a crash during the crawl stops the demo, as it stops `veille crawl`.
                return summary.status
            processed = process_articles(db_path)
            click.echo(processed.describe())
        _print_overview(db_path)
        if serve:
            from db.serve import serve as serve_datasette

            serve_datasette(db_path, port=port)
        else:
            click.echo(f"Browse it with: veille serve --db {db_path}")
    return "completed"


def _print_overview(db_path: str | Path) -> None:
    from db.article_store import overview

    facts = overview(db_path)
    click.echo(
        f"{db_path}: {facts['articles']} articles from {facts['sources']} outlets, "
        f"{facts['entities']} entities, {facts['mentions']} mentions, {facts['quotes']} quotes."
    )
