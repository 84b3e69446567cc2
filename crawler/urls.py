"""URL canonicalisation: one key per page, whatever tracking or fragment a link carries."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize_url
from w3lib.url import url_query_cleaner

# Campaign and click identifiers added by newsletters, social networks and analytics tools
# (Google, Meta, Microsoft, Mailchimp, HubSpot, AT Internet/Piano, Matomo, comScore...).
TRACKING_PARAMS = frozenset(
    {
        "xtor", "xts", "xtref", "xtdt", "xtcr",
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "hsctatracking",
        "mkt_tok", "_ga", "_gl", "ocid", "ref_src", "ref_url", "oly_anon_id", "oly_enc_id",
        "vero_id", "wickedid", "rb_clickid", "s_cid", "sr_share", "cmpid", "ens_ncid", "dicbo",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "ns_", "itm_", "_bta_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


# The crawler canonicalises every link of every page and menus repeat the same links on
# every page, while w3lib's canonicalize_url costs ~0.1 ms: a cache makes repeats free.
@lru_cache(maxsize=65536)
def canonicalize_url(url: str) -> str:
    """The canonical form of an http(s) URL; never raises (odd input comes back stripped)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            return url
        # w3lib keeps default ports ("https://x.fr:443/"), so they are dropped here first.
        if parts.port == DEFAULT_PORTS[scheme]:
            netloc = parts.netloc.rsplit(":", 1)[0]
            url = urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))
        if parts.query:
            # url_query_cleaner matches exact names only; prefixes (utm_*) need the names listed.
            names = {
                k for k, _ in parse_qsl(parts.query, keep_blank_values=True) if _is_tracking(k)
            }
            if names:
                url = url_query_cleaner(url, names, remove=True, unique=False, keep_fragments=True)
        # Lowercases scheme and host, drops the fragment, sorts the remaining query
        # parameters and normalises percent-encoding: equal pages get equal strings.
        return w3lib_canonicalize_url(url)
    except (ValueError, UnicodeError, TypeError):
        return url


def fetchable(url: str) -> bool:
    """True when `url` is an http(s) URL Scrapy can request: a host, a port in range.

    `urlsplit` accepts "http://[::1/x" only to raise later, and reads a port of 180800
    without complaint until `.port` is asked: both are checked here, once.
    """
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when out of range or not a number
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme.lower() not in DEFAULT_PORTS or not host or port == 0:
        return False
    return not any(c.isspace() or ord(c) < 32 for c in parts.netloc)


def _site_key(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    port = parts.port
    if port == DEFAULT_PORTS.get(parts.scheme.lower()):
        port = None  # http://x.fr and https://x.fr:443 are one site
    return host, port


def same_site(url: str, homepage: str) -> bool:
    """True when `url` is on the site of `homepage`: same host ("www." and case ignored) and,
    when one is given, same port, so local test sites on one address stay apart."""
    try:
        found, home = _site_key(url), _site_key(homepage)
    except ValueError:
        return False
    return bool(found[0]) and found == home
