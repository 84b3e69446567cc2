"""The `veille process` stage: stored articles in, entities, mentions and quotes out.

The one module of nlp/ that reads and writes the database (through db/entity_store.py),
staff corrections included; the rest of nlp/ is pure text in, entities out.

Texts are read from the database, analysed in batches (in a process forked once the
model is loaded, or in several with `workers` > 1), and every batch is written back by
this process in one transaction: each article's mentions and quotes are replaced together with
its processed_at and nlp_version. A run killed half-way leaves whole articles; the next run
does the rest without duplicates.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

from sqlite_utils import Database

from common.clock import now_iso
from common.errors import VeilleError
from db import deal_store, entity_store, topic_store
from db.deal_store import DealRow
from db.schema import explain_error, open_db
from nlp.analyse import REGION, Analysis, get_analyzer
from nlp.classify import found_in, get_classifier
from nlp.deals import (
    Deal,
    SentPiece,
    analyse_then_deals,
    analyse_to_send,
    analyse_with_deals,
    parser,
    read_deals,
    rules_for,
)
from nlp.entities import EntitiesError
from nlp.keys import entity_key
from nlp.model import DEFAULT_MODEL, nlp_version
from nlp.resources import LABELS, data_path, load_places, load_watchlist, resolve_data_dir

BATCH_ARTICLES = 64
# Batches whose deals may still be being read while later ones are analysed: each keeps
# its docs in memory until then.
DEALS_IN_FLIGHT = 2
# With one worker, the analysis process sends a batch back in parts of this many articles:
# this process reads their deals as they come, so what is left to do once the analysis
# has finished (the last part's deals and the last batch's write) is short.
PART_ARTICLES = 16
# Parts sent to the analysis process ahead of the one being read: enough that it never
# waits while this process writes a batch; each keeps its docs' arrays in memory.
PARTS_AHEAD = 4
MAX_MERGE_CHAIN = 8


class AnalysisError(VeilleError, RuntimeError):
    """The analysis process stopped before sending back its articles."""


@dataclass
class ProcessSummary:
    """Figures of one `veille process` run."""

    articles: int = 0
    mentions: int = 0
    quotes: int = 0
    new_entities: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        """One summary line, as the CLI prints it."""
        if not self.articles:
            return f"Nothing to process: every article is up to date ({self.seconds:.1f} s)."
        rate = self.articles / self.seconds if self.seconds else 0.0
        return (
            f"Processed {self.articles} article{'s' * (self.articles != 1)}: "
            f"{self.mentions} mentions, {self.quotes} quotes, {self.new_entities} new entities "
            f"in {self.seconds:.1f} s ({rate:.1f} articles/s)."
        )


def sync_watchlist(db: Database, path: str | Path) -> int:
    """Upsert the watchlist's entities (watchlist=1) and their aliases; return how many."""
    entries = []
    for entry in load_watchlist(path):
        aliases = [(alias, entity_key(alias)) for alias in entry.aliases]
        entries.append(
            (entry.name, entry.label, entity_key(entry.name), aliases, entry.url, entry.note)
        )
    return entity_store.upsert_watchlist(db, entries)


