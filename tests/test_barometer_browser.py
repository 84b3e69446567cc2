"""The barometer file, opened as a communicator opens a mailed report: a real headless Chromium.

The file is written by `veille barometer` from deals found by the real pipeline, then opened
from disk (file://). The charts must be drawn (inline SVG with bars), without any script
error and without fetching anything: the report travels as one file.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner
from test_browser import CHROMIUM, TIMEOUT, devtools  # noqa: F401  (devtools is a fixture)

from db.schema import open_db
from nlp.process import update_deals
from pipeline import cli

pytestmark = [pytest.mark.browser, pytest.mark.model]

ARTICLES = [
    ("courrier", "2026-02-10T09:00:00+01:00", "La start-up Talvane lève 3 millions d'euros "
     "auprès de Doubs Capital pour ses capteurs de vigne."),
    ("echo", "2026-02-12T10:00:00+01:00", "Talvane boucle une levée de 3 millions d'euros."),
    ("echo", "2026-05-04T10:00:00+02:00", "La société Brenoval lève 1,5 million d'euros en "
     "amorçage auprès de Jura Amorçage."),
    ("courrier", "2026-09-01T10:00:00+02:00", "Le groupe Varlin rachète l'atelier Oskel."),
    ("courrier", "2026-10-15T10:00:00+02:00", "Le fabricant Molvane ouvre une usine à Vesoul "
     "et va créer une trentaine d'emplois."),
]  # fmt: skip
THEMES = {0: "financement & levées de fonds", 2: "IA & données"}


@pytest.fixture(scope="module")
def barometer(tmp_path_factory):
    """A barometer file for 2026 written by the CLI from a processed database."""
    folder = tmp_path_factory.mktemp("barometer")
    db = open_db(folder / "veille.db")
    for name in ("courrier", "echo"):
        db["sources"].insert({"name": name, "region": "Bourgogne-Franche-Comté"})
    ids = []
    for n, (source, published, text) in enumerate(ARTICLES):
        row = {
            "url": f"https://example.test/{n}",
            "canonical_url": f"https://example.test/{n}",
            "source": source,
            "title": f"Article {n}",
            "published": published,
            "text": text,
            "content_hash": str(n),
            "fetched_at": "2026-11-01T00:00:00Z",
            "themes": json.dumps([THEMES[n]]) if n in THEMES else None,
        }
        ids.append(db["articles"].insert(row).last_pk)
    update_deals(db, ids)
    db.conn.close()
    out = folder / "barometre.html"
    result = CliRunner().invoke(
        cli, ["barometer", "--db", str(folder / "veille.db"), "--year", "2026", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


CHARTS_JS = """
[...document.querySelectorAll('figure svg')].map(svg => ({
  width: svg.getBoundingClientRect().width,
  height: svg.getBoundingClientRect().height,
  title: (svg.querySelector('.role-title-text') || {}).textContent || '',
  bars: svg.querySelectorAll('.mark-rect path').length,
}))
"""


async def open_in_browser(ws_url: str, url: str) -> dict:
    """Open `url` in a new tab; what it shows, its script errors and the requests it made."""
    import aiohttp

    seen: dict = {"errors": [], "requests": []}
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(ws_url, max_msg_size=0) as ws,
    ):
        counter = iter(range(1, 10_000))

        async def send(method: str, session: str = "", **params) -> dict:
            number = next(counter)
            message = {"id": number, "method": method, "params": params}
            if session:
                message["sessionId"] = session
            await ws.send_json(message)
            while True:
                reply = await asyncio.wait_for(ws.receive_json(), TIMEOUT)
                event = reply.get("method", "")
                if event == "Runtime.exceptionThrown":
                    seen["errors"].append(reply["params"]["exceptionDetails"].get("text"))
                elif event == "Runtime.consoleAPICalled" and reply["params"]["type"] == "error":
                    seen["errors"].append(reply["params"]["args"])
                elif event == "Log.entryAdded" and reply["params"]["entry"]["level"] == "error":
                    seen["errors"].append(reply["params"]["entry"]["text"])
                elif event == "Network.requestWillBeSent":
                    seen["requests"].append(reply["params"]["request"]["url"])
                elif reply.get("id") == number:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply.get("result", {})

        target = await send("Target.createTarget", url="about:blank")
        attached = await send("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            await send(f"{domain}.enable", session)
        await send("Page.navigate", session, url=url)
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while True:
            state = await send(
                "Runtime.evaluate", session, expression="document.readyState", returnByValue=True
            )
            if state["result"].get("value") == "complete":
                break
            assert asyncio.get_running_loop().time() < deadline, "the barometer did not load"
            await asyncio.sleep(0.2)
        for name, expression in (
            ("charts", CHARTS_JS),
            ("title", "document.title"),
            ("headings", "[...document.querySelectorAll('h2')].map(h => h.innerText)"),
        ):
            result = await send(
                "Runtime.evaluate", session, expression=expression, returnByValue=True
            )
            seen[name] = result["result"].get("value")
    return seen


def test_barometer_opens_with_its_charts(barometer, devtools):  # noqa: F811
    seen = asyncio.run(open_in_browser(devtools, barometer.as_uri()))
    assert seen["errors"] == []
    # Only the file itself: no script, style sheet or font fetched from anywhere.
    assert seen["requests"] == [barometer.as_uri()]
    assert seen["title"] == "Baromètre 2026"
    assert "Levées par thème" in seen["headings"]
    charts = seen["charts"]
    assert [c["title"] for c in charts] == [
        "Opérations relevées par semaine, 2026",
        "Montants levés par trimestre, 2026 (M€)",
        "Levées de fonds par thème",
        "Levées de fonds par tour",
        "Les investisseurs les plus actifs",
    ]
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 80, chart
    # Every week of the year (quiet ones included); two rounds (Q1, Q2) among four quarters;
    # two themes; two stages (amorçage, none); two investors (Doubs Capital, Jura Amorçage).
    bars = [c["bars"] for c in charts]
    assert bars[0] in (52, 53) and bars[1:] == [4, 2, 2, 2]
