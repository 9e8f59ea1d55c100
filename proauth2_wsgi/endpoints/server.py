"""One WSGI app serving a provider's endpoints under a prefix, plus the RFC 8414 metadata document.

``AuthorizationServer(provider)`` registers the default endpoints on the
provider's ``endpoints`` registry — token (``{prefix}/token``), revocation
(``{prefix}/revoke``), introspection (``{prefix}/introspect``), pushed
authorization requests (``{prefix}/par``, RFC 9126), and
registration (``{prefix}/register``, only with ``registration=True``), device
authorization (``{prefix}/device_authorization``, RFC 8628, when the device
flow is on) — and serves every endpoint the registry holds, so an endpoint registered there
before (a custom one, or a replacement) is served and announced too. With an
issuer it also serves ``/.well-known/oauth-authorization-server`` (RFC 8414
§3). Endpoint URLs in the metadata are the issuer followed by their path, so
mount the app at the issuer's URL. When the issuer has a path
(``https://host/tenant``), the metadata lives at
``/.well-known/oauth-authorization-server/tenant`` on the host's root
(RFC 8414 §3.1), so the endpoints also answer below the issuer's path
(``/tenant/oauth/token``): mounted at the host's root, the app then serves the
metadata and every URL it lists. Any other path is a JSON 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import Proauth2Error
from ..oidc.discovery import WELL_KNOWN_PATH as OPENID_WELL_KNOWN_PATH
from ..protected_resource import ResourceMetadataEndpoint
from ..responses import error_response
from ..uris import validate_web_url
from .base import Endpoint
from .device_authorization import DeviceAuthorizationEndpoint
from .introspection import IntrospectionEndpoint
from .jwks import JwksEndpoint
from .metadata import MetadataEndpoint, well_known_path
from .par import PushedAuthorizationEndpoint
from .registration import RegistrationEndpoint
from .revocation import RevocationEndpoint
from .token import TokenEndpoint
from .userinfo import UserInfoEndpoint

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ..protected_resource import ProtectedResource
    from ..provider import Proauth2

#: default path under which the endpoints are served
DEFAULT_PREFIX = "/oauth"


def default_endpoints(
    provider: Proauth2, *, registration: bool = False, initial_access_token: str | None = None
) -> list[Endpoint]:
    """Token, revocation, introspection, PAR; registration when asked for; UserInfo (OIDC); JWKS (signed tokens)."""
    endpoints: list[Endpoint] = [
        TokenEndpoint(provider),
        RevocationEndpoint(provider),
        IntrospectionEndpoint(provider),
        PushedAuthorizationEndpoint(provider),
    ]
    if registration:
        endpoints.append(RegistrationEndpoint(provider, initial_access_token))
    if provider.settings.device_verification_uri is not None and DeviceAuthorizationEndpoint.grant in provider.grants:
        endpoints.append(DeviceAuthorizationEndpoint(provider))
    if provider.settings.openid:
        endpoints.append(UserInfoEndpoint(provider))
    if provider.settings.openid or "jwt" in provider.token_formats:  # ID tokens or JWT access tokens to verify
        endpoints.append(JwksEndpoint(provider))
    return endpoints


class AuthorizationServer:
    """A WSGI app dispatching to the provider's endpoints and its metadata document.

    ``authorization_endpoint`` is the host app's own authorization URL,
    advertised in the metadata (absolute, or a path below the issuer; never
    with a fragment, and https unless on loopback: RFC 6749 §3.1, OAuth 2.1
    §1.5, §3.1; ``end_session_endpoint`` likewise).
    Registration (RFC 7591) is off by default; with ``registration=True`` it
    is open unless ``initial_access_token`` is given. ``app`` answers every
    other path (your application, behind a ``BearerTokenMiddleware``), so one
    WSGI app serves both; without it, other paths are a JSON 404.
    ``protected_resource`` is the resource that application is (RFC 9728):
    its metadata document is served at its well-known path.
    """

    def __init__(
        self,
        provider: Proauth2,
        *,
        authorization_endpoint: str | None = None,
        end_session_endpoint: str | None = None,
        registration: bool = False,
        initial_access_token: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        app: WSGIApplication | None = None,
        protected_resource: ProtectedResource | None = None,
    ) -> None:
        self.app = app
        if initial_access_token is not None and not registration:
            raise ValueError("initial_access_token needs registration=True")
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError("prefix must start with '/' and not end with one (or be empty)")
        for name, value in (
            ("authorization_endpoint", authorization_endpoint),
            ("end_session_endpoint", end_session_endpoint),
        ):
            if value and not value.startswith(("/", "https://", "http://")):
                raise ValueError(f"{name} must be an absolute URL or a path starting with '/'")
            if value and "#" in value:  # RFC 6749 §3.1, OAuth 2.1 §3.1
                raise ValueError(f"{name} must not have a fragment")
            if value and "://" in value:  # OAuth 2.1 §1.5: https, http on loopback only
                try:
                    validate_web_url(value)
                except ValueError as exc:
                    raise ValueError(f"{name} {exc}") from None
        for endpoint in default_endpoints(
            provider, registration=registration, initial_access_token=initial_access_token
        ):
            if endpoint.name not in provider.endpoints:
                provider.endpoints.register(endpoint)
        endpoints: list[Endpoint] = []
        for component in provider.endpoints:
            if not isinstance(component, Endpoint):
                raise TypeError(f"{component!r}: a provider's endpoints are proauth2_wsgi.endpoints.base.Endpoint apps")
            endpoints.append(component)
        paths = {endpoint.name: (prefix + endpoint.path, endpoint) for endpoint in endpoints}
        self.routes: dict[str, Endpoint | ResourceMetadataEndpoint] = dict(paths.values())
        if protected_resource is not None:
            self.routes[protected_resource.metadata_path] = ResourceMetadataEndpoint(protected_resource)
        issuer = provider.settings.issuer
        if issuer:
            # RFC 8414 §2: absolute URLs; an issuer ending in "/" must not give "//oauth/token"
            base = issuer.rstrip("/")
            urls = {name: base + path for name, (path, _) in paths.items()}
            for name, (_, endpoint) in paths.items():
                endpoint.url = urls[name]
            for name, value in (
                ("authorization_endpoint", authorization_endpoint),
                ("end_session_endpoint", end_session_endpoint),
            ):
                if value:
                    urls[name] = value if "://" in value else base + value
            metadata = MetadataEndpoint(provider, urls)
            self.routes[well_known_path(issuer)] = metadata
            issuer_path = urlsplit(base).path
            if provider.settings.openid:  # OIDC Discovery §4: below the issuer's own path
                self.routes[issuer_path + OPENID_WELL_KNOWN_PATH] = metadata
            if issuer_path:  # mounted at the host's root: the URLs the metadata lists must answer too
                self.routes.update({issuer_path + path: app for path, app in paths.values()})

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        endpoint = self.routes.get(environ.get("PATH_INFO", ""))
        if endpoint is not None:
            return endpoint(environ, start_response)
        if self.app is not None:
            return self.app(environ, start_response)
        return error_response(Proauth2Error("not_found", "no such endpoint", status_code=404))(environ, start_response)