class Resolver:
    """Mentions' canonical names → entity ids, applying staff rules, aliases and keys."""

    def __init__(self, db: Database, data_dir: str | Path | None = None):
        self.db = db
        self.places = load_places(data_path("places.csv", data_dir))
        self.rules: dict[str, list[entity_store.Rule]] = {}
        for rule in entity_store.list_rules(db):
            self.rules.setdefault(entity_key(rule.name), []).append(rule)
        self.ids: dict[tuple[str, str], int] = {}
        self.by_key: dict[str, list[tuple[str, int]]] = {}
        self.info: dict[int, entity_store.EntityRow] = {}
        for row in entity_store.all_entities(db):
            self._remember(row)
        self.aliases = entity_store.alias_keys(db)
        self.new_entities = 0
        # Entities merged away by `_upgrade` → the entity they became. Rows resolved earlier in
        # the same batch may still name them; `remap` points those at the survivor.
        self.merged: dict[int, int] = {}

    def _remember(self, row: entity_store.EntityRow) -> None:
        self.ids[(row.label, row.key)] = row.id
        self.by_key.setdefault(row.key, []).append((row.label, row.id))
        self.info[row.id] = row

    def _forget(self, entity_id: int) -> None:
        row = self.info.pop(entity_id)
        self.ids.pop((row.label, row.key), None)
        self.by_key[row.key] = [item for item in self.by_key[row.key] if item[1] != entity_id]

    def _weak(self, label: str, name: str) -> bool:
        """A label the model often gets wrong for this kind of name.

        A "place" the gazetteer does not know ("Bourgogne Digitale") or a one-word
        "person" ("Hylioz") is, across articles, more often an organisation.
        """
        if label == "LOC":
            return self.places.lookup(name) is None
        return label == "PER" and len(name.split()) == 1

    def resolve(self, name: str, label: str, region: str | None = None) -> int | None:
        """The entity id for a mention, creating the entity if needed; None when ignored."""
        key = entity_key(name)
        ruled = merged = False
        # Rules apply in the order staff stored them; a merge restarts them on the target,
        # so "merge A B" then "relabel B ORG" also relabels A.
        for _ in range(MAX_MERGE_CHAIN):
            target = None
            for rule in self.rules.get(key, ()):
                if rule.action == "relabel" and rule.label:
                    label, ruled = rule.label, True
                elif rule.label and rule.label != label:
                    continue
                elif rule.action == "ignore":
                    return None
                elif rule.action == "merge" and rule.target:
                    target = rule.target
                    break
            if target is None or entity_key(target) == key:
                break
            name, key, ruled, merged = target, entity_key(target), True, True
        if not key:
            return None
        if key in self.aliases:
            return self.aliases[key]
        entity_id = self.ids.get((label, key))
        others = [
            (other, other_id)
            for other, other_id in self.by_key.get(key, [])
            if other != label and not self._weak(other, self.info[other_id].name)
        ]
        if entity_id is None and merged and self.by_key.get(key):
            # "merge A B": B keeps its own label when it exists under another one.
            entity_id = self.by_key[key][0][1]
        elif others and not ruled and self._weak(label, name):
            # A weak label joins the same name known under a sure one.
            rank = {"ORG": 0, "PER": 1, "LOC": 2}
            entity_id = min(others, key=lambda item: (rank.get(item[0], 3), item[1]))[1]
        if entity_id is None and label == "ORG" and not ruled:
            entity_id = self._upgrade(key)
        if entity_id is None:
            if label == "LOC" and region is None:
                place = self.places.lookup(name)
                region = place.region if place else None
            entity_id = entity_store.insert_entity(self.db, name, label, key, region)
            self._remember(entity_store.EntityRow(entity_id, name, label, key))
            self.new_entities += 1
        elif region and label == "LOC":
            entity_store.set_region(self.db, entity_id, region)
        return entity_id

    def _upgrade(self, key: str) -> int | None:
        """Turn the weak entities of this name into one organisation; its id, or None."""
        weak = [
            entity_id
            for label, entity_id in self.by_key.get(key, [])
            if self._weak(label, self.info[entity_id].name)
            and not entity_store.is_watchlisted(self.db, entity_id)
        ]
        if not weak:
            return None
        keep, *rest = sorted(weak)
        for entity_id in rest:
            entity_store.merge_entity(self.db, entity_id, keep)
            self._forget(entity_id)
            self.merged[entity_id] = keep
        entity_store.relabel_entity(self.db, keep, "ORG")
        row = self.info[keep]
        self._forget(keep)
        self._remember(entity_store.EntityRow(keep, row.name, "ORG", key))
        return keep

    def current(self, entity_id: int) -> int:
        """The entity `entity_id` is now (itself, unless a later mention merged it away)."""
        while entity_id in self.merged:
            entity_id = self.merged[entity_id]
        return entity_id

    def remap(self, result: entity_store.ArticleResult) -> entity_store.ArticleResult:
        """`result` with every entity id brought up to date (see `merged`)."""
        return entity_store.ArticleResult(
            result.article_id,
            [replace(m, entity_id=self.current(m.entity_id)) for m in result.mentions],
            [replace(q, speaker_id=self.current(q.speaker_id)) for q in result.quotes],
        )

    def rows(
        self, article_id: int, analysis: Analysis, region: str | None = None
    ) -> entity_store.ArticleResult:
        """Storage rows for one analysed article (ignored entities left out).

        `region` is the région of the article's outlet: "la Région" alone names its council.
        """
        mentions = []
        for m in analysis.mentions:
            name = m.name
            if name == REGION and m.label == "ORG" and region:
                name = f"{REGION} {region}"
            entity_id = self.resolve(name, m.label, m.region)
            if entity_id is not None:
                mentions.append(
                    entity_store.MentionRow(entity_id, m.text, m.sentence, m.start, m.end)
                )
        quotes = []
        for q in analysis.quotes:
            speaker_id = self.resolve(q.speaker, q.speaker_label)
            if speaker_id is not None:
                quotes.append(entity_store.QuoteRow(speaker_id, q.text, q.start, q.end))
        return entity_store.ArticleResult(article_id, mentions, quotes)


