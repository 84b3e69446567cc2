"""Load and validate `sources.toml`: the outlets veille crawls, as data staff can edit."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

from cssselect import SelectorError
from lxml.cssselect import CSSSelector

from common.source_config import (
    DEFAULT_MAX_NEW,
    DEFAULT_USER_AGENT,
    Config,
    CrawlSettings,
    Selectors,
    Source,
    SourcesError,
)
from crawler.urls import fetchable

DEFAULT_SOURCES = Path(__file__).with_name("sources.toml")
# Longer waits than these are typing mistakes, not politeness (and `inf` would hang).
MAX_TIMEOUT = 600.0
MAX_DELAY = 600.0

SOURCE_KEYS = {
    "name",
    "region",
    "homepage",
    "feeds",
    "sitemaps",
    "listings",
    "allow",
    "deny",
    "selectors",
    "listing_depth",
    "max_new",
}
SELECTOR_KEYS = {"text", "title", "date", "author"}
CRAWL_KEYS = {
    "user_agent",
    "listing_depth",
    "timeout",
    "max_new",
    "download_delay",
    "autothrottle_start_delay",
}


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a sources file (the shipped one when `path` is None)."""
    path = Path(path) if path else DEFAULT_SOURCES
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read the sources file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SourcesError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict, path: Path) -> Config:
    """Validate an already parsed sources document."""
    unknown = set(data) - {"crawl", "sources"}
    if unknown:
        raise SourcesError(f"{path}: unknown top-level key(s) {_names(unknown)}")
    crawl = _parse_crawl(data.get("crawl", {}), path)
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourcesError(f"{path}: no [[sources]] entries; add at least one outlet")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_sources, start=1):
        source = _parse_source(raw, index, path)
        if source.name in seen:
            raise SourcesError(f"{path}: source {source.name!r}: key 'name': used twice")
        seen.add(source.name)
        sources.append(source)
    return Config(path, crawl, tuple(sources))


def _parse_crawl(raw: object, path: Path) -> CrawlSettings:
    where = f"{path}: [crawl]"
    if not isinstance(raw, dict):
        raise SourcesError(f"{where}: must be a table")
    unknown = set(raw) - CRAWL_KEYS
    if unknown:
        raise SourcesError(f"{where}: unknown key(s) {_names(unknown)}")
    agent = raw.get("user_agent", DEFAULT_USER_AGENT)
    if not isinstance(agent, str) or not agent.strip():
        raise SourcesError(f"{where}: key 'user_agent': must be a non-empty string")
    if "mailto:" not in agent and "http" not in agent:
        # Polite crawling: site owners must be able to reach whoever runs the crawl.
        raise SourcesError(
            f"{where}: key 'user_agent': must give a contact, e.g. "
            f"'veille/0.1 (+mailto:you@example.org)'"
        )
    depth = _int(raw.get("listing_depth", 3), where, "listing_depth", minimum=0)
    max_new = _int(raw.get("max_new", DEFAULT_MAX_NEW), where, "max_new", minimum=1)
    timeout = _seconds(raw.get("timeout", 30.0), where, "timeout", MAX_TIMEOUT)
    if timeout == 0:
        raise SourcesError(f"{where}: key 'timeout': must be more than 0 seconds")
    delays = {
        key: _seconds(raw.get(key, default), where, key, MAX_DELAY)
        for key, default in (("download_delay", 1.0), ("autothrottle_start_delay", 5.0))
    }
    return CrawlSettings(agent.strip(), depth, timeout, max_new, **delays)


def _parse_source(raw: object, index: int, path: Path) -> Source:
    if not isinstance(raw, dict):
        raise SourcesError(f"{path}: source #{index}: must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SourcesError(f"{path}: source #{index}: key 'name': missing or empty")
    where = f"{path}: source {name!r}"
    unknown = set(raw) - SOURCE_KEYS
    if unknown:
        raise SourcesError(f"{where}: unknown key(s) {_names(unknown)}")
    homepage = raw.get("homepage")
    if homepage is None:
        raise SourcesError(f"{where}: key 'homepage': missing")
    homepage = _url(homepage, where, "homepage")
    region = raw.get("region")
    if region is not None and not isinstance(region, str):
        raise SourcesError(f"{where}: key 'region': must be a string")
    lists = {}
    for key in ("feeds", "sitemaps", "listings"):
        values = _str_list(raw.get(key, []), where, key)
        lists[key] = tuple(_url(v, where, key) for v in values)
    if not any(lists.values()):
        raise SourcesError(f"{where}: give at least one of 'feeds', 'sitemaps' or 'listings'")
    patterns = {}
    for key in ("allow", "deny"):
        values = _str_list(raw.get(key, []), where, key)
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise SourcesError(f"{where}: key {key!r}: bad regex {value!r}: {exc}") from None
        patterns[key] = tuple(values)
    selectors = raw.get("selectors", {})
    if not isinstance(selectors, dict):
        raise SourcesError(f"{where}: key 'selectors': must be a table")
    unknown = set(selectors) - SELECTOR_KEYS
    if unknown:
        raise SourcesError(f"{where}: key 'selectors': unknown selector(s) {_names(unknown)}")
    for key, value in selectors.items():
        if not isinstance(value, str) or not value.strip():
            raise SourcesError(f"{where}: key 'selectors.{key}': must be a CSS selector string")
        try:
            # Compiled as crawler.extract compiles it, so what loads here works on the pages.
            CSSSelector(value)
        except SelectorError as exc:
            raise SourcesError(
                f"{where}: key 'selectors.{key}': {value!r} is not a valid CSS selector ({exc})"
            ) from None
    depth = raw.get("listing_depth")
    if depth is not None:
        depth = _int(depth, where, "listing_depth", minimum=0)
    max_new = raw.get("max_new")
    if max_new is not None:
        max_new = _int(max_new, where, "max_new", minimum=1)
    return Source(
        name=name.strip(),
        homepage=homepage,
        region=region,
        selectors=Selectors(**selectors),
        listing_depth=depth,
        max_new=max_new,
        **lists,
        **patterns,
    )


def _names(keys: set[str]) -> str:
    return ", ".join(repr(k) for k in sorted(keys))


def _str_list(value: object, where: str, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SourcesError(f"{where}: key {key!r}: must be a list of strings")
    return value


def _url(value: object, where: str, key: str) -> str:
    if not isinstance(value, str):
        raise SourcesError(f"{where}: key {key!r}: must be a URL string")
    if not fetchable(value.strip()):
        raise SourcesError(
            f"{where}: key {key!r}: {value!r} is not an http(s) URL with a valid host and port"
        )
    return value.strip()


def _seconds(value: object, where: str, key: str, maximum: float) -> float:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 <= value <= maximum
    ):
        raise SourcesError(
            f"{where}: key {key!r}: must be a number of seconds from 0 to {maximum:g}"
        )
    return float(value)


def _int(value: object, where: str, key: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SourcesError(f"{where}: key {key!r}: must be a whole number >= {minimum}")
    return value
