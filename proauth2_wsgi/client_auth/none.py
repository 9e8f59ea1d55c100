"""``none``: a public client names itself and proves nothing (RFC 6749 §2.1, RFC 7591 §2).

Such a client cannot keep a secret (a native app, a single-page app), so
it must use PKCE (RFC 9700 §2.1.1) and cannot use client credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ClientAuthContext, ClientAuthMethod, PresentedCredentials

if TYPE_CHECKING:
    from ..models import Client
    from ..request import EndpointRequest

__all__ = ["NoClientAuthentication"]


class NoClientAuthentication(ClientAuthMethod):
    """A bare ``client_id`` in the body, when no other method presented anything."""

    name = "none"
    confidential = False
    fallback = True
    uses_secret = False

    def detect(self, request: EndpointRequest) -> PresentedCredentials | None:
        client_id = request.params.get("client_id")
        return None if client_id is None else PresentedCredentials(client_id, self.name)

    def verify(self, client: Client, presented: PresentedCredentials, context: ClientAuthContext) -> bool:
        return presented.credential is None
