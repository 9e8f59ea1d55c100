"""The revocation endpoint (RFC 7009).

The client authenticates (a public client with its ``client_id``) and names
a token; revoking a refresh token revokes its whole grant. An unknown or
already-revoked token answers 200 (§2.2), a token issued to another client
is refused and left alone (§2.1). ``token_type_hint`` only orders the
lookup; an unknown hint is ignored.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..errors import InvalidRequest
from ..responses import NO_STORE
from .base import Endpoint, read_form


class RevocationEndpoint(Endpoint):
    """WSGI app: ``POST token=...[&token_type_hint=...]``; 200 with an empty body on success."""

    def handle(self, request: Request) -> Response:
        form = read_form(request)
        client = self.authenticate_client(request, form)
        token = form.get("token")
        if token is None:
            raise InvalidRequest("token is required")
        self.provider.revoke_token(token, form.get("token_type_hint"), client_id=client.client_id)
        return Response(status=200, headers=NO_STORE)
