"""URL canonicalisation: tracking, fragments, host case, ports; never raises."""

import pytest

from crawler.urls import canonicalize_url, same_host


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


def test_same_host() -> None:
    assert same_host("https://WWW.Exemple.fr/a", "exemple.fr")
    assert same_host("https://exemple.fr/a", "www.exemple.fr")
    assert not same_host("https://autre.fr/a", "exemple.fr")
    assert not same_host("https://sub.exemple.fr/a", "exemple.fr")
    assert not same_host("pas une url", "exemple.fr")
    assert not same_host("https://[::1/", "exemple.fr")
