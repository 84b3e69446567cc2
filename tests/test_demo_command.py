"""`veille demo` end to end, as a newcomer runs it: the real CLI in a child process.

One plain demo fills a database (real crawl of the sample web, real French model); a second
`veille demo --serve` on the same database is then used the way a communicator uses it:
Datasette open, article links clicked, Ctrl-C.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers_ops import (
    REPO,
    free_port,
    query,
    run_veille,
    snapshot,
    veille_command,
    veille_env,
    wait_until,
)

from crawler.siteserver import SiteServer
from ops.daily import run_lock, running_pid
from ops.demo import DEMO_DIR, demo_ports

EXPECTED = json.loads((DEMO_DIR / "expected.json").read_text(encoding="utf-8"))
ARTICLES = EXPECTED["article_count"]
OUTLETS = len(EXPECTED["outlets"])
# A few entities of the ground truth, each named in several articles of the sample web: the
# NLP step must find them, under the right label.
FOUND = {
    "Silicon Comté": "ORG",
    "Bpifrance": "ORG",
    "Thierry Grandjean": "PER",
    "Denis Jacquot": "PER",
    "Besançon": "LOC",
}
SERVING_LINE = re.compile(
    r"^Serving the sample outlet (\S+) at (http://127\.0\.0\.1:(\d+))/$", re.M
)


def stored(db_path: Path) -> dict:
    """What the demo keeps, independent of run ids and times."""
    return {
        "articles": query(
            db_path,
            "SELECT id, canonical_url, content_hash, processed_at IS NOT NULL FROM articles "
            "ORDER BY id",
        ),
        "entities": query(db_path, "SELECT id, name, label FROM entities ORDER BY id"),
        "mentions": query(
            db_path, 'SELECT article_id, entity_id, start, "end" FROM mentions ORDER BY id'
        ),
        "quotes": query(db_path, "SELECT article_id, text FROM quotes ORDER BY id"),
    }


def port_free(port: int) -> bool:
    """Whether a new server could listen on 127.0.0.1:`port` now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def http_status(url: str) -> int | None:
    """The HTTP status `url` answers with, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def interrupt(process: subprocess.Popen, timeout: float) -> None:
    """Ctrl-C `process` and wait for it; kill its process group if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """One `veille demo` into a new database, from the database's folder."""
    db_path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = run_veille("demo", "--db", str(db_path), timeout=600, cwd=db_path.parent)
    return db_path, result, stored(db_path)


@dataclass
class Served:
    """What a `veille demo --serve` showed while it served, and how it stopped."""

    port: int
    site_ports: dict[str, int] = field(default_factory=dict)
    articles: dict[str, int | None] = field(default_factory=dict)  # URL -> HTTP status
    lock_holder: int | None = None
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    ports_freed: bool = False


@pytest.fixture(scope="module")
def served(first, tmp_path_factory):
    """A second demo, with --serve, on the first one's database; stopped with Ctrl-C."""
    db_path = first[0]
    logs = tmp_path_factory.mktemp("serve")
    port = free_port()
    record = Served(port=port)
    base = f"http://127.0.0.1:{port}"
    # Output to files, not pipes: a server that is never read from must not block on a full pipe.
    with (logs / "out.txt").open("w") as out, (logs / "err.txt").open("w") as err:
        demo = subprocess.Popen(
            veille_command("demo", "--db", str(db_path), "--serve", "--port", str(port)),
            stdout=out,
            stderr=err,
            text=True,
            env=veille_env(),
            cwd=db_path.parent,
            start_new_session=True,
        )
    try:

        def datasette_answers() -> bool:
            if demo.poll() is not None:
                raise AssertionError(
                    f"veille demo --serve exited ({demo.returncode}) before serving:\n"
                    + (logs / "out.txt").read_text()
                    + (logs / "err.txt").read_text()
                )
            return http_status(f"{base}/veille") == 200

        wait_until(datasette_answers, timeout=600, what="Datasette of veille demo --serve")
        # Every link a communicator can click in the demo's Datasette, while it serves.
        urls = query(db_path, "SELECT url, canonical_url FROM articles ORDER BY id")
        record.articles = {u: http_status(u) for row in urls for u in row}
        record.lock_holder = running_pid(db_path)
    finally:
        interrupt(demo, timeout=60)
    record.returncode = demo.returncode
    record.stdout = (logs / "out.txt").read_text()
    record.stderr = (logs / "err.txt").read_text()
    record.site_ports = {m[1]: int(m[3]) for m in SERVING_LINE.finditer(record.stdout)}
    record.ports_freed = all(port_free(p) for p in [port, *record.site_ports.values()])
    return record


