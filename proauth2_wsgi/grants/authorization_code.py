"""The authorization code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5-4.6).

A code is bound to its client, redirect_uri, scope and PKCE challenge, lives
:attr:`Settings.code_lifetime` seconds and is consumed exactly once by a
compare-and-set. A code presented again is a replay: the request fails with
``invalid_grant`` and every token issued from that code is revoked
(RFC 6749 §4.1.2, RFC 9700 §4.5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import pkce
from ..errors import InvalidGrant, InvalidRequest
from ..tokens import constant_time_equals, hash_secret, looks_like_token
from .request import TokenRequest

if TYPE_CHECKING:
    from ..models import Client
    from ..provider import Proauth2

_BAD_CODE = "the authorization code is invalid, expired or already used"


def exchange(provider: Proauth2, client: Client, request: TokenRequest) -> dict[str, Any]:
    """Exchange an authorization code for tokens."""
    if request.code is None:
        raise InvalidRequest("code is required")
    if not looks_like_token(request.code):
        raise InvalidGrant(_BAD_CODE)
    store = provider.store
    code_hash = hash_secret(request.code)
    record = store.fetch("codes", code_hash=code_hash)
    if record is None:
        raise InvalidGrant(_BAD_CODE)
    if record["used"]:
        provider.revoke_grant(record["grant_id"])
        raise InvalidGrant(_BAD_CODE)
    if not constant_time_equals(record["client_id"], client.client_id):
        raise InvalidGrant(_BAD_CODE)
    if record["expires_at"] <= provider.now():
        raise InvalidGrant(_BAD_CODE)
    if record["redirect_uri_given"] or request.redirect_uri is not None:
        if request.redirect_uri is None or not constant_time_equals(request.redirect_uri, record["redirect_uri"]):
            raise InvalidGrant("redirect_uri does not match the authorization request")
    pkce.verify(request.code_verifier, record["code_challenge"], record["code_challenge_method"])

    with store.atomic():
        consumed = store.update("codes", {"code_hash": code_hash, "used": False}, {"used": True})
        if consumed:
            return provider.issue_tokens(
                client,
                record["user_id"],
                frozenset(record["scopes"]),
                record["grant_id"],
                with_refresh_token=provider.settings.issue_refresh_tokens and "refresh_token" in client.grant_types,
            )
    # Someone consumed it between our read and our write: a replay.
    provider.revoke_grant(record["grant_id"])
    raise InvalidGrant(_BAD_CODE)
