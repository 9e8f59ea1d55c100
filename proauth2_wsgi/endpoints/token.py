"""The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4.2, §5, §6).

Grants: ``authorization_code`` (with PKCE, RFC 7636), ``refresh_token`` and
``client_credentials``. Anything else, ``password`` and ``implicit``
included, is ``unsupported_grant_type`` (RFC 9700 §2.4).
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..errors import InvalidRequest
from ..responses import json_response
from .base import Endpoint, client_credentials, read_form


class TokenEndpoint(Endpoint):
    """WSGI app: ``POST`` a token request, get the RFC 6749 §5.1 JSON response (``no-store``)."""

    def handle(self, request: Request) -> Response:
        form = read_form(request)
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("grant_type is required")
        credentials = client_credentials(request, form)
        body = self.provider.request_access_token(
            grant_type,
            credentials.client_id,
            credentials.client_secret,
            code=form.get("code"),
            redirect_uri=form.get("redirect_uri"),
            code_verifier=form.get("code_verifier"),
            refresh_token=form.get("refresh_token"),
            scope=form.get("scope"),
            auth_method=credentials.method,
        )
        return json_response(body)