def test_demo_crawls_processes_and_says_what_it_stored(first):
    db_path, result, rows = first
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert len(SERVING_LINE.findall(out)) == OUTLETS
    assert re.search(rf"^Crawl #1 completed: .*, {ARTICLES} new articles, ", out, re.M), out
    assert f"Processed {ARTICLES} articles: " in out
    (entities,) = query(db_path, "SELECT COUNT(*) FROM entities")[0]
    mentions, quotes = len(rows["mentions"]), len(rows["quotes"])
    assert (
        f"{db_path}: {ARTICLES} articles from {OUTLETS} outlets, {entities} entities, "
        f"{mentions} mentions, {quotes} quotes." in out
    )
    assert f"Browse it with: veille serve --db {db_path}" in out
    # Stored: every article of the sample web, each processed by the NLP step.
    assert len(rows["articles"]) == ARTICLES
    assert all(processed for *_, processed in rows["articles"])
    assert mentions > 0 and quotes > 0
    found = dict(
        query(
            db_path,
            "SELECT e.name, e.label FROM entities e WHERE EXISTS "
            "(SELECT 1 FROM mentions m WHERE m.entity_id = e.id)",
        )
    )
    assert {name: found.get(name) for name in FOUND} == FOUND
    # The run lock was released at the end.
    assert running_pid(db_path) is None


def test_demo_database_says_what_each_article_is_about(first):
    """Relevance, themes and territory filled by the demo's processing (issue 13)."""
    from urllib.parse import urlsplit

    db_path = first[0]
    rows = query(
        db_path,
        "SELECT id, canonical_url, relevant, relevance, themes, regions FROM articles ORDER BY id",
    )
    not_tech = {item["path"] for item in EXPECTED["articles"] if item.get("relevant") is False}
    assert len(not_tech) >= 3, "the demo outlets carry a few articles not about tech"
    assert {urlsplit(url).path for _, url, relevant, *_ in rows if relevant == 0} == not_tech
    assert all(relevant in (0, 1) and score is not None for _, _, relevant, score, *_ in rows)
    for _, url, relevant, _, themes, regions in rows:
        assert bool(json.loads(themes)) == bool(relevant), url
        assert json.loads(regions)[:1] == ["Bourgogne-Franche-Comté"], url
    places = query(
        db_path,
        "SELECT count(DISTINCT article_id) FROM article_places WHERE kind = 'departement'",
    )
    assert places[0][0] > len(rows) // 2
    # The Datasette facets read these columns.
    facets = query(
        db_path,
        "SELECT count(*) FROM articles, json_each(articles.themes) WHERE relevant = 1",
    )
    assert facets[0][0] >= len(rows) - len(not_tech)


def test_second_demo_on_the_same_database_adds_nothing(first, served):
    db_path, _, rows = first
    assert re.search(r"^Crawl #2 completed: .*, 0 new articles, ", served.stdout, re.M), (
        served.stdout + served.stderr
    )
    assert stored(db_path) == rows
    assert query(db_path, "SELECT COUNT(DISTINCT canonical_url) FROM articles") == [(ARTICLES,)]


