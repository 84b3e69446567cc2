"""Team accounts for `veille serve --team`: a small JSON file of hashed passwords and feed tokens.

The accounts live in a file beside the database (`veille.db.users.json`), never in the served
database, where any signed-in visitor could read the hashes. Passwords are hashed with
datasette-auth-passwords' PBKDF2 (the plugin that checks them at sign-in). Each account also
has a feed token, so that a feed reader, which cannot sign in, can read that person's Atom
feeds with `?_token=…`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from datasette_auth_passwords.utils import hash_password

from common.errors import VeilleError

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 10


class UsersError(VeilleError):
    """A users file or account that cannot be used; the message says what to do."""


def users_path(db_path: str | Path) -> Path:
    """The accounts file that goes with a database: `DB.users.json` beside it."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".users.json")


def load_users(path: str | Path) -> dict[str, dict]:
    """The accounts of `path` ({name: {"password_hash", "feed_token"}}); {} if there is none."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsersError(f"{path}: cannot read the accounts file ({exc})") from None
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict) or not all(
        isinstance(u, dict) and {"password_hash", "feed_token"} <= set(u) for u in users.values()
    ):
        raise UsersError(
            f'{path}: not a veille accounts file (expected {{"users": {{name: …}}}}); '
            "remove it and add the accounts again with `veille users add NAME`"
        )
    return users


def add_user(path: str | Path, name: str, password: str) -> dict:
    """Add or replace the account `name`; returns it (with its new feed token)."""
    if not NAME.match(name):
        raise UsersError(
            f"{name!r}: an account name is 1 to 64 lowercase letters, digits, '.', '_' or '-'"
        )
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"the password must have at least {MIN_PASSWORD} characters")
    users = load_users(path)
    users[name] = {
        "password_hash": hash_password(password),
        "feed_token": secrets.token_urlsafe(24),
    }
    _save(path, users)
    return users[name]


def remove_user(path: str | Path, name: str) -> None:
    """Remove the account `name`; a UsersError if there is no such account."""
    users = load_users(path)
    if name not in users:
        raise UsersError(f"{path}: no account named {name!r}")
    del users[name]
    _save(path, users)


def _save(path: str | Path, users: dict[str, dict]) -> None:
    # Written whole to a temporary file, then renamed: a crash never leaves half a file.
    # Readable by its owner only: it holds password hashes and feed tokens.
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"users": users}, out, indent=2, sort_keys=True)
    os.replace(tmp, path)


def auth_plugin_config(users: dict[str, dict]) -> dict:
    """The datasette-auth-passwords configuration for these accounts."""
    return {f"{name}_password_hash": user["password_hash"] for name, user in users.items()}


def actor_for_token(users: dict[str, dict], token: str) -> dict | None:
    """The actor whose feed token is `token`, compared in constant time."""
    for name, user in users.items():
        if secrets.compare_digest(user["feed_token"], token):
            return {"id": name, "via": "feed-token"}
    return None
