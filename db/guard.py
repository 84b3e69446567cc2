"""Datasette plugin that keeps `veille serve` answering clearly whatever a visitor sends.

Stock Datasette 0.65 answers some odd requests with HTTP 500 (`_sort=nope`, `_next=garbage`
on a view, POST on a table, control characters in a canned query's parameters, `//etc/passwd`)
and lets one arbitrary-SQL request build a response of several gigabytes. veille serves
communicators, possibly a team over a network, so this plugin:

- checks each request before Datasette sees it (method, path, parameters) and answers
  400/404/405 with a French message;
- replaces Datasette's error page with French messages and the right status, and never prints
  a traceback for a visitor's mistake;
- bounds what one request can cost: SQLite length, column and SQL-size limits on every
  connection, and a cap on the bytes of any one response.

It is registered by db/serve.py (`register(ds)`), not through an entry point, so that only the
Datasette that veille starts has it.
"""

from __future__ import annotations

import html
import json
import logging
import re
import sqlite3
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import Base400, Forbidden, NotFound, Response
from datasette.views.base import DatasetteError

log = logging.getLogger("veille.serve")

# Largest string or blob one SQL value may hold. Stored article texts are far below it
# (pages over 5 MB are not fetched); `randomblob(1000000000)` fails at once instead of
# allocating a gigabyte.
MAX_VALUE_BYTES = 8_000_000
# Widest result row and longest SQL text a request may ask for.
MAX_COLUMNS = 200
MAX_SQL_BYTES = 100_000
# Largest response body: a page of 500 rows of article text stays far below it; CSV
# exports that would pass it are cut there (`veille search --csv` exports everything).
MAX_RESPONSE_BYTES = 64_000_000

ALLOWED_METHODS = {"GET", "HEAD"}
# Datasette's own forms that POST (sign-in, the password tool, CSRF-checked).
POST_PATHS = {"/-/login", "/-/logout", "/-/password-tool"}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MESSAGES = {
    400: "Requête invalide",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Réponse trop volumineuse",
    500: "Erreur du serveur",
}


class _Reject(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def register() -> None:
    """Register this plugin (once per process) in place of Datasette's default error page."""
    if pm.get_plugin("veille-guard") is None:
        import sys

        pm.register(sys.modules[__name__], name="veille-guard")
    # Datasette's default handler would also run for every error (all handle_exception hooks
    # are called), printing a traceback and, for a 404 raised outside an `except` block,
    # failing itself: ours answers every case, so the default one goes.
    default = pm.get_plugin("datasette.handle_exception")
    if default is not None:
        pm.unregister(default)


def check_request(scope: dict) -> None:
    """Raise `_Reject` for a request Datasette would answer with a 500 or a traceback."""
    method = scope.get("method", "GET")
    path = scope.get("path", "")
    if method not in ALLOWED_METHODS and not (method == "POST" and path in POST_PATHS):
        raise _Reject(
            405,
            f"La méthode {method} n'est pas acceptée ici : ces pages se consultent (GET).",
            {"allow": "GET, HEAD"},
        )
    if "//" in path or _CONTROL.search(path):
        raise _Reject(404, "Cette adresse ne correspond à aucune page.")
    raw = scope.get("query_string", b"")
    try:
        query = raw.decode("ascii")
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise _Reject(400, "L'adresse contient des caractères mal encodés.") from None
    for key, value in pairs:
        # Atom is XML, which cannot carry control characters (datasette-atom fails on them);
        # the other formats show such a search as finding nothing.
        if path.endswith(".atom") and (_CONTROL.search(key) or _CONTROL.search(value)):
            raise _Reject(400, f"Le paramètre « {_short(key)} » contient un caractère de contrôle.")
        if key in _INTEGER_PARAMS and not _valid_integer(key, value):
            raise _Reject(400, f"Le paramètre « {key} » attend un nombre entier.")
        if key == "_next" and value and not _valid_next(value):
            raise _Reject(400, "Le paramètre « _next » (page suivante) n'est pas valide.")
        if key == "_through" and not _valid_through(value):
            raise _Reject(
                400,
                "Le paramètre « _through » attend un objet JSON "
                '{"table": …, "column": …, "value": …}.',
            )
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"")
    if auth and not _valid_basic(auth):
        raise _Reject(400, "L'en-tête Authorization n'est pas valide.")


def _short(text: str) -> str:
    text = _CONTROL.sub("?", text)
    return text if len(text) <= 40 else text[:40] + "…"


# Parameters Datasette reads with int() (a 500 on anything else); `_size` also takes "max".
_INTEGER_PARAMS = {"_timelimit", "_size", "_facet_size"}


def _valid_integer(key: str, value: str) -> bool:
    if key in ("_size", "_facet_size") and value == "max":
        return True
    return value.isascii() and value.isdigit() and len(value) <= 9


def _valid_next(value: str) -> bool:
    # Datasette's cursors are comma-separated, tilde-encoded values; on views and row-id
    # tables the cursor is an offset or a rowid, which it parses with int().
    return len(value) <= 2000


def _valid_through(value: str) -> bool:
    try:
        data = json.loads(value)
    except ValueError:
        return False
    return isinstance(data, dict) and {"table", "column", "value"} <= set(data)


