"""A static multi-site HTTP server on 127.0.0.1, for the tests, the benchmark and the demo.

Each site is a folder served on its own port. Conventions the fixture and demo sites rely on:

- URL paths map to files; `/dir/` serves `dir/index.html`; the query string is ignored.
- Content-Type is guessed from the extension (.html → text/html; charset=utf-8).
- In .html, .xml, .txt and .json files (and inline route bodies), `{{base}}` is replaced by the
  site's base URL, byte-wise, so a Windows-1252 file keeps its bytes.
- `X.gz` when only `X` exists serves gzip(X), after the substitution.
- An optional `_routes.toml` at the site root overrides paths: one table per path with optional
  keys status, headers, redirect (301 + Location), delay (seconds), body, file. It is re-read on
  every request, so a test may edit a site between two crawls. `_routes.toml` is never served.
- Every request is logged in memory (site, method, path, headers, status) for tests to read.

http.server rather than a framework: the standard library is enough for static files plus a
few overrides, and it keeps the demo free of extra dependencies.
"""

from __future__ import annotations

import argparse
import gzip
import mimetypes
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROUTES_FILE = "_routes.toml"
PLACEHOLDER = b"{{base}}"
SUBSTITUTED = {".html", ".htm", ".xml", ".txt", ".json", ".rss", ".atom"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".gz": "application/gzip",
    ".pdf": "application/pdf",
}


class SiteServerError(RuntimeError):
    """A site folder or route file the server cannot use."""


@dataclass
class LoggedRequest:
    """One request a site received."""

    site: str
    method: str
    path: str  # path and query string, as sent
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0  # 0 while the answer is being prepared (a delayed route)

    @property
    def user_agent(self) -> str:
        return self.headers.get("user-agent", "")


