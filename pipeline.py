"""veille: press monitoring for French regional tech news.

One click group; each command is thin and calls the packages that do the work:
crawler/ (fetch and extract), nlp/ (entities), db/ (storage and Datasette), ops/ (daily runs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from click_default_group import DefaultGroup

from common.errors import VeilleError
from crawler.sources import DEFAULT_SOURCES, load_config
from db.schema import DEFAULT_DB
from nlp.resources import LABELS
from ops.daily import AlreadyRunning, run_lock

# The exit code of each kind of error (docs/daily.md documents them); any other VeilleError
# exits 2, "nothing could run".
EXIT_CODES: dict[type[VeilleError], int] = {AlreadyRunning: 3}


class CommandError(click.ClickException):
    """A user-facing error: `Error: message` in red on stderr, no traceback, an exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.secho(f"Error: {self.format_message()}", fg="red", err=True)


class VeilleGroup(click.Group):
    """The CLI's edge: every VeilleError becomes a message and an exit code, here only."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except VeilleError as exc:
            code = next((c for kind, c in EXIT_CODES.items() if isinstance(exc, kind)), 2)
            raise CommandError(str(exc), code) from None


def db_option(func):
    """`--db`, shared by every command that reads or writes the database."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        envvar="VEILLE_DB",
        default=DEFAULT_DB,
        show_default="$VEILLE_DB or veille.db",
        help="SQLite database file.",
    )(func)


def sources_option(func):
    """`--sources`, the outlets file."""
    return click.option(
        "--sources",
        "sources_path",
        type=click.Path(dir_okay=False),
        default=None,
        help=f"Sources file (TOML). Default: the shipped {DEFAULT_SOURCES.name}.",
    )(func)


def _default_model() -> str:
    # nlp.model imports spaCy (a second or so): only when a command needs the model.
    from nlp.model import DEFAULT_MODEL

    return DEFAULT_MODEL


def model_option(func):
    """`--model`, the spaCy French pipeline to use."""
    return click.option(
        "--model",
        default=_default_model,
        help="Installed spaCy French pipeline, e.g. fr_core_news_sm. "
        "Default: the medium French pipeline veille's rules are tuned on.",
    )(func)


def load_sources(sources_path: str | None, names: tuple[str, ...] = ()):
    """Load the sources file (SourcesError names what is wrong)."""
    return load_config(sources_path).select(names)


@click.group(cls=VeilleGroup)
@click.version_option(package_name="veille")
def cli() -> None:
    """veille: crawl regional outlets, find who and what they name, search it in Datasette."""


@cli.command()
@sources_option
def sources(sources_path: str | None) -> None:
    """List the outlets of the sources file."""
    config = load_sources(sources_path)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(config.sources)} sources — {config.path}")
    for column in ("name", "region", "homepage", "feeds", "sitemaps", "listings"):
        table.add_column(column)
    for s in config.sources:
        table.add_row(
            s.name,
            s.region or "",
            s.homepage,
            str(len(s.feeds)),
            str(len(s.sitemaps)),
            str(len(s.listings)),
        )
    Console().print(table)


@cli.command()
@sources_option
@db_option
@click.option(
    "--source", "source_names", multiple=True, help="Crawl only this source (repeatable)."
)
def crawl(sources_path: str | None, db_path: str, source_names: tuple[str, ...]) -> None:
    """Crawl the sources once (in a child process) and store new articles."""
    from crawler.launch import run_crawl

    config = load_sources(sources_path, source_names)
    # The run lock: a manual crawl never overlaps `veille run`.
    with run_lock(db_path):
        summary = run_crawl(config, db_path)
    click.echo(summary.describe())
    # Failing outlets are reported above and do not fail the crawl; a crash or Ctrl-C does.
    if summary.status != "completed":
        sys.exit(130 if summary.status == "interrupted" else 1)


