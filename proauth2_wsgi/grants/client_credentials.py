"""The client credentials grant (RFC 6749 §4.4).

Confidential clients only; the token acts for the client itself (no user)
and comes without a refresh token (RFC 6749 §4.4.3). ``resource`` names its
audience (RFC 8707 §2).
"""

from __future__ import annotations

from ..issuance import GrantedAccess, IssuedTokens
from ..scopes import grant_scope
from ..tokens import generate_id
from .base import Grant, GrantContext, TokenRequest


class ClientCredentialsGrant(Grant):
    """``client_credentials``: an access token for the client itself."""

    name = "client_credentials"
    parameters = ("scope", "resource")
    repeatable = frozenset({"resource"})
    public_clients = False

    def exchange(self, context: GrantContext, request: TokenRequest) -> IssuedTokens:
        client = request.client
        allowed = client.scopes & frozenset(context.settings.scopes)
        scopes = grant_scope(request.params.get("scope"), client.default_scope, allowed)
        audience = context.audiences.requested(request.params.getlist("resource"), client)
        access = GrantedAccess(client, None, scopes, generate_id(), audience=audience, jkt=request.dpop_jkt)
        with context.records.atomic():
            return context.issuer.issue(access, refresh=False)