class SiteServer:
    """Serve several static sites on 127.0.0.1, one port each; a context manager."""

    def __init__(
        self,
        sites: dict[str, Path],
        host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
    ) -> None:
        for name, root in sites.items():
            if not Path(root).is_dir():
                raise SiteServerError(f"site {name!r}: {root} is not a folder")
        self.sites = {name: Path(root).resolve() for name, root in sites.items()}
        self.host = host
        self.ports = dict(ports or {})
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SiteServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind every site's port and serve in background threads."""
        if self._servers:
            return
        try:
            for name, root in self.sites.items():
                handler = type(f"Handler_{len(self._servers)}", (_Handler,), {})
                handler.site_name, handler.root, handler.owner = name, root, self
                server = ThreadingHTTPServer((self.host, self.ports.get(name) or 0), handler)
                server.daemon_threads = True
                self._servers[name] = server
        except OSError as exc:
            self.stop()
            raise SiteServerError(f"cannot listen on {self.host}: {exc}") from None
        for name, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever, name=f"siteserver-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop serving and close the ports."""
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def port(self, name: str) -> int:
        """The port site `name` listens on."""
        return self._servers[name].server_address[1]

    def base_url(self, name: str) -> str:
        """e.g. "http://127.0.0.1:41234", no trailing slash."""
        if name not in self._servers:
            raise KeyError(f"no site named {name!r} is being served")
        return f"http://{self.host}:{self.port(name)}"

    def requests(self, site: str | None = None) -> list[LoggedRequest]:
        """Requests received so far (by one site when `site` is given), oldest first."""
        with self._lock:
            return [r for r in self._log if site is None or r.site == site]

    def clear_log(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._log.clear()

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive: Scrapy reuses connections, which matters for the benchmark.
    protocol_version = "HTTP/1.1"
    server_version = "veille-siteserver"
    site_name: str
    root: Path
    owner: SiteServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the request log lives in memory, not on stderr."""

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(head=False)

    @property
    def base(self) -> bytes:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}".encode()

    def _answer(self, head: bool) -> None:
        # Logged on arrival, so a request still waiting on a delayed route is counted.
        entry = LoggedRequest(
            self.site_name, self.command, self.path, {k.lower(): v for k, v in self.headers.items()}
        )
        self.owner._record(entry)
        status, headers, body = self._resolve()
        entry.status = status
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test): nothing left to tell it.
            self.close_connection = True

    def _resolve(self) -> tuple[int, dict[str, str], bytes]:
        path = unquote(urlsplit(self.path).path) or "/"
        route = self._routes().get(path)
        if route is not None:
            return self._route(path, route)
        return self._static(path)

    def _routes(self) -> dict:
        file = self.root / ROUTES_FILE
        if not file.is_file():
            return {}
        try:
            routes = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            print(f"siteserver: {file}: {exc}", file=sys.stderr)
            return {}
        return {k: v for k, v in routes.items() if isinstance(v, dict)}

    def _route(self, path: str, route: dict) -> tuple[int, dict[str, str], bytes]:
        if route.get("delay"):
            time.sleep(float(route["delay"]))
        extra = {
            str(k): str(v).replace("{{base}}", self.base.decode())
            for k, v in route.get("headers", {}).items()
        }
        if "redirect" in route:
            location = str(route["redirect"]).replace("{{base}}", self.base.decode())
            headers = {"Location": location, "Content-Type": "text/html; charset=utf-8", **extra}
            return int(route.get("status", 301)), headers, b""
        if "body" in route:
            status = int(route.get("status", 200))
            body = str(route["body"]).encode("utf-8").replace(PLACEHOLDER, self.base)
            headers = {"Content-Type": _content_type(path) or "text/html; charset=utf-8", **extra}
            return status, headers, body
        target = route.get("file")
        status, headers, body = self._static(f"/{str(target).lstrip('/')}" if target else path)
        if "status" in route:
            if status == 404 and not target:
                body = f"<!DOCTYPE html><h1>Erreur {route['status']}</h1>".encode()
            status = int(route["status"])
        if target:
            headers = {"Content-Type": _content_type(str(target)) or headers["Content-Type"]}
        return status, {**headers, **extra}, body

    def _static(self, path: str) -> tuple[int, dict[str, str], bytes]:
        file = self._file_for(path)
        if file is None:
            if path.endswith(".gz") and (plain := self._file_for(path[:-3])) is not None:
                body = gzip.compress(self._read(plain), mtime=0)
                return 200, {"Content-Type": "application/gzip"}, body
            if not path.endswith("/") and self._is_dir(path):
                return 301, {"Location": path + "/"}, b""
            return 404, {"Content-Type": "text/html; charset=utf-8"}, _NOT_FOUND
        content_type = _content_type(file.name) or "application/octet-stream"
        return 200, {"Content-Type": content_type}, self._read(file)

    def _within(self, path: str) -> Path | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None  # ../ outside the site
        return candidate

    def _is_dir(self, path: str) -> bool:
        candidate = self._within(path)
        return candidate is not None and candidate.is_dir()

    def _file_for(self, path: str) -> Path | None:
        candidate = self._within(path)
        if candidate is None:
            return None
        if path.endswith("/") or candidate.is_dir():
            if not path.endswith("/"):
                return None
            candidate = candidate / "index.html"
        if not candidate.is_file() or candidate == self.root / ROUTES_FILE:
            return None
        return candidate

    def _read(self, file: Path) -> bytes:
        data = file.read_bytes()
        if file.suffix.lower() in SUBSTITUTED:
            data = data.replace(PLACEHOLDER, self.base)
        return data


_NOT_FOUND = b"<!DOCTYPE html><html><body><h1>404 - Page introuvable</h1></body></html>"


def _content_type(name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    return mimetypes.guess_type(name)[0]


def main(argv: list[str] | None = None) -> None:
    """Serve the given site folders until Ctrl-C, printing each base URL."""
    parser = argparse.ArgumentParser(prog="python -m crawler.siteserver", description=main.__doc__)
    parser.add_argument("dirs", nargs="+", type=Path, help="site folders, one port each")
    parser.add_argument("--port", type=int, default=0, help="first port (default: free ports)")
    args = parser.parse_args(argv)
    sites = {d.resolve().name: d for d in args.dirs}
    ports = {name: args.port + i if args.port else 0 for i, name in enumerate(sites)}
    try:
        server = SiteServer(sites, ports=ports)
        server.start()
    except SiteServerError as exc:
        parser.exit(2, f"error: {exc}\n")
    for name in sites:
        print(f"{name}: {server.base_url(name)}/", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
