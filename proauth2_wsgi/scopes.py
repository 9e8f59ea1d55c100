"""Scopes (RFC 6749 §3.3): the only place a space-separated scope string is parsed.

Scopes travel as ``frozenset[str]`` inside proauth2 and as sorted tuples in
storage; :func:`format_scope` turns them back into the wire form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import InvalidScope

# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")

#: longest scope string accepted from outside
MAX_SCOPE_LENGTH = 2048


def parse_scope(value: str | Iterable[str] | None) -> frozenset[str]:
    """Parse a scope string (or an iterable of scope tokens) into a set.

    Raises :class:`InvalidScope` on a malformed token.
    """
    if value is None:
        return frozenset()
    if isinstance(value, str):
        if len(value) > MAX_SCOPE_LENGTH:
            raise InvalidScope("scope is too long")
        tokens: Iterable[str] = value.split(" ")
    else:
        tokens = value
    result = set()
    for token in tokens:
        if token == "" and isinstance(value, str):
            continue  # tolerate doubled or trailing spaces
        if not isinstance(token, str) or not _SCOPE_TOKEN.fullmatch(token):
            raise InvalidScope("scope is malformed")
        result.add(token)
    return frozenset(result)


def format_scope(scopes: Iterable[str]) -> str:
    """The wire form of a set of scopes: sorted, space-separated."""
    return " ".join(sorted(scopes))


def missing_scopes(granted: Iterable[str], required: Iterable[str]) -> frozenset[str]:
    """The scopes in ``required`` that ``granted`` lacks."""
    return frozenset(required).difference(granted)


def grant_scope(requested: str | None, default: frozenset[str], allowed: frozenset[str]) -> frozenset[str]:
    """The scope to grant: ``requested`` (or ``default`` when it names none), within ``allowed``.

    ``allowed`` is what both the client and the server offer; anything beyond
    it is :class:`InvalidScope` (RFC 6749 §3.3).
    """
    scopes = parse_scope(requested) or default
    if not scopes <= allowed:
        raise InvalidScope("the requested scope is not allowed for this client")
    return scopes
