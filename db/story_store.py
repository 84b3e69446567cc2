"""Stories: one story, however many outlets republish it.

An `articles` row is a story: the text of its first publisher (earliest published date,
else first fetched). Every other publication of it (a sister title's copy, an agency
dispatch run elsewhere, an aggregator's page under its own headline block) is a row of
`article_copies` pointing at the story, with its outlet, URL, title, date and text, so
"aussi publié par" can be shown and nothing fetched is lost. Mentions, quotes and search
index therefore hold each story once.

Copies are found with datasketch's MinHash over word shingles of the normalised text (see
bench/dedup.py for the measurement that chose it over trafilatura's Simhash). The look-up
is an index in SQLite: each publication's signature is cut into LSH bands, one indexed row
per band in `story_buckets`; a new article reads the stories sharing a band with it and
keeps the best whose estimated containment reaches COPY_THRESHOLD. Its cost does not grow
with the store beyond the index's log factor.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlite_utils import Database

if TYPE_CHECKING:
    import numpy as np

NUM_PERM = 128
# 32 bands of 4 rows: a pair of Jaccard 0.5 shares a band with probability 0.88, one of
# 0.6 with 0.99; the labelled copies (lead and end trimmed included) have Jaccard ≥ 0.53.
# Longer bands would miss trimmed copies; shorter ones add index rows and chance candidates.
BANDS, ROWS = 32, 4
SHINGLE_WORDS = 3
# Estimated share of the smaller text's shingles found in the other. Chosen on the dev half
# of bench/data/dedup_pairs.jsonl (bench/dedup.py prints 0.709, midway): the copies scored
# 0.86 to 1.00 (lowest: lead, end and typography changed at once), two briefs sharing a
# boilerplate paragraph 0.53 to 0.55, a follow-up quoting a paragraph at most 0.26.
COPY_THRESHOLD = 0.7
# Below this many distinct shingles (about 40 words) a text is not matched at all: paywall
# teasers and one-line briefs are often word for word the same while being other articles.
MIN_SHINGLES = 40

_WORD = re.compile(r"\w+")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "œ": "oe", "æ": "ae"})
# Lines a republisher adds around a story; not the story's words.
_FURNITURE = re.compile(
    r"^\s*(lire aussi|à lire aussi|a lire aussi|voir aussi|publié le|mis à jour|par |"
    r"\(?avec afp\)?|\(?avec agence)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Fingerprint:
    """A text's MinHash signature and its number of distinct shingles."""

    hashvalues: np.ndarray
    size: int

    def buckets(self) -> list[int]:
        """One LSH bucket per band: the band's number and values hashed to a signed int64."""
        out = []
        for band in range(BANDS):
            values = self.hashvalues[band * ROWS : (band + 1) * ROWS]
            digest = hashlib.blake2b(
                band.to_bytes(2, "big") + values.astype("<u8").tobytes(), digest_size=8
            ).digest()
            out.append(int.from_bytes(digest, "big", signed=True))
        return out

    def to_blob(self) -> bytes:
        """The signature as stored in story_fingerprints."""
        return self.hashvalues.astype("<u8").tobytes()

    @classmethod
    def from_row(cls, blob: bytes, size: int) -> Fingerprint:
        """Read back a stored signature."""
        import numpy as np

        return cls(np.frombuffer(blob, dtype="<u8"), size)


def shingles(text: str, title: str | None = None) -> set[str]:
    """Word 3-grams of the text, case, accents' typography and furniture lines left out.

    A leading title line is dropped (one layout puts the headline in the body, another does
    not), and so are lines a republisher adds ("Lire aussi…", "Publié le…", a credit).
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if title and lines and _fold(lines[0]) == _fold(title):
        lines = lines[1:]
    words: list[str] = []
    for line in lines:
        if _FURNITURE.match(line) and len(line) < 160:
            continue
        words.extend(_WORD.findall(_fold(line)))
    n = SHINGLE_WORDS
    return {" ".join(words[i : i + n]) for i in range(max(len(words) - n + 1, 0))}


def fingerprint(text: str, title: str | None = None) -> Fingerprint | None:
    """The text's fingerprint, or None when it is too short to be told apart safely."""
    grams = shingles(text, title)
    if len(grams) < MIN_SHINGLES:
        return None
    # Imported here: datasketch's package loads scipy (about a second), which every
    # `veille` command and Datasette would pay for at start; only saving articles needs it.
    import numpy as np
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=1)
    minhash.update_batch([g.encode("utf-8") for g in grams])
    return Fingerprint(np.asarray(minhash.hashvalues, dtype=np.uint64), len(grams))


def containment(a: Fingerprint, b: Fingerprint) -> float:
    """Estimated share of the smaller text's shingles that the other also has.

    From MinHash's Jaccard estimate J and the two sizes: |A∩B| = J(|A|+|B|)/(1+J). A copy
    with its lead or end cut is almost wholly inside its original (near 1) while their
    Jaccard drops with every paragraph cut; two different stories stay low on both.
    """
    import numpy as np

    jaccard = float(np.count_nonzero(a.hashvalues == b.hashvalues)) / NUM_PERM
    common = jaccard * (a.size + b.size) / (1 + jaccard)
    return min(common / min(a.size, b.size), 1.0)


