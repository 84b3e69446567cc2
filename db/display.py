"""French display for the veille Datasette: a plugin of Datasette hooks, not forked templates.

- `render_cell`: ISO dates as "18 nov. 2026" inside `<time datetime="…">`, numbers with French
  separators; only the HTML pages change, JSON and CSV keep the stored values.
- `extra_template_vars`: drop-down lists for the type, région, média and thème parameters of
  canned queries, filled from the data; breadcrumbs saying "accueil".
- `extra_css_urls`: the project's small stylesheet on every page.
- `prepare_jinja2_environment`: the `veille_fr` filter, which puts Datasette's table, row and
  database pages (extended, not copied, by templates/table.html, row.html, database.html)
  into French.

Dates and numbers are formatted by Babel (CLDR's French), not by hand-written month tables.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from datetime import date
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.plugins import pm
from markupsafe import Markup, escape

from db.search import DATABASE_NAME

LOCALE = "fr_FR"
# A date, a date and time (with or without seconds, fraction, offset), or a month.
ISO_DATE = re.compile(
    r"(?P<day>(?P<month>\d{4}-(?:0[1-9]|1[0-2]))(?:-(?:0[1-9]|[12]\d|3[01]))?)"
    r"(?:[T ](?P<time>(?:[01]\d|2[0-3]):[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-][0-2]\d:?[0-5]\d)?)?"
)
# Numbers in these columns are identifiers or years: "12 345" would read as a quantity.
PLAIN_NUMBER_COLUMNS = {"id", "rowid", "year", "annee", "start", "end"}

# What the drop-down lists offer, per canned-query parameter name. Each query returns one
# column of codes; `CHOICE_LABELS` names the codes communicators would not recognise.
CHOICE_SQL = {
    "label": "SELECT DISTINCT label FROM entities WHERE label IS NOT NULL",
    "type": "SELECT DISTINCT type FROM deals WHERE type IS NOT NULL",
    "source": "SELECT name FROM sources",
    "media": "SELECT name FROM sources",
    "region": (
        "SELECT region FROM sources WHERE region IS NOT NULL "
        "UNION SELECT DISTINCT region FROM deals WHERE region IS NOT NULL"
    ),
    # The themes of the latest articles: every theme appears there, without a scan of all.
    "theme": (
        "SELECT DISTINCT value FROM (SELECT themes FROM articles ORDER BY id DESC LIMIT 5000), "
        "json_each(themes)"
    ),
}
# Fallback when a query above fails (e.g. no deals table yet): the part that can run.
CHOICE_FALLBACK_SQL = {
    "region": "SELECT region FROM sources WHERE region IS NOT NULL",
}
CHOICE_LABELS = {
    "label": {
        "ORG": "Organisations (ORG)",
        "PER": "Personnes (PER)",
        "LOC": "Lieux (LOC)",
        "MISC": "Divers (MISC)",
    },
    "type": {
        "funding": "Levée de fonds ou prêt",
        "acquisition": "Rachat",
        "merger": "Fusion",
        "jobs": "Emplois",
        "site": "Nouveau site",
    },
}
# Parameters shown as a tick box: ticked sends "1", which the queries read as "yes".
CHECKBOX_PARAMS = {"tous"}

# Datasette 0.65's table, row and database pages, in French. Every English string is matched with the markup
# around it (a quote, a tag): cell values are HTML-escaped before they reach the page, so a
# pattern containing `<` or `"` can only match Datasette's own markup, never the data. A
# string a later Datasette changes simply stays English.
TABLE_PAGE_FR = [
    ('<label for="_search">Search:</label>', '<label for="_search">Rechercher :</label>'),
    (
        '<option value="">- remove filter -</option>',
        '<option value="">- retirer le filtre -</option>',
    ),
    ('<option value="">- column -</option>', '<option value="">- colonne -</option>'),
    ('<option value="">Sort...</option>', '<option value="">Trier…</option>'),
    ("> descending</label>", "> décroissant</label>"),
    ('<input type="submit" value="Apply">', '<input type="submit" value="Appliquer">'),
    ('">remove</a>]', '">retirer</a>]'),
    (
        '<span class="underlined">View and edit SQL</span>',
        '<span class="underlined">Voir et modifier le SQL</span>',
    ),
    ('<p class="export-links">This data as ', '<p class="export-links">Exporter : '),
    ('(<a href="#export">advanced</a>)', '(<a href="#export">options</a>)'),
    (
        '<p class="facets-timed-out">These facets timed out:',
        '<p class="facets-timed-out">Facettes trop longues à calculer :',
    ),
    ('">Next page</a></p>', '">Page suivante</a></p>'),
    ("<h3>Advanced export</h3>", "<h3>Options d’export</h3>"),
    ("<p>JSON shape:", "<p>Forme du JSON :"),
    ('">default</a>,', '">par défaut</a>,'),
    ('">array</a>,', '">tableau</a>,'),
    ('">newline-delimited</a>', '">une ligne par objet</a>'),
    ('">object</a>', '">objet</a>'),
    ("> download file</label>", "> télécharger le fichier</label>"),
    ("> expand labels</label>", "> noms au lieu des numéros</label>"),
    ("> stream all rows</label>", "> toutes les lignes</label>"),
    ('<input type="submit" value="Export CSV">', '<input type="submit" value="Exporter en CSV">'),
    (
        '<title id="actions-menu-links-title">Table actions</title>',
        '<title id="actions-menu-links-title">Actions</title>',
    ),
    # The row page
    ("<p>This data as ", "<p>Exporter : "),
    ("<h2>Links from other tables</h2>", "<h2>Lignes d’autres tables qui y renvoient</h2>"),
    # The database page
    ("<h3>Custom SQL query</h3>", "<h3>Requête SQL (lecture seule)</h3>"),
    (
        'type="button" hidden>Format SQL</button>',
        'type="button" hidden>Mettre en forme le SQL</button>',
    ),
    ('<input type="submit" value="Run SQL">', '<input type="submit" value="Exécuter">'),
    ('<h2 id="queries">Queries</h2>', '<h2 id="queries">Requêtes prêtes</h2>'),
    ('<h2 id="views">Views</h2>', '<h2 id="views">Vues</h2>'),
    ("<em> (hidden)</em></h3>", "<em> (cachée)</em></h3>"),
    ("<p>Many rows</p>", "<p>Beaucoup de lignes</p>"),
    ("<p>... and <a ", "<p>… et <a "),
    (
        '<p class="download-sqlite">Download SQLite DB:',
        '<p class="download-sqlite">Télécharger la base SQLite :',
    ),
    ('__1">is null</option>', '__1">est vide</option>'),
    ('__1">is not null</option>', '__1">n’est pas vide</option>'),
    ('__1">is blank</option>', '__1">est blanc</option>'),
    ('__1">is not blank</option>', '__1">n’est pas blanc</option>'),
    ('">contains</option>', '">contient</option>'),
    ('">ends with</option>', '">finit par</option>'),
    ('">starts with</option>', '">commence par</option>'),
    ('">in</option>', '">parmi</option>'),
    ('">not in</option>', '">hors de</option>'),
    ('">array contains</option>', '">la liste contient</option>'),
    ('">array does not contain</option>', '">la liste ne contient pas</option>'),
]
TABLE_PAGE_RE = [
    # "1,234 rows" → "1 234 lignes"
    (re.compile(r"<h3>(\d[\d,]*) row(s?)\b"), lambda m: f"<h3>{_thousands(m[1])} ligne{m[2]}"),
    (
        re.compile(r"(<p class=\"suggested-facets\">\s*)Suggested facets:"),
        r"\1Facettes suggérées :",
    ),
    (re.compile(r"<h3>(\d+) extra where clause(s?)</h3>"), r"<h3>\1 condition\2 SQL</h3>"),
    (re.compile(r"(<p>\s*)CSV options:"), r"\1CSV :"),
    (re.compile(r" \(view\)((?: 🔒)?</h1>)"), r"\1"),
    (re.compile(r"(<strong>[^<]*?) \(array\)"), r"\1 (liste)"),
    # Database page: "<p>1,234 rows</p>", "12 hidden tables</a>"; row page: "3 rows</a> from x in y"
    (re.compile(r"<p>(\d[\d,]*) row(s?)</p>"), lambda m: f"<p>{_thousands(m[1])} ligne{m[2]}</p>"),
    (
        re.compile(r">(\d[\d,]*) hidden table(s?)</a>"),
        lambda m: f">{_thousands(m[1])} table{m[2]} cachée{m[2]}</a>",
    ),
    (
        re.compile(r"(\d[\d,]*) row(s?)</a>(\s*)from ([^<\s]+) in ([^<\s]+)"),
        lambda m: f"{_thousands(m[1])} ligne{m[2]}</a>{m[3]}de {m[5]} (colonne {m[4]})",
    ),
    # Facet values that are dates or months (the `month` facet): French, as in the cells.
    (
        re.compile(r'(<li><a href="[^"<>]*">)(\d{4}-\d\d(?:-\d\d)?)(</a>)'),
        lambda m: m[1] + str(french_date(m[2]) or m[2]) + m[3],
    ),
    (
        re.compile(r"(<li>)(\d{4}-\d\d(?:-\d\d)?)( &middot; )"),
        lambda m: m[1] + str(french_date(m[2]) or m[2]) + m[3],
    ),
    # Facet counts: "</a> 1,234</li>" and "&middot; 1,234 <a"
    (re.compile(r"(</a> )(\d{1,3}(?:,\d{3})+)(</li>)"), lambda m: m[1] + _thousands(m[2]) + m[3]),
    (
        re.compile(r"(&middot; )(\d{1,3}(?:,\d{3})+)( <a )"),
        lambda m: m[1] + _thousands(m[2]) + m[3],
    ),
]
HUMAN_WORDS = [
    ("sorted by ", "triées par "),
    (" descending", " (décroissant)"),
    ("where ", "où "),
    (" and ", " et "),
    ("search matches ", "la recherche trouve "),
]
# A column's name where Datasette shows it as a heading (table header, facet title): after
# `data-column="NAME"`, past tags and spaces only, the text NAME.
COLUMN_HEADING = re.compile(
    r'(?P<head>data-column="(?P<name>[^"<>]+)"[^>]*>(?:\s*<[^>]+>)*\s*)(?P=name)(?=[\s<&])'
)

# Under the row count, what the filters and sort order are: "where label = "ORG" sorted by
# published descending". Datasette writes it from the request, so it is translated there only.
HUMAN_DESCRIPTION = re.compile(r"(<h3>[^<]*? lignes?\s*\n)([^<]+)(</h3>)")
HUMAN_COLUMN = re.compile(r"(triées par |où | et )([a-z_]+)\b")
# The small-screen sort list: `<option value="NAME">Sort by NAME</option>`.
SORT_OPTION = re.compile(
    r'(?P<head><option value="(?P<name>[^"<>]+)"(?: selected)?>)Sort by (?P=name)</option>'
)


def french_date(value: str) -> Markup | None:
    """An ISO date, date-time or month as French text in a `<time>` element, else None."""
    match = ISO_DATE.fullmatch(value.strip())
    if match is None:
        return None
    shown = _day_text(match["day"])
    if shown is None:
        return None
    title = f' title="{escape(shown)} à {match["time"]}"' if match["time"] else ""
    return Markup(f'<time datetime="{escape(value.strip())}"{title}>{escape(shown)}</time>')


def date_text(value: str | None) -> str:
    """An ISO date, date-time or month as plain French text ("18 nov. 2026", "nov. 2026");
    anything else as it is, None as ""."""
    match = ISO_DATE.fullmatch((value or "").strip())
    return (_day_text(match["day"]) if match else None) or (value or "")


@lru_cache(maxsize=4096)
def _day_text(day: str) -> str | None:
    # Cached: a page of 500 mentions has a few dozen distinct days, and Babel's formatting is
    # most of a date cell's cost.
    try:
        if len(day) == 7:  # a month
            return format_date(date.fromisoformat(day + "-01"), "MMM y", locale=LOCALE)
        return format_date(date.fromisoformat(day), "medium", locale=LOCALE)
    except ValueError:  # 2026-02-30: not a date after all
        return None


def french_number(value: int | float) -> str:
    """A number with French separators: 12345 → "12 345" (narrow no-break space), 0.5 → "0,5"."""
    return format_decimal(value, locale=LOCALE)


def _human(text: str) -> str:
    # Datasette's description of the filters and sort order, word by word.
    for english, french in HUMAN_WORDS:
        text = text.replace(english, french)
    return text


def _thousands(text: str) -> str:
    return french_number(int(text.replace(",", "")))


def plain_number_column(column: str) -> bool:
    """Whether numbers in `column` are identifiers or years, shown as they are."""
    name = column.lower()
    return name in PLAIN_NUMBER_COLUMNS or name.endswith("_id")


@hookimpl
def render_cell(value, column, database):
    """French dates and numbers in the HTML pages of the veille database."""
    if database != DATABASE_NAME:
        return None
    if isinstance(value, str) and 7 <= len(value) <= 40:
        return french_date(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if plain_number_column(column) or (isinstance(value, int) and -1000 < value < 1000):
        return None
    return french_number(value)


def french_table_page(html: str, columns: dict | None = None) -> Markup:
    """Datasette's rendered table page with its interface in French and the columns named
    by their descriptions in db/metadata.yml (`columns`)."""
    text = str(html)
    for english, french in TABLE_PAGE_FR:
        text = text.replace(english, french)
    for pattern, replacement in TABLE_PAGE_RE:
        text = pattern.sub(replacement, text)
    labels = columns or {}

    def sort_option(match: re.Match) -> str:
        name = str(Markup(match["name"]).unescape())
        return f"{match['head']}Trier par {escape(labels.get(name) or name)}</option>"

    text = SORT_OPTION.sub(sort_option, text)

    def described(match: re.Match) -> str:
        words = HUMAN_COLUMN.sub(
            lambda c: c[1] + str(escape(labels[c[2]])) if c[2] in labels else c[0],
            _human(match[2]),
        )
        return match[1] + words + match[3]

    text = HUMAN_DESCRIPTION.sub(described, text)

    def heading(match: re.Match) -> str:
        name = str(Markup(match["name"]).unescape())
        label = labels.get(name)
        return match[0] if not label else match["head"] + str(escape(label))

    return Markup(COLUMN_HEADING.sub(heading, text))


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["veille_fr"] = french_table_page
    env.filters["fr_number"] = french_number


@hookimpl
def extra_css_urls(database):
    return ["/veille-static/veille.css"]


@hookimpl
def extra_template_vars(datasette, database):
    async def crumb_items(request, table=None, database=None):
        # Datasette names the first crumb "home"; its own crumb builder (what the default
        # `crumb_items` template variable calls) gives the rest unchanged.
        items = await datasette._crumb_items(request=request, table=table, database=database)
        return [{**item, "label": "accueil"} if item["label"] == "home" else item for item in items]

    async def param_choices(name: str) -> list[tuple[str, str]] | None:
        """(value, label) pairs for a canned-query parameter, or None for a text box."""
        if database != DATABASE_NAME or name not in CHOICE_SQL:
            return None
        return await _choices(datasette, name)

    return {
        "crumb_items": crumb_items,
        "param_choices": param_choices,
        "checkbox_params": CHECKBOX_PARAMS,
    }


async def _choices(datasette, name: str) -> list[tuple[str, str]] | None:
    db = datasette.get_database(DATABASE_NAME)
    for sql in (CHOICE_SQL[name], CHOICE_FALLBACK_SQL.get(name)):
        if sql is None:
            break
        try:
            rows = await db.execute(sql)
        except (sqlite3.Error, QueryInterrupted):  # a table not there yet: try the fallback
            continue
        values = sorted({str(row[0]) for row in rows if row[0] not in (None, "")}, key=str.lower)
        names = CHOICE_LABELS.get(name, {})
        return [(value, names.get(value, value)) for value in values]
    return None


def register() -> None:
    """Register this module as a Datasette plugin (once per process)."""
    if pm.get_plugin("veille-display") is None:
        pm.register(sys.modules[__name__], name="veille-display")
