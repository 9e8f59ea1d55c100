"""Authorization server metadata (RFC 8414), with the RFC 9207 ``iss`` flag.

The document is built once, from the provider's settings and the absolute
URLs of the endpoints, and served as JSON to ``GET``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from ..client_auth import METHODS
from ..models import GRANT_TYPES
from ..responses import json_response
from .base import Endpoint

if TYPE_CHECKING:
    from ..provider import Proauth2

#: RFC 8414 §2 endpoint names this document may carry
ENDPOINT_NAMES = (
    "authorization_endpoint",
    "token_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
    "registration_endpoint",
)
#: RFC 8414 §3: where the document lives, before the issuer's path
WELL_KNOWN_PATH = "/.well-known/oauth-authorization-server"


def metadata(provider: Proauth2, endpoints: Mapping[str, str]) -> dict[str, Any]:
    """The RFC 8414 §2 metadata of ``provider``; ``endpoints`` maps endpoint names to absolute URLs."""
    issuer = provider.settings.issuer
    if not issuer:
        raise ValueError("settings.issuer is required for authorization server metadata (RFC 8414 §2)")
    unknown = set(endpoints) - set(ENDPOINT_NAMES)
    if unknown:
        raise ValueError(f"unknown endpoint names: {', '.join(sorted(unknown))}")
    client_methods = list(METHODS)
    confidential_methods = [method for method in METHODS if method != "none"]
    return {
        "issuer": issuer,
        **{name: endpoints[name] for name in ENDPOINT_NAMES if name in endpoints},
        "scopes_supported": sorted(provider.settings.scopes),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": client_methods,
        "revocation_endpoint_auth_methods_supported": client_methods,
        "introspection_endpoint_auth_methods_supported": confidential_methods,
        "code_challenge_methods_supported": list(provider.settings.pkce_methods),
        "authorization_response_iss_parameter_supported": True,
    }


def well_known_path(issuer: str) -> str:
    """The path of the metadata document for ``issuer``: the well-known prefix, then the issuer's path."""
    return WELL_KNOWN_PATH + urlsplit(issuer).path.rstrip("/")


class MetadataEndpoint(Endpoint):
    """WSGI app: ``GET`` the RFC 8414 document (``issuer`` from the provider's settings).

    Raises ValueError at construction when the provider has no issuer.
    """

    methods: ClassVar[tuple[str, ...]] = ("GET", "HEAD")

    def __init__(self, provider: Proauth2, endpoints: Mapping[str, str]) -> None:
        super().__init__(provider)
        self.document = metadata(provider, endpoints)

    def handle(self, request: Request) -> Response:
        return json_response(self.document)
