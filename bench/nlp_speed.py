"""NLP speed: `veille process` against bare `nlp.pipe` (tok2vec + ner only), same texts, same run.

veille's figure is the real processing path: a temporary SQLite file of N stored articles,
`process_articles` reading them, analysing them (normalisation, rulers, NER, corrections,
clean-up, canonical names, quotes), reading deals and writing entities, mentions, quotes,
topics and deals. The model is loaded before timing on both sides. Target: veille >= 0.8 x
bare, in wall time.

On a machine with two CPUs or more, `process_articles` analyses in a forked process while
this one reads the deals and writes (nlp/process.py), so its wall time can use two cores
where bare `nlp.pipe` uses one: the CPU seconds veille spends in all (this process and
the analysis process) are printed beside, with bare's.

Texts: generated French regional tech-news articles (seeded, fictional names), or the
articles of an existing database with --from-db (e.g. the demo's).

With --big-store, it also times the same N new articles into an empty store and into the
100,000-article, 2,000,000-mention store of bench/search.py (generated if missing, about two
minutes, or the file given), a fresh copy each round, the store's most frequent entities
renamed to the names the new articles use, so that each batch adds to entities with tens of
thousands of articles. Target (issue 16): no more than 1.2x the time into the empty store.

Usage: python bench/nlp_speed.py [-n 400] [--rounds 3] [--from-db veille.db] [--model ...]
       [--big-store [PATH]]
       python bench/nlp_speed.py --workers 2 -n 1200 --rounds 1

With --workers N it times `veille process --workers N` against one worker instead (issue 16:
two workers must give >= 1.5x on 1,200 articles on an idle 2-core machine, or the option goes).
One worker already analyses in a process of its own beside the deals and writes on two CPUs,
so that ratio now compares N workers with a one-worker run that uses two cores too.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
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
    add_articles(path, texts)
    return path


def add_articles(path: Path, texts: list[str]) -> None:
    """Store `texts` as new articles of the outlet "bench" in the database at `path`."""
    db = open_db(path)
    db["sources"].insert(
        {"name": "bench", "region": "Bourgogne-Franche-Comté"}, pk="name", replace=True
    )
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


def prepare_store(path: Path, model: str) -> None:
    """Mark the store's articles processed by this version and give its most frequent
    entities the names the generated articles use."""
    from nlp.keys import entity_key
    from nlp.model import nlp_version
    from nlp.resources import resolve_data_dir

    names = [(p, "LOC") for p in PLACES] + [(c, "ORG") for c in COMPANIES]
    names += [(f"{f} {last}", "PER") for f in FIRST for last in LAST]
    db = open_db(path)
    with db.atomic():
        db.execute(
            "UPDATE articles SET processed_at = ?, nlp_version = ?",
            [now_iso(), nlp_version(model, str(resolve_data_dir(None)))],
        )
        ids = [r[0] for r in db.execute("SELECT id FROM entities ORDER BY article_count DESC")]
        for entity_id, (name, label) in zip(ids, names, strict=False):
            db.execute(
                "UPDATE entities SET name = ?, label = ?, key = ? WHERE id = ?",
                [name, label, entity_key(name), entity_id],
            )
    db.conn.close()


def big_store(path_given: str) -> Path:
    """The 100,000-article database of bench/search.py (built when missing)."""
    if path_given:
        return Path(path_given)
    sys.path.insert(0, str(REPO / "bench"))
    import search  # bench/search.py

    articles, mentions, entities = search.SCALES["100k"]
    path = search.OUT / f"search-v4-{articles}-{mentions}-{entities}.db"
    if not path.exists():
        search.OUT.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        search.build(path, articles, mentions, entities)
        print(f"generated {path} in {time.perf_counter() - started:.0f} s")
    return path


def time_into(
    store: Path | None, texts: list[str], folder: Path, model: str, verify: bool = False
) -> float:
    """Seconds `process_articles` takes on `texts` added to a copy of `store` (None: empty);
    with `verify`, then recount the kept counts (db/counts.py) and say whether they match."""
    path = folder / "into.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if store is not None:
        shutil.copy(store, path)
        prepare_store(path, model)
    add_articles(path, texts)
    started = time.perf_counter()
    summary = process_articles(path, model=model, progress=False)
    seconds = time.perf_counter() - started
    assert summary.articles == len(texts), summary.describe()
    if verify:
        from db import counts

        db = open_db(path)
        differences = counts.check(db)
        db.conn.close()
        print(
            "kept counts after the batches: "
            + ("match a recount" if not differences else "DIFFER from a recount")
        )
        for difference in differences:
            print(difference.describe())
    return seconds


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended (the analysis
    process of `process_articles` ends with the run)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main() -> None:
    """Time both sides and print articles/s, tokens/s and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=400, help="Number of articles.")
    parser.add_argument("--from-db", default=None, help="Take article texts from this database.")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--rounds", type=int, default=3, help="Alternating timed rounds.")
    parser.add_argument(
        "--big-store",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="Also time the articles into bench/search.py's 100,000-article store.",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="Compare N workers with one instead of bare."
    )
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

    if args.workers:
        compare_workers(texts, args)
        return
    bare = load_model(args.model)
    analyzer = get_analyzer(args.model)
    warm = texts[:20]
    with bare.select_pipes(enable=["tok2vec", "ner"]):
        list(bare.pipe(warm))
    list(analyzer.analyse(warm))

    # Rounds alternate the two sides and the best time of each is kept, so a burst of load
    # from another program on the machine does not decide the ratio.
    bare_times, veille_times, bare_cpu, veille_cpu = [], [], [], []
    tokens = 0
    with tempfile.TemporaryDirectory() as folder:
        template = temp_db(Path(folder), texts)
        for round_number in range(args.rounds):
            with bare.select_pipes(enable=["tok2vec", "ner"]):
                started, cpu = time.perf_counter(), cpu_seconds()
                tokens = sum(len(doc) for doc in bare.pipe(texts, batch_size=64))
                bare_times.append(time.perf_counter() - started)
                bare_cpu.append(cpu_seconds() - cpu)
            path = Path(folder) / f"round{round_number}.db"
            shutil.copy(template, path)
            started, cpu = time.perf_counter(), cpu_seconds()
            summary = process_articles(path, model=args.model, progress=False)
            veille_times.append(time.perf_counter() - started)
            veille_cpu.append(cpu_seconds() - cpu)
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
    best_bare, best_veille = bare_times.index(bare_seconds), veille_times.index(veille_seconds)
    print(
        f"CPU seconds (same rounds): bare {bare_cpu[best_bare]:.2f} s; veille "
        f"{veille_cpu[best_veille]:.2f} s, this process and the analysis process together "
        f"(rounds: {', '.join(f'{t:.2f}' for t in veille_cpu)} s)"
    )
    # On a shared machine the ratio moves with the load: say what it was.
    print(f"load average after the rounds: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"veille stored: {summary.describe()}")
    if args.big_store is not None:
        store = big_store(args.big_store)
        empty, big = [], []
        with tempfile.TemporaryDirectory() as folder:
            for round_number in range(args.rounds):
                empty.append(time_into(None, texts, Path(folder), args.model))
                last = round_number == args.rounds - 1
                big.append(time_into(store, texts, Path(folder), args.model, verify=last))
        print(
            f"rounds: empty store {', '.join(f'{t:.2f}' for t in empty)} s; "
            f"{store.name} {', '.join(f'{t:.2f}' for t in big)} s (best of each below)"
        )
        db = open_db(store, readonly=True)
        stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        db.conn.close()
        print(
            f"{len(texts)} new articles: {min(empty):.2f} s into an empty store, "
            f"{min(big):.2f} s into the {stored:,}-article store: "
            f"{min(big) / min(empty):.2f}x (target <= 1.20x)"
        )


def compare_workers(texts: list[str], args: argparse.Namespace) -> None:
    """`veille process` with one worker against N workers, model load included in neither."""
    list(get_analyzer(args.model).analyse(texts[:20]))
    times: dict[int, list[float]] = {1: [], args.workers: []}
    cpu: dict[int, list[float]] = {1: [], args.workers: []}
    with tempfile.TemporaryDirectory() as folder:
        template = temp_db(Path(folder), texts)
        for round_number in range(args.rounds):
            for workers in times:
                path = Path(folder) / f"round{round_number}-{workers}.db"
                shutil.copy(template, path)
                started, before = time.perf_counter(), cpu_seconds()
                summary = process_articles(path, model=args.model, progress=False, workers=workers)
                times[workers].append(time.perf_counter() - started)
                cpu[workers].append(cpu_seconds() - before)
                assert summary.articles == len(texts), summary.describe()
                path.unlink()
    for workers, seconds in times.items():
        best = min(seconds)
        used = cpu[workers][seconds.index(best)]
        print(
            f"workers={workers:<3} {len(texts) / best:8.1f} articles/s  {best:8.2f} s"
            f"  ({used:.2f} CPU seconds, all processes)"
        )
    ratio = min(times[1]) / min(times[args.workers])
    print(f"{args.workers} workers / 1 worker: {ratio:.2f}x (target >= 1.50 on an idle machine)")


if __name__ == "__main__":
    main()
