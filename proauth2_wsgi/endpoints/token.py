"""The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4.2, §5, §6).

Every grant registered on the provider is served: ``authorization_code``
(with PKCE, RFC 7636), ``refresh_token`` and ``client_credentials`` by
default. Anything else, ``password`` and ``implicit`` included, is
``unsupported_grant_type`` (RFC 9700 §2.4).
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..errors import InvalidRequest
from ..responses import json_response
from .base import Endpoint, read_form


class TokenEndpoint(Endpoint):
    """WSGI app: ``POST`` a token request, get the RFC 6749 §5.1 JSON response (``no-store``)."""

    name = "token_endpoint"
    path = "/token"

    def handle(self, request: Request) -> Response:
        params = read_form(request, self.provider.repeatable_token_parameters)
        if params.get("grant_type") is None:
            raise InvalidRequest("grant_type is required")
        issued = self.provider.token_request(self.endpoint_request(request, params))
        return json_response(issued.to_response())
