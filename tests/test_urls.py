"""URL canonicalisation: tracking, fragments, host case, ports; never raises."""

import pytest

from crawler.urls import canonicalize_url, fetchable, same_site


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # tracking parameters go, whatever their case; the others stay
        (
            "https://www.exemple.fr/eco/article.html?utm_source=rss&utm_medium=flux&id=42",
            "https://www.exemple.fr/eco/article.html?id=42",
        ),
        ("https://exemple.fr/a.html?xtor=RSS-3&UTM_Campaign=lettre", "https://exemple.fr/a.html"),
        ("https://exemple.fr/a?fbclid=IwAR0x&gclid=Cj0&page=2", "https://exemple.fr/a?page=2"),
        (
            "https://exemple.fr/a?mc_cid=1&mc_eid=2&at_medium=x&at_campaign=y",
            "https://exemple.fr/a",
        ),
        ("https://exemple.fr/a?pk_campaign=z&mtm_source=n&q=tech", "https://exemple.fr/a?q=tech"),
        # fragments go
        ("https://exemple.fr/article#commentaires", "https://exemple.fr/article"),
        ("https://exemple.fr/article?id=1#haut", "https://exemple.fr/article?id=1"),
        # scheme and host lowercased, path case kept
        ("HTTPS://WWW.Exemple.FR/Economie/Start-Up", "https://www.exemple.fr/Economie/Start-Up"),
        # default ports dropped, others kept
        ("http://exemple.fr:80/a", "http://exemple.fr/a"),
        ("https://exemple.fr:443/a", "https://exemple.fr/a"),
        ("https://exemple.fr:8443/a", "https://exemple.fr:8443/a"),
        ("http://127.0.0.1:8080/a?utm_source=x", "http://127.0.0.1:8080/a"),
        # remaining parameters sorted (name, then value), repeated names and blanks kept
        ("https://exemple.fr/l?page=2&cat=eco", "https://exemple.fr/l?cat=eco&page=2"),
        ("https://exemple.fr/l?b=2&a=1&b=1&vide=", "https://exemple.fr/l?a=1&b=1&b=2&vide="),
        # an empty query goes
        ("https://exemple.fr/a?", "https://exemple.fr/a"),
        # percent-encoding normalised
        ("https://exemple.fr/caf%c3%a9", "https://exemple.fr/caf%C3%A9"),
        ("https://exemple.fr/été", "https://exemple.fr/%C3%A9t%C3%A9"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_same_page_same_key() -> None:
    variants = [
        "https://WWW.exemple.fr/a.html?id=3&utm_source=facebook#top",
        "https://www.exemple.fr:443/a.html?fbclid=1&id=3",
        "https://www.exemple.fr/a.html?id=3",
    ]
    assert len({canonicalize_url(u) for u in variants}) == 1


@pytest.mark.parametrize(
    "odd",
    ["", "   ", "pas une url", "mailto:redaction@exemple.fr", "javascript:void(0)", "//exemple.fr/x",
     "https://exemple.fr:99999/", "http://exemple.fr:abc/", "https://[::1/", "tel:+33100000000"],
)  # fmt: skip
def test_odd_input_comes_back_stripped(odd: str) -> None:
    assert canonicalize_url(f" {odd} ") == odd.strip()


def test_same_site() -> None:
    assert same_site("https://WWW.Exemple.fr/a", "https://exemple.fr/")
    assert same_site("https://exemple.fr/a", "http://www.exemple.fr/")
    assert same_site("https://exemple.fr:443/a", "https://exemple.fr/")
    assert not same_site("https://autre.fr/a", "https://exemple.fr/")
    assert not same_site("https://sub.exemple.fr/a", "https://exemple.fr/")
    assert not same_site("pas une url", "https://exemple.fr/")
    assert not same_site("https://[::1/", "https://exemple.fr/")
    # Local sites on one address are told apart by their port.
    assert same_site("http://127.0.0.1:8001/a", "http://127.0.0.1:8001/")
    assert not same_site("http://127.0.0.1:8002/a", "http://127.0.0.1:8001/")


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://exemple.fr/rss.xml", True),
        ("http://127.0.0.1:8001/a", True),
        ("http://[::1]:8001/a", True),
        ("http://[::1/rss.xml", False),  # broken IPv6 host
        ("http://exemple.fr:180800/rss.xml", False),  # port out of range
        ("http://exemple.fr:abc/", False),
        ("http://exemple.fr:0/", False),
        ("http://exem ple.fr/", False),
        ("ftp://exemple.fr/", False),
        ("mailto:x@exemple.fr", False),
        ("/relative/path", False),
    ],
)
def test_fetchable(url: str, ok: bool) -> None:
    assert fetchable(url) is ok
