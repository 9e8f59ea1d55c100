"""The ``proauth2`` blueprint: the routes of an :class:`~proauth2_wsgi.endpoints.AuthorizationServer`, in Flask.

Each route hands Flask's request (a werkzeug request) to the endpoint and
returns its response, so a Flask app and a bare WSGI deployment behave the
same (a wrong method included: the endpoint's JSON 405). Routes, with
``PROAUTH2_URL_PREFIX`` (default ``/oauth``) as ``<prefix>``:

- ``proauth2.token``         ``<prefix>/token``        (RFC 6749 §3.2)
- ``proauth2.revocation``    ``<prefix>/revoke``       (RFC 7009)
- ``proauth2.introspection`` ``<prefix>/introspect``   (RFC 7662)
- ``proauth2.pushed_authorization_request`` ``<prefix>/par`` (RFC 9126)
- ``proauth2.registration``  ``<prefix>/register``     (RFC 7591, when ``PROAUTH2_REGISTRATION`` is on)
- ``proauth2.metadata``      ``/.well-known/oauth-authorization-server`` (RFC 8414 §3, when
  ``PROAUTH2_ISSUER`` is set: the document must name its issuer; the endpoint
  URLs in it are the issuer followed by their path, never the request's ``Host``)

and any endpoint registered on the provider before, under its own name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from flask import Blueprint, request
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from proauth2_wsgi.endpoints import AuthorizationServer
    from proauth2_wsgi.endpoints.base import Endpoint

# Every method reaches the endpoint, which answers the wrong ones itself.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def endpoint_name(endpoint: Endpoint) -> str:
    """The blueprint's name for an endpoint: its RFC 8414 name without ``_endpoint``."""
    return endpoint.name.removesuffix("_endpoint")


def _view(endpoint: Endpoint) -> Callable[[], Response]:
    def view() -> Response:
        # The request object itself, not the context-local proxy: every attribute read stays direct.
        return endpoint.respond(request._get_current_object())  # type: ignore[attr-defined]

    return view


class EndpointsFirst:
    """WSGI middleware answering the endpoints' paths before Flask dispatches (``PROAUTH2_ENDPOINTS_BEFORE_FLASK``).

    It saves Flask's own cost per request (the request context, routing,
    hooks: 50-70 µs on a 2-core machine, 15-20% of a token request); in
    exchange, the app's ``before_request``/``after_request`` hooks and
    extensions built on them (CORS, rate limits) do not see these requests.
    ``url_for("proauth2.token")`` still works: the blueprint stays registered.
    """

    def __init__(self, app: WSGIApplication, server: AuthorizationServer) -> None:
        self.app = app
        self.routes = server.routes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        endpoint = self.routes.get(environ.get("PATH_INFO", ""))
        if endpoint is None:
            return self.app(environ, start_response)
        return endpoint(environ, start_response)


class UnlistedMethods:
    """WSGI middleware sending a request whose method no route lists (``TRACE``, ``PROPFIND``...) to its endpoint.

    Flask would answer it with its own HTML 405 and an ``Allow`` header naming
    every method of the rules; the endpoint answers the JSON 405 (RFC 6749
    §5.2) with its own ``Allow``, as a bare WSGI deployment does. Every other
    request goes through Flask.
    """

    def __init__(self, app: WSGIApplication, server: AuthorizationServer) -> None:
        self.app = app
        self.routes = server.routes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if str(environ.get("REQUEST_METHOD", "")).upper() not in _METHODS:
            endpoint = self.routes.get(environ.get("PATH_INFO", ""))
            if endpoint is not None:
                return endpoint(environ, start_response)
        return self.app(environ, start_response)


def create_blueprint(server: AuthorizationServer) -> Blueprint:
    """A blueprint mounting every route of one app's ``server``."""
    # Its template folder holds proauth2/error.html; an app's own templates/proauth2/error.html wins.
    blueprint = Blueprint("proauth2", __name__, template_folder="templates")
    views: dict[int, Callable[[], Response]] = {}  # one view per endpoint, however many paths serve it
    for path, endpoint in server.routes.items():
        view = views.setdefault(id(endpoint), _view(endpoint))  # type: ignore[arg-type]
        blueprint.add_url_rule(
            path,
            endpoint_name(endpoint),  # type: ignore[arg-type]
            view,
            methods=_METHODS,
            provide_automatic_options=False,
        )
    return blueprint
