"""NLP speed: `veille process` against bare `nlp.pipe` (tok2vec + ner only), same texts, same run.

veille's figure is the real processing path: a temporary SQLite file of N stored articles,
`process_articles` reading them, analysing them (normalisation, rulers, NER, corrections,
clean-up, canonical names, quotes) and writing entities, mentions and quotes. The model is
loaded before timing on both sides. Target: veille >= 0.8 x bare.

Texts: generated French regional tech-news articles (seeded, fictional names), or the
articles of an existing database with --from-db (e.g. the demo's).

Usage: python bench/nlp_speed.py [-n 400] [--rounds 3] [--from-db veille.db] [--model ...]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common.clock import now_iso  # noqa: E402
from db import article_store  # noqa: E402
from db.schema import open_db  # noqa: E402
from nlp.analyse import get_analyzer  # noqa: E402
from nlp.model import DEFAULT_MODEL, load_model  # noqa: E402
from nlp.process import process_articles  # noqa: E402

FIRST = ["Claire", "Julien", "Amélie", "Thomas", "Nadia", "Paul", "Sophie", "Karim", "Élodie"]
LAST = ["Vasseur", "Girard", "Renaud", "Oudin", "Marchetti", "Lefort", "Brenas", "Caillet"]
COMPANIES = ["Kalistène", "Numelec", "Ovalto", "Data Comté", "Hydrolia", "Sylvatech", "Lumen"]
PLACES = [
    "Besançon",
    "Dijon",
    "Dole",
    "Belfort",
    "Montbéliard",
    "Vesoul",
    "Auxerre",
    "Chalon-sur-Saône",
]
BODIES = [
    "Bpifrance",
    "la French Tech Bourgogne-Franche-Comté",
    "l’Agence régionale de l’innovation",
    "la CCI du Doubs",
    "l’Université de Franche-Comté",
    "la Région Bourgogne-Franche-Comté",
]
SENTENCES = [
    "La start-up {c}, installée à {p}, lève {n} millions d’euros auprès de {b}.",
    "« Nous allons recruter {n} ingénieurs d’ici l’été », explique {f} {l}, sa fondatrice.",
    "Selon {f} {l}, directeur de {b}, le secteur numérique a créé {n} emplois à {p} cette année.",
    "{f} {l} a déclaré que la société {c} ouvrirait un second site près de {p}.",
    "Le maire de {p} a inauguré mardi les nouveaux locaux de {c} en présence de {b}.",
    "L’association Silicon Comté réunira ses {n} adhérents le mois prochain à {p}.",
    "« C’est une très bonne nouvelle pour l’emploi local », confie {l}.",
    "Les entreprises du territoire misent sur la formation et sur les partenariats avec les laboratoires.",
    "{c} SAS a signé un contrat avec un industriel de {p} pour {n} ans.",
    "La société {c} développe des capteurs pour l’industrie et emploie {n} personnes.",
]


def generated_texts(count: int, seed: int = 7) -> list[str]:
    """Seeded French articles of 3-5 paragraphs about fictional regional companies."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        paragraphs = []
        for _ in range(rng.randint(3, 5)):
            sentences = []
            for _ in range(rng.randint(2, 4)):
                template = rng.choice(SENTENCES)
                sentences.append(
                    template.format(
                        c=rng.choice(COMPANIES),
                        p=rng.choice(PLACES),
                        b=rng.choice(BODIES),
                        f=rng.choice(FIRST),
                        l=rng.choice(LAST),
                        n=rng.randint(2, 40),
                    )
                )
            paragraphs.append(" ".join(sentences))
        texts.append("\n".join(paragraphs))
    return texts


def texts_from_db(path: str, limit: int) -> list[str]:
    """Article texts of an existing veille database (read-only)."""
    db = open_db(path, readonly=True)
    try:
        rows = db.execute("SELECT text FROM articles ORDER BY id LIMIT ?", [limit]).fetchall()
    finally:
        db.conn.close()
    return [row[0] or "" for row in rows]


