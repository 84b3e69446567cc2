"""Let the dashboard's charts run their SQL on a server where typed SQL is off.

datasette-dashboards draws each chart in the browser from `/veille.json?sql=<the chart's
SQL>`, and checks the `execute-sql` permission on the dashboard page itself. `veille serve`
refuses typed SQL by default (one typed query can take the server down), so this plugin
grants `execute-sql` for the length of one request, and only when that request is a
dashboard page or runs, unchanged, the SQL of one of the charts in db/metadata.yml (after
the plugin's own `[[ … ]]` substitution). Parameters still arrive bound, never in the SQL.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Iterator
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.plugins import pm
from datasette_dashboards import replace_opts_in_query

PLUGIN_NAME = "veille-dashboard"
DASHBOARDS = "datasette-dashboards"
SLUG = "tableau-de-bord"

# Set by the ASGI wrapper below for one request; read by the permission hook. A context
# variable follows the request through every await of Datasette's handling and nowhere else.
_CHART_REQUEST: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "veille_chart_request", default=False
)


def register() -> None:
    """Register this plugin once per process (Datasette loads db/ modules only when told)."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(sys.modules[__name__], name=PLUGIN_NAME)


def chart_queries(config: dict, args: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(database, SQL) of every chart, as the dashboards plugin sends it with these arguments."""
    for dashboard in (config or {}).values():
        filters = dashboard.get("filters") or {}
        options = {key: args[key] for key in filters if key in args}
        for chart in (dashboard.get("charts") or {}).values():
            if chart.get("db") and chart.get("query"):
                yield chart["db"], replace_opts_in_query(chart["query"], options)


def is_chart_request(datasette, path: str, query_string: bytes) -> bool:
    """Whether this request is a dashboard page or one chart's own SQL."""
    if path == "/-/dashboards" or path.startswith("/-/dashboards/"):
        return True
    if not path.endswith(".json"):
        return False
    try:
        pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return False
    args: dict[str, str] = {}
    for key, value in pairs:
        args.setdefault(key, value)  # the first value, as Datasette's request.args.get reads
    sql = args.get("sql")
    if sql is None:
        return False
    config = datasette.plugin_config(DASHBOARDS) or {}
    return any(path == f"/{db}.json" and sql == query for db, query in chart_queries(config, args))


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def charts_allowed(scope, receive, send):
            if scope["type"] != "http" or not is_chart_request(
                datasette, scope.get("path", ""), scope.get("query_string", b"")
            ):
                return await app(scope, receive, send)
            token = _CHART_REQUEST.set(True)
            try:
                return await app(scope, receive, send)
            finally:
                _CHART_REQUEST.reset(token)

        return charts_allowed

    return wrap


@hookimpl
def permission_allowed(action):
    # None leaves the decision to Datasette's settings (--sql) everywhere else.
    if action == "execute-sql" and _CHART_REQUEST.get():
        return True
    return None


# The menu link datasette-dashboards adds to every page ("Dashboards"), in French: a hook
# wrapper (pluggy) around every plugin's menu_links, so neither the plugin nor Datasette's
# templates are copied.
MENU_LABELS = {"Dashboards": "Tableaux de bord"}


@hookimpl(wrapper=True)
def menu_links(datasette, actor, request):
    results = yield
    return [
        [{**link, "label": MENU_LABELS.get(link.get("label"), link.get("label"))} for link in links]
        if isinstance(links, list)
        else links  # an awaitable of another plugin's, left as it is
        for links in results
    ]


# The few words datasette-dashboards writes in English on its page, in French. Through a hook
# rather than a copy of its template, so that the plugin can be upgraded.
_FRENCH_LABELS_JS = """
document.querySelectorAll('.crumbs a').forEach(a => {
  a.textContent = {home: 'accueil', dashboards: 'tableaux de bord'}[a.textContent.trim()]
    || a.textContent;
});
document.querySelectorAll('.dashboard-filters input[type=submit]').forEach(b => {
  b.value = 'Appliquer';
});
if (document.title.trim() === 'Dashboards') document.title = 'Tableaux de bord';
document.querySelectorAll('h1').forEach(h => {
  if (h.textContent.trim() === 'Dashboards') h.textContent = 'Tableaux de bord';
});
document.querySelectorAll('.chart-tooltip').forEach(t => {
  t.title = 'Plus de lignes que la page n’en montre : seules les premières sont dessinées';
});
"""


@hookimpl
def extra_body_script(template):
    if template in ("dashboard_view.html", "dashboard_chart.html", "dashboard_list.html"):
        return _FRENCH_LABELS_JS
    return None
