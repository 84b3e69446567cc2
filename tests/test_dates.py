"""French date parsing: byline prefixes, French times, relative dates, the shared date set."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import dateparser
import pytest

from crawler.dates import PARIS, find_french_date, parse_french_date, to_iso

BASE = datetime(2024, 3, 10, 12, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("samedi 15 mars 2014 à 10:37", "2014-03-15T10:37:00+01:00"),
        ("Publié le 14/04/2016 à 09h00", "2016-04-14T09:00:00+02:00"),
        ("Mercredi 5 avril 2017", "2017-04-05T00:00:00+02:00"),
        ("Mis à jour le 1er mars 2024 à 18h", "2024-03-01T18:00:00+01:00"),
        ("Créé: 12.12.2019, 07h36", "2019-12-12T07:36:00+01:00"),
        ("modifié le 30 août 2023 à 15h54", "2023-08-30T15:54:00+02:00"),
        ("Publié le 18 juil. 2024 à 08:01", "2024-07-18T08:01:00+02:00"),
        ("le 7 mai 2020 - 12:38", "2020-05-07T12:38:00+02:00"),
        ("il y a 2 heures", "2024-03-10T10:00:00+01:00"),
        ("Il y a 2 h", "2024-03-10T10:00:00+01:00"),
        ("hier à 14h30", "2024-03-09T14:30:00+01:00"),
        # machine dates keep their own offset
        ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00+00:00"),
        ("2024-03-01T10:00:00+01:00", "2024-03-01T10:00:00+01:00"),
        ("2024-03-01", "2024-03-01T00:00:00+01:00"),
    ],
)
def test_parse_french_date(text: str, expected: str) -> None:
    found = parse_french_date(text, relative_base=BASE)
    assert found is not None and to_iso(found) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "Accueil", "Rédaction", "32/13/2020", "Le maire a dit"]
)
def test_not_a_date(text: str) -> None:
    assert parse_french_date(text, relative_base=BASE) is None


def test_to_iso_naive_is_paris() -> None:
    assert to_iso(datetime(2024, 7, 1, 9, 30, 15, 999)) == "2024-07-01T09:30:15+02:00"


def test_find_french_date_in_text() -> None:
    text = "Accueil > Économie. Par Jeanne Morel. Publié le 3 mars 2024 à 10h15, mis à jour hier."
    found, is_update = find_french_date(text, relative_base=BASE)
    assert to_iso(found) == "2024-03-03T10:15:00+01:00" and not is_update
    found, is_update = find_french_date("Mis à jour le 4 mars 2024 à 08h00", relative_base=BASE)
    assert found.day == 4 and is_update
    assert find_french_date("Aucune date dans ce paragraphe, 2 000 emplois.") is None


# ---- the shared French date set (third-party, ../shared/data/dates/fr_dates.jsonl) ----

# Measured with dateparser 1.5.0: every case passes; a regression fails.
MIN_ACCURACY = {"real-page": 1.0, "dateparser-tests": 1.0, "htmldate-tests": 1.0}


@pytest.fixture(scope="module")
def date_cases(shared_data: Path) -> list[dict]:
    with open(shared_data / "dates" / "fr_dates.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def _parse_case(case: dict) -> tuple[datetime | None, str]:
    base = datetime.fromisoformat(case["relative_base"]) if case.get("relative_base") else None
    if case["kind"] == "search":
        # expected: the first date written in the sentence
        hit = find_french_date(case["text"], relative_base=base)
        return (hit[0] if hit else None), case["expected"][0][1]
    return parse_french_date(case["text"], relative_base=base), case["expected_iso"]


def _correct(found: datetime | None, expected: str, case: dict) -> bool:
    if found is None:
        return False
    if case.get("granularity") == "day" or len(expected) == 10:
        return found.date().isoformat() == expected[:10]
    # expected values are naive Paris wall-clock times (relative_base is naive too)
    return found.replace(tzinfo=None).isoformat() == expected


def test_shared_date_set_accuracy(date_cases: list[dict]) -> None:
    ok, total, failures = Counter(), Counter(), []
    for case in date_cases:
        found, expected = _parse_case(case)
        total[case["origin"]] += 1
        if _correct(found, expected, case):
            ok[case["origin"]] += 1
        else:
            failures.append((case["id"], case["text"], expected, found))
    for origin, minimum in MIN_ACCURACY.items():
        assert total[origin], f"no {origin} cases in the date set"
        assert ok[origin] / total[origin] >= minimum, (origin, failures)


def test_prefixed_real_page_dates_now_parse(date_cases: list[dict]) -> None:
    missed = [
        c
        for c in date_cases
        if c["origin"] == "real-page" and dateparser.parse(c["text"], languages=["fr"]) is None
    ]
    # The data README counts 15 strings that bare dateparser misses, all with a byline prefix.
    assert len(missed) == 15
    for case in missed:
        found = parse_french_date(case["text"])
        assert found is not None and found.date().isoformat() == case["expected_iso"], case["text"]


def test_relative_dates_follow_the_base() -> None:
    later = BASE + timedelta(days=30)
    assert (
        parse_french_date("il y a 3 jours", relative_base=later).date()
        == (later - timedelta(days=3)).date()
    )