def temp_db(folder: Path, texts: list[str]) -> Path:
    """A veille database holding `texts` as stored articles."""
    path = folder / "bench.db"
    db = open_db(path)
    db["sources"].insert({"name": "bench", "region": "Bourgogne-Franche-Comté"}, pk="name")
    run = article_store.start_run(db, ["bench"])
    # Rows written as they are: generated texts are often near-copies of each other, which
    # the save path would store as one story (issue 12); this bench times NLP on all of them.
    stamp = now_iso()
    db["articles"].insert_all(
        {
            "url": f"https://bench.exemple.test/{i}.html",
            "canonical_url": f"https://bench.exemple.test/{i}.html",
            "source": "bench",
            "text": text,
            "content_hash": article_store.content_hash(text),
            "fetched_at": stamp,
        }
        for i, text in enumerate(texts)
    )
    article_store.finish_run(db, run, "completed")
    db.conn.close()
    return path


def main() -> None:
    """Time both sides and print articles/s, tokens/s and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=400, help="Number of articles.")
    parser.add_argument("--from-db", default=None, help="Take article texts from this database.")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--rounds", type=int, default=3, help="Alternating timed rounds.")
    args = parser.parse_args()

    if args.from_db:
        # A small database (the demo's 29 articles) is cycled through to reach N articles.
        stored = texts_from_db(args.from_db, args.n)
        texts = [stored[i % len(stored)] for i in range(args.n)] if stored else []
    else:
        texts = generated_texts(args.n)
    # Articles made of the same sentences can be stored once as copies: make each unique.
    texts = [f"{t}\n\nRéf. {i}." for i, t in enumerate(texts)]
    chars = sum(len(t) for t in texts)
    print(f"{len(texts)} articles, {chars} characters, model {args.model}")

    bare = load_model(args.model)
    analyzer = get_analyzer(args.model)
    warm = texts[:20]
    with bare.select_pipes(enable=["tok2vec", "ner"]):
        list(bare.pipe(warm))
    list(analyzer.analyse(warm))

    # Rounds alternate the two sides and the best time of each is kept, so a burst of load
    # from another program on the machine does not decide the ratio.
    bare_times, veille_times = [], []
    tokens = 0
    with tempfile.TemporaryDirectory() as folder:
        template = temp_db(Path(folder), texts)
        for round_number in range(args.rounds):
            with bare.select_pipes(enable=["tok2vec", "ner"]):
                started = time.perf_counter()
                tokens = sum(len(doc) for doc in bare.pipe(texts, batch_size=64))
                bare_times.append(time.perf_counter() - started)
            path = Path(folder) / f"round{round_number}.db"
            shutil.copy(template, path)
            started = time.perf_counter()
            summary = process_articles(path, model=args.model, progress=False)
            veille_times.append(time.perf_counter() - started)
            assert summary.articles == len(texts), summary.describe()
    bare_seconds, veille_seconds = min(bare_times), min(veille_times)
    print(
        f"rounds: bare {', '.join(f'{t:.2f}' for t in bare_times)} s; "
        f"veille {', '.join(f'{t:.2f}' for t in veille_times)} s (best of each below)"
    )

    print(f"{'':28} {'articles/s':>11} {'tokens/s':>10} {'seconds':>8}")
    for name, seconds in (
        ("bare nlp.pipe (tok2vec+ner)", bare_seconds),
        ("veille process (DB to DB)", veille_seconds),
    ):
        print(f"{name:28} {len(texts) / seconds:11.1f} {tokens / seconds:10.0f} {seconds:8.2f}")
    print(f"veille / bare: {bare_seconds / veille_seconds:.2f} (target >= 0.80)")
    print(f"veille stored: {summary.describe()}")


if __name__ == "__main__":
    main()
