"""Validate the staff-editable NLP data files: nlp/data/places.csv and nlp/data/watchlist.toml.

The checks are written as functions returning readable problems (file, line or entry, what is
wrong) so that a failing run tells the person who edited the file what to fix; a few broken
edits are run through them to show that each check bites.
"""

import csv
import io
import re
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "nlp" / "data"
PLACES = DATA / "places.csv"
WATCHLIST = DATA / "watchlist.toml"

HEADER = ["name", "kind", "region", "department_code", "aliases"]
KINDS = {"region", "former_region", "departement", "commune"}
CURRENT_REGIONS = {
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
    "Corse",
    "Grand Est",
    "Hauts-de-France",
    "Île-de-France",
    "Normandie",
    "Nouvelle-Aquitaine",
    "Occitanie",
    "Pays de la Loire",
    "Provence-Alpes-Côte d'Azur",
    "Guadeloupe",
    "Martinique",
    "Guyane",
    "La Réunion",
    "Mayotte",
}
FORMER_REGIONS = {
    "Alsace": "Grand Est",
    "Aquitaine": "Nouvelle-Aquitaine",
    "Auvergne": "Auvergne-Rhône-Alpes",
    "Basse-Normandie": "Normandie",
    "Bourgogne": "Bourgogne-Franche-Comté",
    "Centre": "Centre-Val de Loire",
    "Champagne-Ardenne": "Grand Est",
    "Franche-Comté": "Bourgogne-Franche-Comté",
    "Haute-Normandie": "Normandie",
    "Languedoc-Roussillon": "Occitanie",
    "Limousin": "Nouvelle-Aquitaine",
    "Lorraine": "Grand Est",
    "Midi-Pyrénées": "Occitanie",
    "Nord-Pas-de-Calais": "Hauts-de-France",
    "Picardie": "Hauts-de-France",
    "Poitou-Charentes": "Nouvelle-Aquitaine",
    "Rhône-Alpes": "Auvergne-Rhône-Alpes",
}
DEPARTMENT_CODE = re.compile(r"^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-46])$")
LABELS = {"ORG", "PER", "LOC"}
ENTITY_KEYS = {"name", "label", "aliases", "url", "note"}


def fold(text: str) -> str:
    """Case- and accent-insensitive form: what a staff member reads as the same spelling."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def key(text: str) -> str:
    """The looser form the NLP code merges names on (also ignores hyphens, spaces, ligatures).

    Kept here rather than imported so that these checks state the contract on their own.
    """
    return re.sub(r"[^0-9a-z&]+", "", fold(text.replace("œ", "oe").replace("Œ", "Oe")))


def split_aliases(field: str) -> list[str]:
    """The `|`-separated aliases of a places.csv row."""
    return field.split("|") if field else []


# --- places.csv ---------------------------------------------------------------------------


def read_places(text: str) -> tuple[list[str], list[tuple[int, dict[str, str], int]]]:
    """Header and (line number, row, number of columns) triples of a places.csv text."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    rows = []
    for values in reader:
        if any(values):
            padded = values + [""] * (len(header) - len(values))
            rows.append((reader.line_num, dict(zip(header, padded, strict=False)), len(values)))
    return header, rows