def find_story(db: Database, fp: Fingerprint | None) -> tuple[int, float] | None:
    """(story id, score) of the stored story this text is a copy of, or None."""
    if fp is None:
        return None
    buckets = fp.buckets()
    marks = ",".join("?" * len(buckets))
    rows = db.execute(
        "SELECT f.story_id, f.minhash, f.shingles FROM story_fingerprints f "
        "WHERE f.story_id IN (SELECT DISTINCT story_id FROM story_buckets "
        f"WHERE bucket IN ({marks}))",
        buckets,
    ).fetchall()
    best: tuple[int, float] | None = None
    for story_id, blob, size in rows:
        score = containment(fp, Fingerprint.from_row(blob, size))
        if score >= COPY_THRESHOLD and (best is None or score > best[1]):
            best = (story_id, score)
    return best


def index_text(db: Database, story_id: int, url: str, fp: Fingerprint | None) -> None:
    """Index one publication of a story (its canonical URL) so later copies find it."""
    if fp is None:
        return
    db.execute(
        "INSERT INTO story_fingerprints (url, story_id, shingles, minhash) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(url) DO UPDATE SET story_id = excluded.story_id, "
        "shingles = excluded.shingles, minhash = excluded.minhash",
        [url, story_id, fp.size, fp.to_blob()],
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO story_buckets (bucket, story_id) VALUES (?, ?)",
        [(bucket, story_id) for bucket in fp.buckets()],
    )


def add_copy(db: Database, story_id: int, row: dict, score: float | None) -> str:
    """Record `row` (an articles row not yet stored) as a publication of story `story_id`.

    Returns "copy" when the story's article stays, "original" when `row` was published
    first: it then becomes the story's article (same id, so mentions, quotes and links to
    the story keep pointing at it), the former article moves to article_copies, and the
    story is marked for the NLP stage to read again. Call inside a write transaction.
    """
    columns = _copy_columns(db)
    lead = next(db.query("SELECT * FROM articles WHERE id = ?", [story_id]))
    keys = list(lead)
    if _first_published(row) < _first_published(lead):
        _insert_copy(db, story_id, lead, columns, score)
        content = [c for c in keys if c in row and c not in ("id", "processed_at", "nlp_version")]
        db.execute(
            "UPDATE articles SET "
            + ", ".join(f"[{c}] = ?" for c in content)
            + ", processed_at = NULL, nlp_version = NULL WHERE id = ?",
            [row[c] for c in content] + [story_id],
        )
        db.execute(
            "UPDATE seen_urls SET kind = 'copy' WHERE article_id = ? AND kind = 'article'",
            [story_id],
        )
        return "original"
    _insert_copy(db, story_id, row, columns, score)
    return "copy"


def is_copy(db: Database, canonical_url: str) -> int | None:
    """The story id a canonical URL was stored as a copy of, if it was."""
    row = db.execute(
        "SELECT article_id FROM article_copies WHERE url = ?", [canonical_url]
    ).fetchone()
    return row[0] if row else None


def backfill(db: Database, batch: int = 500) -> int:
    """Index every stored article and copy not indexed yet (after the migration)."""
    done = 0
    for table, url_column, story_column in (
        ("articles", "canonical_url", "id"),
        ("article_copies", "url", "article_id"),
    ):
        if "text" not in db[table].columns_dict:
            continue
        rows = db.execute(
            f"SELECT t.{story_column}, t.{url_column}, t.text, t.title FROM {table} t "
            f"WHERE t.text IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM story_fingerprints f WHERE f.url = t.{url_column})"
        ).fetchall()
        for story_id, url, text, title in rows:
            index_text(db, story_id, url, fingerprint(text, title))
            done += 1
    return done


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()


def _first_published(row: dict) -> tuple:
    """Sort key of a publication: dated before undated, then date, then fetch time."""
    published = _instant(row.get("published"))
    fetched = _instant(row.get("fetched_at")) or datetime.max.replace(tzinfo=UTC)
    if published is None:
        return (1, fetched, fetched)
    return (0, published, fetched)


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _copy_columns(db: Database) -> set[str]:
    return set(db["article_copies"].columns_dict)


def _insert_copy(
    db: Database, story_id: int, row: dict, columns: Iterable[str], score: float | None
) -> None:
    values = {"url": row["canonical_url"], "article_id": story_id, "page_url": row["url"]}
    for column in columns:
        if column not in values and column in row and column not in ("id",):
            values[column] = row[column]
    if "similarity" in columns:
        values["similarity"] = None if score is None else round(score, 3)
    names = list(values)
    db.execute(
        f"INSERT INTO article_copies ({', '.join(f'[{n}]' for n in names)}) "
        f"VALUES ({', '.join('?' * len(names))}) ON CONFLICT(url) DO NOTHING",
        [values[n] for n in names],
    )


def other_outlets(db: Database, story_ids: Iterable[int]) -> dict[int, list[str]]:
    """Story id → the other outlets that ran it (copies' sources, each once, by name)."""
    ids = list(dict.fromkeys(story_ids))
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for story_id, source in db.execute(
            "SELECT DISTINCT article_id, source FROM article_copies "
            f"WHERE article_id IN ({','.join('?' * len(chunk))}) ORDER BY source",
            chunk,
        ):
            out.setdefault(story_id, []).append(source)
    return out
