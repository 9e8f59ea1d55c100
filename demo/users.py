"""The demo's user store: one user, ``alice`` / ``wonderland``, kept as a password hash."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

#: username -> password hash (werkzeug's salted scrypt); the demo's only user
USERS: dict[str, str] = {"alice": generate_password_hash("wonderland")}


def check_login(username: str, password: str) -> bool:
    """True when ``username`` exists and ``password`` is its password."""
    stored = USERS.get(username)
    return stored is not None and check_password_hash(stored, password)
