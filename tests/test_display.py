"""French display in Datasette (db/display.py and db/templates/): dates, numbers, drop-down
lists, empty states, and templates that extend Datasette's instead of copying them.

The pages are read through Datasette's own test client on the hand-filled database of
helpers_search, plus one article of our own dated 18 November 2026.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from helpers_search import SMALL_SOURCES, datasette_client, fill_small_db

from db.display import french_date, french_number, french_table_page, render_cell
from db.schema import open_db
from db.search import canned_queries

REPO = Path(__file__).resolve().parents[1]
NNBSP = "\u202f"  # the narrow no-break space French puts between thousands
NOVEMBER = "2026-11-18T09:00:00+01:00"


@pytest.fixture(scope="module")
def get(tmp_path_factory):
    path = fill_small_db(tmp_path_factory.mktemp("display") / "veille.db")
    db = open_db(path)
    with db.atomic():
        sentence = "La Fabrique Numérique de Lons ouvre ses portes à Besançon."
        db["articles"].insert(
            {
                "id": 99,
                "url": "https://99.example/fabrique",
                "canonical_url": "https://99.example/fabrique",
                "source": SMALL_SOURCES[0][0],
                "title": "La Fabrique Numérique ouvre à Besançon",
                "published": NOVEMBER,
                "lang": "fr",
                "text": sentence,
                "content_hash": "h99",
                "paywalled": 0,
                "fetched_at": "2026-11-18T10:00:00+00:00",
            }
        )
        start = sentence.index("Besançon")
        db["mentions"].insert(
            {
                "entity_id": 1,
                "article_id": 99,
                "text": "Besançon",
                "sentence": sentence,
                "start": start,
                "end": start + len("Besançon"),
            }
        )
    db.conn.close()
    with datasette_client(path) as get:
        yield get


# --- render_cell -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (NOVEMBER, "18 nov. 2026"),
        ("2026-11-18", "18 nov. 2026"),
        ("2026-11-18T08:00:00Z", "18 nov. 2026"),
        ("2026-11-18 08:00:00.123456+00:00", "18 nov. 2026"),
        ("2026-02-01T23:59+01:00", "1 févr. 2026"),
        ("2026-08-15", "15 août 2026"),
        ("2026-11", "nov. 2026"),
    ],
)
def test_iso_dates_read_in_french_inside_a_time_element(value, shown):
    html = str(render_cell(value=value, column="published", database="veille"))
    assert html.startswith(f'<time datetime="{value}"')
    assert html.endswith(f">{shown}</time>")


@pytest.mark.parametrize(
    "value",
    ["Besançon 2026", "2026-02-30", "2026-13", "18/11/2026", "2026-11-18T25:00", "20261118", ""],
)
def test_other_text_is_left_to_datasette(value):
    assert render_cell(value=value, column="title", database="veille") is None


def test_a_date_time_keeps_its_hour_in_the_title():
    assert 'title="18 nov. 2026 à 09:00"' in str(french_date(NOVEMBER))


@pytest.mark.parametrize(
    ("value", "column", "shown"),
    [
        (1234567, "articles", f"1{NNBSP}234{NNBSP}567"),
        (12345, "mentions", f"12{NNBSP}345"),
        (-4500, "delta", f"-4{NNBSP}500"),
        (2800000.5, "amount_eur", f"2{NNBSP}800{NNBSP}000,5"),
        (0.25, "relevance", "0,25"),
    ],
)
def test_numbers_take_french_separators(value, column, shown):
    assert render_cell(value=value, column=column, database="veille") == shown
    assert french_number(value) == shown


@pytest.mark.parametrize(
    ("value", "column"),
    [(12345, "id"), (12345, "entity_id"), (2026, "year"), (999, "articles"), (True, "x")],
)
def test_identifiers_years_and_small_counts_stay_as_they_are(value, column):
    assert render_cell(value=value, column=column, database="veille") is None


def test_other_databases_are_left_alone():
    assert render_cell(value=NOVEMBER, column="published", database="other") is None


# --- canned-query pages ------------------------------------------------------------------


def test_query_page_shows_french_dates_and_exports_keep_iso(get):
    page = get("/veille/mentions?q=Besancon").text
    assert f'<time datetime="{NOVEMBER}" title="18 nov. 2026 à 09:00">18 nov. 2026</time>' in page
    assert NOVEMBER + "</td>" not in page
    rows = get("/veille/mentions.json?" + urlencode({"q": "Besancon", "_shape": "array"})).json()
    assert NOVEMBER in [row["published"] for row in rows]
    exported = get("/veille/mentions.csv?" + urlencode({"q": "Besancon"})).text
    published = [row["published"] for row in csv.DictReader(io.StringIO(exported))]
    assert NOVEMBER in published and all("nov." not in p for p in published)


def _select(page: str, name: str) -> str | None:
    match = re.search(rf'<select id="qp\d+" name="{name}">(.*?)</select>', page, re.S)
    return match[1] if match else None


def _options(select: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def test_type_and_media_are_drop_down_lists_filled_from_the_data(get):
    page = get("/veille/mentions?q=&label=PER").text
    labels = _select(page, "label")
    assert labels is not None, "the entity type should be a drop-down list"
    assert _options(labels) == [
        ("", "— tous —"),
        ("LOC", "Lieux (LOC)"),
        ("ORG", "Organisations (ORG)"),
        ("PER", "Personnes (PER)"),
    ]
    assert '<option value="PER" selected>' in labels
    outlets = _select(page, "source")
    assert outlets is not None, "the outlet should be a drop-down list"
    shown = {value.replace("&#39;", "'") for value, _ in _options(outlets)} - {""}
    assert shown == {name for name, _ in SMALL_SOURCES}
    # A free-text parameter stays a text box, the yes/no one a tick box.
    assert re.search(r'<input type="search" id="qp1" name="q"', page)
    assert re.search(r'<input type="checkbox" id="qp\d+" name="tous" value="1">', page)


def test_a_value_not_in_the_list_stays_selected(get):
    page = get("/veille/mentions?q=&source=Journal+Inconnu").text
    assert '<option value="Journal Inconnu" selected>' in _select(page, "source")


def test_a_drop_down_filter_filters(get):
    rows = get("/veille/mentions.json?q=&label=PER&_shape=array").json()
    assert rows and {row["label"] for row in rows} == {"PER"}


def test_the_region_list_holds_the_outlets_regions(get):
    # The hand-filled database has no deal: the régions are the outlets'.
    page = get("/veille/deals").text
    regions = _select(page, "region")
    assert regions is not None
    assert {label for _, label in _options(regions)} - {"— tous —"} == {
        region for _, region in SMALL_SOURCES
    }


def test_an_empty_result_says_what_to_do(get):
    page = get("/veille/mentions?q=Personne+Inconnue").text
    assert "Aucun résultat" in page
    assert canned_queries()["mentions"]["empty_fr"][:60] in page


def test_an_empty_form_asks_to_fill_it(get):
    page = get("/veille/entity").text
    assert "Remplissez au moins un champ" in page


def test_every_canned_query_has_an_empty_state():
    for name, query in canned_queries().items():
        assert query.get("empty_fr"), f"db/metadata.yml: query {name} has no empty_fr"


# --- table pages and templates -----------------------------------------------------------


def test_table_page_is_datasettes_own_in_french(get):
    page = get("/veille/mention_rows?_facet=source&_facet=month").text
    for text in ("Rechercher :", 'value="Appliquer"', "Exporter :", ">accueil</a>", "Réalisé avec"):
        assert text in page
    for english in ('value="Apply"', "This data as", "Powered by", ">home</a>", "(view)"):
        assert english not in page
    # Column headings and facet titles are the descriptions of db/metadata.yml.
    assert re.search(r'data-column="region"[^>]*>\s*<a [^>]*>Région du média</a>', page)
    assert re.search(r'data-column="source">\s*<p class="facet-info-name">\s*<strong>Média', page)
    assert '<td class="col-month type-str"><time datetime="2026-11">nov. 2026</time>' in page
    assert '<time datetime="2026-11">nov. 2026</time></a> 1</li>' in page  # the month facet


def test_row_and_database_pages_are_datasettes_own_in_french(get):
    row = get("/veille/entities/1").text
    assert "<p>Exporter : " in row and "Lignes d’autres tables qui y renvoient" in row
    assert re.search(r"\d+ lignes?</a>\s*de mentions \(colonne entity_id\)", row)
    assert re.search(r'data-column="name"[^>]*>\s*Nom\s*</th>', row)  # metadata.yml's label
    database = get("/veille").text
    assert '<h2 id="queries">Requêtes prêtes</h2>' in database and "Réalisé avec" in database
    assert re.search(r"<p>\d+ lignes?</p>", database) and " rows</p>" not in database


def test_the_translation_never_touches_escaped_data():
    # A cell reading `value="Apply"` reaches the page escaped, so it is not Datasette's button.
    html = '<td>value=&#34;Apply&#34; Search:</td><input type="submit" value="Apply">'
    assert str(french_table_page(html)) == (
        '<td>value=&#34;Apply&#34; Search:</td><input type="submit" value="Appliquer">'
    )
    # Column names are replaced by their labels in headings, never in the data.
    cell = '<td class="col-sentence">triées par source où source et source</td>'
    assert str(french_table_page(cell, {"source": "Média"})) == cell


def test_filters_and_sort_order_are_described_in_french(get):
    page = get("/veille/mention_rows?label=ORG").text
    assert re.search(
        r"<h3>\d+ lignes?\s+où Type \(ORG, PER, LOC\) = &#34;ORG&#34; triées par N° \(décroissant\)",
        page,
    )


def test_templates_extend_datasettes_instead_of_copying_them():
    templates = REPO / "db" / "templates"
    for forked in ("_crumbs.html", "_facet_results.html", "_footer.html", "_table.html"):
        assert not (templates / forked).exists()
    for name in ("index.html", "table.html", "row.html", "database.html", "query-veille.html"):
        text = (templates / name).read_text()
        assert re.search(r'{% extends "default:[a-z]+\.html" %}', text), name


def test_home_page_extends_datasettes_and_is_french(get):
    page = get("/").text
    assert "Chercher un nom" in page and "Réalisé avec" in page and "Powered by" not in page
    assert "/veille-static/veille.css" in page
