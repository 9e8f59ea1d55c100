"""The introspection endpoint (RFC 7662).

Only an authenticated confidential client may ask (§2.1, §4: public
clients cannot authenticate, so they get 401 ``invalid_client``). The
answer is ``{"active": false}`` and nothing more for any token that is
unknown, expired, revoked or malformed (§2.2).
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..errors import InvalidClient, InvalidRequest
from ..responses import json_response
from .base import Endpoint, read_form


class IntrospectionEndpoint(Endpoint):
    """WSGI app: ``POST token=...[&token_type_hint=...]``; the RFC 7662 §2.2 JSON answer."""

    def handle(self, request: Request) -> Response:
        form = read_form(request)
        client = self.authenticate_client(request, form)
        if client.is_public:
            raise InvalidClient("introspection requires a confidential client")
        token = form.get("token")
        if token is None:
            raise InvalidRequest("token is required")
        return json_response(self.provider.introspect_token(token, form.get("token_type_hint")))