@cli.command()
@click.argument("page", type=click.File("rb"))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--source", "source_name", default=None, help="Use this source's selectors.")
@sources_option
def extract(page, url: str, source_name: str | None, sources_path: str | None) -> None:
    """Extract one saved HTML page and print the Article as JSON."""
    from crawler.extract import extract as extract_article

    source = None
    if source_name:
        source = load_sources(sources_path, (source_name,)).sources[0]
    article = extract_article(page.read(), url, source)
    if article is None:
        raise CommandError(
            f"{page.name}: no article found in this page (listing, home or empty page?)", 1
        )
    keys = ("url", "canonical_url", "title", "author", "published", "lang", "text")
    data = article.as_dict()
    click.echo(json.dumps({k: data[k] for k in keys}, ensure_ascii=False, indent=2))


@cli.command()
@db_option
@click.option(
    "--all", "process_all", is_flag=True, help="Re-process every article, not only new ones."
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 32), help="Processes to use."
)
@model_option
def process(db_path: str, process_all: bool, workers: int, model: str) -> None:
    """Find organisations, people, places and quotes in stored articles."""
    from nlp.process import process_articles

    with run_lock(db_path):
        summary = process_articles(db_path, all_articles=process_all, workers=workers, model=model)
    click.echo(summary.describe())


@cli.command()
@db_option
@click.option("--serve", is_flag=True, help="Then serve the demo database in Datasette.")
@click.option(
    "--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Datasette port."
)
def demo(db_path: str, serve: bool, port: int) -> None:
    """Crawl the bundled sample web on 127.0.0.1 (no network needed) and process it.

    With --serve, the sample outlets and Datasette both run until Ctrl-C. Like `veille run`,
    exits 3 at once when another run holds the database.
    """
    from ops.demo import run_demo

    # The crawl and the processing hold the same run lock as `veille run`, same message.
    status = run_demo(db_path, serve=serve, port=port, lock=run_lock)
    if status != "completed":
        sys.exit(130 if status == "interrupted" else 1)


@cli.command("run")
@sources_option
@db_option
@model_option
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 32), help="NLP processes."
)
@click.option(
    "--wait",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds to wait for a database locked by another program.",
)
def run_command(
    sources_path: str | None, db_path: str, model: str, workers: int, wait: float
) -> None:
    """Daily job: crawl every source, process the new articles, print a summary.

    Exits 0 when the run completed, even if some outlets failed (the summary lists them);
    2 when nothing could run (bad sources file, unusable database), 3 when another run is
    already running on the database, 1 when the run started but could not complete.
    """
    from ops.daily import daily_run, make_reporter, sigterm_as_interrupt

    config = load_sources(sources_path)
    sigterm_as_interrupt()
    try:
        summary = daily_run(
            config, db_path, model=model, workers=workers, wait=wait, reporter=make_reporter()
        )
    except KeyboardInterrupt:
        raise CommandError(
            "run interrupted; what was stored is kept and the next run completes the rest", 130
        ) from None
    click.echo(summary.describe())
    sys.exit(0 if summary.status == "completed" else 1)


@cli.command("schedule")
@click.option("--at", "at", required=True, help="Time of day of the run, HH:MM (24-hour clock).")
@click.option(
    "--every-hours", type=int, default=None, help="Also run every N hours after --at, each day."
)
@click.option("--run-now", is_flag=True, help="Also start a run right away.")
@sources_option
@db_option
@model_option
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 32), help="NLP processes."
)
def schedule_command(
    at: str,
    every_hours: int | None,
    run_now: bool,
    sources_path: str | None,
    db_path: str,
    model: str,
    workers: int,
) -> None:
    """Keep running and start `veille run` every day at the set times.

    Logs go to <db name>-schedule.log beside the database. Ctrl-C or SIGTERM stops it once
    the run in progress has finished; a second one stops that run too.
    """
    from ops.daily import check_model
    from ops.schedule import Scheduler, log_path_for, make_logger, run_times

    times = run_times(at, every_hours)
    check_model(model)
    config = load_sources(sources_path)
    db = Path(db_path).resolve()
    if not db.parent.is_dir():
        raise CommandError(f"{db_path}: folder {db.parent} does not exist")
    args = ["--db", str(db), "--sources", str(Path(config.path).resolve()), "--model", model]
    args += ["--workers", str(workers)]
    try:
        logger = make_logger(log_path_for(db))
    except OSError as exc:
        raise CommandError(
            f"{log_path_for(db)}: cannot write the log file ({exc.strerror})"
        ) from None
    sys.exit(Scheduler(times, args, logger).serve(run_now=run_now))


