"""Authorization server metadata (RFC 8414), with the RFC 9207 ``iss`` flag.

The document is merged and serialised once, from the provider's settings and
registries (:meth:`Proauth2.metadata <proauth2_wsgi.Proauth2.metadata>`) and
the absolute URLs of the endpoints, and served to ``GET`` as public,
cacheable JSON with an ``ETag``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from ..responses import PublicDocument
from .base import Endpoint

if TYPE_CHECKING:
    from ..provider import Proauth2

#: seconds a client may cache the document (it changes only when the server is reconfigured)
MAX_AGE = 3600
#: RFC 8414 §3: where the document lives, before the issuer's path
WELL_KNOWN_PATH = "/.well-known/oauth-authorization-server"


def well_known_path(issuer: str) -> str:
    """The path of the metadata document for ``issuer``: the well-known prefix, then the issuer's path."""
    return WELL_KNOWN_PATH + urlsplit(issuer).path.rstrip("/")


class MetadataEndpoint(Endpoint):
    """WSGI app: ``GET`` the RFC 8414 document (``issuer`` from the provider's settings).

    ``urls`` maps endpoint names (``token_endpoint``...) to absolute URLs.
    Raises ValueError at construction when the provider has no issuer.
    """

    name = "metadata"
    path = WELL_KNOWN_PATH
    methods: ClassVar[tuple[str, ...]] = ("GET", "HEAD")

    def __init__(self, provider: Proauth2, urls: Mapping[str, str]) -> None:
        super().__init__(provider)
        self.document = provider.metadata(urls)
        self._rendered = PublicDocument.render(self.document, max_age=MAX_AGE)

    def handle(self, request: Request) -> Response:
        return self._rendered.response(request)
