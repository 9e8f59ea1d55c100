"""The introspection endpoint (RFC 7662).

Only an authenticated confidential client may ask (§2.1, §4: public
clients cannot authenticate, so they get 401 ``invalid_client``). The
answer is ``{"active": false}`` and nothing more for any token that is
unknown, expired, revoked or malformed (§2.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from ..errors import InvalidClient, InvalidRequest
from ..responses import json_response
from .base import Endpoint, auth_signing_algorithms, read_form


class IntrospectionEndpoint(Endpoint):
    """WSGI app: ``POST token=...[&token_type_hint=...]``; the RFC 7662 §2.2 JSON answer."""

    name = "introspection_endpoint"
    path = "/introspect"

    def handle(self, request: Request) -> Response:
        params = read_form(request)
        client = self.authenticate_client(request, params)
        if client.is_public:
            raise InvalidClient("introspection requires a confidential client")
        token = params.get("token")
        if token is None:
            raise InvalidRequest("token is required")
        return json_response(self.provider.introspect_token(token, params.get("token_type_hint")))

    def metadata(self) -> Mapping[str, Any]:
        methods = [method for method in self.provider.client_auth_methods if method.confidential]
        return {
            "introspection_endpoint_auth_methods_supported": [method.name for method in methods],
            **auth_signing_algorithms("introspection_endpoint", methods),
        }
