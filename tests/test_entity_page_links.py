"""Entity names in the mentions' tables, views and queries link to their entity page
(db/display.py's render_cell); JSON keeps the plain names."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
from helpers_search import datasette_client
from test_dashboard import fill_dashboard_db


@pytest.fixture(scope="module")
def get(tmp_path_factory):
    path = fill_dashboard_db(tmp_path_factory.mktemp("links") / "veille.db")
    with datasette_client(Path(path)) as get:
        yield get


SILICON = '<a href="/-/entite/2">Silicon Comté</a>'


@pytest.mark.parametrize(
    "path",
    [
        "/veille/mention_rows?entity=Silicon+Comt%C3%A9",
        "/veille/mentions_by_month?entity_id=2",
        "/veille/entities?id=2",
        "/veille/co_mentions?entity_a_id=2",
        "/veille/co_mentions?entity_b_id=2",
    ],
)
def test_names_with_their_id_link_to_the_entity_page(get, path):
    page = get(path)
    assert page.status_code == 200
    assert SILICON in page.text


def test_names_without_id_link_through_their_name_and_label(get):
    html = get("/veille/mentions?" + urlencode({"q": "Silicon"})).text
    link = "/-/entite/nom?" + urlencode({"nom": "Silicon Comté", "type": "ORG"})
    assert f'<a href="{link.replace("&", "&amp;")}">Silicon Comté</a>' in html
    found = get(link)
    assert found.status_code == 302 and found.headers["location"] == "/-/entite/2"
    missing = get("/-/entite/nom?" + urlencode({"nom": "Silicon Comté", "type": "PER"}))
    assert missing.status_code == 404


def test_json_keeps_plain_names(get):
    rows = get("/veille/mention_rows.json?_shape=array&entity_id=2").json()
    assert rows and {r["entity"] for r in rows} == {"Silicon Comté"}
