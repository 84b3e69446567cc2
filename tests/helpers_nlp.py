"""Shared bits of the nlp tests: a small data folder and fictional French articles."""

from __future__ import annotations

import shutil
import tempfile
from functools import cache
from pathlib import Path

from common.items import Article
from db import article_store
from nlp.resources import DATA_DIR

PLACES = """name,kind,region,department_code,aliases
Bourgogne-Franche-Comté,region,Bourgogne-Franche-Comté,,BFC
Franche-Comté,former_region,Bourgogne-Franche-Comté,,
Doubs,departement,Bourgogne-Franche-Comté,25,
Côte-d'Or,departement,Bourgogne-Franche-Comté,21,
Besançon,commune,Bourgogne-Franche-Comté,25,
Dijon,commune,Bourgogne-Franche-Comté,21,
Laval,commune,Pays de la Loire,53,
Clermont-Ferrand,commune,Auvergne-Rhône-Alpes,63,
Saint-Étienne,commune,Auvergne-Rhône-Alpes,42,
"""

WATCHLIST = """
[[entities]]
name = "Bpifrance"
label = "ORG"
aliases = ["BPI France", "Banque publique d'investissement"]
url = "https://www.bpifrance.fr"

[[entities]]
name = "La French Tech"
label = "ORG"
aliases = ["French Tech", "Mission French Tech"]
note = "Mission French Tech"

[[entities]]
name = "Silicon Comté"
label = "ORG"
aliases = ["Association Silicon Comté"]
"""

# Fictional articles (people, companies and the association are invented).
ARTICLES = [
    (
        "L’association Silicon Comté a réuni lundi à Besançon une centaine d’adhérents. "
        "Jean-Pierre Brenas, son président, a présenté le programme de l’année.\n\n"
        "« Nous voulons doubler le nombre de start-up accompagnées d’ici deux ans », "
        "explique Brenas. Selon Amélie Renaud, directrice de l’Agence régionale de "
        "l’innovation (ARI), les demandes ont augmenté de 30 % cette année. L’ARI financera "
        "quatre projets avec BPI France.\n\nPartager\nImprimer"
    ),
    (
        "La start-up Kalistène, installée à Dijon, lève deux millions d’euros auprès de "
        "Bpifrance et de la FrenchTech. Sa fondatrice, Claire Vasseur, a déclaré que "
        "l’entreprise recruterait quinze ingénieurs.\n"
        "Vasseur explique : « Nos clients sont des PME industrielles de la région. »"
    ),
    (
        "Verdict : la société Numelec SAS ouvre un site à Clermont-Ferrand.\n"
        "Voilà qui réjouit Marc Oudin, maire de la commune voisine. « C’est une très bonne "
        "nouvelle pour l’emploi local », confie-t-il."
    ),
]


def data_dir(tmp_path: Path, places: str = PLACES, watchlist: str = WATCHLIST) -> Path:
    """A data folder with our own places and watchlist and the shipped patterns."""
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / "places.csv").write_text(places, encoding="utf-8")
    (folder / "watchlist.toml").write_text(watchlist, encoding="utf-8")
    for name in (
        "patterns.jsonl",
        "org_phrases.toml",
        "demonyms.txt",
        "furniture.toml",
        "not_names.txt",
    ):
        shutil.copy(DATA_DIR / name, folder / name)
    return folder


def store_articles(db, texts: list[str], source: str = "Le Comtois numérique") -> list[int]:
    """Store texts as articles with db/article_store.py, as a crawl does; return their ids."""
    db["sources"].insert(
        {"name": source, "region": "Bourgogne-Franche-Comté"}, pk="name", replace=True
    )
    run = article_store.start_run(db, [source])
    ids = []
    for i, text in enumerate(texts):
        url = f"https://comtois.exemple.test/2024/03/article-{i}.html"
        article = Article(
            url=url,
            canonical_url=url,
            source=source,
            title=f"Article {i}",
            text=text,
            published=f"2024-03-{i + 1:02d}T09:00:00+01:00",
            fetched_at="2024-03-20T08:00:00+00:00",
        )
        status, article_id = article_store.save_article(db, article, run)
        assert status == "new"
        ids.append(article_id)
    article_store.finish_run(db, run, "completed")
    return ids


@cache
def session_data_dir() -> Path:
    """One data folder for every model test of the session, so the model loads once."""
    return data_dir(Path(tempfile.mkdtemp(prefix="veille-nlp-")))
