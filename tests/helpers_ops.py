"""Databases filled through sqlite-utils for the ops tests (status, report), at fixed times."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.schema import open_db

# Every date in these databases is relative to this moment, so the tests never depend on today.
NOW = datetime(2024, 3, 20, 8, 0, tzinfo=UTC)


def iso(days_ago: float, hours: float = 0) -> str:
    """NOW minus some days (and hours), as ISO 8601 with offset."""
    return (NOW - timedelta(days=days_ago, hours=hours)).isoformat(timespec="seconds")


def add_crawl_run(db, days_ago: float, per_source: dict[str, tuple[int, int, int]]) -> int:
    """A completed crawl run with (pages, new_articles, errors) per source; its id."""
    run_id = (
        db["crawl_runs"]
        .insert(
            {
                "started_at": iso(days_ago),
                "ended_at": iso(days_ago, hours=-0.1),
                "status": "completed",
                "pages": sum(v[0] for v in per_source.values()),
                "new_articles": sum(v[1] for v in per_source.values()),
                "errors": sum(v[2] for v in per_source.values()),
            }
        )
        .last_pk
    )
    for source, (pages, new, errors) in per_source.items():
        db["crawl_run_sources"].insert(
            {
                "run_id": run_id,
                "source": source,
                "pages": pages,
                "new_articles": new,
                "errors": errors,
            }
        )
        for n in range(errors):
            db["fetch_errors"].insert(
                {
                    "run_id": run_id,
                    "url": f"http://127.0.0.1:9/{source}/{n}",
                    "source": source,
                    "reason": "connection refused",
                    "status": None,
                    "time": iso(days_ago),
                }
            )
    return run_id


def add_article(
    db, source: str, title: str, days_ago: float, *, published: bool = True, text: str = ""
) -> int:
    """A processed article; its id."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    url = f"https://{re.sub(r'[^a-z]+', '', source.lower())}.example/{slug}"
    return (
        db["articles"]
        .insert(
            {
                "url": url,
                "canonical_url": url,
                "source": source,
                "title": title,
                "published": iso(days_ago) if published else None,
                "text": text
                or f"Texte intégral de « {title} », qui ne doit jamais sortir de la base.",
                "content_hash": slug,
                "fetched_at": iso(days_ago),
                "processed_at": iso(days_ago),
            }
        )
        .last_pk
    )


def add_entity(db, name: str, label: str = "ORG", *, watchlist: bool = False) -> int:
    """An entity; its id."""
    return (
        db["entities"]
        .insert({"name": name, "label": label, "key": name.lower(), "watchlist": int(watchlist)})
        .last_pk
    )


def add_mention(db, entity_id: int, article_id: int, text: str, sentence: str) -> None:
    """A mention of an entity in an article."""
    db["mentions"].insert(
        {
            "entity_id": entity_id,
            "article_id": article_id,
            "text": text,
            "sentence": sentence,
            "start": 0,
            "end": len(text),
        }
    )


