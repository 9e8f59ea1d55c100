"""The DPoP key a token is bound to, as a JWT access token or an introspection answer says it (RFC 9449 §6).

Both carry it as the confirmation claim ``cnf`` (RFC 7800) with its
``jkt`` member, the RFC 7638 thumbprint of the key; the protector then
requires a DPoP proof by that key (RFC 9449 §7.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidToken
from ..tokens import is_thumbprint

__all__ = ["bound_key"]


def bound_key(claims: Mapping[str, Any], invalid: str) -> str | None:
    """The ``cnf.jkt`` of ``claims``, None when the token is not bound; :class:`InvalidToken` when malformed.

    A ``cnf`` naming another kind of key only (``x5t#S256``: mTLS) cannot be
    checked here, so the token is refused rather than taken as a bearer token.
    """
    confirmation = claims.get("cnf")
    if confirmation is None:
        return None
    jkt = confirmation.get("jkt") if isinstance(confirmation, Mapping) else None
    if not is_thumbprint(jkt):
        raise InvalidToken(invalid)
    return str(jkt)