# --- worker processes -------------------------------------------------------------------

_WORKER: dict = {}


def _init_worker(model: str, data_dir: str, parent: int) -> None:
    # Forked once the parent has loaded the analyser (and, for several workers, the deals'
    # parser): their caches already hold them, so a worker starts at once and shares the
    # models' memory.
    _WORKER["analyzer"] = get_analyzer(model, data_dir)
    _WORKER["model"] = model
    _WORKER["rules"] = rules_for(data_dir)
    # A worker waits on its queue for ever once its parent is killed (kill -9 gives the
    # executor no chance to stop it): it goes too, rather than keep the model's memory.
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _analyse_in_worker(
    texts: list[str], years: list[int | None]
) -> list[tuple[Analysis, list[Deal]]]:
    return list(
        analyse_with_deals(texts, _WORKER["analyzer"], years, _WORKER["rules"], _WORKER["model"])
    )


def _send_analysed(texts: list[str], folder: str) -> str:
    # Through a file, not the executor's pipe: the parent reads a result from the pipe in
    # a thread of its own that needs the GIL at every 64 KB while the main thread reads
    # deals, and the analysis process cannot go on while its result fills the pipe.
    found = analyse_to_send(texts, _WORKER["analyzer"])
    fd, path = tempfile.mkstemp(suffix=".pickle", dir=folder)
    with os.fdopen(fd, "wb") as file:
        pickle.dump(found, file, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _received(path: str) -> tuple[list[Analysis], list[SentPiece]]:
    with open(path, "rb") as file:
        data = file.read()
    os.unlink(path)
    return pickle.loads(data)


def _year(published: str | None) -> int | None:
    return int(published[:4]) if published and published[:4].isdigit() else None


def _texts(db: Database, ids: Sequence[int]) -> tuple[list[int], list[str], list[int | None]]:
    """The stored articles among `ids`, their texts and their years (for deals), in order."""
    rows = deal_store.articles_for_deals(db, ids)
    return [i for i, _, _ in rows], [t for _, t, _ in rows], [_year(p) for _, _, p in rows]


def _cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's share where known)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _worker_pool(workers: int, model: str, data_dir: str) -> ProcessPoolExecutor:
    # fork, after loading the models here: spawned workers each imported spaCy's French
    # language and loaded the model again (6-8 s each, twice the memory), so two workers
    # were slower than one on two cores (issue 16). Forking is safe because the workers
    # only run the analyser: they never use the parent's SQLite connection, and the
    # progress bar's thread, if any, holds nothing they need.
    return ProcessPoolExecutor(
        workers,
        mp_context=get_context("fork"),
        initializer=_init_worker,
        initargs=(model, data_dir, os.getpid()),
    )


def _result(future: Future, ids: Sequence[int]):
    """The future's result; the articles it was analysing named when it fails."""
    try:
        return future.result()
    except Exception as exc:
        where = f"article {ids[0]}" if len(ids) == 1 else f"articles {ids[0]} to {ids[-1]}"
        if not isinstance(exc, BrokenProcessPool):
            # A bug met on a text: the process's traceback follows as the cause.
            exc.add_note(f"(while analysing {where} in an analysis process)")
            raise
        raise AnalysisError(
            f"the analysis process stopped (killed, or out of memory?) on {where}; "
            "the articles before them are stored: run `veille process` again"
        ) from None


Analysed = tuple[list[int], list[Analysis], Callable[[], list[list[Deal]]]]


def _analysed(
    db: Database,
    ids: Sequence[int],
    model: str,
    workers: int,
    data_dir: str,
) -> Iterator[Analysed]:
    """(article ids, analyses, deals) batch by batch, in id order; `deals()` waits for the
    batch's deals (a list per article).

    Deals are read from the analyser's docs (nlp/deals.py), so each text goes through the
    model once.
    """
    batches = [list(ids[i : i + BATCH_ARTICLES]) for i in range(0, len(ids), BATCH_ARTICLES)]
    if workers <= 1 and _cpus() >= 2:
        yield from _analysed_beside(db, batches, model, data_dir)
    elif workers <= 1:
        yield from _analysed_in_threads(db, batches, model, data_dir)
    else:
        yield from _analysed_in_workers(db, batches, model, workers, data_dir)


def _analysed_beside(
    db: Database, batches: list[list[int]], model: str, data_dir: str
) -> Iterator[Analysed]:
    """One worker on two CPUs or more: the analyser in a forked process, the deals here.

    A process rather than threads: the analyser (the rules, canonical names, quotes), the
    deals' rules and the writes are mostly Python, so threads took turns holding the GIL
    and ran on one core at a time. Here the analysis process and this one, reading the
    deals and writing, each have a core. The docs come back as arrays (`Doc.to_dict`,
    tensor included), which costs far less than analysing them again.

    On a shared virtual machine two busy processes may not get two cores' worth (this
    one's vCPUs gave each of two processes half to two thirds of one): the work saved
    anywhere still counts, the overlap only helps as far as the host allows.
    """
    analyzer = get_analyzer(model, data_dir)
    rules = rules_for(data_dir)
    parts = deque(
        (batch_number, batch[i : i + PART_ARTICLES])
        for batch_number, batch in enumerate(batches)
        for i in range(0, len(batch), PART_ARTICLES)
    )
    pool = _worker_pool(1, model, data_dir)
    folder = tempfile.TemporaryDirectory(prefix="veille-process-")
    sent: deque[tuple[int, list[int], list[int | None], Future]] = deque()

    def send() -> None:
        if parts:
            batch_number, part = parts.popleft()
            part_ids, texts, years = _texts(db, part)
            future = pool.submit(_send_analysed, texts, folder.name)
            sent.append((batch_number, part_ids, years, future))

    try:
        for _ in range(PARTS_AHEAD):
            send()
        batch: tuple[list[int], list[Analysis], list[list[Deal]]] = ([], [], [])
        while sent:
            batch_number, part_ids, years, future = sent.popleft()
            analyses, pieces = _received(_result(future, part_ids))
            send()
            # The deals' parser is loaded on the first call, while the first parts are
            # being analysed.
            deals = read_deals(pieces, len(analyses), analyzer, years, rules, model)
            batch[0].extend(part_ids)
            batch[1].extend(analyses)
            batch[2].extend(deals)
            if not sent or sent[0][0] != batch_number:
                yield batch[0], batch[1], (lambda found=batch[2]: found)
                batch = ([], [], [])
    finally:
        # Stopped early (an error here or in the caller): no point analysing what was sent.
        pool.shutdown(wait=True, cancel_futures=True)
        folder.cleanup()


def _analysed_in_threads(
    db: Database, batches: list[list[int]], model: str, data_dir: str
) -> Iterator[Analysed]:
    """One worker on one CPU: the analyser and the deals in two threads of this process."""
    analyzer = get_analyzer(model, data_dir)
    rules = rules_for(data_dir)

    def analyse(texts: list[str], years: list[int | None]) -> tuple:
        return analyse_then_deals(texts, analyzer, years, rules, model)

    # Three stages overlap: a thread analyses a batch, a second reads the deals of the
    # one before (the parser's loop and the model's matrix products release the GIL),
    # while the caller writes the one before that (SQLite releases it too). The
    # analyser is only ever used by the first thread, the deals' parser by the second.
    with (
        ThreadPoolExecutor(1, thread_name_prefix="veille-nlp") as pool,
        ThreadPoolExecutor(1, thread_name_prefix="veille-deals") as deal_pool,
    ):
        pending: tuple[list[int], Future] | None = None
        reading: list[Future] = []

        def handed(batch_ids: list[int], future: Future) -> tuple:
            analyses, deals = future.result()
            # Bounded: each batch waiting for its deals keeps its docs in memory.
            while len(reading) >= DEALS_IN_FLIGHT:
                reading.pop(0).result()
            reading.append(deal_pool.submit(deals))
            return batch_ids, analyses, reading[-1].result

        for batch in batches:
            batch_ids, texts, years = _texts(db, batch)
            future = pool.submit(analyse, texts, years)
            if pending is not None:
                yield handed(*pending)
            pending = (batch_ids, future)
        if pending is not None:
            yield handed(*pending)


def _analysed_in_workers(
    db: Database, batches: list[list[int]], model: str, workers: int, data_dir: str
) -> Iterator[Analysed]:
    """Several workers: each batch analysed, deals included, in one of the processes."""
    get_analyzer(model, data_dir)
    parser(model)
    with _worker_pool(workers, model, data_dir) as pool:
        pending: list[tuple[list[int], Future]] = []
        for batch in batches:
            batch_ids, texts, years = _texts(db, batch)
            pending.append((batch_ids, pool.submit(_analyse_in_worker, texts, years)))
            # Keep a bounded number of batches in flight so memory stays flat on big runs.
            if len(pending) >= 2 * workers:
                yield _split(*pending.pop(0))
        for done_ids, future in pending:
            yield _split(done_ids, future)


def _split(batch_ids: list[int], future: Future) -> Analysed:
    analysed = _result(future, batch_ids)
    deals = [deals for _, deals in analysed]
    return batch_ids, [analysis for analysis, _ in analysed], lambda: deals


class _Progress:
    """A rich progress bar on a terminal, a few plain lines otherwise."""

    def __init__(self, total: int, enabled: bool | None):
        self.total = total
        self.done = 0
        self.bar = None
        interactive = sys.stderr.isatty() if enabled is None else enabled
        self._next_line = max(1, total // 10)
        if interactive and total:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("Processing articles"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            self.task = self.bar.add_task("process", total=total)
            self.bar.start()
        self.plain = enabled is None and not interactive

    def advance(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)
        elif self.plain and (self.done >= self._next_line or self.done == self.total):
            print(f"processed {self.done}/{self.total} articles", file=sys.stderr, flush=True)
            self._next_line = self.done + max(1, self.total // 10)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def process_articles(
    db_path: str | Path,
    *,
    all_articles: bool = False,
    workers: int = 1,
    model: str = DEFAULT_MODEL,
    progress: bool | None = None,
    data_dir: str | Path | None = None,
) -> ProcessSummary:
    """Find entities, mentions and quotes in articles not yet processed by this version (or all).

    `data_dir` replaces the data folder (places, watchlist, patterns; see nlp.resources).
    """
    started = time.perf_counter()
    db = open_db(db_path)
    data = str(resolve_data_dir(data_dir))
    summary = ProcessSummary()
    try:
        sync_watchlist(db, data_path("watchlist.toml", data))
        version = nlp_version(model, data)
        ids = entity_store.articles_to_process(db, version, all_articles)
        if ids:
            resolver = Resolver(db, data)
            bar = _Progress(len(ids), progress)
            found: dict[int, list[Deal]] = {}
            waiting: list[tuple[list[int], Callable[[], list[list[Deal]]]]] = []
            try:
                for batch_ids, analyses, deals in _analysed(db, ids, model, workers, data):
                    stamp = now_iso()
                    regions = entity_store.article_regions(db, batch_ids)
                    with db.atomic():
                        results = [
                            resolver.rows(i, a, regions.get(i))
                            for i, a in zip(batch_ids, analyses, strict=True)
                        ]
                        results = [resolver.remap(r) for r in results]
                        entity_store.save_results(db, results, version, stamp)
                        classify_stored(db, batch_ids, analyses, regions, data)
                    waiting.append((batch_ids, deals))
                    summary.articles += len(results)
                    summary.mentions += sum(len(r.mentions) for r in results)
                    summary.quotes += sum(len(r.quotes) for r in results)
                    bar.advance(len(batch_ids))
                    # The deals of earlier batches, as they come (they are stored at the end).
                    while len(waiting) > DEALS_IN_FLIGHT:
                        done_ids, deals = waiting.pop(0)
                        found.update(zip(done_ids, deals(), strict=True))
                for done_ids, deals in waiting:
                    found.update(zip(done_ids, deals(), strict=True))
            except Exception as exc:
                if not isinstance(exc, sqlite3.Error):
                    _save_found(db, found, waiting)
                raise
            finally:
                bar.close()
            summary.new_entities = resolver.new_entities
            entity_store.prune_entities(db)
            # Deals are stored once the entities have settled (a later batch may merge an
            # entity a deal names); an article without deals loses those it had.
            save_deals(db, found)
    except sqlite3.Error as exc:
        # A full disk or a locked file: each batch is one transaction, so whole articles are
        # kept and the next run does the rest.
        raise explain_error(db_path, exc) from None
    finally:
        db.conn.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _save_found(
    db: Database,
    found: dict[int, list[Deal]],
    waiting: list[tuple[list[int], Callable[[], list[list[Deal]]]]],
) -> None:
    """Store the deals of the batches written before a failure (a bug met on a text).

    Their articles are marked processed, so the next run skips them: their deals are
    stored now or never. The failure itself is what the caller reports.
    """
    for done_ids, deals in waiting:
        try:
            found.update(zip(done_ids, deals(), strict=True))
        except Exception:
            break  # this batch's deals failed too; the ones before are kept
    with contextlib.suppress(sqlite3.Error):
        save_deals(db, found)


# --- staff corrections, applied by later runs --------------------------------------------


def add_correction(
    db_path: str | Path,
    action: str,
    name: str,
    target: str | None = None,
    label: str | None = None,
) -> entity_store.Rule:
    """Validate and store a merge/relabel/ignore rule; raise EntitiesError on bad input."""
    if not entity_key(name):
        raise EntitiesError(f"{name!r} is not a name (no letters or digits)")
    if label is not None and label not in LABELS:
        raise EntitiesError(f"label must be one of {', '.join(LABELS)}, not {label!r}")
    if action == "merge":
        if not target or not entity_key(target):
            raise EntitiesError(f"{target!r} is not a name to merge into")
        if entity_key(target) == entity_key(name):
            raise EntitiesError(f"{name!r} and {target!r} are already the same entity")
    if action == "relabel" and label is None:
        raise EntitiesError("relabel needs a label (PER, ORG or LOC)")
    db = open_db(db_path)
    try:
        return entity_store.add_rule(
            db, action, name.strip(), target.strip() if target else None, label
        )
    finally:
        db.conn.close()


def list_corrections(db_path: str | Path) -> list[entity_store.Rule]:
    """The stored rules, oldest first."""
    db = open_db(db_path)
    try:
        return entity_store.list_rules(db)
    finally:
        db.conn.close()


def forget_correction(db_path: str | Path, rule_id: int) -> entity_store.Rule:
    """Remove a stored rule and return it; EntitiesError when there is none with this id."""
    db = open_db(db_path)
    try:
        rule = entity_store.delete_rule(db, rule_id)
    finally:
        db.conn.close()
    if rule is None:
        raise EntitiesError(f"no correction #{rule_id}; `veille entities rules` lists them")
    return rule


def describe_rule(rule: entity_store.Rule) -> str:
    """A rule as one line of English."""
    only = f" (only as {rule.label})" if rule.label and rule.action != "relabel" else ""
    if rule.action == "merge":
        return f"#{rule.id} merge {rule.name!r} into {rule.target!r}{only}"
    if rule.action == "relabel":
        return f"#{rule.id} relabel {rule.name!r} as {rule.label}"
    return f"#{rule.id} ignore {rule.name!r}{only}"


# --- classification and deals of stored articles (the stage writes for nlp/classify.py and
# nlp/deals.py, which stay pure)


def classify_stored(
    db: Database,
    ids: Sequence[int],
    analyses: Sequence,
    regions: dict[int, str],
    data_dir: str | Path | None = None,
) -> None:
    """Classify analysed articles and store the results (call inside the batch's transaction)."""
    classifier = get_classifier(data_dir)
    heads = topic_store.article_heads(db, ids)
    results = []
    for article_id, analysis in zip(ids, analyses, strict=True):
        title, text = heads.get(article_id, ("", ""))
        found = found_in(analysis)
        results.append(
            (article_id, classifier.classify(text, title, found, regions.get(article_id)))
        )
    topic_store.save_topics(db, results)


def _row(deal: Deal) -> DealRow:
    return DealRow(
        type=deal.type,
        company=deal.company or "",
        company_key=entity_key(deal.company or ""),
        counterpart=deal.counterpart,
        counterpart_key=entity_key(deal.counterpart or ""),
        amount_eur=deal.amount_eur,
        round=deal.round,
        investors=[(name, entity_key(name)) for name in deal.investors],
        jobs=deal.jobs,
        horizon=deal.horizon,
        place=deal.place,
        place_key=entity_key(deal.place or ""),
        kind=deal.kind,
        new_name=deal.new_name,
        past=deal.past,
        sentence=deal.sentence,
    )


def save_deals(db: Database, found: dict[int, list[Deal]]) -> int:
    """Store the deals found in these articles (article id → deals); return how many."""
    published = deal_store.published_of(db, list(found))
    rows = [
        (i, published.get(i), [_row(d) for d in deals if d.company]) for i, deals in found.items()
    ]
    return deal_store.replace_deals(db, rows)


def update_deals(
    db: Database,
    article_ids: Sequence[int],
    model: str = DEFAULT_MODEL,
    data_dir: str | Path | None = None,
) -> int:
    """Find and store the deals of these stored articles again, from their texts.

    `veille process` finds deals in the same pass as entities; this reads the stored
    texts anew (after an edit to deals.toml, say). Returns how many deals they give.
    """
    analyzer = get_analyzer(model, data_dir)
    rules = rules_for(data_dir)
    ids, texts, years = _texts(db, article_ids)
    found = {
        article_id: deals
        for article_id, (_, deals) in zip(
            ids, analyse_with_deals(texts, analyzer, years, rules, model), strict=True
        )
    }
    return save_deals(db, found)
