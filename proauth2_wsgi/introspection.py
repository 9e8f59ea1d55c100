"""Token introspection (RFC 7662 §2.2).

Anything not active — unknown, expired, revoked, a rotated refresh token, or
not a token at all — is ``{"active": false}`` and nothing more, so the answer
never tells an inactive token's story. An active one says ``aud``: the
resources it is for (RFC 8707), when it is for any, and ``cnf.jkt``: the DPoP
key it is bound to (RFC 9449 §6.2), when it is bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .scopes import format_scope
from .tokens import MAX_ACCESS_TOKEN_LENGTH, hash_secret, looks_like_token

if TYPE_CHECKING:
    from .records import Records

__all__ = ["introspect_token"]

_INACTIVE = {"active": False}


def introspect_token(
    records: Records, token: str, now: int, issuer: str | None, token_type_hint: str | None = None
) -> dict[str, Any]:
    """The RFC 7662 §2.2 response for ``token`` at time ``now``."""
    if not looks_like_token(token, MAX_ACCESS_TOKEN_LENGTH):  # a JWT access token is longer than a secret
        return dict(_INACTIVE)
    found = records.find_token(hash_secret(token), refresh_first=token_type_hint == "refresh_token")  # noqa: S105 - a hint
    if found is None:
        return dict(_INACTIVE)
    kind, record = found
    if record["revoked"] or record["expires_at"] <= now or record.get("used"):
        return dict(_INACTIVE)
    response: dict[str, Any] = {
        "active": True,
        "client_id": record["client_id"],
        "exp": record["expires_at"],
        "iat": record["issued_at"],
    }
    if record["scopes"]:  # RFC 7662 §2.2 / RFC 6749 §3.3: no empty scope string
        response["scope"] = format_scope(record["scopes"])
    if kind == "access_token":
        response["token_type"] = "DPoP" if record.get("jkt") else "Bearer"
    if record.get("jkt"):  # RFC 9449 §6.2: the key the token is bound to
        response["cnf"] = {"jkt": record["jkt"]}
    if record["user_id"] is not None:
        response["sub"] = record["user_id"]
        response["username"] = record["user_id"]
    audience = record.get("audience") or []
    if audience:  # RFC 7662 §2.2: a string, or an array of them
        response["aud"] = audience[0] if len(audience) == 1 else list(audience)
    if issuer:
        response["iss"] = issuer
    return response
