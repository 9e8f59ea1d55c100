"""Authorization server metadata (RFC 8414 §2, RFC 9207), merged from a provider's components.

The document is the issuer, the URLs of the mounted endpoints, what the
provider's settings and registries support (scopes, grants, authentication
methods, PKCE methods), and whatever each grant, authentication method and
endpoint adds through its ``metadata()``: a new component announces itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .client_auth import ClientAuthMethod
    from .grants import Grant
    from .registry import Registry
    from .settings import Settings

__all__ = ["EndpointComponent", "merge_metadata", "server_metadata"]


class EndpointComponent(Protocol):
    """What a provider's ``endpoints`` registry holds: a named endpoint, its path, its metadata."""

    @property
    def name(self) -> str:
        """Its RFC 8414 name (``token_endpoint``): the metadata key of its URL."""
        ...

    @property
    def path(self) -> str:
        """Its path below the server's prefix (``/token``)."""
        ...

    def metadata(self) -> Mapping[str, Any]:
        """What it adds to the metadata besides its URL."""
        ...


def merge_metadata(document: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Add ``extra`` to ``document``: lists are joined without duplicates, other values set."""
    for key, value in extra.items():
        current = document.get(key)
        if isinstance(current, list) and isinstance(value, list):
            document[key] = current + [item for item in value if item not in current]
        else:
            document[key] = value


def server_metadata(
    settings: Settings,
    grants: Registry[Grant],
    methods: Registry[ClientAuthMethod],
    urls: Mapping[str, str],
    contributions: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The RFC 8414 §2 document; ``urls`` maps endpoint names to absolute URLs."""
    if not settings.issuer:
        raise ValueError("settings.issuer is required for authorization server metadata (RFC 8414 §2)")
    unknown = [name for name in urls if not name.endswith(("_endpoint", "_uri"))]
    if unknown:
        raise ValueError(f"endpoint URLs are named *_endpoint or *_uri (RFC 8414 §2), not {', '.join(unknown)}")
    document: dict[str, Any] = {
        "issuer": settings.issuer,
        **urls,
        "scopes_supported": sorted(settings.scopes),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grants.names(),
        "token_endpoint_auth_methods_supported": methods.names(),
        "code_challenge_methods_supported": list(settings.pkce_methods),
        "authorization_response_iss_parameter_supported": True,
        "dpop_signing_alg_values_supported": list(settings.dpop_signing_algorithms),  # RFC 9449 §5.1
    }
    if settings.openid:
        from .oidc.discovery import openid_metadata

        merge_metadata(document, openid_metadata(settings))
    for component in (*grants, *methods):
        merge_metadata(document, component.metadata())
    for extra in contributions:
        merge_metadata(document, extra)
    return document
