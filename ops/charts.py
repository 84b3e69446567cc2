"""Charts as inline SVG, from Vega-Lite specs rendered offline by vl-convert.

A report embeds the SVG text in its HTML, so the file mails as one piece and opens
without network. Vega-Lite is also what the dashboard draws with, so a spec can be shared.
"""

from __future__ import annotations

from collections.abc import Sequence

import vl_convert

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier; never fetched
FONT = "Helvetica, Arial, sans-serif"


def render_svg(spec: dict) -> str:
    """The SVG text of a Vega-Lite spec (no XML declaration, ready to inline in HTML)."""
    svg = vl_convert.vegalite_to_svg({"$schema": SCHEMA, **spec})
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
        "mark": {"type": "bar", "color": "#2f5d8a"},
        "encoding": {
            "x": {"field": x, "type": "nominal", "sort": None, "title": x_title},
            "y": {"field": y, "type": "quantitative", "title": y_title},
            "tooltip": [{"field": x}, {"field": y}],
        },
        "config": {"font": FONT},
    }
    return render_svg(spec)
