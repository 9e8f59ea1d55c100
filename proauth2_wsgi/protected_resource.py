"""Protected-resource metadata (RFC 9728): how a resource server tells clients who issues its tokens.

A :class:`ProtectedResource` is one resource server's identity: its
identifier (the ``aud`` its tokens carry, RFC 8707), the authorization
servers it trusts, the scopes it understands and how it takes tokens. It
gives

- the metadata document (§2), served at :attr:`~ProtectedResource.metadata_path`:
  ``/.well-known/oauth-protected-resource`` followed by the identifier's path
  (§3.1), serialised once;
- the ``resource_metadata`` parameter every ``WWW-Authenticate`` challenge
  of that resource carries (§5.1), so a client refused with 401 finds the
  authorization server on its own.

The protector checks a token's audience against the identifier;
:class:`ResourceMetadataEndpoint` serves the document, in the WSGI
middleware (given its ``resource``) and in
:class:`~proauth2_wsgi.endpoints.AuthorizationServer` for an app that is its
own resource server (``protected_resource=``, the Flask extension's
``PROAUTH2_PROTECTED_RESOURCE``). The authorization server's RFC 8414
metadata does not list it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from .errors import InvalidRequest
from .responses import PublicDocument, error_response
from .uris import validate_issuer, validate_resource

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["WELL_KNOWN_PATH", "ProtectedResource", "ResourceMetadataEndpoint"]

#: RFC 9728 §3: the well-known path, before the resource identifier's own path
WELL_KNOWN_PATH = "/.well-known/oauth-protected-resource"
#: RFC 6750 §2 methods, as RFC 9728 §2 names them
BEARER_METHODS = ("header", "body", "query")


@dataclass(frozen=True)
class ProtectedResource:
    """One protected resource: its identifier, who issues its tokens, what it accepts (RFC 9728 §2)."""

    identifier: str
    authorization_servers: tuple[str, ...]
    scopes_supported: tuple[str, ...] = ()
    bearer_methods_supported: tuple[str, ...] = ("header",)
    #: a human-readable name (§2 ``resource_name``)
    resource_name: str | None = None
    #: the algorithms of the DPoP proofs it accepts (§2, RFC 9449); empty: bearer tokens only
    dpop_signing_alg_values_supported: tuple[str, ...] = ()
    #: it accepts DPoP-bound access tokens only (§2 ``dpop_bound_access_tokens_required``)
    dpop_bound_access_tokens_required: bool = False
    #: further members
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_resource(self.identifier)
        servers = tuple(self.authorization_servers)
        if not servers:
            raise ValueError("a protected resource names at least one authorization server (its issuer)")
        for server in servers:
            validate_issuer(server)
        object.__setattr__(self, "authorization_servers", servers)
        object.__setattr__(self, "scopes_supported", tuple(sorted(set(self.scopes_supported))))
        methods = tuple(self.bearer_methods_supported)
        if not set(methods) <= set(BEARER_METHODS):
            raise ValueError(f"bearer_methods_supported: among {', '.join(BEARER_METHODS)}")
        object.__setattr__(self, "bearer_methods_supported", methods)
        object.__setattr__(self, "dpop_signing_alg_values_supported", tuple(self.dpop_signing_alg_values_supported))

    @classmethod
    def of(
        cls,
        identifier: str,
        validator: object,
        *,
        scopes: Iterable[str] = (),
        bearer_methods: Iterable[str] = ("header",),
        dpop_algorithms: Iterable[str] = (),
    ) -> ProtectedResource:
        """The resource ``identifier`` whose tokens ``validator`` checks: its issuer is the authorization server.

        Its scopes are ``scopes``, else those the provider knows for the
        resource (a local :class:`~proauth2_wsgi.Proauth2`), else none listed;
        it takes DPoP proofs of ``dpop_algorithms``, and DPoP-bound tokens
        only when the provider's resource says so.
        """
        issuer = getattr(validator, "issuer", None)
        if not isinstance(issuer, str):
            raise ValueError("give the resource's authorization servers: the validator names no issuer")
        known = getattr(validator, "resources", None)
        resource = known.get(identifier) if known is not None else None
        listed = tuple(scopes) or (tuple(resource.scopes) if resource is not None else ())
        algorithms = tuple(dpop_algorithms)
        required = bool(algorithms) and resource is not None and resource.dpop_bound_access_tokens
        return cls(identifier, (issuer,), listed, tuple(bearer_methods), None, algorithms, required)

    @property
    def metadata_path(self) -> str:
        """Where the document lives on the resource's host (RFC 9728 §3.1)."""
        path = urlsplit(self.identifier).path
        return WELL_KNOWN_PATH + ("" if path == "/" else path)

    @property
    def metadata_url(self) -> str:
        """The document's absolute URL: the ``resource_metadata`` of challenges (§5.1)."""
        parts = urlsplit(self.identifier)
        return f"{parts.scheme}://{parts.netloc}{self.metadata_path}"

    def document(self) -> dict[str, Any]:
        """The metadata document (§2)."""
        document: dict[str, Any] = {
            "resource": self.identifier,
            "authorization_servers": list(self.authorization_servers),
            "bearer_methods_supported": list(self.bearer_methods_supported),
        }
        if self.scopes_supported:
            document["scopes_supported"] = list(self.scopes_supported)
        if self.resource_name:
            document["resource_name"] = self.resource_name
        if self.dpop_signing_alg_values_supported:
            document["dpop_signing_alg_values_supported"] = list(self.dpop_signing_alg_values_supported)
        if self.dpop_bound_access_tokens_required:
            document["dpop_bound_access_tokens_required"] = True
        document.update(self.extra)
        return document

    @cached_property
    def rendered(self) -> PublicDocument:
        """The document serialised once, for every request."""
        return PublicDocument.render(self.document())

    def metadata_response(self, request: Request) -> Response:
        """The answer to a request for the document: it for ``GET``/``HEAD``, 405 otherwise."""
        if request.method not in ("GET", "HEAD"):
            return error_response(InvalidRequest("use GET, HEAD", status_code=405, headers={"Allow": "GET, HEAD"}))
        return self.rendered.response(request)


class ResourceMetadataEndpoint:
    """WSGI app: ``GET`` the resource's RFC 9728 document at its well-known path; cacheable, with an ``ETag``."""

    name = "protected_resource_metadata"

    def __init__(self, resource: ProtectedResource) -> None:
        self.resource = resource
        self.path = resource.metadata_path

    def __repr__(self) -> str:
        return f"<ResourceMetadataEndpoint {self.path}>"

    def respond(self, request: Request) -> Response:
        """The answer to any werkzeug request (Flask hands its own)."""
        return self.resource.metadata_response(request)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)
