"""The pushed authorization request endpoint (RFC 9126 §2).

``POST`` the parameters of an authorization request, form-encoded, with the
client's authentication as at the token endpoint (any registered method; a
public client names itself with ``client_id``). They get exactly the
authorization request's validation; a ``request_uri`` or ``request`` in the
body is ``invalid_request`` (§2.1, §3). Success is ``201`` with
``{"request_uri": "urn:ietf:params:oauth:request_uri:...", "expires_in": ...}``
and ``Cache-Control: no-store`` (§2.2); every error is RFC 6749 §5.2 JSON
(§2.3), never a redirect: 400 for a bad parameter, a bad ``redirect_uri``
included, 401 ``invalid_client`` for failed authentication. A ``DPoP`` proof
(RFC 9449 §10.1) binds the code to its key, as ``dpop_jkt`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from ..authorization_requests import REPEATABLE
from ..pushed_requests import REQUIRE_PUSHED
from ..responses import json_response
from .base import Endpoint, read_form

__all__ = ["PushedAuthorizationEndpoint"]


class PushedAuthorizationEndpoint(Endpoint):
    """WSGI app: ``POST`` an authorization request's parameters, get its ``request_uri`` (201)."""

    name = "pushed_authorization_request_endpoint"
    path = "/par"

    def handle(self, request: Request) -> Response:
        params = read_form(request, REPEATABLE)
        pushed = self.provider.par_request(self.endpoint_request(request, params))
        return json_response(pushed.to_response(), status=201)

    def metadata(self) -> Mapping[str, Any]:
        """RFC 9126 §5: whether every authorization request must be pushed."""
        return {REQUIRE_PUSHED: self.provider.settings.require_pushed_authorization_requests}