def test_serve_keeps_the_sample_outlets_up_while_datasette_serves(first, served):
    assert f"http://127.0.0.1:{served.port}/" in served.stdout
    before = {m[1]: int(m[3]) for m in SERVING_LINE.finditer(first[1].stdout)}
    assert served.site_ports == before, "the sample outlets moved: are ports 8711-8713 in use?"
    assert len(served.articles) >= ARTICLES
    dead = {url: status for url, status in served.articles.items() if status != 200}
    assert dead == {}, f"article links not answering while Datasette serves: {dead}"
    # Only the crawl and the processing hold the run lock: serving must not block `veille run`.
    assert served.lock_holder is None


def test_ctrl_c_stops_datasette_and_the_sample_outlets(served):
    assert served.returncode == 0, served.stdout + served.stderr
    assert "Traceback" not in served.stderr
    assert len(served.site_ports) == OUTLETS
    assert served.ports_freed


def test_demo_stops_at_once_while_another_run_holds_the_lock(first):
    db_path = first[0]
    before = snapshot(db_path)
    with run_lock(db_path):
        result = run_veille("demo", "--db", str(db_path), timeout=600, cwd=db_path.parent)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "another veille run is already running on this database" in result.stderr
    assert "Traceback" not in result.stderr
    # Stopped before anything: no outlet served, nothing crawled, nothing changed.
    assert "Serving the sample outlet" not in result.stdout
    assert snapshot(db_path) == before


def test_a_page_read_from_a_sample_outlet_does_not_move_it_to_another_port():
    # A browser's visit ends with the server closing the connection first, which leaves that
    # port in TIME_WAIT for a minute; a demo started meanwhile must still get the same port,
    # or every link stored by the previous demo dies.
    site = {"site": DEMO_DIR / "courrier-comte"}
    with SiteServer(site) as server:
        port = server.port("site")
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            while client.recv(65536):  # until the server closes
                pass
    assert demo_ports(["site"], first=port) == {"site": port}
    with SiteServer(site, ports=demo_ports(["site"], first=port)) as again:
        assert again.port("site") == port


def test_broken_nlp_data_stops_the_demo_with_a_message_and_keeps_the_crawl(tmp_path):
    data = tmp_path / "nlp-data"
    shutil.copytree(REPO / "nlp" / "data", data)
    (data / "watchlist.toml").write_text("[[entities]\n", encoding="utf-8")
    db_path = tmp_path / "demo.db"
    result = subprocess.run(
        veille_command("demo", "--db", str(db_path)),
        capture_output=True,
        text=True,
        timeout=600,
        env={**veille_env(), "VEILLE_NLP_DATA": str(data)},
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "watchlist.toml" in result.stderr and "not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr
    # The crawl before the failing step is kept, to be processed once the file is fixed.
    assert query(db_path, "SELECT count(*), count(processed_at) FROM articles") == [(ARTICLES, 0)]


def crawl_child_started(parent: int) -> bool:
    """Whether `parent` has started the crawl's child process (`python -m crawler.child`)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with suppress(OSError):
            stat = (proc / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent and b"crawler.child" in (proc / "cmdline").read_bytes():
                return True
    return False


def test_ctrl_c_during_the_crawl_stops_the_demo_before_processing(tmp_path):
    db_path = tmp_path / "demo.db"
    with (tmp_path / "out.txt").open("w") as out:
        demo = subprocess.Popen(
            veille_command("demo", "--db", str(db_path)),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=veille_env(),
            cwd=tmp_path,
            start_new_session=True,
        )
    try:
        # Once the child has logged, it has read its job: the crawl is under way.
        log = tmp_path / "demo.crawl.log"
        wait_until(
            lambda: crawl_child_started(demo.pid) and log.exists() and log.stat().st_size > 0,
            timeout=120,
            what="the demo's crawl",
        )
    finally:
        interrupt(demo, timeout=120)
    output = (tmp_path / "out.txt").read_text()
    assert demo.returncode == 130, output
    assert "Traceback" not in output and "Processed" not in output
    assert query(db_path, "SELECT status FROM crawl_runs") == [("interrupted",)]
