"""proauth2, as the README deploys it: ``AuthorizationServer``, an authorization endpoint, the middleware, Flask.

- The authorization server: :class:`~proauth2_wsgi.endpoints.AuthorizationServer`
  (``/oauth/token``, ``/oauth/revoke``, ``/oauth/introspect``) beside the
  authorization endpoint of the README's example (``parse_authorization_request``,
  then ``authorization_redirect`` for the signed-in user on ``POST``), under
  werkzeug's ``DispatcherMiddleware``.
- Routes: ``BearerTokenMiddleware`` over a bare WSGI callable, and the Flask
  extension's app of benchmarks/flask_cases.py (a bare route, one behind the
  middleware, one behind ``@require_oauth()``); :meth:`Proauth2Peer.over`
  puts the middleware over any other app (Django's handler).

The store is ``PeeweeDataStore`` on a SQLite file: WAL journal,
``synchronous=NORMAL`` (its only SQLite settings).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from benchmarks.peers import REDIRECT_URI, Endpoints, route, sqlite_pragmas
from benchmarks.timing import hello_app
from proauth2_wsgi import BearerTokenMiddleware, Proauth2, Proauth2Error
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.endpoints.authorization import authorization_redirect, parse_authorization_request

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from flask import Flask

SCOPE = "profile"
#: the signed-in user every authorization is granted by (the host's login is no part of the flow)
USER_ID = "alice"
#: where the server answers
PATHS = {
    "authorize": "/authorize",
    "token": "/oauth/token",
    "revoke": "/oauth/revoke",
    "introspect": "/oauth/introspect",
}


class Proauth2Peer:
    """proauth2's authorization server and protected routes on one SQLite file."""

    name = "proauth2"

    def __init__(self, database_url: str, *, with_flask: bool = True) -> None:
        self.provider = provider = Proauth2(
            database_url, issuer="https://auth.example.com", scopes={SCOPE: "Read your profile"}, default_scope=SCOPE
        )

        @Request.application
        def authorize(request: Request) -> Response:
            try:
                auth_request = parse_authorization_request(provider, request.args)
            except Proauth2Error as error:
                return Response(error.error, status=400)
            if request.method == "POST" and request.form.get("ok"):
                return redirect(authorization_redirect(provider, auth_request, USER_ID), 303)
            return Response("consent page", mimetype="text/html")

        app: WSGIApplication = DispatcherMiddleware(
            AuthorizationServer(provider, authorization_endpoint=PATHS["authorize"]), {PATHS["authorize"]: authorize}
        )
        code_client = provider.register_app("bench code", [REDIRECT_URI])
        cc_client = provider.register_app("bench cc", grant_types=["client_credentials"])
        self.cc_client = (cc_client.client_id, str(cc_client.client_secret))
        self.endpoints = Endpoints(
            app,
            PATHS,
            scope=SCOPE,
            approval={"ok": "1"},
            code_client=(code_client.client_id, str(code_client.client_secret)),
            cc_client=self.cc_client,
            issue=self._issue,
        )
        self.protected = BearerTokenMiddleware(hello_app, provider)
        self.flask: Flask | None = None
        if with_flask:  # the Flask extension's app of benchmarks/flask_cases.py, wired as flask_rows wires it
            from benchmarks.flask_cases import flask_app

            self.flask = flask_app(database_url)
            self.flask.wsgi_app = BearerTokenMiddleware(  # type: ignore[method-assign]
                self.flask.wsgi_app,
                self.flask.extensions["proauth2"].provider,
                public_paths=["/bare", "/decorated", "/oauth"],
            )

    def _issue(self, count: int) -> list[str]:
        client_id, secret = self.cc_client
        issue = self.provider.request_access_token
        return [str(issue("client_credentials", client_id, secret)["access_token"]) for _ in range(count)]

    def routes(self) -> dict[str, dict[str, Callable[[int], object]]]:
        token = self.endpoints.token
        routes = {
            "callable": {
                "bare": route(hello_app, "/", token, 200),
                "valid": route(self.protected, "/", token, 200),
                "bad": route(self.protected, "/", "A" * 43, 401),
                "missing": route(self.protected, "/", None, 401),
            }
        }
        if self.flask is not None:
            routes["flask"] = {
                "bare": route(self.flask, "/bare", token, 200),
                "valid": route(self.flask, "/middleware", token, 200),
                "decorator": route(self.flask, "/decorated", token, 200),
                "bad": route(self.flask, "/middleware", "A" * 43, 401),
                "missing": route(self.flask, "/middleware", None, 401),
            }
        return routes

    def over(self, app: WSGIApplication) -> BearerTokenMiddleware:
        """The middleware over another framework's app (Django's handler: the same view DOT protects)."""
        return BearerTokenMiddleware(app, self.provider)

    def _connection(self) -> sqlite3.Connection:
        return self.provider.store._db.connection()  # type: ignore[attr-defined,no-any-return]

    @contextmanager
    def trace(self) -> Iterator[list[str]]:
        statements: list[str] = []
        connection = self._connection()
        connection.set_trace_callback(statements.append)
        try:
            yield statements
        finally:
            connection.set_trace_callback(None)

    def pragmas(self) -> dict[str, str]:
        return sqlite_pragmas(self._connection())

    def close(self) -> None:
        self.provider.store.dispose()
        if self.flask is not None:
            self.flask.extensions["proauth2"].provider.store.dispose()
