"""``python -m demo.resource_server``: the demo's API served by another process, with no database.

A resource server as one runs on another machine (or behind the same reverse
proxy as the demo): it knows only the issuer's URL. At start it reads the
issuer's metadata (RFC 8414) for its ``jwks_uri`` and
``introspection_endpoint``, and registers itself as a confidential client at
the demo's open registration endpoint (RFC 7591; give ``--client-id`` and
``--client-secret`` for a real server). Then every request to ``/api/...``
needs a token for the resource ``<issuer>/api`` (RFC 8707):

- JWT access tokens (RFC 9068) are checked offline against the issuer's JWK
  set: no call per request, and a revocation counts only when the token
  expires (10 minutes in the demo);
- opaque tokens are introspected (RFC 7662): a revocation counts at once.

``GET /api/me`` says who the token speaks for and how it was checked;
``/.well-known/oauth-protected-resource/api`` is its RFC 9728 document.

Usage::

    python -m demo.resource_server --issuer http://127.0.0.1:5000 --port 5001
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.serving import make_server

from proauth2_wsgi import BearerTokenMiddleware
from proauth2_wsgi.middleware import TOKEN
from proauth2_wsgi.validators import ByFormat, IntrospectionValidator, JWTValidator

from .serving import stop_on_sigterm

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: seconds to wait for the issuer at start-up
HTTP_TIMEOUT = 10


def api(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """``GET /api/me``: the validated token, as the middleware left it in the environ."""
    token = environ[TOKEN]
    presented = environ.get("HTTP_AUTHORIZATION", "").partition(" ")[2]
    if environ.get("PATH_INFO") != "/api/me":
        body = json.dumps({"error": "not_found", "error_description": "only /api/me lives here"}).encode()
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    body = json.dumps(
        {
            "user_id": token.user_id,
            "client_id": token.client_id,
            "scope": token.scope,
            "audience": list(token.audience),
            # ByFormat's choice: a JWS (three parts) is checked offline, anything else introspected
            "checked": "offline, JWT signature" if presented.count(".") == 2 else "introspection",
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - the operator's issuer
        return json.loads(response.read())  # type: ignore[no-any-return]


def _register(registration_endpoint: str) -> tuple[str, str]:
    """A confidential client of the demo for introspection (its registration is open: the demo only)."""
    body = json.dumps({"client_name": "Demo resource server", "grant_types": ["client_credentials"]}).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator's issuer
        registration_endpoint, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - the registration endpoint of the operator's issuer
        client = json.loads(response.read())
    return client["client_id"], client["client_secret"]


def create_app(issuer: str, client_id: str | None = None, client_secret: str | None = None) -> WSGIApplication:
    """The API of ``<issuer>/api`` behind a middleware trusting ``issuer``'s keys and introspection."""
    metadata = _get(f"{issuer}/.well-known/oauth-authorization-server")
    if metadata.get("issuer") != issuer:
        raise SystemExit(f"{issuer} names another issuer in its metadata: {metadata.get('issuer')!r}")
    if client_id is None or client_secret is None:
        client_id, client_secret = _register(metadata["registration_endpoint"])
    resource = f"{issuer}/api"
    validator = ByFormat(
        jwt=JWTValidator(issuer=issuer, audience=resource, jwks_uri=metadata["jwks_uri"]),
        opaque=IntrospectionValidator(metadata["introspection_endpoint"], client_id, client_secret, issuer=issuer),
    )
    return BearerTokenMiddleware(api, validator, resource=resource, rules=[("/api", "profile")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.resource_server", description=__doc__.split("\n")[0])
    parser.add_argument("--issuer", default="http://127.0.0.1:5000", help="the demo's base URL (its issuer)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--client-id", help="this server's client id at the issuer (else it registers one)")
    parser.add_argument("--client-secret", help="its secret")
    args = parser.parse_args(argv)
    app = create_app(args.issuer.rstrip("/"), args.client_id, args.client_secret)
    server = make_server(args.host, args.port, app, threaded=True)
    stop_on_sigterm()
    print(f"demo resource server on http://{args.host}:{server.server_port} for {args.issuer}/api", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    print("demo resource server stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
