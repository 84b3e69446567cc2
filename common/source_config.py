"""The source configuration as typed data: what `crawler/sources.py` loads from `sources.toml`.

Shared by crawler/ (which loads and validates the file, and crawls) and db/ (which records the
sources), so it lives below both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from common.errors import VeilleError

DEFAULT_USER_AGENT = "veille/0.1 (+mailto:contact@example.org)"
# New articles requested per source and crawl, newest first; the rest wait for the next
# crawls. A regional daily publishes 50 to 150 articles a day: 200 keeps up with one, and
# bounds the first crawl of an outlet whose sitemap lists years of articles.
DEFAULT_MAX_NEW = 200


class SourcesError(VeilleError, ValueError):
    """A sources file that cannot be used; the message names the file, source and key."""


@dataclass(frozen=True)
class Selectors:
    """Per-source CSS selectors that override trafilatura's guesses."""

    text: str | None = None
    title: str | None = None
    date: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class Source:
    """One outlet: where to discover its articles and how to read them."""

    name: str
    homepage: str
    region: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    selectors: Selectors = field(default_factory=Selectors)
    listing_depth: int | None = None
    max_new: int | None = None  # None: the [crawl] table's

    @property
    def host(self) -> str:
        return urlsplit(self.homepage).hostname or ""


@dataclass(frozen=True)
class CrawlSettings:
    """The `[crawl]` table: settings shared by every source."""

    user_agent: str = DEFAULT_USER_AGENT
    listing_depth: int = 3
    timeout: float = 30.0
    max_new: int = DEFAULT_MAX_NEW  # new articles requested per source and crawl
    # Seconds between two requests to a host (AutoThrottle never goes below it) and
    # AutoThrottle's first delay. Lower them only for sites you run yourself (tests, demo).
    download_delay: float = 1.0
    autothrottle_start_delay: float = 5.0


@dataclass(frozen=True)
class Config:
    """A loaded sources file."""

    path: Path
    crawl: CrawlSettings
    sources: tuple[Source, ...]

    def select(self, names: list[str] | tuple[str, ...]) -> Config:
        """Keep only the named sources; unknown names are an error."""
        if not names:
            return self
        known = {s.name: s for s in self.sources}
        missing = [n for n in names if n not in known]
        if missing:
            raise SourcesError(
                f"{self.path}: no source named {', '.join(repr(m) for m in missing)}; "
                f"known sources: {', '.join(sorted(known))}"
            )
        return Config(self.path, self.crawl, tuple(known[n] for n in names))

    def to_dict(self) -> dict:
        """Plain JSON-ready data; `config_from_dict` reads it back (for the crawl's child)."""
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def config_from_dict(data: dict) -> Config:
    """The `Config` that `Config.to_dict` gave."""
    sources = []
    for raw in data["sources"]:
        raw = dict(raw)
        for key in ("feeds", "sitemaps", "listings", "allow", "deny"):
            raw[key] = tuple(raw.get(key) or ())
        raw["selectors"] = Selectors(**(raw.get("selectors") or {}))
        sources.append(Source(**raw))
    return Config(Path(data["path"]), CrawlSettings(**data["crawl"]), tuple(sources))