def _valid_basic(value: bytes) -> bool:
    import base64
    import binascii

    if not value.startswith(b"Basic "):
        return True  # not ours to judge: other schemes are ignored
    try:
        base64.b64decode(value[6:], validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return True


def error_response(status: int, detail: str, *, path: str, headers: dict | None = None):
    """A French error answer: JSON for .json/.atom-less API paths, else a small HTML page."""
    title = MESSAGES.get(status, "Erreur")
    if path.split("?")[0].endswith(".json"):
        return Response.json(
            {"ok": False, "status": status, "title": title, "error": detail},
            status=status,
            headers=headers,
        )
    body = (
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<link rel='stylesheet' href='/-/static/app.css'></head><body>"
        f"<div class='page-header'><h1>{html.escape(title)}</h1></div>"
        f"<p>{html.escape(detail)}</p>"
        "<p><a href='/'>Retour à l'accueil</a></p></body></html>"
    )
    return Response.html(body, status=status, headers=headers)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def guarded(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            try:
                check_request(scope)
            except _Reject as reject:
                response = error_response(
                    reject.status, reject.detail, path=scope.get("path", ""), headers=reject.headers
                )
                return await response.asgi_send(send)
            await app(scope, receive, _capped(send, scope))

        return guarded

    return wrap


def _capped(send, scope):
    """Wrap `send` so no response body passes MAX_RESPONSE_BYTES."""
    state = {"sent": 0, "start": None, "cut": False}

    async def capped_send(message):
        if state["cut"]:
            return
        if message["type"] == "http.response.start":
            length = dict(message.get("headers") or []).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
                state["cut"] = True
                log.warning("response of %s bytes refused: %s", length.decode(), scope["path"])
                response = error_response(
                    413,
                    "La réponse dépasserait la taille autorisée ; affinez la recherche "
                    "ou exportez avec `veille search --csv`.",
                    path=scope.get("path", ""),
                )
                return await response.asgi_send(send)
            return await send(message)
        if message["type"] == "http.response.body":
            state["sent"] += len(message.get("body", b""))
            if state["sent"] > MAX_RESPONSE_BYTES:
                # Headers are gone already (a stream): end the body here.
                state["cut"] = True
                log.warning("response cut at %s bytes: %s", MAX_RESPONSE_BYTES, scope["path"])
                return await send({"type": "http.response.body", "body": b"", "more_body": False})
        return await send(message)

    return capped_send


@hookimpl
def prepare_connection(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, MAX_COLUMNS)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)


@hookimpl
def handle_exception(datasette, request, exception):
    status, detail = _classify(exception, dict(request.args))
    if status >= 500:
        log.error("error on %s", request.path, exc_info=exception)
    return error_response(status, detail, path=request.path)


def _classify(exception: BaseException, args: dict) -> tuple[int, str]:
    if isinstance(exception, NotFound):
        return 404, "Cette adresse ne correspond à aucune page, table ou requête."
    if isinstance(exception, Forbidden):
        return 403, "Vous n'avez pas accès à cette page."
    if isinstance(exception, Base400):
        return exception.status, _french(str(exception.args[0] if exception.args else ""))[0]
    if isinstance(exception, DatasetteError):
        message, known = _french(exception.message)
        # Datasette raises a visitor's mistakes (an unknown sort column…) with its default
        # status 500: the known ones are the visitor's, so 400.
        return (400 if known and exception.status == 500 else exception.status), message
    if isinstance(exception, OverflowError):
        # A number in the URL beyond SQLite's 64-bit integers (`id__gt=99999999999999999999`).
        return 400, "Un nombre de l'adresse est trop grand."
    if isinstance(exception, sqlite3.IntegrityError) and "datatype mismatch" in str(exception):
        return 400, "Un paramètre de l'adresse n'est pas du type attendu."
    if isinstance(exception, KeyError) and any(k.startswith("_facet") for k in args):
        # Datasette reads a `_facet` value that looks like JSON as a facet spec.
        return 400, "Le paramètre « _facet » n'est pas valide."
    if isinstance(exception, sqlite3.DataError | sqlite3.OperationalError):
        if "too big" in str(exception):
            return 400, "La requête produirait une valeur trop volumineuse."
        return 400, f"La requête n'a pas pu aboutir ({exception})."
    if isinstance(exception, ValueError) and "_next" in args:
        # A view's `_next` is an offset that Datasette reads with int().
        return 400, "Le paramètre « _next » (page suivante) n'est pas valide."
    return 500, "Une erreur inattendue est survenue ; elle a été notée dans le journal du serveur."


_TRANSLATIONS = [
    (
        re.compile(r"^Cannot sort table by (.+)$"),
        "Impossible de trier par « {0} » : ce n'est pas une colonne triable.",
    ),
    (
        re.compile(r"^Cannot use _sort and _sort_desc at the same time$"),
        "Choisissez un seul tri : _sort ou _sort_desc.",
    ),
    (
        re.compile(r"^SQL Interrupted$"),
        "La requête a pris trop de temps et a été interrompue ; précisez-la.",
    ),
    (re.compile(r"^Database not found: (.+)$"), "Base de données introuvable : {0}"),
    (re.compile(r"^Table not found: (.+)$"), "Table introuvable : {0}"),
]


def _french(message: str) -> tuple[str, bool]:
    """The French message for one of Datasette's, and whether it was a known one."""
    for pattern, template in _TRANSLATIONS:
        match = pattern.match(message)
        if match:
            return template.format(*match.groups()), True
    return message or "La requête n'est pas valide.", False


# Team mode (`veille serve --team`): `datasette.veille_team` holds the accounts of db/users.py.


@hookimpl
def actor_from_request(datasette, request):
    team = getattr(datasette, "veille_team", None)
    token = request.args.get("_token")
    if not team or not token or not request.path.endswith(".atom"):
        return None
    # A feed reader cannot sign in: a member's feed token opens that member's Atom feeds, and
    # nothing else.
    from db.users import actor_for_token

    return actor_for_token(team, token)


@hookimpl
def forbidden(datasette, request, message):
    if getattr(datasette, "veille_team", None) and request.actor is None:
        return Response.redirect("/-/login")
    return None
