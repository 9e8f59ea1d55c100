"""One WSGI app serving every endpoint under a prefix, plus the RFC 8414 metadata document.

``AuthorizationServer(provider)`` answers ``{prefix}/token``,
``{prefix}/revoke``, ``{prefix}/introspect``, ``{prefix}/register`` (only with
``registration=True``) and ``/.well-known/oauth-authorization-server``
(RFC 8414 §3, only when the provider has an issuer). Endpoint URLs in the
metadata are the issuer followed by their path, so mount the app at the
issuer's URL. When the issuer has a path (``https://host/tenant``), the
metadata lives at ``/.well-known/oauth-authorization-server/tenant`` on the
host's root (RFC 8414 §3.1), so the endpoints also answer below the issuer's
path (``/tenant/oauth/token``): mounted at the host's root, the app then
serves the metadata and every URL it lists. Any other path is a JSON 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import Proauth2Error
from ..responses import error_response
from .introspection import IntrospectionEndpoint
from .metadata import MetadataEndpoint, well_known_path
from .registration import RegistrationEndpoint
from .revocation import RevocationEndpoint
from .token import TokenEndpoint

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ..provider import Proauth2

#: default path under which the endpoints are served
DEFAULT_PREFIX = "/oauth"


class AuthorizationServer:
    """A WSGI app dispatching to the token, revocation, introspection, registration and metadata endpoints.

    ``authorization_endpoint`` is the host app's own authorization URL,
    advertised in the metadata (absolute, or a path below the issuer).
    Registration (RFC 7591) is off by default; with ``registration=True`` it
    is open unless ``initial_access_token`` is given.
    """

    def __init__(
        self,
        provider: Proauth2,
        *,
        authorization_endpoint: str | None = None,
        registration: bool = False,
        initial_access_token: str | None = None,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if initial_access_token is not None and not registration:
            raise ValueError("initial_access_token needs registration=True")
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError("prefix must start with '/' and not end with one (or be empty)")
        if authorization_endpoint and not authorization_endpoint.startswith(("/", "https://", "http://")):
            raise ValueError("authorization_endpoint must be an absolute URL or a path starting with '/'")
        paths = {
            "token_endpoint": (f"{prefix}/token", TokenEndpoint(provider)),
            "revocation_endpoint": (f"{prefix}/revoke", RevocationEndpoint(provider)),
            "introspection_endpoint": (f"{prefix}/introspect", IntrospectionEndpoint(provider)),
        }
        if registration:
            paths["registration_endpoint"] = (
                f"{prefix}/register",
                RegistrationEndpoint(provider, initial_access_token),
            )
        self.routes: dict[str, WSGIApplication] = dict(paths.values())
        issuer = provider.settings.issuer
        if issuer:
            # RFC 8414 §2: absolute URLs; an issuer ending in "/" must not give "//oauth/token"
            base = issuer.rstrip("/")
            urls = {name: base + path for name, (path, _) in paths.items()}
            if authorization_endpoint:
                urls["authorization_endpoint"] = (
                    authorization_endpoint if "://" in authorization_endpoint else base + authorization_endpoint
                )
            self.routes[well_known_path(issuer)] = MetadataEndpoint(provider, urls)
            issuer_path = urlsplit(base).path
            if issuer_path:  # mounted at the host's root: the URLs the metadata lists must answer too
                self.routes.update({issuer_path + path: app for path, app in paths.values()})

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        app = self.routes.get(environ.get("PATH_INFO", ""))
        if app is None:
            return error_response(Proauth2Error("not_found", "no such endpoint", status_code=404))(
                environ, start_response
            )
        return app(environ, start_response)
