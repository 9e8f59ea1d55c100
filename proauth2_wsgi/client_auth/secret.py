"""``client_secret_basic`` and ``client_secret_post`` (RFC 6749 §2.3.1).

The secret travels in an ``Authorization: Basic`` header (id and secret
form-urlencoded before they are base64-encoded) or in the request body, and
is checked in constant time against the SHA-256 digest stored at
registration. ``Basic`` with an empty password is a public client naming
itself (``none``), as requests-oauthlib sends by default; a confidential
client doing so fails its own method's check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from ..errors import InvalidClient
from ..headers import parse_authorization
from ..tokens import MAX_SECRET_LENGTH, secret_matches
from .base import ClientAuthContext, ClientAuthMethod, PresentedCredentials

if TYPE_CHECKING:
    from ..models import Client
    from ..request import EndpointRequest

__all__ = ["ClientSecretBasic", "ClientSecretPost"]


class _SharedSecret(ClientAuthMethod):
    def verify(self, client: Client, presented: PresentedCredentials, context: ClientAuthContext) -> bool:
        secret = presented.credential
        if client.secret_hash is None or secret is None or len(secret) > MAX_SECRET_LENGTH:
            return False
        return secret_matches(secret, client.secret_hash)


class ClientSecretBasic(_SharedSecret):
    """The secret in ``Authorization: Basic`` (the RFC 7591 default method)."""

    name = "client_secret_basic"

    def detect(self, request: EndpointRequest) -> PresentedCredentials | None:
        header = request.headers.get("Authorization")
        if header is None:
            return None
        authorization = parse_authorization(header)
        if authorization is None or authorization.type != "basic":
            raise InvalidClient("the Authorization header is not valid Basic client authentication")
        try:
            client_id = unquote_plus(authorization.username or "", errors="strict")
            secret = unquote_plus(authorization.password or "", errors="strict")
        except UnicodeDecodeError:
            raise InvalidClient("the Basic credentials are not form-urlencoded UTF-8") from None
        if not secret:
            return PresentedCredentials(client_id, "none")
        return PresentedCredentials(client_id, self.name, secret)


class ClientSecretPost(_SharedSecret):
    """The secret as ``client_secret`` in the request body."""

    name = "client_secret_post"

    def detect(self, request: EndpointRequest) -> PresentedCredentials | None:
        secret = request.params.get("client_secret")
        if secret is None:
            return None
        return PresentedCredentials(request.params.get("client_id"), self.name, secret)
