"""Charts as inline SVG, from Vega-Lite specs rendered offline by vl-convert.

A report embeds the SVG text in its HTML, so the file mails as one piece and opens
without network. Vega-Lite is also what the dashboard draws with, so a spec can be shared.
Numbers and dates on the axes are French (d3's fr-FR locales, bundled with vl-convert), and
the renderer may fetch nothing: a spec pointing at a URL fails instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import vl_convert

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier; never fetched
FONT = "Helvetica, Arial, sans-serif"
COLOR = "#2f5d8a"
LOCALE = "fr-FR"
# Beyond this many days a timeline counts by week (Monday to Sunday), not by day.
DAYS_MAX = 62


def render_svg(spec: dict) -> str:
    """The SVG text of a Vega-Lite spec (no XML declaration, ready to inline in HTML)."""
    svg = vl_convert.vegalite_to_svg(
        {"$schema": SCHEMA, **spec},
        format_locale=LOCALE,
        time_format_locale=LOCALE,
        allowed_base_urls=[],
    )
    return svg.split("?>", 1)[1].lstrip() if svg.startswith("<?xml") else svg


def bar_chart(
    rows: Sequence[dict], x: str, y: str, *, title: str, x_title: str, y_title: str
) -> str:
    """A bar chart of `rows` (dicts with keys x and y) as inline SVG; x keeps the rows' order."""
    spec = {
        "title": title,
        "width": 420,
        "height": 220,
        "data": {"values": list(rows)},
        "mark": {"type": "bar", "color": COLOR},
        "encoding": {
            "x": {"field": x, "type": "nominal", "sort": None, "title": x_title},
            "y": {"field": y, "type": "quantitative", "title": y_title},
            "tooltip": [{"field": x}, {"field": y}],
        },
        "config": {"font": FONT},
    }
    return render_svg(spec)


def period_unit(start: date, end: date) -> str:
    """'day' for a period up to DAYS_MAX days, else 'week'."""
    return "day" if (end - start).days <= DAYS_MAX else "week"


def fill_periods(counts: Mapping[str, int], start: date, end: date, unit: str) -> list[dict]:
    """One row per day (or per week, dated by its Monday) from `start` to `end`, zeros
    included, so that a quiet day shows as a gap rather than vanishing from the axis.

    `counts` maps ISO days (YYYY-MM-DD) to counts; days outside the period are ignored.
    """
    step = timedelta(days=7 if unit == "week" else 1)
    first = start - timedelta(days=start.weekday()) if unit == "week" else start
    rows: dict[str, int] = {}
    day = first
    while day <= end:
        rows[day.isoformat()] = 0
        day += step
    for key, n in counts.items():
        try:
            day = date.fromisoformat(key[:10])
        except ValueError:
            continue
        if not start <= day <= end:
            continue
        if unit == "week":
            day -= timedelta(days=day.weekday())
        rows[day.isoformat()] += n
    return [{"period": key, "count": n} for key, n in rows.items()]


def timeline_chart(rows: Sequence[dict], *, title: str, y_title: str, unit: str = "day") -> str:
    """Counts over time as bars: `rows` from fill_periods (keys period, count)."""
    spec = {
        "title": title,
        "width": 520,
        "height": 200,
        "data": {"values": list(rows)},
        "mark": {"type": "bar", "color": COLOR},
        "encoding": {
            "x": {
                "field": "period",
                "type": "ordinal",
                "timeUnit": "yearmonthdate",
                "title": "Semaine du" if unit == "week" else "Jour",
                "axis": {"format": "%e %b", "labelAngle": -45},
            },
            "y": {
                "field": "count",
                "type": "quantitative",
                "title": y_title,
                "axis": _count_axis(row["count"] for row in rows),
            },
            "tooltip": [
                {"field": "period", "type": "temporal", "format": "%e %B %Y", "title": "Date"},
                {"field": "count", "type": "quantitative", "title": y_title},
            ],
        },
        "config": {"font": FONT},
    }
    return render_svg(spec)


def ranking_chart(rows: Sequence[dict], label: str, value: str, *, title: str, x_title: str) -> str:
    """A ranking as horizontal bars, largest first, each bar with its figure at the end."""
    encoding = {
        "y": {"field": label, "type": "nominal", "sort": "-x", "title": None},
        "x": {
            "field": value,
            "type": "quantitative",
            "title": x_title,
            "axis": _count_axis(row[value] for row in rows),
        },
    }
    spec = {
        "title": title,
        "width": 360,
        "data": {"values": list(rows)},
        "encoding": encoding,
        "layer": [
            {"mark": {"type": "bar", "color": COLOR}},
            {
                "mark": {"type": "text", "align": "left", "dx": 3},
                "encoding": {"text": {"field": value, "type": "quantitative"}},
            },
        ],
        "config": {"font": FONT},
    }
    return render_svg(spec)


def _count_axis(values) -> dict:
    # Counts are whole: at most one tick per unit, so a top of 2 reads 0, 1, 2, not 0,5 steps
    # (Vega-Lite's tickMinStep is not applied by the renderer vl-convert bundles).
    top = max(values, default=0)
    return {"format": ",d", "tickCount": max(1, min(int(top), 5))}
