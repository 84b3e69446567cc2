"""The static multi-site server the crawl tests, the benchmark and the demo rely on."""

from __future__ import annotations

import gzip
import http.client
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.siteserver import SiteServer, SiteServerError

REPO = Path(__file__).resolve().parents[1]
ROUTES = """
["/ancien.html"]
redirect = "/nouveau.html"

["/absolu.html"]
redirect = "{{base}}/nouveau.html"

["/panne.html"]
status = 503

["/latin.html"]
file = "latin1.html"
headers = { "Content-Type" = "text/html; charset=ISO-8859-1" }

["/en-ligne.txt"]
body = "Servi depuis {{base}}"

["/lent.html"]
delay = 0.05
status = 404
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text("<a href='{{base}}/page.html'>Accueil</a>", encoding="utf-8")
    (root / "rubrique").mkdir()
    (root / "rubrique" / "index.html").write_text("<h1>Rubrique</h1>", encoding="utf-8")
    (root / "nouveau.html").write_text("<p>Nouvelle page</p>", encoding="utf-8")
    (root / "latin1.html").write_bytes("<p>L’été « chaud » {{base}}</p>".encode("cp1252"))
    (root / "sitemap.xml").write_text("<urlset><loc>{{base}}/a.html</loc></urlset>")
    (root / "data.json").write_text('{"base": "{{base}}"}')
    (root / "image.png").write_bytes(b"\x89PNG{{base}}")
    (root / "_routes.toml").write_text(ROUTES, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(site, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    (other / "index.html").write_text("<p>Autre site</p>", encoding="utf-8")
    with SiteServer({"un": site, "deux": other}) as srv:
        yield srv


def get(server: SiteServer, path: str, site: str = "un", headers: dict | None = None):
    """GET without following redirects: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port(site), timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_base_urls_one_port_per_site(server):
    un, deux = server.base_url("un"), server.base_url("deux")
    assert un.startswith("http://127.0.0.1:") and not un.endswith("/")
    assert un != deux
    assert get(server, "/", "deux")[2] == b"<p>Autre site</p>"
    with pytest.raises(KeyError):
        server.base_url("trois")


def test_files_directories_and_placeholders(server):
    base = server.base_url("un").encode()
    status, headers, body = get(server, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == b"<a href='" + base + b"/page.html'>Accueil</a>"
    assert get(server, "/rubrique/")[2] == b"<h1>Rubrique</h1>"
    status, headers, _ = get(server, "/rubrique")
    assert (status, headers["Location"]) == (301, "/rubrique/")
    status, headers, body = get(server, "/sitemap.xml?page=2")
    assert headers["Content-Type"] == "application/xml"
    assert base + b"/a.html" in body
    assert get(server, "/data.json")[2] == b'{"base": "' + base + b'"}'
    # Not a text type: bytes untouched.
    assert get(server, "/image.png")[2] == b"\x89PNG{{base}}"


def test_missing_files_routes_file_and_traversal_are_404(server):
    assert get(server, "/absent.html")[0] == 404
    assert get(server, "/_routes.toml")[0] == 404
    assert get(server, "/../../etc/passwd")[0] == 404


def test_gzip_on_the_fly_after_substitution(server):
    status, headers, body = get(server, "/sitemap.xml.gz")
    assert status == 200
    assert headers["Content-Type"] == "application/gzip"
    assert gzip.decompress(body) == get(server, "/sitemap.xml")[2]


def test_routes(server):
    base = server.base_url("un")
    status, headers, _ = get(server, "/ancien.html")
    assert (status, headers["Location"]) == (301, "/nouveau.html")
    assert get(server, "/absolu.html")[1]["Location"] == f"{base}/nouveau.html"
    status, _, body = get(server, "/panne.html")
    assert status == 503 and b"503" in body
    status, headers, body = get(server, "/latin.html")
    assert headers["Content-Type"] == "text/html; charset=ISO-8859-1"
    # Windows-1252 bytes kept as they are, placeholder replaced byte-wise.
    assert body == "<p>L’été « chaud » ".encode("cp1252") + base.encode() + b"</p>"
    status, headers, body = get(server, "/en-ligne.txt")
    assert (status, body) == (200, f"Servi depuis {base}".encode())
    assert headers["Content-Type"].startswith("text/plain")
    assert get(server, "/lent.html")[0] == 404


def test_routes_are_reread_on_each_request(server, site):
    routes = site / "_routes.toml"
    original = routes.read_text(encoding="utf-8")
    try:
        routes.write_text(original + '\n["/nouveau.html"]\nstatus = 410\n', encoding="utf-8")
        assert get(server, "/nouveau.html")[0] == 410
    finally:
        routes.write_text(original, encoding="utf-8")
    assert get(server, "/nouveau.html")[0] == 200


def test_request_log(server):
    server.clear_log()
    get(server, "/robots.txt", headers={"User-Agent": "veille-test/1 (+mailto:t@example.org)"})
    get(server, "/", "deux")
    (entry,) = server.requests("un")
    assert (entry.path, entry.status, entry.method) == ("/robots.txt", 404, "GET")
    assert entry.user_agent == "veille-test/1 (+mailto:t@example.org)"
    assert [r.site for r in server.requests()] == ["un", "deux"]


def test_fixed_ports_and_busy_port(site):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(SiteServerError, match="cannot listen"):
            SiteServer({"un": site}, ports={"un": port}).start()
    with SiteServer({"un": site}, ports={"un": port}) as srv:
        assert srv.base_url("un") == f"http://127.0.0.1:{port}"


def test_not_a_folder(tmp_path):
    with pytest.raises(SiteServerError, match="not a folder"):
        SiteServer({"x": tmp_path / "absent"})


def test_command_line_prints_base_urls(site):
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.siteserver", str(site)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        name, url = line.strip().split(": ", 1)
        assert name == site.name
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/rubrique/")
        assert conn.getresponse().read() == b"<h1>Rubrique</h1>"
        conn.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
