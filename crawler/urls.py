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


def _bare_host(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_host(url: str, host: str) -> bool:
    """True when `url` is on `host` ("www." and letter case ignored)."""
    try:
        found = urlsplit(url.strip()).hostname
    except ValueError:
        return False
    return bool(found) and bool(host) and _bare_host(found) == _bare_host(host)