def place_problems(text: str) -> list[str]:
    """Every problem found in a places.csv text, one readable message each."""
    header, rows = read_places(text)
    if header != HEADER:
        return [f"places.csv: header is {','.join(header)!r}, expected {','.join(HEADER)!r}"]
    problems: list[str] = []
    departement_region: dict[str, str] = {}
    seen: Counter[tuple[str, str, str]] = Counter()
    for line, row, width in rows:
        where = f"places.csv line {line} ({row['name']!r})"
        if width != len(HEADER):
            problems.append(f"{where}: {width} columns, expected {len(HEADER)}")
            continue
        for column, value in row.items():
            if value != value.strip():
                problems.append(f"{where}: spaces around the {column} value {value!r}")
            if value != unicodedata.normalize("NFC", value):
                problems.append(f"{where}: {column} is not in NFC form (accents pasted decomposed)")
        if not row["name"].strip():
            problems.append(f"{where}: empty name")
        kind = row["kind"]
        if kind not in KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {sorted(KINDS)}")
            continue
        if row["region"] not in CURRENT_REGIONS:
            problems.append(
                f"{where}: region {row['region']!r} is not one of the 18 current régions"
            )
        code = row["department_code"]
        if kind in {"region", "former_region"}:
            if code:
                problems.append(f"{where}: a {kind} row takes no department_code (found {code!r})")
        elif not DEPARTMENT_CODE.match(code):
            problems.append(
                f"{where}: department_code {code!r} is not an INSEE code like 25, 2A, 971"
            )
        if kind == "region" and row["region"] != row["name"]:
            problems.append(f"{where}: a région's region column must repeat its own name")
        if kind == "departement":
            if code in departement_region:
                problems.append(f"{where}: département code {code} is used twice")
            departement_region[code] = row["region"]
        place = (key(row["name"]), kind, code if kind == "commune" else "")
        seen[place] += 1
        if seen[place] == 2:
            problems.append(f"{where}: {kind} {row['name']!r} appears twice")
        aliases = split_aliases(row["aliases"])
        for alias in aliases:
            if not alias.strip() or alias != alias.strip():
                problems.append(
                    f"{where}: empty alias or spaces around an alias in {row['aliases']!r}"
                )
            elif fold(alias) == fold(row["name"]):
                problems.append(f"{where}: alias {alias!r} repeats the name")
        if len({fold(a) for a in aliases}) != len(aliases):
            problems.append(f"{where}: the same alias is listed twice")

    for line, row, width in rows:
        if row["kind"] != "commune" or width != len(HEADER):
            continue
        code = row["department_code"]
        where = f"places.csv line {line} ({row['name']!r})"
        if code not in departement_region:
            problems.append(f"{where}: département {code!r} has no departement row")
        elif departement_region[code] != row["region"]:
            problems.append(
                f"{where}: region {row['region']!r} differs from its département's "
                f"({code}: {departement_region[code]!r})"
            )

    names = {key(row["name"]) for _, row, _ in rows}
    for line, row, _ in rows:
        for alias in split_aliases(row["aliases"]):
            if key(alias) in names and key(alias) != key(row["name"]):
                problems.append(
                    f"places.csv line {line} ({row['name']!r}): alias {alias!r} is the name "
                    f"of another place; matching it would be ambiguous"
                )
    return problems


@pytest.fixture(scope="module")
def places_text() -> str:
    return PLACES.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def places(places_text) -> list[dict[str, str]]:
    return [row for _, row, _ in read_places(places_text)[1]]


def test_places_file_has_no_problems(places_text):
    assert place_problems(places_text) == []


def test_places_counts(places):
    kinds = Counter(row["kind"] for row in places)
    assert kinds["region"] == 18
    assert {row["name"] for row in places if row["kind"] == "region"} == CURRENT_REGIONS
    assert kinds["departement"] == 101
    assert len({row["department_code"] for row in places if row["kind"] == "departement"}) == 101
    assert kinds["commune"] >= 400
    former = {row["name"]: row["region"] for row in places if row["kind"] == "former_region"}
    assert former == FORMER_REGIONS


def test_places_order(places):
    rank = {"region": 0, "former_region": 1, "departement": 2, "commune": 3}
    kinds = [rank[row["kind"]] for row in places]
    assert kinds == sorted(kinds)
    for kind in ("departement", "commune"):
        codes = [row["department_code"] for row in places if row["kind"] == kind]
        assert codes == sorted(codes), f"{kind} rows are not ordered by department_code"


def find(places, name, kind, code=None):
    matches = [
        r
        for r in places
        if r["name"] == name
        and r["kind"] == kind
        and (code is None or r["department_code"] == code)
    ]
    assert len(matches) == 1, f"{kind} {name!r}: {len(matches)} rows"
    return matches[0]


@pytest.mark.parametrize(
    ("name", "kind", "code", "region"),
    [
        ("Besançon", "commune", "25", "Bourgogne-Franche-Comté"),
        ("Dijon", "commune", "21", "Bourgogne-Franche-Comté"),
        ("Brest", "commune", "29", "Bretagne"),
        ("Paris", "commune", "75", "Île-de-France"),
        ("Paris", "departement", "75", "Île-de-France"),
        ("Le Havre", "commune", "76", "Normandie"),
        ("Ajaccio", "commune", "2A", "Corse"),
        ("Bastia", "commune", "2B", "Corse"),
        ("Mamoudzou", "commune", "976", "Mayotte"),
        ("Saint-Denis", "commune", "93", "Île-de-France"),
        ("Saint-Denis", "commune", "974", "La Réunion"),
        ("Doubs", "departement", "25", "Bourgogne-Franche-Comté"),
        ("Territoire de Belfort", "departement", "90", "Bourgogne-Franche-Comté"),
        ("Rhône", "departement", "69", "Auvergne-Rhône-Alpes"),
        ("Franche-Comté", "former_region", "", "Bourgogne-Franche-Comté"),
        ("Centre", "former_region", "", "Centre-Val de Loire"),
        ("Nord-Pas-de-Calais", "former_region", "", "Hauts-de-France"),
    ],
)
def test_places_spot_checks(places, name, kind, code, region):
    row = find(places, name, kind, code)
    assert row["region"] == region
    assert row["department_code"] == code


