"""The UserInfo endpoint (OIDC Core §5.3): the signed-in user's claims, for an OpenID Connect access token.

``GET`` or ``POST`` with the access token in the ``Authorization`` header (or,
with ``POST``, a form ``access_token``: §5.3.1, RFC 6750 §2.2). The token is
checked by the same protector as every protected resource, so refusals are
RFC 6750 §3 answers: 401 ``invalid_token`` for a bad, expired or revoked
token, 403 ``insufficient_scope`` (``scope="openid"``) for a token without
``openid``. The answer is ``sub`` and the claims the granted scopes (and the
grant's ``claims`` request) release, as JSON (§5.3.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from werkzeug.wrappers import Request, Response

from ..errors import Proauth2Error
from ..middleware import resource_request
from ..protector import Protector, Refusal
from ..responses import json_response
from .base import Endpoint

if TYPE_CHECKING:
    from ..provider import Proauth2


class UserInfoEndpoint(Endpoint):
    """WSGI app: ``GET``/``POST`` with an access token; the user's claims (OIDC Core §5.3)."""

    name = "userinfo_endpoint"
    path = "/userinfo"
    methods: ClassVar[tuple[str, ...]] = ("GET", "POST")

    def __init__(self, provider: Proauth2) -> None:
        super().__init__(provider)
        self.protector = Protector(
            provider, realm=self.realm, allow_form_token=True, exempt_methods=(), dpop=provider.dpop
        )

    def handle(self, request: Request) -> Response:
        resource = resource_request(request.environ)
        resource.public_url = self.url  # a DPoP proof names the URL the client knows (behind a proxy)
        outcome = self.protector.authenticate(resource, frozenset({"openid"}))
        if outcome is None:  # the protector is not optional: no token is a refusal
            raise RuntimeError("the userinfo endpoint's protector must refuse a request without a token")
        if isinstance(outcome, Refusal):
            return Response(outcome.body, outcome.status, list(outcome.headers))
        try:
            claims = self.provider.userinfo(outcome)
        except Proauth2Error as error:
            refusal = self.protector.refusal(error)
            return Response(refusal.body, refusal.status, list(refusal.headers))
        response = json_response(claims)
        response.headers["Vary"] = "Authorization"
        return response