@cli.command("status")
@db_option
def status_command(db_path: str) -> None:
    """Show the last runs, outlets in trouble and the size of the database."""
    from ops.status import gather_status, render_status

    click.echo(render_status(gather_status(db_path)))


@cli.command("check")
@db_option
@click.option("--repair", is_flag=True, help="Rewrite the kept counts from a full recount.")
def check_command(db_path: str, repair: bool) -> None:
    """Recount entity figures, co-mentions, monthly and weekly counts; list what differs (exit 1)."""
    from db import counts
    from db.schema import open_db

    db = open_db(db_path)
    try:
        differences = counts.check(db)
        for difference in differences:
            click.echo(difference.describe())
        if differences and repair:
            counts.repair(db)
            click.echo(f"repaired: {', '.join(d.table for d in differences)}")
        elif differences:
            raise CommandError("kept counts differ from a recount; --repair rewrites them", 1)
        else:
            click.echo("counts: all kept figures match a recount")
    finally:
        db.conn.close()


@cli.command("classify")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--region",
    default=None,
    help="Région of the outlet, weighed as a prior (e.g. Bourgogne-Franche-Comté).",
)
@model_option
def classify_command(files: tuple[str, ...], region: str | None, model: str) -> None:
    """Say what plain-text articles are about, one JSON line per file ("-" reads stdin).

    Fields: file, relevant (to the tech ecosystem), score, themes, regions, departements,
    communes (places most concerned first). A short first line is read as the headline.
    """
    from nlp.classify import classify_files

    for row in classify_files(files, model=model, outlet_region=region):
        click.echo(json.dumps(row, ensure_ascii=False))


@cli.command("report")
@db_option
@click.option(
    "--since", default=None, help="First day, YYYY-MM-DD or DD/MM/YYYY. Default: 7 days ago."
)
@click.option(
    "--out", default=None, type=click.Path(dir_okay=False), help="Write to FILE.md or FILE.html."
)
@click.option("--region", default=None, help="Only articles about this région.")
@click.option("--theme", default=None, help="Only articles of this theme (see themes.toml).")
@click.option(
    "--all-articles", is_flag=True, help="Every article, not only those about the tech ecosystem."
)
def report_command(
    db_path: str,
    since: str | None,
    out: str | None,
    region: str | None,
    theme: str | None,
    all_articles: bool,
) -> None:
    """Write a press review in French: watchlist entities in the news, most named entities.

    It covers the articles about the tech ecosystem unless --all-articles is given.
    """
    from ops import report

    fmt = report.output_format(out)
    region, theme = report.check_filters(region, theme)
    review = report.build_review(
        db_path,
        since=report.parse_since(since) if since else None,
        region=region,
        theme=theme,
        everything=all_articles,
    )
    text = report.render(review, fmt)
    if out and out != "-":
        report.write_report(text, out)
        click.echo(f"Press review written to {out}", err=True)
    else:
        click.echo(text, nl=False)


@cli.group(cls=DefaultGroup, default="list", default_if_no_args=False)
def entities() -> None:
    """Entities of text files, or corrections to the entities veille stores.

    \b
    veille entities FILE...        entities of plain-text files as JSON lines ("-": stdin)
    veille entities merge A B      store A's mentions under B
    veille entities relabel A ORG  give A another label (PER, ORG, LOC)
    veille entities ignore A       never record A as an entity
    veille entities forget 3       remove stored correction #3
    Corrections apply to new articles, and to stored ones on `veille process --all`.
    """


