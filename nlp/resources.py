"""Read the data files staff can edit: places, watchlist, ruler patterns, organisation phrases.

All live in `nlp/data/` (or the folder given as `data_dir` or in $VEILLE_NLP_DATA, so staff
can keep their own copies outside the installed package):
- places.csv: name,kind,region,department_code,aliases (aliases separated by "|");
- watchlist.toml: [[entities]] name, label (ORG/PER/LOC), aliases, url, note;
- patterns.jsonl: spaCy entity_ruler patterns, applied before the model's NER;
- org_phrases.toml: organisation-shaped phrases ("la start-up X", "X SAS", "Université de X").
A malformed file raises ResourceError naming the file, the line or entry and what is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import VeilleError
from nlp.keys import entity_key

DATA_DIR = Path(__file__).resolve().parent / "data"
LABELS = ("PER", "ORG", "LOC")
PLACE_KINDS = ("region", "former_region", "departement", "commune")
# When one key names several places ("Paris" the commune and the département), the
# larger territory wins: its région is the same or the more cautious answer.
_KIND_RANK = {kind: rank for rank, kind in enumerate(PLACE_KINDS)}
_SAINT_ABBREVIATION = re.compile(r"\bSt(e)?\b\.?(?=[-\s])")
DATA_FILES = (
    "places.csv",
    "watchlist.toml",
    "patterns.jsonl",
    "org_phrases.toml",
    "furniture.toml",
    "demonyms.txt",
    "not_names.txt",
    "themes.toml",
    "deals.toml",
)


class ResourceError(VeilleError, ValueError):
    """A data file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Place:
    """One row of the gazetteer."""

    name: str
    kind: str
    region: str
    department_code: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class WatchEntry:
    """One entity of the staff's watchlist."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Gazetteer:
    """Places by folded key (names and aliases)."""

    places: tuple[Place, ...] = ()
    by_key: dict[str, Place] = field(default_factory=dict)

    def lookup(self, name: str) -> Place | None:
        """The place a name (or alias) designates, if any ("St-Étienne" = "Saint-Étienne")."""
        place = self.by_key.get(entity_key(name))
        if place is None:
            long = _SAINT_ABBREVIATION.sub(lambda m: "Sainte" if m.group(1) else "Saint", name)
            if long != name:
                place = self.by_key.get(entity_key(long))
        return place


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data folder: `data_dir`, else $VEILLE_NLP_DATA, else the shipped nlp/data."""
    return Path(data_dir or os.environ.get("VEILLE_NLP_DATA") or DATA_DIR).resolve()


def data_path(name: str, data_dir: str | Path | None = None) -> Path:
    """Path of one data file in the data folder (see `resolve_data_dir`)."""
    return resolve_data_dir(data_dir) / name


def load_places(path: str | Path) -> Gazetteer:
    """Read places.csv; a missing file gives an empty gazetteer."""
    path = Path(path)
    if not path.exists():
        return Gazetteer()
    places: list[Place] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"name", "kind", "region"} - set(reader.fieldnames or ())
        if missing:
            raise ResourceError(f"{path}: header lacks column(s) {', '.join(sorted(missing))}")
        for row in reader:
            line = reader.line_num
            name = (row.get("name") or "").strip()
            kind = (row.get("kind") or "").strip()
            if not name:
                raise ResourceError(f"{path}, line {line}: empty name")
            if kind not in PLACE_KINDS:
                raise ResourceError(
                    f"{path}, line {line}: kind {kind!r} is not one of {', '.join(PLACE_KINDS)}"
                )
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
            places.append(
                Place(
                    name=name,
                    kind=kind,
                    region=(row.get("region") or "").strip(),
                    department_code=(row.get("department_code") or "").strip(),
                    aliases=aliases,
                )
            )
    by_key: dict[str, Place] = {}
    for place in places:
        for spelling in (place.name, *place.aliases):
            key = entity_key(spelling)
            old = by_key.get(key)
            if key and (old is None or _KIND_RANK[place.kind] < _KIND_RANK[old.kind]):
                by_key[key] = place
    return Gazetteer(tuple(places), by_key)


