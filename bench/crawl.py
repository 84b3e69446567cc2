"""Crawl benchmark: a generated 2,000-article site on 127.0.0.1, politeness delays off.

Prints, beside two references measured in the same run (plain HTTP GETs of the same article
pages over two connections, the crawler's per-host limit, with no parsing or storing; and
crawler.extract alone on the same pages read from disk): pages/s of a first crawl, the
articles and copies it stored (each generated story is its own: the near-duplicate detector
must fold none), then the time and request count of an unchanged re-crawl.
robots.txt is still obeyed and the user agent still sent.

    .venv/bin/python bench/crawl.py [--articles 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.launch import run_crawl  # noqa: E402
from crawler.siteserver import SiteServer  # noqa: E402
from crawler.sources import load_config  # noqa: E402

USER_AGENT = "veille-bench/0.1 (+mailto:bench@example.org)"
PER_LISTING = 20
LISTING_DEPTH = 3

SYLLABLES = [
    "va",
    "lo",
    "ri",
    "tek",
    "sol",
    "mar",
    "ny",
    "zen",
    "qua",
    "bel",
    "dor",
    "fi",
    "ka",
    "lum",
    "op",
    "tri",
    "vel",
    "xo",
    "mi",
    "nor",
    "sa",
    "ger",
    "pla",
    "ton",
    "ur",
    "dex",
]
FIRST_NAMES = [
    "Camille",
    "Julien",
    "Sandrine",
    "Mathis",
    "Élodie",
    "Bastien",
    "Nadia",
    "Florent",
    "Agathe",
    "Yannick",
    "Coralie",
    "Théo",
    "Maëlle",
    "Grégoire",
    "Inès",
    "Rodolphe",
    "Solène",
    "Karim",
    "Léonie",
    "Arnaud",
    "Pauline",
    "Benoît",
    "Lina",
    "Cyril",
]
LAST_NAMES = [
    "Durand",
    "Vuillemin",
    "Cuenot",
    "Pernet",
    "Jeannin",
    "Bourgeois",
    "Faivre",
    "Tissot",
    "Grosjean",
    "Mougin",
    "Girardot",
    "Bouveret",
    "Monnier",
    "Cattin",
    "Perrot",
    "Maire",
    "Bailly",
    "Roussel",
    "Vernier",
    "Lambert",
    "Chopard",
    "Marchand",
    "Guyon",
    "Pillot",
]
KINDS = [
    "La start-up",
    "L'entreprise",
    "La société",
    "Le cabinet",
    "L'atelier",
    "Le studio",
    "La coopérative",
    "Le bureau d'études",
    "La jeune pousse",
    "Le laboratoire",
    "L'éditeur",
    "La fonderie",
    "Le fabricant",
    "L'agence",
    "La scierie",
    "Le club",
]
ROLES = [
    "directrice",
    "fondateur",
    "président",
    "responsable technique",
    "cheffe de projet",
    "gérant",
    "ingénieure",
    "associé",
    "porte-parole",
    "trésorière",
    "chargé d'affaires",
    "déléguée régionale",
    "conseiller",
    "administratrice",
    "animateur",
    "comptable",
]
VERBS = [
    "annonce",
    "prépare",
    "inaugure",
    "finance",
    "présente",
    "accompagne",
    "lance",
    "soutient",
    "teste",
    "déploie",
    "livre",
    "rachète",
    "modernise",
    "relocalise",
    "ouvre",
    "agrandit",
    "reporte",
    "abandonne",
    "confie",
    "imagine",
]
THINGS = [
    "logiciel",
    "capteur",
    "prototype",
    "entrepôt",
    "atelier",
    "serveur",
    "drone",
    "robot",
    "chantier",
    "comptoir",
    "saloir",
    "vignoble",
    "tramway",
    "parking",
    "séchoir",
    "gymnase",
    "moulin",
    "verger",
    "rucher",
    "four",
    "pressoir",
    "hangar",
    "kiosque",
    "silo",
]
QUALITIES = [
    "connecté",
    "solaire",
    "modulaire",
    "mobile",
    "partagé",
    "autonome",
    "rénové",
    "géant",
    "silencieux",
    "collectif",
    "expérimental",
    "provisoire",
    "municipal",
    "numérique",
    "itinérant",
    "isolé",
    "pilote",
    "compact",
]
UNITS = [
    "clients",
    "salariés",
    "communes",
    "élèves",
    "exploitations",
    "bénévoles",
    "abonnés",
    "adhérents",
    "visiteurs",
    "mètres carrés",
    "tonnes",
    "kilomètres",
    "logements",
    "lits",
]
TOWNS = [
    "Besançon",
    "Dijon",
    "Belfort",
    "Dole",
    "Vesoul",
    "Montbéliard",
    "Auxerre",
    "Pontarlier",
    "Lons-le-Saunier",
    "Morteau",
    "Gray",
    "Nevers",
    "Chalon-sur-Saône",
    "Mâcon",
    "Beaune",
    "Audincourt",
    "Héricourt",
    "Ornans",
    "Baume-les-Dames",
    "Saint-Claude",
    "Champagnole",
]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def sentence(rng: random.Random) -> str:
    """One sentence whose every run of three words likely holds a drawn name or number.

    Slots are short and drawn from long lists, with a made-up company name, a person or a
    number in each sentence: the generated articles must stay different stories for the
    near-duplicate detector (db/story_store.py), as real articles are.
    """
    kind, name = rng.choice(KINDS), _name(rng)
    company = f"{kind} {name}"
    thing = f"{rng.choice(THINGS)} {rng.choice(QUALITIES)}"
    count = f"{rng.randint(2, 950)} {rng.choice(UNITS)}"
    town = rng.choice(TOWNS)
    when = f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"
    templates = [
        f"{company} {rng.choice(VERBS)} un {thing} à {town} pour {count}.",
        f"Selon {_person(rng)}, {rng.choice(ROLES)}, le {thing} servira {count} dès le {when}.",
        f"À {town}, {kind[0].lower()}{kind[1:]} {name} {rng.choice(VERBS)} son {thing} le {when}.",
        f"Le {thing} de {_name(rng)} compte déjà {count}, précise {_person(rng)}.",
        f"{_person(rng)} {rng.choice(VERBS)} à {town} un {thing} évalué à "
        f"{rng.randint(3, 900)} 000 euros.",
        f"Depuis le {when}, {count} utilisent le {thing} de {town}.",
    ]
    return rng.choice(templates)


def generate(root: Path, count: int, seed: int = 7) -> None:
    """Write a site of `count` articles with a sitemap and paginated listings."""
    rng = random.Random(seed)
    (root / "articles").mkdir(parents=True)
    (root / "rubrique").mkdir()
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n")
    locs = []
    titles = []
    for n in range(count):
        title = f"{sentence(rng)[:-1]} (n° {n})"
        titles.append(title)
        paras = "".join(
            "<p>" + " ".join(sentence(rng) for _ in range(4)) + "</p>" for _ in range(5)
        )
        day = 1 + n % 28
        (root / "articles" / f"{n}.html").write_text(
            "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
            f"<title>{title}</title>"
            f"<meta property='article:published_time' content='2024-03-{day:02d}T08:00:00+01:00'>"
            "</head><body><nav><a href='/'>Accueil</a> <a href='/rubrique/'>Économie</a></nav>"
            f"<article><h1>{title}</h1><p class='auteur'>Par Camille Durand</p>{paras}</article>"
            "<footer>© Journal fictif du banc d'essai</footer></body></html>",
            encoding="utf-8",
        )
        locs.append(f"<url><loc>{{{{base}}}}/articles/{n}.html</loc></url>")
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(locs) + "</urlset>"
    )
    pages = (count + PER_LISTING - 1) // PER_LISTING
    for page in range(1, pages + 1):
        first = (page - 1) * PER_LISTING
        links = "".join(
            f"<li><a href='/articles/{n}.html'>{titles[n]}</a></li>"
            for n in range(first, min(first + PER_LISTING, count))
        )
        nxt = (
            f"<a rel='next' href='/rubrique/{page + 1}.html'>Suivant ›</a>" if page < pages else ""
        )
        html = (
            "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Économie</title>"
            f"</head><body><h1>Économie, page {page}</h1><ul>{links}</ul>{nxt}</body></html>"
        )
        target = root / "rubrique" / ("index.html" if page == 1 else f"{page}.html")
        target.write_text(html, encoding="utf-8")


def baseline(base: str, count: int) -> float:
    """Seconds to GET every article page over 2 connections, no parsing or storing."""

    def get(n: int) -> int:
        request = urllib.request.Request(
            f"{base}/articles/{n}.html", headers={"User-Agent": USER_AGENT}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return len(response.read())

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(get, range(count)))
    return time.perf_counter() - started


def extract_only(site: Path, count: int) -> float:
    """Seconds for crawler.extract alone on the same pages, read from disk, in this process."""
    from crawler.extract import extract

    pages = [(site / "articles" / f"{n}.html").read_bytes() for n in range(count)]
    started = time.perf_counter()
    for n, body in enumerate(pages):
        extract(
            body, f"http://127.0.0.1/articles/{n}.html", content_type="text/html; charset=utf-8"
        )
    return time.perf_counter() - started


def _stored(db_path: Path) -> tuple[int, int]:
    """(articles, article_copies) rows in the benchmark's database."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("articles", "article_copies")
        )
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the site and database in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="veille-bench-crawl-"))
    work.mkdir(parents=True, exist_ok=True)
    site = work / "site"
    if not site.exists():
        generate(site, args.articles)
    db_path = work / "bench.db"
    for old in work.glob("bench.*"):
        old.unlink()
    with SiteServer({"banc": site}) as server:
        base = server.base_url("banc")
        sources = work / "sources.toml"
        sources.write_text(
            f'[crawl]\nuser_agent = "{USER_AGENT}"\ndownload_delay = 0\n'
            f"autothrottle_start_delay = 0\nlisting_depth = {LISTING_DEPTH}\n"
            # The whole site in one crawl: the benchmark measures speed, not max_new.
            f"max_new = {args.articles}\n\n"
            f'[[sources]]\nname = "Banc d\'essai"\nhomepage = "{base}/"\n'
            f'sitemaps = ["{base}/sitemap.xml"]\nlistings = ["{base}/rubrique/"]\n',
            encoding="utf-8",
        )
        config = load_config(sources)

        plain = baseline(base, args.articles)
        alone = extract_only(site, args.articles)
        server.clear_log()
        started = time.perf_counter()
        first = run_crawl(config, db_path, progress=False)
        first_time = time.perf_counter() - started
        first_requests = len(server.requests())

        server.clear_log()
        started = time.perf_counter()
        second = run_crawl(config, db_path, progress=False)
        second_time = time.perf_counter() - started
        second_requests = server.requests()

    print(f"\nveille crawl benchmark — {args.articles} generated articles on 127.0.0.1")
    print(f"{'':34}{'seconds':>10}{'pages':>8}{'pages/s':>10}")
    print(
        f"{'baseline: plain GETs, 2 conns':34}{plain:10.1f}{args.articles:8}{args.articles / plain:10.1f}"
    )
    print(
        f"{'reference: extract() alone':34}{alone:10.1f}{args.articles:8}"
        f"{args.articles / alone:10.1f}"
    )
    print(
        f"{'veille crawl (child, store)':34}{first_time:10.1f}{first.pages:8}"
        f"{first.pages / first_time:10.1f}"
    )
    print(
        f"  first crawl: {first.new_articles} new articles, {first.errors} errors, "
        f"{first_requests} requests (robots.txt included); status {first.status}"
    )
    stored, copies = _stored(db_path)
    print(
        f"  stored: {stored} articles, {copies} copies "
        f"(every generated story differs: expected {args.articles} and 0)"
    )
    article_hits = sum(r.path.startswith("/articles/") for r in second_requests)
    print(
        f"unchanged re-crawl: {second_time:.1f} s, {len(second_requests)} requests "
        f"({article_hits} article pages), {second.new_articles} new articles; "
        f"status {second.status}"
    )
    print(f"(site and database in {work})")


if __name__ == "__main__":
    main()
