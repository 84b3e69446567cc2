"""A communicator's search, in a real headless Chromium against a real `veille serve`.

Chromium is driven over the DevTools protocol through aiohttp's websocket client (aiohttp
comes with Scrapy), so no browser-automation package is needed: the test types into the
page, presses Enter and reads the table the browser rendered.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers_search import OUTLETS, REPO, crawled_db_once

from db.display import french_date

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT = 60  # seconds, for each wait below; the test stops at the first one exceeded

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM} (Debian package `chromium`: apt-get install chromium, "
        "as root; .ci/run installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, what: str, process: subprocess.Popen | None = None, log: Path | None = None):
    """Poll `check()` until it returns a true value; fail naming `what` after TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            output = log.read_text(errors="replace") if log else ""
            pytest.fail(f"{what}: the process exited with {process.returncode}\n{output}")
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what}: not done after {TIMEOUT} s")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def serving(tmp_path_factory, folder: str):
    """`veille serve` on the crawled fixture database, on a free port, until the block ends:
    (base URL, database path, its log file)."""
    db_path = crawled_db_once(tmp_path_factory)
    port = free_port()
    log = tmp_path_factory.mktemp(folder) / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--db", str(db_path), "--port", str(port)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(base + "/"), "veille serve answering", process, log)
        yield base, db_path, log
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`veille serve` on the crawled fixture database, on a free port; its base URL."""
    with serving(tmp_path_factory, "serve") as (base, _, log):
        assert f"{base}/" in log.read_text()  # the URL is printed
        yield base


@pytest.fixture(scope="module")
def devtools(tmp_path_factory):
    """A headless Chromium; the websocket URL of its DevTools endpoint."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = profile.parent / "chromium.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    active = profile / "DevToolsActivePort"
    try:
        # Chromium writes the port it picked, then the browser target's path, to this file.
        lines = wait_until(
            lambda: active.exists() and active.read_text().split() or None,
            "Chromium DevTools endpoint",
            process,
            log,
        )
        yield f"ws://127.0.0.1:{lines[0]}{lines[1]}"
    finally:
        stop(process)


class Page:
    """The smallest DevTools client that can type, submit and read a page."""

    def __init__(self, ws, session: str):
        self.ws, self.session, self.last_id = ws, session, 0

    @classmethod
    async def open(cls, ws, url: str) -> Page:
        browser = cls(ws, "")
        target = await browser.send("Target.createTarget", url=url)
        attached = await browser.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        return cls(ws, attached["sessionId"])

    async def send(self, method: str, **params) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        await self.ws.send_json(message)
        while True:
            reply = await asyncio.wait_for(self.ws.receive_json(), TIMEOUT)
            if reply.get("id") == self.last_id and reply.get("sessionId", "") == self.session:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def js(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, what: str):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                if await self.js(expression):
                    return
            except RuntimeError:
                pass  # the page is between two documents
            await asyncio.sleep(0.2)
        raise AssertionError(f"{what}: not seen after {TIMEOUT} s")

    async def type_and_press_enter(self, selector: str, text: str) -> None:
        await self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.send("Input.insertText", text=text)
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                text="\r" if kind == "keyDown" else "",
            )


ROWS_JS = """
[...document.querySelectorAll('table.rows-and-columns tbody tr')].map(tr => ({
  entity: tr.querySelector('td.col-entity').innerText.trim(),
  source: tr.querySelector('td.col-source').innerText.trim(),
  // Dates read "18 nov. 2026"; the ISO date the page was built from is the <time>'s datetime.
  published: tr.querySelector('td.col-published time').getAttribute('datetime'),
  shown: tr.querySelector('td.col-published').innerText.trim(),
  link: (tr.querySelector('td.col-url a') || {}).href || null,
}))
"""


async def search_in_browser(ws_url: str, base: str) -> dict[str, list[dict]]:
    """Search once from the home page (with accents), once from the query page (without)."""
    import aiohttp

    seen = {}
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(ws_url, max_msg_size=0) as ws,
    ):
        page = await Page.open(ws, base + "/")
        await page.wait_for(
            "document.readyState === 'complete' && !!document.querySelector('#veille-q')",
            "home page with its search box",
        )
        await page.type_and_press_enter("#veille-q", "Besançon")
        await page.wait_for(
            "location.pathname === '/veille/mentions' && document.readyState === 'complete'"
            " && document.querySelectorAll('table.rows-and-columns tbody tr').length > 0",
            "mention rows after searching from the home page",
        )
        seen["Besançon"] = await page.js(ROWS_JS)
        seen["url"] = await page.js("location.href")
        # Now from the canned query's own form, replacing the name by one without accents.
        await page.js("document.querySelector('#qp1').value = ''")
        await page.type_and_press_enter("#qp1", "besancon")
        await page.wait_for(
            "location.search.includes('q=besancon') && document.readyState === 'complete'",
            "the mentions page for the unaccented name",
        )
        seen["besancon"] = await page.js(ROWS_JS)
        seen["labels"] = await page.js("document.querySelector('label[for=qp1]').innerText")
    return seen


def test_search_a_name_with_and_without_accents(server, devtools, tmp_path_factory):
    db_path = crawled_db_once(tmp_path_factory)
    seen = asyncio.run(search_in_browser(devtools, server))
    assert "q=Besan%C3%A7on" in seen["url"]
    assert seen["labels"] == "Nom cherché"
    expected = sorted(
        (row[0], row[1][:10], row[2])
        for row in _rows(
            db_path,
            "SELECT a.source, a.published, a.url FROM mentions m JOIN entities e "
            "ON e.id = m.entity_id JOIN articles a ON a.id = m.article_id WHERE e.name = 'Besançon'",
        )
    )
    assert expected, "the fixture database has no mention of Besançon"
    for typed in ("Besançon", "besancon"):
        rows = seen[typed]
        assert {r["entity"] for r in rows} == {"Besançon"}
        assert sorted((r["source"], r["published"][:10], r["link"]) for r in rows) == expected
        assert {r["source"] for r in rows} == set(OUTLETS.values())
        for row in rows:
            assert row["shown"] == french_date(row["published"]).striptags()
            assert re.fullmatch(r"\d{1,2} \w+\.? \d{4}", row["shown"]), row["shown"]


def _rows(db_path: Path, sql: str) -> list[tuple]:
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
