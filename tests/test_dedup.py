"""One story once, whoever republishes it (issue 12).

End to end: three outlets served on 127.0.0.1 (tests/sites/dedup_*): La Voix du Jura
publishes a story; Actu Agrégée's Atom feed links (with utm parameters) a copy of it under
its own headline block, another date line, a "Lire aussi" line and without its lead
paragraph; Le Petit Comtois runs a follow-up a month later that quotes one paragraph. The
copy is crawled first (its outlet alone), then everything: the original must take over the
story, the copy be listed with it, and counts hold the story once. Then the copy is fetched
again. The NLP stage runs on the real model.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers_nlp import session_data_dir, store_articles
from helpers_ops import render_sources

from common.items import Article
from crawler.launch import run_crawl
from crawler.siteserver import SiteServer
from crawler.sources import load_config
from db import article_store as store
from db import story_store
from db.schema import open_db
from nlp.process import process_articles

SITES = Path(__file__).with_name("sites")
NAMES = ("dedup_voix", "dedup_agregat", "dedup_comtois")
VOIX, AGREGAT, COMTOIS = "La Voix du Jura", "Actu Agrégée", "Le Petit Comtois"
ORIGINAL = "/2025/05/laboratoire-donnees-lons.html"
COPY = "/reprises/lons-labo-donnees.html"
FOLLOWUP = "/articles/laboratoire-donnees-premieres-cartes.html"


def rows(db_path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def state(db_path: Path) -> dict:
    """Stories, copies and the mention figures of the story's people."""
    return {
        "articles": rows(db_path, "SELECT id, source, canonical_url FROM articles ORDER BY id"),
        "copies": rows(
            db_path,
            "SELECT article_id, source, url, title, published, length(text) FROM article_copies",
        ),
        "brunner": rows(
            db_path,
            "SELECT e.article_count, (SELECT count(DISTINCT article_id) FROM mentions m "
            "WHERE m.entity_id = e.id), (SELECT sum(articles) FROM entity_months s "
            "WHERE s.entity_id = e.id) FROM entities e WHERE e.name = 'Odile Brunner'",
        ),
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Copy alone first, then all three outlets, then the copy fetched again."""
    tmp = tmp_path_factory.mktemp("dedup")
    db_path = tmp / "veille.db"
    out = {"db": db_path}
    with SiteServer({n: SITES / n for n in NAMES}) as server:
        bases = {n: server.base_url(n) for n in NAMES}
        out["bases"] = bases
        config = load_config(render_sources(SITES / "dedup_sources.toml", bases, tmp / "s.toml"))
        only_copy = config.select([AGREGAT])
        out["copy_run"] = run_crawl(only_copy, db_path, progress=False)
        process_articles(db_path, data_dir=session_data_dir(), progress=False)
        out["copy_first"] = state(db_path)
        out["all"] = run_crawl(config, db_path, progress=False)
        out["before_nlp"] = rows(db_path, "SELECT processed_at FROM articles ORDER BY id")
        process_articles(db_path, data_dir=session_data_dir(), progress=False)
        out["after_all"] = state(db_path)
        # The same copy fetched again: forget that its URLs were seen, crawl its outlet.
        conn = sqlite3.connect(db_path)
        with conn:
            conn.execute("DELETE FROM seen_urls WHERE source = ?", [AGREGAT])
        conn.close()
        out["again"] = run_crawl(only_copy, db_path, progress=False)
        process_articles(db_path, data_dir=session_data_dir(), progress=False)
        out["after_again"] = state(db_path)
    return out


def test_a_copy_stored_in_the_second_the_next_run_starts_keeps_its_earlier_credit(tmp_path):
    # Times are stored to the second: a copy fetched by one run in the second the next run
    # starts looks fetched by the next run. Its fetched_at set ahead of every run makes
    # that certain; the next run never credited the copy's outlet, so it owes it nothing.
    db_path = tmp_path / "veille.db"
    with SiteServer({n: SITES / n for n in NAMES}) as server:
        bases = {n: server.base_url(n) for n in NAMES}
        config = load_config(
            render_sources(SITES / "dedup_sources.toml", bases, tmp_path / "s.toml")
        )
        run_crawl(config.select([AGREGAT]), db_path, progress=False)
        conn = sqlite3.connect(db_path)
        with conn:
            conn.execute("UPDATE articles SET fetched_at = '2999-01-01T00:00:00+00:00'")
        conn.close()
        second = run_crawl(config, db_path, progress=False)
    credit = {name: s.new_articles for name, s in second.per_source.items()}
    assert credit == {AGREGAT: 0, VOIX: 1, COMTOIS: 1}


def test_copy_first_is_the_story_until_its_original_arrives(crawled):
    first = crawled["copy_first"]
    assert [(source, url) for _, source, url in first["articles"]] == [
        (AGREGAT, crawled["bases"]["dedup_agregat"] + COPY)
    ]
    assert first["copies"] == []
    assert first["brunner"] == [(1, 1, 1)]


def test_original_takes_over_the_story_and_the_copy_is_listed(crawled):
    after = crawled["after_all"]
    story_id = crawled["copy_first"]["articles"][0][0]
    bases = crawled["bases"]
    # The story keeps its id, now the first publisher's; the follow-up is its own story.
    assert after["articles"] == [
        (story_id, VOIX, bases["dedup_voix"] + ORIGINAL),
        (story_id + 1, COMTOIS, bases["dedup_comtois"] + FOLLOWUP),
    ]
    ((copy_story, source, url, title, published, length),) = after["copies"]
    assert (copy_story, source) == (story_id, AGREGAT)
    assert url == bases["dedup_agregat"] + COPY  # canonical: utm parameters gone
    assert title.startswith("Jura : Lons se dote")
    assert published.startswith("2025-05-14")
    assert length > 500  # the copy's text is kept, not only its URL
    # Both stories were (re)read by the NLP stage after the swap.
    assert crawled["before_nlp"][0] == (None,)


def test_each_run_credits_the_outlets_whose_articles_it_stored(crawled):
    # The copy's outlet was credited by the run that stored it; the original is new to its
    # outlet when it takes over the story; the copy fetched again is new to nobody.
    credit = {
        key: {name: s.new_articles for name, s in crawled[key].per_source.items()}
        for key in ("copy_run", "all", "again")
    }
    assert credit["copy_run"] == {AGREGAT: 1}
    assert credit["all"] == {AGREGAT: 0, VOIX: 1, COMTOIS: 1}
    assert crawled["all"].new_articles == 2
    assert credit["again"] == {AGREGAT: 0}


def test_mentions_count_the_story_once(crawled):
    # Named in the story (original and copy) and in the follow-up: two stories.
    assert crawled["after_all"]["brunner"] == [(2, 2, 2)]


def test_same_copy_fetched_twice_changes_nothing(crawled):
    again = crawled["again"]
    assert again.status == "completed"
    assert again.new_articles == 0
    assert crawled["after_again"] == crawled["after_all"]


def test_stories_view_and_canned_queries_show_other_outlets(crawled):
    story_id = crawled["copy_first"]["articles"][0][0]
    ((titre, premier, reprises, aussi),) = rows(
        crawled["db"],
        "SELECT titre, premier_media, reprises, aussi_publie_par FROM stories WHERE story_id = ?",
        [story_id],
    )
    assert (premier, reprises, aussi) == (VOIX, 1, AGREGAT)
    assert titre.startswith("Lons-le-Saunier ouvre")


# --- the save path, without a crawl -------------------------------------------------------

TEXT = (
    "Le conseil municipal de Dole a voté mardi la création d'un guichet numérique pour les "
    "associations sportives de la ville, qui pourront y déposer leurs demandes de salles.\n\n"
    "Le service sera ouvert en janvier. Il a été conçu par une entreprise de Tavaux, Logidole, "
    "qui a remporté l'appel d'offres face à deux concurrents lyonnais et un parisien.\n\n"
    "« Nous voulons que les bénévoles passent moins de temps dans les formulaires », explique "
    "l'adjointe aux sports, Irène Vuillemin. Les clubs seront formés en décembre.\n\n"
    "Le coût du projet est de 85 000 euros, financé en partie par le département du Jura."
)


def _article(url: str, source: str, text: str, published: str | None) -> Article:
    return Article(
        url=url,
        canonical_url=url,
        source=source,
        title="Un guichet numérique à Dole",
        text=text,
        published=published,
        fetched_at="2025-11-20T08:00:00+00:00",
    )


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "v.db")
    store_articles(database, [], source="Le Jura sportif")
    store_articles(database, [], source="Dole Hebdo")
    return database


def test_copy_after_original_is_recorded_and_refetching_it_is_idempotent(db):
    run = store.start_run(db)
    original = _article("https://a.test/1", "Le Jura sportif", TEXT, "2025-11-18T09:00:00+01:00")
    copy_text = TEXT.split("\n\n", 1)[1].replace("’", "'") + "\n\nPar Marc Tissot"
    copy = _article("https://b.test/9", "Dole Hebdo", copy_text, "2025-11-19T07:00:00+01:00")
    assert store.save_article(db, original, run) == ("new", 1)
    assert store.save_article(db, copy, run) == ("copy", 1)
    assert store.save_article(db, copy, run) == ("seen", 1)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert db.execute("SELECT source, url FROM article_copies").fetchall() == [
        ("Dole Hebdo", "https://b.test/9")
    ]


def test_undated_copy_yields_to_a_dated_original(db):
    run = store.start_run(db)
    copy = _article("https://b.test/9", "Dole Hebdo", TEXT + "\n\nLire aussi : la suite", None)
    original = _article("https://a.test/1", "Le Jura sportif", TEXT, "2025-11-18T09:00:00+01:00")
    assert store.save_article(db, copy, run) == ("new", 1)
    assert store.save_article(db, original, run) == ("original", 1)
    assert db.execute("SELECT source, canonical_url FROM articles").fetchall() == [
        ("Le Jura sportif", "https://a.test/1")
    ]
    assert db.execute("SELECT source, text LIKE '%Lire aussi%' FROM article_copies").fetchall() == [
        ("Dole Hebdo", 1)
    ]


def test_original_after_its_copy_in_one_run_takes_the_copy_outlets_credit(db):
    # Fetched during the run (fetched_at left to the store: now), unlike _article's.
    copy = _article("https://b.test/9", "Dole Hebdo", TEXT + "\n\nPar Marc Tissot", None)
    original = _article("https://a.test/1", "Le Jura sportif", TEXT, "2025-11-18T09:00:00+01:00")
    copy.fetched_at = original.fetched_at = None
    run = store.start_run(db)
    assert store.save_article(db, copy, run) == ("new", 1)
    assert store.save_article(db, original, run) == ("original", 1)
    finished = store.finish_run(db, run, "completed")
    assert finished["new_articles"] == 1
    assert {name: s["new_articles"] for name, s in finished["per_source"].items()} == {
        "Dole Hebdo": 0,
        "Le Jura sportif": 1,
    }


def test_a_different_story_on_the_same_subject_is_not_a_copy(db):
    run = store.start_run(db)
    other = (
        "À Dole, les clubs sportifs attendent aussi la rénovation du gymnase Pasteur, fermé "
        "depuis l'été pour des infiltrations d'eau dans la toiture.\n\n"
        "Les travaux, estimés à 300 000 euros, commenceront en février. En attendant, les "
        "entraînements de handball et de basket ont lieu dans un collège voisin.\n\n"
        "« Nous perdons des licenciés chaque mois », regrette le président du club de handball, "
        "Gérald Poncet, qui demande un calendrier précis à la mairie."
    )
    a = _article("https://a.test/1", "Le Jura sportif", TEXT, "2025-11-18T09:00:00+01:00")
    b = _article("https://a.test/2", "Le Jura sportif", other, "2025-11-18T10:00:00+01:00")
    assert store.save_article(db, a, run) == ("new", 1)
    assert store.save_article(db, b, run) == ("new", 2)


@pytest.mark.parametrize(
    "text",
    [
        TEXT.split("\n\n", 1)[1],  # lead dropped
        TEXT.rsplit("\n\n", 1)[0] + "\n\n(avec AFP)",  # end dropped, credit added
        TEXT.replace("’", "'").replace("« ", '"').replace(" »", '"').upper(),  # typography
    ],
)
def test_fingerprints_of_copies_match(text):
    score = story_store.containment(story_store.fingerprint(TEXT), story_store.fingerprint(text))
    assert score >= story_store.COPY_THRESHOLD


def test_short_texts_are_never_matched():
    assert story_store.fingerprint("Réservé aux abonnés. Abonnez-vous pour lire la suite.") is None


def test_datasette_mentions_and_stories_show_the_other_outlet(crawled):
    from urllib.parse import urlencode

    from helpers_search import datasette_client

    with datasette_client(crawled["db"]) as get:
        # tous=1: these fixture stories are not about tech; relevance is not what is tested.
        params = {
            "q": "Odile Brunner",
            "since": "",
            "until": "",
            "label": "",
            "source": "",
            "tous": "1",
        }
        response = get("/veille/mentions.json?" + urlencode({**params, "_shape": "array"}))
        assert response.status_code == 200, response.text[:300]
        by_source = {}
        for row in response.json():
            by_source.setdefault(row["source"], set()).add(row["also_published_by"])
        assert by_source == {VOIX: {AGREGAT}, COMTOIS: {""}}
        response = get("/veille/stories.json?_shape=array&_sort_desc=reprises")
        assert response.status_code == 200, response.text[:300]
        first = response.json()[0]
        assert (first["premier_media"], first["reprises"]) == (VOIX, 1)


def test_press_review_lists_the_story_once_with_its_other_outlet(crawled, tmp_path):
    import shutil
    from datetime import date

    from ops.report import build_review, render_markdown

    path = tmp_path / "copy.db"
    shutil.copy(crawled["db"], path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entities SET watchlist = 1 WHERE name = 'Odile Brunner'")
    conn.close()
    review = build_review(path, since=date(2025, 5, 1), today=date(2025, 6, 30), everything=True)
    (section,) = [s for s in review.sections if s.name == "Odile Brunner"]
    assert [(i.source, i.also) for i in section.items] == [(COMTOIS, []), (VOIX, [AGREGAT])]
    text = render_markdown(review)
    assert text.count("Lons-le-Saunier ouvre un laboratoire") == 1
    assert f"aussi publié par {AGREGAT}" in text
    assert "Jura : Lons se dote" not in text


def test_demo_shared_article_is_one_story_under_its_first_publisher(tmp_path):
    """The demo's syndicated article: one story, whichever outlet is crawled first."""
    import json

    from ops.demo import DEMO_DIR, demo_config, demo_sites, fill_bases

    expected = json.loads((DEMO_DIR / "expected.json").read_text(encoding="utf-8"))
    db_path = tmp_path / "demo.db"
    with SiteServer(demo_sites()) as server:
        bases = {name: server.base_url(name) for name in demo_sites()}
        summary = run_crawl(demo_config(bases), db_path, progress=False)
    original = fill_bases(expected["syndicated"]["stored"], bases)
    copy = fill_bases(expected["syndicated"]["copy"], bases)
    assert summary.new_articles == expected["article_count"]
    assert rows(db_path, "SELECT count(*) FROM articles")[0][0] == expected["article_count"]
    (story_id,) = rows(db_path, "SELECT id FROM articles WHERE canonical_url = ?", [original])[0]
    assert rows(db_path, "SELECT url, article_id FROM article_copies") == [(copy, story_id)]
    assert rows(db_path, "SELECT reprises FROM stories WHERE story_id = ?", [story_id]) == [(1,)]