def test_places_aliases_spot_checks(places):
    paca = find(places, "Provence-Alpes-Côte d'Azur", "region")
    assert {"Paca", "Région Sud"} <= set(split_aliases(paca["aliases"]))
    assert "Cherbourg" in split_aliases(find(places, "Cherbourg-en-Cotentin", "commune")["aliases"])


GOOD_PLACES = (
    "name,kind,region,department_code,aliases\n"
    "Bourgogne-Franche-Comté,region,Bourgogne-Franche-Comté,,BFC\n"
    "Franche-Comté,former_region,Bourgogne-Franche-Comté,,\n"
    "Doubs,departement,Bourgogne-Franche-Comté,25,\n"
    "Besançon,commune,Bourgogne-Franche-Comté,25,\n"
)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("name,kind,region", "nom,kind,region", "header is"),
        ("Besançon,commune", "Besançon,ville", "kind 'ville'"),
        (
            "Besançon,commune,Bourgogne-Franche-Comté",
            "Besançon,commune,Bourgogne",
            "18 current régions",
        ),
        (
            "Besançon,commune,Bourgogne-Franche-Comté,25",
            "Besançon,commune,Bourgogne-Franche-Comté,39",
            "département '39'",
        ),
        (
            "Besançon,commune,Bourgogne-Franche-Comté,25",
            "Besançon,commune,Bretagne,25",
            "differs from its département",
        ),
        (
            "Besançon,commune,Bourgogne-Franche-Comté,25",
            "Besançon,commune,Bourgogne-Franche-Comté,251",
            "INSEE code",
        ),
        (
            "Franche-Comté,former_region,Bourgogne-Franche-Comté,,",
            "Franche-Comté,former_region,Bourgogne-Franche-Comté,25,",
            "no department_code",
        ),
        (
            "Besançon,commune,Bourgogne-Franche-Comté,25,",
            "Besançon,commune,Bourgogne-Franche-Comté,25,Besancon",
            "repeats the name",
        ),
        (
            "Besançon,commune,Bourgogne-Franche-Comté,25,",
            "Besançon,commune,Bourgogne-Franche-Comté,25,Doubs",
            "name of another place",
        ),
        (
            "Besançon,commune,Bourgogne-Franche-Comté,25,",
            "Besançon,commune,Bourgogne-Franche-Comté,25,A||B",
            "empty alias",
        ),
        (
            "Besançon,commune,Bourgogne-Franche-Comté,25,",
            "Besançon ,commune,Bourgogne-Franche-Comté,25,",
            "spaces around",
        ),
        (
            "Besançon,commune,Bourgogne-Franche-Comté,25,",
            "Besançon,commune,Bourgogne-Franche-Comté",
            "columns, expected 5",
        ),
        ("Besançon", "Besanc\u0327on", "NFC"),
    ],
)
def test_place_checks_catch_broken_edits(old, new, message):
    assert place_problems(GOOD_PLACES) == []
    problems = place_problems(GOOD_PLACES.replace(old, new, 1))
    assert any(message in p for p in problems), problems


def test_place_checks_catch_duplicates():
    doubled = GOOD_PLACES + "Besançon,commune,Bourgogne-Franche-Comté,25,\n"
    assert any("appears twice" in p for p in place_problems(doubled))
    respelled = GOOD_PLACES + "BESANCON,commune,Bourgogne-Franche-Comté,25,\n"
    assert any("appears twice" in p for p in place_problems(respelled))
    twin_code = GOOD_PLACES + "Doubs,departement,Bourgogne-Franche-Comté,25,\n"
    assert any("code 25 is used twice" in p for p in place_problems(twin_code))
    homonym = GOOD_PLACES + "Besançon,commune,Bourgogne-Franche-Comté,26,\n"
    problems = place_problems(homonym)
    assert not any("appears twice" in p for p in problems)
    assert any("département '26'" in p for p in problems)


# --- watchlist.toml -----------------------------------------------------------------------


