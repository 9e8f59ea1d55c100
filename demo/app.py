"""The demo's app factory."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from . import client_views, device_views, provider_views

#: where the demo listens unless told otherwise
DEFAULT_BASE_URL = "http://127.0.0.1:5000"

#: headers on every page the demo renders: no framing (clickjacking the consent page,
#: RFC 9700 §4.16), no caching of pages showing a user or a CSRF token, no URL with
#: ``state`` or a code leaking through ``Referer`` (RFC 9700 §4.2.4), no script at all
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page_headers(response: Response) -> Response:
    """Add :data:`PAGE_HEADERS` to HTML responses, keeping any such header a view set itself."""
    if response.mimetype == "text/html":
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def _instance_secret(instance: Path, name: str) -> str:
    """A secret kept in the instance folder (readable by its owner only), made on first start."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


#: where the demo's protected API lives, below the base URL
API_PATH = "/api"
#: what the API accepts, and its token format (RFC 8707 resource options)
API_RESOURCE = {"scopes": ["profile", "email"], "token_format": "jwt", "access_token_lifetime": 600}
#: where the demo's MCP server lives (demo/mcp_server.py), and what it accepts: any of the demo's scopes
MCP_PATH = "/mcp"
MCP_RESOURCE: dict[str, Any] = {}


def create_app(
    database_url: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    config: dict[str, Any] | None = None,
    instance_path: str | None = None,
) -> Flask:
    """Build the demo provider (and its demo client) served at ``base_url``.

    Every ``PROAUTH2_*`` key can also come from the environment the Flask
    way, e.g. ``FLASK_PROAUTH2_ACCESS_TOKEN_LIFETIME=5``. ``instance_path``
    (absolute) holds the session key, the demo client's credentials and the
    default SQLite file; Flask's ``instance/`` folder when None. Nothing here
    touches the database: the demo client is made ready on first use.
    """
    app = Flask(__name__, instance_path=instance_path)
    instance = Path(app.instance_path)
    app.config.update(
        SECRET_KEY=_instance_secret(instance, "secret_key"),  # the session cookie's: logins survive restarts
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PROAUTH2_DATABASE_URL=database_url or f"sqlite:///{instance / 'demo.db'}",
        PROAUTH2_ISSUER=base_url,
        PROAUTH2_SCOPES=provider_views.SCOPES,
        PROAUTH2_DEFAULT_SCOPE="profile",
        PROAUTH2_REGISTRATION=True,  # open RFC 7591 registration: the demo only, never the default
        # Clients known by the URL of their metadata document (CIMD, what MCP clients use); off by default.
        PROAUTH2_CLIENT_ID_METADATA_DOCUMENTS=True,
        # DPoP (RFC 9449): every proof carries a server nonce, made from the key secret, so a proof cannot be
        # made ahead of time; DPoP itself is on everywhere, at the token endpoint, /api, UserInfo and /mcp.
        PROAUTH2_DPOP_NONCE=True,
        PROAUTH2_AUTHORIZATION_ENDPOINT="/authorize",
        PROAUTH2_END_SESSION_ENDPOINT="/logout",
        # An OpenID Provider, its signing keys encrypted under a secret of the instance folder
        # (a development setup: in production the secret comes from the environment, never the disk).
        PROAUTH2_OPENID=True,
        PROAUTH2_KEY_SECRET=_instance_secret(instance, "key_secret"),
        # Its API is a protected resource (RFC 8707, RFC 9728): asked for by name, it gets short-lived JWT
        # access tokens (RFC 9068) bound to it; /api/me still validates them online, so a revocation counts at once.
        PROAUTH2_RESOURCES={f"{base_url}{API_PATH}": API_RESOURCE, f"{base_url}{MCP_PATH}": MCP_RESOURCE},
        PROAUTH2_PROTECTED_RESOURCE=f"{base_url}{API_PATH}",
        # Pushed authorization requests (RFC 9126) are always served, at /oauth/par; a pushed request must be
        # answered within this many seconds, login and consent included: a person needs more than the default 60.
        PROAUTH2_PAR_LIFETIME=300,
        # The device flow (RFC 8628): a device without a browser sends its user to /device (demo/device_views.py).
        PROAUTH2_DEVICE_VERIFICATION_URI="/device",
    )
    app.config.from_prefixed_env()
    if config:
        app.config.update(config)
    provider_views.oauth.init_app(app)
    app.register_blueprint(provider_views.bp)
    app.register_blueprint(client_views.bp)
    app.register_blueprint(device_views.bp)
    app.after_request(_page_headers)
    app.register_error_handler(HTTPException, provider_views.http_error)
    return app
