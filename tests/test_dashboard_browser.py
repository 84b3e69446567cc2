"""The dashboard, an entity page and a press review, drawn by a real headless Chromium.

Same Chromium and DevTools client as tests/test_browser.py (its fixtures and helpers are
reused), against `veille serve` on the crawled fixture database. For each page: every chart
has drawn (an SVG with marks, or a table with rows), no JavaScript error, a screenshot in
the test's folder, and no request left 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_search import REPO
from test_browser import (
    CHROMIUM,
    TIMEOUT,
    Page,
    devtools,  # noqa: F401 (a fixture)
    serving,
)

from db.dashboard import SLUG

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

LOCAL = ("http://127.0.0.1:", "file://", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`veille serve` on the crawled fixture database: (base URL, database path, its output)."""
    with serving(tmp_path_factory, "serve-dashboard") as (base, db_path, log):
        yield base, db_path, log.read_text()


class WatchedPage(Page):
    """A Page that also keeps the DevTools events of its session (requests, errors)."""

    events: list[dict]

    @classmethod
    async def blank(cls, ws) -> WatchedPage:
        browser = cls(ws, "")
        browser.events = []
        target = await browser.send("Target.createTarget", url="about:blank")
        attached = await browser.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        page = cls(ws, attached["sessionId"])
        page.events = []
        for domain in ("Network", "Runtime", "Log", "Page"):
            await page.send(f"{domain}.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=1600,
            deviceScaleFactor=1,
            mobile=False,
        )
        return page

    async def send(self, method: str, **params) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        await self.ws.send_json(message)
        while True:
            reply = await asyncio.wait_for(self.ws.receive_json(), TIMEOUT)
            if "method" in reply and reply.get("sessionId", "") == self.session:
                self.events.append(reply)
            if reply.get("id") == self.last_id and reply.get("sessionId", "") == self.session:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def visit(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'", f"{url} loaded")

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def requested(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def errors(self) -> list[str]:
        found = []
        for e in self.events:
            p = e["params"]
            if e["method"] == "Runtime.exceptionThrown":
                found.append(json.dumps(p["exceptionDetails"])[:500])
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] == "error":
                found.append(json.dumps(p["args"])[:500])
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append(p["entry"]["text"][:500])
        return found


# For each chart container: how many marks it drew (SVG shapes in Vega's mark groups, or
# table rows for the table charts).
MARKS_JS = """
Object.fromEntries([...document.querySelectorAll('.dashboard-card-chart')].map(el => [
  el.id,
  el.querySelectorAll('svg .role-mark path, svg .role-mark rect, svg .role-mark line, '
    + 'svg .role-mark circle, svg .role-mark text, svg rect.mark').length
    + el.querySelectorAll('table tbody tr').length
]))
"""
SVG_MARKS_JS = """
[...document.querySelectorAll('svg')].filter(s => !s.closest('header, nav')).map(s =>
  s.querySelectorAll('rect, path, line, circle, polyline, polygon').length)
"""


async def look_at_pages(ws_url: str, base: str, entity_id: int, report: Path, shots: Path):
    import aiohttp

    seen = {}
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
        page = await WatchedPage.blank(ws)
        # The dashboard: through the front page's link, as a communicator gets there.
        await page.visit(base + "/")
        await page.js(f"document.querySelector('a[href=\"/-/dashboards/{SLUG}\"]').click()")
        await page.wait_for(
            f"location.pathname === '/-/dashboards/{SLUG}' && document.readyState === 'complete'",
            "the dashboard after the front page's link",
        )
        charts = await page.js(
            "[...document.querySelectorAll('.dashboard-card-chart')].map(el => el.id)"
        )
        await page.wait_for(
            f"Object.values({MARKS_JS.strip()}).every(n => n > 0)", "every dashboard chart drawn"
        )
        seen["dashboard"] = {"charts": charts, "marks": await page.js(MARKS_JS)}
        seen["dashboard"]["url"] = await page.js("location.href")
        seen["dashboard"]["apply"] = await page.js(
            "document.querySelector('.dashboard-filters input[type=submit]').value"
        )
        await page.screenshot(shots / "tableau-de-bord.png")
        # One outlet chosen in the drop-down, then "Appliquer": every chart draws again.
        outlet = await page.js(
            "const s = document.querySelector('#media'); s.selectedIndex = 1; s.value"
        )
        await page.js("document.querySelector('.dashboard-filters input[type=submit]').click()")
        await page.wait_for(
            "location.search.includes('media=') && document.readyState === 'complete'"
            f" && Object.values({MARKS_JS.strip()}).every(n => n > 0)",
            "every chart drawn again for one outlet",
        )
        seen["dashboard"]["outlet"] = outlet
        seen["dashboard"]["outlets"] = await page.js(
            "[...document.querySelectorAll('#media option')].map(o => o.value).filter(v => v)"
        )
        seen["dashboard"]["outlets_drawn"] = await page.js(
            "[...document.querySelectorAll('#chart-medias svg .role-axis-label text')]"
            ".map(t => t.textContent)"
        )
        # An entity page.
        await page.visit(f"{base}/-/entite/{entity_id}")
        seen["entity"] = {
            "h1": await page.js("document.querySelector('h1').innerText"),
            "svg_marks": await page.js(SVG_MARKS_JS),
            "articles": await page.js("document.querySelectorAll('ol.articles > li').length"),
        }
        await page.screenshot(shots / "entite.png")
        # The press review, as a file opened from the disk.
        await page.visit(report.as_uri())
        seen["report"] = {
            "title": await page.js("document.title"),
            "svg_marks": await page.js(SVG_MARKS_JS),
        }
        await page.screenshot(shots / "revue.png")
        seen["requested"] = page.requested()
        seen["errors"] = page.errors()
    return seen


def test_dashboard_entity_page_and_report_draw_offline(served, devtools, tmp_path):  # noqa: F811
    base, db_path, output = served
    assert f"Tableau de bord : {base}/-/dashboards/{SLUG}" in output
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    entity_id, articles = conn.execute(
        "SELECT id, article_count FROM entities ORDER BY article_count DESC, id LIMIT 1"
    ).fetchone()
    conn.close()
    report = tmp_path / "revue.html"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "report",
            "--db",
            str(db_path),
            "--since",
            "2000-01-01",
            "--all-articles",
            "--out",
            str(report),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    started = time.monotonic()
    seen = asyncio.run(look_at_pages(devtools, base, entity_id, report, tmp_path))
    assert time.monotonic() - started < 5 * TIMEOUT

    dashboard = seen["dashboard"]
    assert len(dashboard["charts"]) == 6, dashboard
    assert all(n > 0 for n in dashboard["marks"].values()), dashboard
    assert "periode=" in dashboard["url"]
    assert dashboard["apply"] == "Appliquer"
    # The outlets chart then names that outlet alone.
    assert len(dashboard["outlets"]) > 1
    drawn = set(dashboard["outlets_drawn"]) & set(dashboard["outlets"])
    assert drawn == {dashboard["outlet"]}, dashboard
    entity = seen["entity"]
    assert entity["svg_marks"] and all(n > 0 for n in entity["svg_marks"]), entity
    assert entity["articles"] == min(articles, 20)
    assert seen["report"]["title"]
    assert all(n > 0 for n in seen["report"]["svg_marks"]), seen["report"]
    for name in ("tableau-de-bord.png", "entite.png", "revue.png"):
        assert (tmp_path / name).stat().st_size > 10_000, name
    assert seen["errors"] == []
    outside = [u for u in seen["requested"] if not u.startswith(LOCAL)]
    assert outside == [], outside
    # The charts' data came from the server, through the SQL the dashboard allows.
    assert sum("/veille.json?sql=" in u for u in seen["requested"]) == 12
