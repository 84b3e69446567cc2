"""`veille barometer`: the year's deals as a French report in one HTML file.

Totals by quarter and by région, the largest rounds, the most active investors,
acquisitions and mergers, job and site announcements, each with its sources; charts are
inline SVG rendered offline by vl-convert, so the file opens offline and can be mailed alone.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from common.errors import VeilleError
from db import deal_store
from db.schema import missing_database, open_db
from ops.charts import (
    COLOR,
    FONT,
    bar_chart,
    fill_periods,
    ranking_chart,
    render_svg,
    timeline_chart,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
QUARTERS = ("T1", "T2", "T3", "T4")
TOP = 10
NO_THEME = "non classé"
# Charts: Vega-Lite rendered offline to inline SVG through ops/charts.py (quarters and
# themes need labelled layers, so their specs are written here).


class BarometerError(VeilleError, ValueError):
    """A barometer that cannot be written; the message says why and what to do."""


@dataclass
class Barometer:
    """Everything the template shows."""

    year: int
    region: str | None
    deals: list[dict]
    funding: list[dict]
    by_quarter: list[dict]
    by_region: list[dict]
    by_round: list[dict]
    by_theme: list[dict]
    largest: list[dict]
    investors: list[tuple[str, int]]
    acquisitions: list[dict]
    jobs: list[dict]
    sites: list[dict]
    charts: dict[str, str]


def _quarter(published: str) -> str:
    month = int(published[5:7]) if published[5:7].isdigit() else 1
    return QUARTERS[(month - 1) // 3]


def build_barometer(db_path: str | Path, year: int, region: str | None = None) -> Barometer:
    """Read the year's deals (optionally of one région) and compute the report's figures."""
    if not Path(db_path).exists():
        raise missing_database(db_path)
    db = open_db(db_path)
    try:
        deals = deal_store.deals_of_year(db, year, region)
    finally:
        db.conn.close()
    funding = [d for d in deals if d["type"] == "funding"]
    rounds = [d for d in funding if d["round"] not in deal_store.SPECIAL_ROUNDS]
    quarters = {
        q: {
            "quarter": q,
            "amount": 0.0,
            "count": 0,
            "aids": 0,
            "acquisitions": 0,
            "jobs": 0,
            "job_deals": 0,
            "sites": 0,
            "deals": 0,
        }
        for q in QUARTERS
    }
    for d in deals:
        q = quarters[_quarter(d["published"])]
        q["deals"] += 1
        if d in rounds:
            q["amount"] += d["amount_eur"] or 0
            q["count"] += 1
        elif d["type"] == "funding":
            q["aids"] += 1
        elif d["type"] in ("acquisition", "merger"):
            q["acquisitions"] += 1
        elif d["type"] == "jobs":
            q["jobs"] += d["jobs"] or 0
            q["job_deals"] += 1
        elif d["type"] == "site":
            q["sites"] += 1
    regions: dict[str, dict] = defaultdict(lambda: {"amount": 0.0, "count": 0, "deals": 0})
    for d in deals:
        r = regions[d["region"] or "Non précisée"]
        r["deals"] += 1
        if d in rounds:
            r["amount"] += d["amount_eur"] or 0
            r["count"] += 1
    by_region = [
        {"region": k, **v} for k, v in sorted(regions.items(), key=lambda i: -i[1]["amount"])
    ]
    stages = Counter(d["round"] or "non précisé" for d in rounds)
    by_round = [{"round": k, "count": v} for k, v in stages.most_common()]
    themes: dict[str, dict] = defaultdict(lambda: {"count": 0, "amount": 0.0})
    for d in rounds:
        t = themes[d.get("theme") or NO_THEME]
        t["count"] += 1
        t["amount"] += d["amount_eur"] or 0
    by_theme = [
        {"theme": k, **v}
        for k, v in sorted(themes.items(), key=lambda i: (-i[1]["count"], -i[1]["amount"]))
    ]
    investors = Counter(i for d in funding for i in d["investors"]).most_common(TOP)
    weeks = fill_periods(
        Counter((d["published"] or "")[:10] for d in deals),
        date(year, 1, 1),
        date(year, 12, 31),
        "week",
    )
    charts = {
        "weeks": timeline_chart(
            weeks,
            title=f"Opérations relevées par semaine, {year}",
            y_title="Opérations",
            unit="week",
        ),
        "quarters": quarter_chart(list(quarters.values()), year),
        "themes": theme_chart(by_theme),
        "rounds": bar_chart(
            by_round or [{"round": "aucun", "count": 0}],
            "round",
            "count",
            title="Levées de fonds par tour",
            x_title="Tour",
            y_title="Nombre de levées",
        ),
    }
    if investors:
        charts["investors"] = ranking_chart(
            [{"name": name, "deals": n} for name, n in investors],
            "name",
            "deals",
            title="Les investisseurs les plus actifs",
            x_title="Levées auxquelles ils participent",
        )
    return Barometer(
        year=year,
        region=region,
        deals=deals,
        funding=funding,
        by_quarter=list(quarters.values()),
        by_region=by_region,
        by_round=by_round,
        by_theme=by_theme,
        largest=sorted(rounds, key=lambda d: -(d["amount_eur"] or 0))[:TOP],
        investors=investors,
        acquisitions=[d for d in deals if d["type"] in ("acquisition", "merger")],
        jobs=[d for d in deals if d["type"] == "jobs"],
        sites=[d for d in deals if d["type"] == "site"],
        charts=charts,
    )


def euros(value: float | None) -> str:
    """An amount in French: 2 800 000 → "2,8 M€", 750 000 → "750 000 €"."""
    if value is None:
        return "montant non communiqué"
    if value >= 1e9:
        return f"{value / 1e9:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " Md€"
    if value >= 1e6:
        return f"{value / 1e6:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " M€"
    return f"{value:,.0f}".replace(",", "\u202f") + " €"


def quarter_chart(quarters: list[dict], year: int) -> str:
    """Amounts raised by quarter (bars, M€) with the number of rounds written above each."""
    rows = [
        {
            "quarter": q["quarter"],
            "amount": round(q["amount"] / 1e6, 2),
            "label": f"{q['count']} levée{'s' * (q['count'] > 1)}",
        }
        for q in quarters
    ]
    x = {
        "field": "quarter",
        "type": "nominal",
        "sort": None,
        "title": "Trimestre",
        "axis": {"labelAngle": 0},
    }
    y = {"field": "amount", "type": "quantitative", "title": "Millions d'euros"}
    return render_svg(
        {
            "title": f"Montants levés par trimestre, {year} (M€)",
            "width": 420,
            "height": 220,
            "data": {"values": rows},
            "config": {"font": FONT},
            "encoding": {"x": x, "y": y},
            "layer": [
                {
                    "mark": {"type": "bar", "color": COLOR},
                    "encoding": {"tooltip": [{"field": "quarter"}, {"field": "amount"}]},
                },
                {
                    "mark": {"type": "text", "dy": -6, "fontSize": 11},
                    "encoding": {"text": {"field": "label"}},
                },
            ],
        }
    )


def theme_chart(by_theme: list[dict]) -> str:
    """Rounds by theme (horizontal bars, most rounds first), amounts in the labels."""
    rows = [
        {"theme": t["theme"], "count": t["count"], "label": f"{t['count']} · {euros(t['amount'])}"}
        for t in by_theme
    ] or [{"theme": "aucune levée", "count": 0, "label": ""}]
    y = {"field": "theme", "type": "nominal", "sort": None, "title": None}
    x = {
        "field": "count",
        "type": "quantitative",
        "title": "Nombre de levées",
        "axis": {"tickMinStep": 1, "format": "d"},
    }
    return render_svg(
        {
            "title": "Levées de fonds par thème",
            "width": 300,
            "height": {"step": 22},
            "data": {"values": rows},
            "config": {"font": FONT},
            "encoding": {"y": y, "x": x},
            "layer": [
                {"mark": {"type": "bar", "color": COLOR}},
                {
                    "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
                    "encoding": {"text": {"field": "label"}},
                },
            ],
        }
    )


def render_barometer(barometer: Barometer) -> str:
    """The report as one HTML page (charts inline)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["euros"] = euros
    return env.get_template("barometre.html").render(b=barometer)


def write_barometer(html: str, out: str | Path) -> None:
    """Write the page whole or not at all (a temporary file renamed into place)."""
    out = Path(out)
    if out.parent and not out.parent.exists():
        raise BarometerError(f"{out}: folder {out.parent} does not exist")
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
