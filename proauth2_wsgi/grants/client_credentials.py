"""The client credentials grant (RFC 6749 §4.4).

Confidential clients only; the token acts for the client itself (no user)
and comes without a refresh token (RFC 6749 §4.4.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UnauthorizedClient
from ..tokens import generate_id
from .request import TokenRequest

if TYPE_CHECKING:
    from ..models import Client
    from ..provider import Proauth2


def exchange(provider: Proauth2, client: Client, request: TokenRequest) -> dict[str, Any]:
    """Issue an access token to an authenticated confidential client."""
    if client.is_public:
        raise UnauthorizedClient("public clients cannot use client_credentials")
    scopes = provider.resolve_scope(client, request.scope)
    with provider.store.atomic():
        return provider.issue_tokens(client, None, scopes, generate_id(), with_refresh_token=False)
