"""The refresh token grant with rotation (RFC 6749 §6, RFC 9700 §4.14.2).

Every use rotates the refresh token: the old one is consumed by a
compare-and-set and a new one issued with the same grant. Presenting an
already-rotated refresh token means it was stolen or replayed, so the whole
grant is revoked. A refresh may narrow the scope of the new access token,
never widen it; the new refresh token keeps the grant's scope
(RFC 6749 §6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InvalidGrant, InvalidRequest, InvalidScope
from ..scopes import parse_scope
from ..tokens import constant_time_equals, hash_secret, looks_like_token
from .request import TokenRequest

if TYPE_CHECKING:
    from ..models import Client
    from ..provider import Proauth2

_BAD_TOKEN = "the refresh token is invalid, expired or revoked"


def exchange(provider: Proauth2, client: Client, request: TokenRequest) -> dict[str, Any]:
    """Exchange a refresh token for a new access token and a new refresh token."""
    if request.refresh_token is None:
        raise InvalidRequest("refresh_token is required")
    if not looks_like_token(request.refresh_token):
        raise InvalidGrant(_BAD_TOKEN)
    store = provider.store
    token_hash = hash_secret(request.refresh_token)
    record = store.fetch("refresh_tokens", token_hash=token_hash)
    if record is None or not constant_time_equals(record["client_id"], client.client_id):
        raise InvalidGrant(_BAD_TOKEN)
    if record["used"] and not record["revoked"]:
        provider.revoke_grant(record["grant_id"])
        raise InvalidGrant(_BAD_TOKEN)
    if record["revoked"] or record["expires_at"] <= provider.now():
        raise InvalidGrant(_BAD_TOKEN)
    granted = frozenset(record["scopes"])
    requested = parse_scope(request.scope) if request.scope is not None else granted
    if not requested <= granted:
        raise InvalidScope("a refresh cannot widen the scope")

    with store.atomic():
        rotated = store.update(
            "refresh_tokens", {"token_hash": token_hash, "used": False, "revoked": False}, {"used": True}
        )
        if rotated:
            return provider.issue_tokens(
                client,
                record["user_id"],
                requested or granted,
                record["grant_id"],
                with_refresh_token=True,
                refresh_scopes=granted,
            )
    provider.revoke_grant(record["grant_id"])
    raise InvalidGrant(_BAD_TOKEN)
