"""The revocation endpoint (RFC 7009).

The client authenticates (a public client with its ``client_id``) and names
a token; revoking a refresh token revokes its whole grant. An unknown or
already-revoked token answers 200 (§2.2), a token issued to another client
is refused and left alone (§2.1). ``token_type_hint`` only orders the
lookup; an unknown hint is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from ..errors import InvalidRequest
from ..responses import NO_STORE
from .base import Endpoint, auth_signing_algorithms, read_form


class RevocationEndpoint(Endpoint):
    """WSGI app: ``POST token=...[&token_type_hint=...]``; 200 with an empty body on success."""

    name = "revocation_endpoint"
    path = "/revoke"

    def handle(self, request: Request) -> Response:
        params = read_form(request)
        client = self.authenticate_client(request, params)
        token = params.get("token")
        if token is None:
            raise InvalidRequest("token is required")
        self.provider.revoke_token(token, params.get("token_type_hint"), client_id=client.client_id)
        return Response(status=200, headers=NO_STORE)

    def metadata(self) -> Mapping[str, Any]:
        methods = list(self.provider.client_auth_methods)
        return {
            "revocation_endpoint_auth_methods_supported": [method.name for method in methods],
            **auth_signing_algorithms("revocation_endpoint", methods),
        }