@entities.command("list", hidden=True)
@click.argument("files", nargs=-1, required=True)
@model_option
def entities_list(files: tuple[str, ...], model: str) -> None:
    """Print the entities of plain-text files as JSON lines ("-" reads standard input)."""
    from nlp.entities import entities_of_files

    for row in entities_of_files(files, model=model):
        click.echo(json.dumps(row, ensure_ascii=False))


@cli.command("deals")
@click.argument("files", nargs=-1, required=True)
@model_option
def deals_command(files: tuple[str, ...], model: str) -> None:
    """Print the deals (rounds, acquisitions, mergers, jobs, sites) of plain-text files as JSON lines ("-" reads standard input)."""
    from nlp.deals import deals_of_files

    for row in deals_of_files(files, model=model):
        click.echo(json.dumps(row, ensure_ascii=False))


@cli.command("barometer")
@db_option
@click.option("--year", type=int, required=True, help="Year of the deals, e.g. 2026.")
@click.option("--region", default=None, help="Only this région, e.g. Bourgogne-Franche-Comté.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
def barometer_command(db_path: str, year: int, region: str | None, out: str) -> None:
    """Write the year's barometer of rounds, acquisitions and jobs as one French HTML file."""
    from ops import barometer

    page = barometer.build_barometer(db_path, year, region)
    barometer.write_barometer(barometer.render_barometer(page), out)
    click.echo(f"Barometer written to {out} ({len(page.deals)} deals)", err=True)


def _store_correction(db_path: str, action: str, name: str, target=None, label=None) -> None:
    from nlp.process import add_correction, describe_rule

    rule = add_correction(db_path, action, name, target=target, label=label)
    click.echo(f"Stored rule {describe_rule(rule)}.")
    click.echo("It applies to new articles; run `veille process --all` to apply it to past ones.")


_LABEL_CHOICE = click.Choice(LABELS, case_sensitive=False)


@entities.command("merge")
@click.argument("name")
@click.argument("target")
@click.option(
    "--label", type=_LABEL_CHOICE, default=None, help="Only mentions of NAME with this label."
)
@db_option
def entities_merge(name: str, target: str, label: str | None, db_path: str) -> None:
    """Merge entity NAME into TARGET (e.g. a spelling variant into the right name)."""
    _store_correction(db_path, "merge", name, target=target, label=label.upper() if label else None)


@entities.command("relabel")
@click.argument("name")
@click.argument("label", type=_LABEL_CHOICE)
@db_option
def entities_relabel(name: str, label: str, db_path: str) -> None:
    """Give entity NAME another label: PER, ORG or LOC."""
    _store_correction(db_path, "relabel", name, label=label.upper())


@entities.command("ignore")
@click.argument("name")
@click.option(
    "--label", type=_LABEL_CHOICE, default=None, help="Only mentions of NAME with this label."
)
@db_option
def entities_ignore(name: str, label: str | None, db_path: str) -> None:
    """Never record NAME as an entity again (a word the model takes for a name)."""
    _store_correction(db_path, "ignore", name, label=label.upper() if label else None)


@entities.command("forget")
@click.argument("rule_id", type=int)
@db_option
def entities_forget(rule_id: int, db_path: str) -> None:
    """Remove the stored correction RULE_ID (the number `veille entities rules` shows)."""
    from nlp.process import describe_rule, forget_correction

    rule = forget_correction(db_path, rule_id)
    click.echo(f"Removed rule {describe_rule(rule)}.")
    click.echo("Run `veille process --all` to undo its effect on past articles.")


@entities.command("rules")
@db_option
def entities_rules(db_path: str) -> None:
    """List the stored corrections, oldest first."""
    from nlp.process import describe_rule, list_corrections

    rules = list_corrections(db_path)
    for rule in rules:
        click.echo(describe_rule(rule))
    if not rules:
        click.echo("No corrections stored.")


@cli.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option("--sql", is_flag=True, help="Allow typed SQL queries (127.0.0.1 only).")
@click.option(
    "--team", is_flag=True, help="Sign-in required: accounts from `veille users add NAME`."
)
@click.option(
    "--public", is_flag=True, help="Serve beyond 127.0.0.1 without sign-in (anyone can read)."
)
def serve_command(db_path: str, host: str, port: int, sql: bool, team: bool, public: bool) -> None:
    """Browse and search the database in Datasette (read-only); prints the URL.

    Beyond 127.0.0.1 (--host 0.0.0.0), use --team so that communicators sign in; see
    docs/daily.md for a reverse proxy with HTTPS.
    """
    from db.serve import serve

    serve(db_path, host, port, sql=sql, team=team, public=public)


@cli.group("users")
def users() -> None:
    """Team accounts for `veille serve --team` (stored hashed beside the database)."""


@users.command("add")
@click.argument("name")
@db_option
@click.password_option(help="The account's password (asked twice when not given).")
def users_add(name: str, db_path: str, password: str) -> None:
    """Add an account (or give it a new password and feed token)."""
    from db.users import add_user, users_path

    path = users_path(db_path)
    user = add_user(path, name, password)
    click.echo(f"Account {name} saved in {path}")
    click.echo(f"Feed token (for Atom feed readers: add ?_token=...): {user['feed_token']}")


@users.command("remove")
@click.argument("name")
@db_option
def users_remove(name: str, db_path: str) -> None:
    """Remove an account."""
    from db.users import remove_user, users_path

    remove_user(users_path(db_path), name)
    click.echo(f"Account {name} removed")


@users.command("list")
@db_option
def users_list(db_path: str) -> None:
    """List the accounts (names only)."""
    from db.users import load_users, users_path

    for name in sorted(load_users(users_path(db_path))):
        click.echo(name)


@cli.command("search")
@click.argument("text")
@click.option("--since", default=None, help="From this day: YYYY-MM-DD or YYYY-MM.")
@click.option("--until", default=None, help="Up to this day (included): YYYY-MM-DD or YYYY-MM.")
@click.option("--label", default=None, help="ORG, PER or LOC (or organisation, personne, lieu).")
@click.option("--source", default=None, help="Only this outlet (its name in the sources file).")
@click.option("--csv", "fmt", flag_value="csv", help="Print every mention as CSV, not a table.")
@click.option("--json", "fmt", flag_value="json", help="Print every mention as JSON, not a table.")
@click.option(
    "--all-articles", is_flag=True, help="Every article, not only those about the tech ecosystem."
)
@db_option
def search_command(
    text: str,
    since: str | None,
    until: str | None,
    label: str | None,
    source: str | None,
    fmt: str | None,
    all_articles: bool,
    db_path: str,
) -> None:
    """Mentions of a name, newest first (accents and case ignored): Datasette's `mentions`.

    It covers the articles about the tech ecosystem unless --all-articles is given. The
    table shows the latest 500, as Datasette does; --csv and --json export them all.
    """
    from itertools import islice

    from db.search import (
        COUNT_LIMIT,
        ROW_LIMIT,
        mentions_table,
        search_mentions,
        valid_date,
        write_csv,
        write_json,
    )

    for option, value in (("--since", since), ("--until", until)):
        if value and not valid_date(value):
            raise CommandError(f"{option} {value!r}: not a date; write 2024-03-15 or 2024-03")
    rows = search_mentions(
        db_path,
        text,
        since=since,
        until=until,
        label=label,
        source=source,
        everything=all_articles,
    )
    if fmt in ("csv", "json"):
        write = write_csv if fmt == "csv" else write_json
        write(rows, sys.stdout)
        return
    shown = list(islice(rows, ROW_LIMIT))
    rest = sum(1 for _ in islice(rows, COUNT_LIMIT))
    rows.close()
    if not shown:
        click.echo(
            f"Aucune mention de « {text} » ; vérifiez l'orthographe ou les filtres"
            + ("." if all_articles else " (--all-articles : hors numérique aussi)."),
            err=True,
        )
    else:
        from rich.console import Console

        title = f"Mentions de « {text} »"
        Console().print(mentions_table(shown, title, len(shown) + rest, rest == COUNT_LIMIT))


if __name__ == "__main__":
    cli()
