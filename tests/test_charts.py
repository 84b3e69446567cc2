"""ops/charts.py: French, offline, inline SVG charts for the mailed reports."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ops.charts import fill_periods, period_unit, ranking_chart, render_svg, timeline_chart


def marks(svg: str, kind: str = "rect") -> int:
    """How many marks of `kind` Vega drew (a <path> per bar, a <text> per label)."""
    groups = re.findall(rf'<g class="mark-{kind} role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    element = "<text" if kind == "text" else "<path"
    return sum(group.count(element) for group in groups)


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_days_without_articles_are_zeros():
    rows = fill_periods(
        {"2026-11-16": 3, "2026-11-18": 2}, date(2026, 11, 15), date(2026, 11, 18), "day"
    )
    assert rows == [
        {"period": "2026-11-15", "count": 0},
        {"period": "2026-11-16", "count": 3},
        {"period": "2026-11-17", "count": 0},
        {"period": "2026-11-18", "count": 2},
    ]


def test_weeks_start_on_monday_and_sum_their_days():
    counts = {"2026-11-16": 1, "2026-11-22": 2, "2026-11-23": 4, "2025-01-01": 9, "bad": 1}
    rows = fill_periods(counts, date(2026, 11, 18), date(2026, 11, 30), "week")
    # 2026-11-16 is before the period; 22 Nov. is the Sunday of the week of 16 Nov.
    assert rows == [
        {"period": "2026-11-16", "count": 2},
        {"period": "2026-11-23", "count": 4},
        {"period": "2026-11-30", "count": 0},
    ]


@pytest.mark.parametrize(("days", "unit"), [(7, "day"), (62, "day"), (63, "week"), (365, "week")])
def test_long_periods_count_by_week(days, unit):
    start = date(2026, 1, 1)
    assert period_unit(start, date.fromordinal(start.toordinal() + days)) == unit


def test_timeline_draws_one_bar_per_day_with_french_dates():
    rows = fill_periods({"2026-11-18": 1234}, date(2026, 11, 12), date(2026, 11, 19), "day")
    svg = timeline_chart(rows, title="Articles par jour", y_title="Articles")
    assert svg.startswith("<svg") and marks(svg) == 8
    labels = texts(svg)
    assert "18 nov." in labels and "Articles par jour" in labels
    assert "1\xa0200" in labels  # French thousands on the axis


def test_ranking_puts_the_largest_first_and_escapes_names():
    rows = [
        {"name": "Fabrique <b>Lons</b> & Cie", "articles": 3},
        {"name": "Silicon Comté", "articles": 12},
    ]
    svg = ranking_chart(rows, "name", "articles", title="Les plus citées", x_title="Articles")
    assert marks(svg) == 2 and marks(svg, "text") == 2
    names = [
        t
        for t in texts(svg)
        if t in ("Silicon Comté", "Fabrique &lt;b&gt;Lons&lt;/b&gt; &amp; Cie")
    ]
    assert names == ["Silicon Comté", "Fabrique &lt;b&gt;Lons&lt;/b&gt; &amp; Cie"]
    assert "<b>" not in svg


def test_a_chart_never_fetches_anything():
    with pytest.raises(ValueError, match="not allowed"):
        render_svg({"data": {"url": "https://example.org/data.csv"}, "mark": "bar"})