def filled_db(path: Path) -> Path:
    """Three outlets over three weeks: one healthy, one down for its last three runs, one quiet."""
    db = open_db(path)
    for name in ("Le Journal de Comté", "Radio Fantôme", "La Gazette Endormie"):
        db["sources"].insert({"name": name, "homepage": f"https://{len(name)}.example/"})
    # Four daily crawls; Radio Fantôme fails on the last three, La Gazette finds nothing
    # after its first articles 20 days ago, and one dead link keeps the Journal's errors at 1.
    add_crawl_run(
        db,
        20,
        {
            "Le Journal de Comté": (10, 3, 0),
            "Radio Fantôme": (4, 2, 0),
            "La Gazette Endormie": (5, 1, 0),
        },
    )
    for days in (2, 1, 0):
        add_crawl_run(
            db,
            days,
            {
                "Le Journal de Comté": (6, 1, 1),
                "Radio Fantôme": (0, 0, 2),
                "La Gazette Endormie": (3, 0, 0),
            },
        )
    db["daily_runs"].insert_all(
        [
            {
                "started_at": iso(1),
                "ended_at": iso(1, hours=-0.05),
                "status": "completed",
                "new_articles": 1,
                "errors": 3,
                "failed_sources": '["Radio Fantôme"]',
                "processed": 1,
                "new_entities": 2,
            },
            {
                "started_at": iso(0),
                "ended_at": None,
                "status": "running",
                "pid": 999999,
                "new_articles": None,
                "errors": None,
                "failed_sources": None,
            },
        ]
    )
    assoc = add_entity(db, "Silicon Comté", "ORG", watchlist=True)
    maire = add_entity(db, "Camille Vautrin", "PER", watchlist=True)
    add_entity(db, "Agence Oubliée", "ORG", watchlist=True)  # never mentioned
    ville = add_entity(db, "Besançon", "LOC")
    old = add_article(db, "La Gazette Endormie", "Un vieux sujet", 20)
    add_mention(db, assoc, old, "Silicon Comté", "Silicon Comté fêtait déjà ses dix ans.")
    a1 = add_article(
        db, "Le Journal de Comté", "Silicon Comté lance un <b>incubateur</b> & un fonds", 2
    )
    long_sentence = (
        "Dans un long discours prononcé devant plus de deux cents chefs d'entreprise réunis au "
        "Kursaal, entre deux annonces sur le très haut débit et la formation des jeunes, la "
        "présidente a rappelé que Silicon Comté accompagnait désormais plus de cent jeunes "
        "pousses, un chiffre qui a doublé en trois ans selon les comptes de l'association, et "
        "qu'un nouvel appel à projets serait ouvert dès le printemps pour les entreprises du numérique."
    )
    add_mention(db, assoc, a1, "Silicon Comté", long_sentence)
    add_mention(db, assoc, a1, "Silicon Comté", "Silicon Comté recrute.")
    add_mention(db, ville, a1, "Besançon", "À Besançon, le projet avance.")
    a2 = add_article(db, "Le Journal de Comté", "La maire inaugure le campus", 1, published=False)
    add_mention(
        db, maire, a2, "Camille Vautrin", "« C'est un grand jour », a déclaré Camille Vautrin."
    )
    add_mention(db, ville, a2, "Besançon", "Le campus de Besançon ouvre ses portes.")
    add_mention(db, assoc, a2, "Silicon Comté", "Silicon Comté était présente.")
    evil = add_article(db, "Radio Fantôme", "Titre [piège] *gras* | pipe", 1)
    db["articles"].update(
        evil, {"canonical_url": "javascript:alert(1)", "url": "javascript:alert(1)"}
    )
    add_mention(
        db, maire, evil, "Camille Vautrin", "Camille Vautrin <script>alert('x')</script> répond."
    )
    db.conn.close()
    return path


# --- real processes -------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
SITES = Path(__file__).resolve().parent / "sites"
OPS_SOURCES = SITES / "ops_sources.toml"
TEST_MODEL = "fr_core_news_sm"  # the model's quality does not matter to these tests


def veille_env() -> dict[str, str]:
    """The environment for a `python -m pipeline` child: the checkout importable from anywhere."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("VEILLE_DB", None)
    return env


def veille_command(*args: str) -> list[str]:
    """The command line of `veille ARGS` run by this interpreter."""
    return [sys.executable, "-m", "pipeline", *args]


def run_veille(
    *args: str, timeout: float = 180, prefix: tuple[str, ...] = (), **kwargs
) -> subprocess.CompletedProcess:
    """Run `veille ARGS` to completion in a child process; output captured as text."""
    kwargs.setdefault("cwd", REPO)
    return subprocess.run(
        [*prefix, *veille_command(*args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=veille_env(),
        **kwargs,
    )


def veille_run(db_path: Path, sources: Path, *extra: str, **kwargs) -> subprocess.CompletedProcess:
    """`veille run` on this database and sources with the test model, to completion."""
    return run_veille(
        "run", "--db", str(db_path), "--sources", str(sources), "--model", TEST_MODEL, *extra,
        **kwargs,
    )  # fmt: skip


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_sources(template: Path, bases: dict[str, str], out: Path) -> Path:
    """Write `template` with `{{base:<site>}}` and `{{down}}` replaced; return the new file."""
    text = template.read_text(encoding="utf-8")
    for name, base in bases.items():
        text = text.replace("{{base:" + name + "}}", base)
    text = text.replace("{{down}}", f"http://127.0.0.1:{free_port()}")
    out.write_text(text, encoding="utf-8")
    return out


def wait_until(predicate, *, timeout: float = 120, what: str = "condition") -> None:
    """Poll `predicate` until true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of a read-only query, on a fresh connection (the database may be in use)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def settle(db_path: Path) -> None:
    """Checkpoint and close, so SQLite removes the -wal and -shm files beside the database."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def snapshot(db_path: Path) -> list[str]:
    """Every stored row, as SQL text, to compare a database before and after."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
