"""The JWK set (RFC 7517 §5): the public keys that verify ID tokens and JWT access tokens.

Published at the metadata's ``jwks_uri``: the ``next`` keys (so that caches
hold them before they sign), the ``current`` ones and retired ones within
their grace period. The document is rendered again only when the keys change
(:meth:`KeySet.jwks <proauth2_wsgi.keyset.KeySet.jwks>`), and may be cached
by clients for :data:`MAX_AGE` seconds, well within a rotation period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from werkzeug.wrappers import Request, Response

from ..responses import PublicDocument
from .base import Endpoint

if TYPE_CHECKING:
    from ..provider import Proauth2

#: seconds a client may cache the key set
MAX_AGE = 300


class JwksEndpoint(Endpoint):
    """WSGI app: ``GET`` the public JWK set, cacheable, with an ``ETag``."""

    name = "jwks_uri"
    path = "/jwks"
    methods: ClassVar[tuple[str, ...]] = ("GET", "HEAD")

    def __init__(self, provider: Proauth2) -> None:
        super().__init__(provider)
        self._rendered: tuple[dict[str, Any], PublicDocument] | None = None

    def handle(self, request: Request) -> Response:
        document = self.provider.keys.jwks()
        rendered = self._rendered
        if rendered is None or rendered[0] is not document:  # the key set changed
            rendered = (document, PublicDocument.render(document, "application/jwk-set+json", MAX_AGE))
            self._rendered = rendered
        return rendered[1].response(request)