def watchlist_problems(text: str) -> list[str]:
    """Every problem found in a watchlist.toml text, one readable message each."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return [f"watchlist.toml: not valid TOML: {error}"]
    unknown = set(data) - {"entities"}
    if unknown:
        return [
            f"watchlist.toml: unknown top-level keys {sorted(unknown)}; use [[entities]] blocks"
        ]
    entities = data.get("entities")
    if not isinstance(entities, list) or not entities:
        return ["watchlist.toml: no [[entities]] blocks"]
    problems: list[str] = []
    owner: dict[str, str] = {}
    for number, entity in enumerate(entities, start=1):
        name = entity.get("name")
        where = f"watchlist.toml entity {number} ({name!r})"
        extra = set(entity) - ENTITY_KEYS
        if extra:
            problems.append(f"{where}: unknown keys {sorted(extra)}; allowed {sorted(ENTITY_KEYS)}")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: missing or empty name")
            continue
        if entity.get("label") not in LABELS:
            problems.append(f"{where}: label {entity.get('label')!r} is not one of ORG, PER, LOC")
        aliases = entity.get("aliases", [])
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) and a.strip() for a in aliases
        ):
            problems.append(f"{where}: aliases must be a list of non-empty strings")
            aliases = []
        for field in ("url", "note"):
            if field in entity and not (isinstance(entity[field], str) and entity[field].strip()):
                problems.append(f"{where}: {field} must be a non-empty string (or left out)")
        url = entity.get("url")
        if isinstance(url, str) and not re.match(r"^https?://[^\s/]+\.[^\s]+$", url):
            problems.append(f"{where}: url {url!r} is not a web address")
        for alias in aliases:
            if fold(alias) == fold(name):
                problems.append(f"{where}: alias {alias!r} repeats the name")
        for form in [name, *aliases]:
            other = owner.setdefault(key(form), name)
            if other != name:
                problems.append(f"{where}: {form!r} is already a name or alias of {other!r}")
        if len({fold(a) for a in aliases}) != len(aliases):
            problems.append(f"{where}: the same alias is listed twice")
    return problems


@pytest.fixture(scope="module")
def watchlist_text() -> str:
    return WATCHLIST.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def watchlist(watchlist_text) -> dict[str, dict]:
    return {e["name"]: e for e in tomllib.loads(watchlist_text)["entities"]}


def test_watchlist_file_has_no_problems(watchlist_text):
    assert watchlist_problems(watchlist_text) == []


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("Mission French Tech", "La French Tech"),
        ("Bpifrance", "BPI France"),
        ("Numeum", "Syntec Numérique"),
        ("French Tech Bordeaux", "FrenchTech Bordeaux"),
        ("CNIL", "Commission nationale de l'informatique et des libertés"),
    ],
)
def test_watchlist_spot_checks(watchlist, name, alias):
    assert alias in watchlist[name].get("aliases", [])
    assert watchlist[name]["label"] == "ORG"


def test_watchlist_ships_the_field(watchlist):
    for name in (
        "Business France",
        "CCI France",
        "France Digitale",
        "Arcep",
        "ANSSI",
        "Inria",
        "CNRS",
        "CEA",
        "France 2030",
        "Banque des Territoires",
        "Caisse des Dépôts",
        "French Tech Tremplin",
        "French Tech Grand Paris",
        "French Tech Bourgogne-Franche-Comté",
        "Aix-Marseille French Tech",
        "French Tech Toulouse",
        "French Tech Rennes St Malo",
    ):
        assert name in watchlist
    capitals = [
        e for e in watchlist.values() if e.get("note", "").startswith("Capitale French Tech")
    ]
    assert len(capitals) >= 16


GOOD_WATCHLIST = """
[[entities]]
name = "Bpifrance"
label = "ORG"
aliases = ["BPI France", "BPI"]
url = "https://www.bpifrance.fr"

[[entities]]
name = "Mission French Tech"
label = "ORG"
aliases = ["La French Tech"]
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('label = "ORG"', 'label = "Organisation"', "not one of ORG, PER, LOC"),
        ('name = "Bpifrance"', 'name = ""', "missing or empty name"),
        ('"BPI France", "BPI"', '"BPI France", "BPIFRANCE"', "repeats the name"),
        (
            '["La French Tech"]',
            '["La French Tech", "BPI"]',
            "already a name or alias of 'Bpifrance'",
        ),
        (
            '["La French Tech"]',
            '["La French Tech", "Bpi-France"]',
            "already a name or alias of 'Bpifrance'",
        ),
        ('["La French Tech"]', '"La French Tech"', "list of non-empty strings"),
        ('url = "https://www.bpifrance.fr"', 'url = "bpifrance"', "not a web address"),
        (
            'url = "https://www.bpifrance.fr"',
            'site = "https://www.bpifrance.fr"',
            "unknown keys ['site']",
        ),
        ('aliases = ["La French Tech"]', 'aliases = ["La French Tech"', "not valid TOML"),
        ("[[entities]]", "[[entity]]", "unknown top-level keys"),
    ],
)
def test_watchlist_checks_catch_broken_edits(old, new, message):
    assert watchlist_problems(GOOD_WATCHLIST) == []
    problems = watchlist_problems(GOOD_WATCHLIST.replace(old, new, 1))
    assert any(message in p for p in problems), problems
