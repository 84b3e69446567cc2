"""French dates as pages print them ("Publié le 14/04/2016 à 09h00", "il y a 2 heures") → aware datetimes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import dateparser

PARIS = ZoneInfo("Europe/Paris")

# Bylines put a verb before the date ("Publié le", "Mis à jour le", "Créé:"); dateparser's French
# dictionary does not know these words and gives up on the whole string, so they are cut first.
_PREFIX = re.compile(
    r"""^\W*(?:
        (?:publi[ée]e?s?|mis[e]?\s+(?:à|a)\s+jour|mise?\s+en\s+ligne|m[àa]j|modifi[ée]e?s?|
           cr[ée]{2}e?s?|actualis[ée]e?s?|post[ée]e?s?|[ée]crit|r[ée]dig[ée]e?|paru(?:tion)?|
           derni[èe]re\s+(?:mise\s+[àa]\s+jour|modification)|date(?:\s+de\s+publication)?|
           published|updated|posted)
        \b\s*(?:le|:|,|-|–)?\s*
      )?(?:le|du)?\s*[:,]?\s*""",
    re.IGNORECASE | re.VERBOSE,
)
# "1er" is French for the first of the month; dateparser reads it as garbage.
_FIRST = re.compile(r"\b1\s*er\b", re.IGNORECASE)
# "09h00", "14 h 49", "10h" → "09:00"; dateparser does not read French "h" times.
_HOURS = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})?\b(?!\s*(?:heures?|h)\b)", re.IGNORECASE)
# The glue between the day and the time: "à 10:37", "- 16:00", ", 07:36".
_RELATIVE = re.compile(r"^(?:il\s*y\s*a|dans|en|moins|depuis)\b", re.IGNORECASE)
_TIME_GLUE = re.compile(r"\s*(?:\bà\b|\ba\b|-|–|,|\|)\s*(?=\d{1,2}:\d{2})", re.IGNORECASE)

# dateparser's settings: French day-first order, Paris time when the text has no zone.
_SETTINGS = {
    "DATE_ORDER": "DMY",
    "TIMEZONE": "Europe/Paris",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "PREFER_DATES_FROM": "past",
}

# Strings a page prints as a date: used to find dates in visible text without running dateparser's
# search_dates over whole paragraphs (slow, and it reads many ordinary words as dates).
_MONTHS = (
    r"janv(?:ier|\.)?|f[ée]vr?(?:ier|\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?|"
    r"ao[uû]t|sept(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?"
)
_WEEKDAYS = r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
_TIME = r"(?:\s*(?:à|a|-|–|,)?\s*\d{1,2}\s*(?:h|:)\s*\d{0,2})?"
DATE_IN_TEXT = re.compile(
    rf"""(?:(?:publi[ée]e?|mis[e]?\s+à\s+jour|modifi[ée]e?|cr[ée]{{2}}e?|actualis[ée]e?|
            mise?\s+en\s+ligne)\s*(?:le|:)?\s*)?
        (?:le\s+)?(?:(?:{_WEEKDAYS}),?\s+)?
        (?:
          (?:1\s*er|[0-3]?\d)\s+(?:{_MONTHS})\s+(?:19|20)\d\d{_TIME}
        | [0-3]?\d[/.][01]?\d[/.](?:19|20)\d\d{_TIME}
        | il\s+y\s+a\s+(?:\d+|une?)\s+(?:secondes?|minutes?|min|heures?|h|jours?|semaines?|mois)
        )""",
    re.IGNORECASE | re.VERBOSE,
)
_MODIFIED = re.compile(r"^\W*(?:mis[e]?\s+à\s+jour|modifi|actualis|m[àa]j|updated)", re.IGNORECASE)


def _clean(text: str) -> str:
    text = " ".join(text.split())
    text = _PREFIX.sub("", text, count=1)
    text = _FIRST.sub("1", text)
    if not _RELATIVE.match(text):  # "il y a 2 h" is two hours ago, not 02:00
        text = _HOURS.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", text)
    return _TIME_GLUE.sub(" ", text).strip(" ,-–|")


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=PARIS) if dt.tzinfo is None else dt


def parse_french_date(text: str, *, relative_base: datetime | None = None) -> datetime | None:
    """Parse one French date string ("Publié le 1er mars 2024 à 09h00") into an aware datetime."""
    if not text or not text.strip():
        return None
    stripped = text.strip()
    # Machine dates from meta tags and JSON-LD are ISO 8601: no need for dateparser.
    if stripped[:4].isdigit():
        try:
            return _aware(datetime.fromisoformat(stripped.replace("Z", "+00:00")))
        except ValueError:
            pass
    settings = dict(_SETTINGS)
    if relative_base is not None:
        # dateparser wants a naive base, read in TIMEZONE.
        base = relative_base.astimezone(PARIS) if relative_base.tzinfo else relative_base
        settings["RELATIVE_BASE"] = base.replace(tzinfo=None)
    cleaned = _clean(stripped)
    try:
        found = dateparser.parse(cleaned, languages=["fr"], settings=settings)
        if found is None and cleaned != stripped:
            found = dateparser.parse(stripped, languages=["fr"], settings=settings)
        if found is None:
            from dateparser.search import search_dates

            hits = search_dates(cleaned, languages=["fr"], settings=settings)
            found = hits[0][1] if hits else None
    except (ValueError, OverflowError, TypeError, AttributeError):
        # dateparser raises on some malformed numbers; a date we cannot read is no date.
        return None
    return _aware(found) if found else None


def iter_french_dates(
    text: str, *, relative_base: datetime | None = None
) -> Iterator[tuple[datetime, bool]]:
    """French dates written in `text`, in order, each with True when labelled as an update."""
    for match in DATE_IN_TEXT.finditer(text):
        found = parse_french_date(match.group(0), relative_base=relative_base)
        if found is not None:
            yield found, bool(_MODIFIED.match(match.group(0)))


def find_french_date(
    text: str, *, relative_base: datetime | None = None
) -> tuple[datetime, bool] | None:
    """First French date written in `text`, with True when it is labelled as an update."""
    return next(iter_french_dates(text, relative_base=relative_base), None)


def to_iso(dt: datetime) -> str:
    """ISO 8601 with offset, to the second (Europe/Paris when `dt` is naive)."""
    return _aware(dt).isoformat(timespec="seconds")
