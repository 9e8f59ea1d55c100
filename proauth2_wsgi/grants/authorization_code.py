"""The authorization code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5-4.6).

A code is bound to its client, redirect_uri, scope and PKCE challenge, lives
:attr:`Settings.code_lifetime` seconds and is consumed exactly once
(:meth:`Records.redeem <proauth2_wsgi.records.Records.redeem>`). A code
presented again is a replay: the request fails with ``invalid_grant`` and
every token issued from that code is revoked (RFC 6749 §4.1.2, RFC 9700 §4.5).
The token request may name ``resource`` (RFC 8707 §2.2) to narrow the
audience the authorization request asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import pkce
from ..errors import InvalidGrant
from ..issuance import GrantedAccess, IssuedTokens
from ..records import CODES
from ..tokens import constant_time_equals, hash_secret
from .base import Grant, GrantContext, TokenRequest, presented_secret

if TYPE_CHECKING:
    from ..stores.base import Record

_BAD_CODE = "the authorization code is invalid, expired or already used"


class AuthorizationCodeGrant(Grant):
    """``authorization_code``: exchange a code (and its PKCE verifier) for tokens."""

    name = "authorization_code"
    parameters = ("code", "redirect_uri", "code_verifier", "resource")
    repeatable = frozenset({"resource"})
    needs_redirect_uris = True
    issues_refresh_tokens = True

    def exchange(self, context: GrantContext, request: TokenRequest) -> IssuedTokens:
        code = presented_secret(request, "code", _BAD_CODE)
        client = request.client
        redirect_uri = request.params.get("redirect_uri")
        verifier = request.params.get("code_verifier")
        resources = request.params.getlist("resource")

        def check(record: Record) -> None:
            if not constant_time_equals(record["client_id"], client.client_id) or record["expires_at"] <= context.now():
                raise InvalidGrant(_BAD_CODE)
            if record["redirect_uri_given"] or redirect_uri is not None:
                if redirect_uri is None or not constant_time_equals(redirect_uri, record["redirect_uri"]):
                    raise InvalidGrant("redirect_uri does not match the authorization request")
            pkce.verify(verifier, record["code_challenge"], record["code_challenge_method"])
            bound = record.get("jkt")
            if bound is not None and (request.dpop_jkt is None or not constant_time_equals(bound, request.dpop_jkt)):
                raise InvalidGrant("the DPoP proof is not by the key the authorization request named (dpop_jkt)")

        def issue(record: Record) -> IssuedTokens:
            audience = context.audiences.narrowed(resources, client, tuple(record.get("audience") or ()))
            access = GrantedAccess.from_record(client, record, audience=audience, jkt=request.dpop_jkt)
            refresh = context.settings.issue_refresh_tokens and "refresh_token" in client.grant_types
            if "openid" in access.scopes:  # OIDC Core §11: refresh tokens for offline access only
                refresh = refresh and "offline_access" in access.scopes
            return context.issuer.issue(access, refresh=refresh, refresh_audience=tuple(record.get("audience") or ()))

        return context.records.redeem(CODES, hash_secret(code), InvalidGrant(_BAD_CODE), check, issue)
