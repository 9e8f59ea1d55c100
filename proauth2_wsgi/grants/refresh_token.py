"""The refresh token grant with rotation (RFC 6749 §6, RFC 9700 §4.14.2).

Every use rotates the refresh token: the old one is consumed exactly once
(:meth:`Records.redeem <proauth2_wsgi.records.Records.redeem>`) and a new one
issued with the same grant. Presenting an already-rotated refresh token means
it was stolen or replayed, so the whole grant is revoked. A refresh may narrow
the scope of the new access token, never widen it; the new refresh token
keeps the grant's scope (RFC 6749 §6). The same goes for its audience
(``resource``, RFC 8707 §2.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidGrant, InvalidScope
from ..issuance import GrantedAccess, IssuedTokens
from ..records import REFRESH_TOKENS
from ..scopes import parse_scope
from ..tokens import constant_time_equals, hash_secret
from .base import Grant, GrantContext, TokenRequest, presented_secret

if TYPE_CHECKING:
    from ..stores.base import Record

_BAD_TOKEN = "the refresh token is invalid, expired or revoked"  # noqa: S105 - an error message


class RefreshTokenGrant(Grant):
    """``refresh_token``: a new access token and a new refresh token for a refresh token."""

    name = "refresh_token"
    parameters = ("refresh_token", "scope", "resource")
    repeatable = frozenset({"resource"})

    def exchange(self, context: GrantContext, request: TokenRequest) -> IssuedTokens:
        token = presented_secret(request, "refresh_token", _BAD_TOKEN)
        client = request.client
        scope = request.params.get("scope")
        resources = request.params.getlist("resource")

        def check(record: Record) -> None:
            if not constant_time_equals(record["client_id"], client.client_id):
                raise InvalidGrant(_BAD_TOKEN)
            if record["revoked"] or record["expires_at"] <= context.now():
                raise InvalidGrant(_BAD_TOKEN)
            if scope is not None and not parse_scope(scope) <= frozenset(record["scopes"]):
                raise InvalidScope("a refresh cannot widen the scope")
            bound = record.get("jkt")  # RFC 9449 §5: a public client's refresh token needs its DPoP key
            if bound is not None and (request.dpop_jkt is None or not constant_time_equals(bound, request.dpop_jkt)):
                raise InvalidGrant("the refresh token is bound to another DPoP key")

        def issue(record: Record) -> IssuedTokens:
            granted = frozenset(record["scopes"])
            granted_audience = tuple(record.get("audience") or ())
            audience = context.audiences.narrowed(resources, client, granted_audience)
            access = GrantedAccess.from_record(
                client, record, parse_scope(scope) or granted, audience, request.dpop_jkt
            )
            return context.issuer.issue(
                access,
                refresh=True,
                refresh_scopes=granted,
                refresh_audience=granted_audience,
            )

        return context.records.redeem(REFRESH_TOKENS, hash_secret(token), InvalidGrant(_BAD_TOKEN), check, issue)
