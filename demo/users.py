"""The demo's user store: one user, ``alice`` / ``wonderland``, kept as a password hash, and her claims."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

#: username -> password hash (werkzeug's salted scrypt); the demo's only user
USERS: dict[str, str] = {"alice": generate_password_hash("wonderland")}

#: username -> her claims (OIDC Core §5.1); ``sub`` is the username, stable for ever
CLAIMS: dict[str, dict[str, Any]] = {
    "alice": {
        "name": "Alice Liddell",
        "given_name": "Alice",
        "family_name": "Liddell",
        "preferred_username": "alice",
        "email": "alice@example.com",
        "email_verified": True,
        "locale": "en-GB",
    }
}


def check_login(username: str, password: str) -> bool:
    """True when ``username`` exists and ``password`` is its password."""
    stored = USERS.get(username)
    return stored is not None and check_password_hash(stored, password)


def claims(user_id: str, scopes: frozenset[str], claims_request: Mapping[str, Any]) -> dict[str, Any]:
    """What proauth2 may release of a user (it keeps only what the granted scopes allow)."""
    return dict(CLAIMS.get(user_id, {}))