def load_watchlist(path: str | Path) -> list[WatchEntry]:
    """Read watchlist.toml; a missing file gives an empty list."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ResourceError(f"{path}: not valid TOML ({exc})") from None
    entries = data.get("entities", [])
    if not isinstance(entries, list):
        raise ResourceError(f"{path}: `entities` must be an array of tables ([[entities]])")
    out = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}, entity #{number}"
        if not isinstance(entry, dict):
            raise ResourceError(f"{where}: must be a table")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ResourceError(f"{where}: `name` is missing or empty")
        where = f"{path}, entity {name!r}"
        label = entry.get("label", "ORG")
        if label not in LABELS:
            raise ResourceError(
                f"{where}: `label` must be one of {', '.join(LABELS)}, not {label!r}"
            )
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ResourceError(f"{where}: `aliases` must be a list of strings")
        for key in ("url", "note"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise ResourceError(f"{where}: `{key}` must be a string")
        out.append(
            WatchEntry(
                name=name.strip(),
                label=label,
                aliases=tuple(a.strip() for a in aliases if a.strip()),
                url=entry.get("url") or None,
                note=entry.get("note") or None,
            )
        )
    return out


def load_patterns(path: str | Path) -> list[dict]:
    """Read an entity_ruler JSONL file (one {"label", "pattern", "id"?} per line)."""
    path = Path(path)
    if not path.exists():
        return []
    patterns = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            pattern = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ResourceError(f"{path}, line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(pattern, dict) or "label" not in pattern or "pattern" not in pattern:
            raise ResourceError(f"{path}, line {number}: needs `label` and `pattern`")
        if pattern["label"] not in LABELS:
            raise ResourceError(f"{path}, line {number}: label must be one of {', '.join(LABELS)}")
        patterns.append(pattern)
    return patterns


@dataclass(frozen=True)
class OrgPhrases:
    """Organisation-shaped phrases, read from org_phrases.toml (see that file)."""

    # Lowercase nouns before a name: "la start-up X" → X is an ORG.
    triggers: tuple[str, ...] = ()
    # Triggers that also turn a PER found by the model into an ORG ("la société Jean Dupont").
    strong: frozenset[str] = frozenset()
    # Trade nouns: triggers that also turn a one-word PER into an ORG ("le joaillier X").
    descriptors: frozenset[str] = frozenset()
    # Legal forms after a name: "X SAS".
    legal_forms: frozenset[str] = frozenset()
    # Capitalised heads that, with the name after them, make one ORG: "Université de X".
    heads: tuple[str, ...] = ()
    # Words allowed between a head and the name ("de", "du", "d'", "de la"...).
    connectors: tuple[str, ...] = ()
    # Capitalised words that end an organisation's name: "Nantes Métropole", "X Capital".
    tails: frozenset[str] = frozenset()
    # Plural business nouns that announce an enumeration of organisations ("des
    # entreprises : X, Y et Z").
    enumeration_nouns: frozenset[str] = frozenset()
    # Demonyms and their forms, lowercase ("rennais", "franc-comtoise"): never places.
    demonyms: frozenset[str] = frozenset()
    # Whole names of public bodies ("France Travail"), fixed before the NER.
    bodies: tuple[str, ...] = ()
    # Lowercase nouns whose name is none of PER, ORG, LOC: "la tempête X", "le navire X".
    others: tuple[str, ...] = ()
    # Lowercase words before a person's first name and surname: "fondée par X Y".
    people: tuple[str, ...] = ()
    # Verbs of speech before a speaker: "explique X Y", and one word "explique Nardo.".
    speakers: tuple[str, ...] = ()
    # Words that open a photo credit ("Photo :", "Crédits photos :"): see nlp/rules/credits.py.
    credit_leads: tuple[str, ...] = ()


def demonym_forms(word: str) -> set[str]:
    """A demonym's masculine and feminine, singular and plural forms ("rennais" → rennaise,
    rennaises; "bisontin" → bisontine(s), bisontins; "franc-comtois" → francs-comtois...)."""
    word = word.strip().lower().replace("\u2019", "'")
    if "-" in word:
        first, rest = word.split("-", 1)
        return {f"{a}-{b}" for a in demonym_forms(first) for b in demonym_forms(rest)}
    if word.endswith(("en", "on")) and not word.endswith("ion"):
        fem = word + "ne"
    elif word.endswith("e"):
        fem = word
    else:
        fem = word + "e"
    plural = word if word.endswith(("s", "x")) else word + "s"
    return {word, plural, fem, fem + "s"}


def load_demonyms(path: str | Path) -> frozenset[str]:
    """Read demonyms.txt (one masculine singular a line, "#" comments) into all its forms."""
    path = Path(path)
    if not path.exists():
        return frozenset()
    forms: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        word = line.split("#", 1)[0].strip()
        if not word:
            continue
        if not re.fullmatch(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", word) or word != word.lower():
            raise ResourceError(f"{path}, line {number}: {word!r} is not one lowercase word")
        forms |= demonym_forms(word)
    return frozenset(forms)


def load_not_names(path: str | Path) -> frozenset[str]:
    """Read not_names.txt: one word a line, as written ("AG", "État"), "#" comments."""
    path = Path(path)
    if not path.exists():
        return frozenset()
    words: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        word = line.split("#", 1)[0].strip().replace("\u2019", "'")
        if not word:
            continue
        if word == word.lower():
            raise ResourceError(
                f"{path}, line {number}: {word!r} has no capital (lowercase words are "
                "never names already)"
            )
        words.add(word)
    return frozenset(words)


def load_org_phrases(path: str | Path) -> OrgPhrases:
    """Read org_phrases.toml, and demonyms.txt beside it; a missing file gives no phrases."""
    path = Path(path)
    if not path.exists():
        return OrgPhrases()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ResourceError(f"{path}: not valid TOML ({exc})") from None

    def words(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ResourceError(f"{path}: `{key}` must be a list of non-empty strings")
        return tuple(dict.fromkeys(v.strip().replace("\u2019", "'") for v in value))

    strong = words("strong_triggers")
    descriptors = words("descriptors")
    return OrgPhrases(
        triggers=tuple(dict.fromkeys(words("triggers") + descriptors + strong)),
        strong=frozenset(strong),
        descriptors=frozenset(descriptors),
        legal_forms=frozenset(words("legal_forms")),
        heads=words("heads"),
        connectors=words("connectors"),
        tails=frozenset(words("tails")),
        enumeration_nouns=frozenset(w.lower() for w in words("enumeration_nouns")),
        demonyms=load_demonyms(path.parent / "demonyms.txt"),
        bodies=words("bodies"),
        others=words("not_entity_triggers"),
        people=words("person_triggers"),
        speakers=words("speech_verbs"),
        credit_leads=words("credit_leads"),
    )


def data_version(data_dir: str | Path | None = None) -> str:
    """A short hash of the data files, part of the NLP version stored with each article."""
    digest = hashlib.sha256()
    for name in DATA_FILES:
        path = data_path(name, data_dir)
        digest.update(name.encode())
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
