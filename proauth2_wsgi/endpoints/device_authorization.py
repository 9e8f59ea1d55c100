"""The device authorization endpoint (RFC 8628 §3.1, §3.2).

A device POSTs its client authentication (a public client its ``client_id``),
and optionally ``scope`` (within the client's; the client's default scope
otherwise) and ``resource`` (RFC 8707, repeatable). The client must be
registered for ``urn:ietf:params:oauth:grant-type:device_code``, else
``unauthorized_client``. The answer is 200 JSON, never cached: the
``device_code`` to poll the token endpoint with, the ``user_code`` to show,
``verification_uri`` (``Settings.device_verification_uri``) and
``verification_uri_complete`` (with the code in it, for a QR code),
``expires_in`` and ``interval``. Errors are RFC 6749 §5.2 JSON.

It is mounted by :class:`~proauth2_wsgi.endpoints.AuthorizationServer` when
the device flow is on (``device_verification_uri`` set), and its URL is the
metadata's ``device_authorization_endpoint`` (RFC 8628 §4).
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from ..device import DEVICE_CODE_GRANT
from ..responses import json_response
from .base import Endpoint, read_form

#: the parameters that may repeat (RFC 8707 §2: one ``resource`` per target)
_REPEATABLE = frozenset({"resource"})


class DeviceAuthorizationEndpoint(Endpoint):
    """WSGI app: ``POST [scope=...][&resource=...]`` with the client's authentication; the §3.2 JSON response."""

    name = "device_authorization_endpoint"
    path = "/device_authorization"
    #: the grant its device codes are for: mounted only while the provider has it
    grant = DEVICE_CODE_GRANT

    def handle(self, request: Request) -> Response:
        params = read_form(request, _REPEATABLE)
        authorization = self.provider.device_authorization_request(self.endpoint_request(request, params))
        return json_response(authorization.to_response())
