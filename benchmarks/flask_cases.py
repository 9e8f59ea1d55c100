"""The Flask extension against the WSGI core, in-process: the decorator vs the middleware, the token endpoint.

Budgets (issue 9): the decorator's overhead over a bare Flask route within
10 µs of the middleware's over the same route; a token request through the
Flask extension within 10% of the same request to the bare WSGI endpoint.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.test import EnvironBuilder

from benchmarks.timing import call_times, environ, overhead, serve
from flask_proauth2 import Proauth2 as FlaskProauth2
from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from proauth2_wsgi.endpoints import TokenEndpoint

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

#: budget: µs the decorator's overhead may differ from the middleware's, over one Flask route
DECORATOR_BUDGET_US = 10.0
#: budget: how much slower a token request may be through the Flask extension than the bare endpoint
TOKEN_ENDPOINT_BUDGET = 0.10


def flask_app(database_url: str, **config: object) -> Flask:
    """A Flask app with the extension: a bare route, a decorated one, one left to the middleware."""
    app = Flask("bench")
    app.config.update(PROAUTH2_DATABASE_URL=database_url, PROAUTH2_ISSUER="https://auth.example.com", **config)
    oauth = FlaskProauth2(app)

    @app.route("/bare")
    def bare() -> str:
        return "hello"

    @app.route("/decorated")
    @oauth.require_oauth()
    def decorated() -> str:
        return "hello"

    @app.route("/middleware")
    def middleware() -> str:
        return "hello"

    return app


def _token_environ(client_id: str, secret: str) -> Callable[[], WSGIEnvironment]:
    body = b"grant_type=client_credentials"
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    base = EnvironBuilder(
        method="POST",
        path="/oauth/token",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=[("Authorization", f"Basic {credentials}")],
    ).get_environ()
    return lambda: {**base, "wsgi.input": io.BytesIO(body)}


def flask_rows(database_url: str, iterations: int) -> tuple[list[tuple[str, str, str]], float, float]:
    """Rows for the Flask table; also the decorator-minus-middleware difference and the token endpoint ratio.

    The ratio is the one of the endpoints answered before Flask's dispatch
    (``PROAUTH2_ENDPOINTS_BEFORE_FLASK``); through Flask's dispatch (the
    default) a request also pays Flask's own fixed cost, shown beside it.
    """
    app = flask_app(database_url)
    provider: Proauth2 = app.extensions["proauth2"].provider
    credentials = provider.register_app("bench-flask", grant_types=["client_credentials"])
    client_id, secret = credentials.client_id, str(credentials.client_secret)
    token = str(provider.request_access_token("client_credentials", client_id, secret)["access_token"])
    wrapped = BearerTokenMiddleware(app.wsgi_app, provider, public_paths=["/bare", "/decorated", "/oauth"])
    app.wsgi_app = wrapped  # type: ignore[method-assign]
    routes: list[tuple[str, WSGIApplication, WSGIEnvironment]] = [
        ("Flask route, bare", app, environ("/bare")),
        ("Flask route + middleware, valid token", app, environ("/middleware", token)),
        ("Flask route + @require_oauth, valid token", app, environ("/decorated", token)),
    ]
    for _, target, env in routes:  # warm up
        for _ in range(100):
            serve(target, env)
    route_times = call_times([_caller(target, env) for _, target, env in routes], iterations)
    bare, by_middleware, by_decorator = route_times
    middleware_us = overhead(bare, by_middleware)
    decorator_us = overhead(bare, by_decorator)

    endpoint = TokenEndpoint(Proauth2(database_url, issuer="https://auth.example.com"))
    first = flask_app(database_url, PROAUTH2_ENDPOINTS_BEFORE_FLASK=True)
    fresh = _token_environ(client_id, secret)
    token_iterations = max(iterations // 10, 100)
    bare_endpoint, through_flask, before_flask = call_times(
        [lambda _: serve(endpoint, fresh()), lambda _: serve(app, fresh()), lambda _: serve(first, fresh())],
        token_iterations,
    )
    through = through_flask.median / bare_endpoint.median - 1
    ratio = before_flask.median / bare_endpoint.median - 1
    rows = [
        ("Flask", routes[0][0], str(bare)),
        ("Flask", routes[1][0], f"{by_middleware}  (+{middleware_us:.1f})"),
        ("Flask", routes[2][0], f"{by_decorator}  (+{decorator_us:.1f})"),
        ("Flask", "token endpoint, bare WSGI app", str(bare_endpoint)),
        ("Flask", "token endpoint, extension, through Flask's dispatch", f"{through_flask}  ({through:+.1%})"),
        ("Flask", "token endpoint, extension, ENDPOINTS_BEFORE_FLASK", f"{before_flask}  ({ratio:+.1%})"),
    ]
    for store in (endpoint.provider.store, provider.store, first.extensions["proauth2"].provider.store):
        store.dispose()
    return rows, decorator_us - middleware_us, ratio


def _caller(app: WSGIApplication, env: WSGIEnvironment) -> Callable[[int], None]:
    return lambda _: serve(app, env)
