"""Resource servers in-process (SQLite): offline JWT validation, online validation, introspection.

Budgets (issue 12): offline validation of an RS256 JWT access token adds at
most 80 µs over the bare app, and at most 15 µs with the verified-token cache
on; online validation of a JWT (the provider's lookup) costs no more than an
opaque token's; the introspection validator with a warm cache at most 15 µs.
Every case is the WSGI middleware over the same bare app, rounds taking
turns (:func:`~benchmarks.timing.call_times`).
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from werkzeug.serving import WSGIRequestHandler, make_server

from benchmarks.timing import call_times, environ, hello_app, overhead, serve
from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.validators import IntrospectionValidator, JWTValidator

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

ISSUER = "https://auth.example.com"
API = "https://api.example.com"
#: budgets, µs over the bare app
OFFLINE_JWT_BUDGET_US = 80.0
CACHED_BUDGET_US = 15.0
#: budget: online validation of a JWT costs what an opaque token's does, within this share (its longer digest)
ONLINE_JWT_SLACK = 0.10


class _Quiet(WSGIRequestHandler):
    """No access log: the benchmark's output is its tables."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serve_http(app: WSGIApplication, ssl_context: ssl.SSLContext | None = None) -> Iterator[str]:
    """``app`` on a loopback port in a thread (an issuer, a document host); its base URL.

    With ``ssl_context`` it serves HTTPS, at ``https://localhost:<port>``.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_port}" if ssl_context else f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def resource_rows(database_url: str, iterations: int) -> tuple[list[tuple[str, str, str]], dict[str, float]]:
    """Rows for the resource-server table, and each case's overhead over the bare app (µs, by case key)."""
    provider = Proauth2(
        database_url,
        issuer=ISSUER,
        scopes={"read": "Read"},
        key_secret="bench-" + "k" * 32,
        resources={API: {"token_format": "jwt"}},
    )
    service = provider.register_app("bench-rs", grant_types=["client_credentials"])
    jwt = provider.request_access_token("client_credentials", *service, resource=API, scope="read")["access_token"]
    opaque = provider.request_access_token("client_credentials", *service, scope="read")["access_token"]
    rs = provider.register_app("bench-introspecting-rs", grant_types=["client_credentials"])
    offline = JWTValidator(issuer=ISSUER, audience=API, keys=provider.keys.jwks())
    with serve_http(AuthorizationServer(provider)) as url:
        introspection = IntrospectionValidator(
            f"{url}/oauth/introspect",
            *rs,
            issuer=ISSUER,
            cache_ttl=60,  # type: ignore[arg-type]
        )
        cases: list[tuple[str, str, BearerTokenMiddleware | Callable[..., object], str]] = [
            ("bare", "bare WSGI app", hello_app, jwt),
            ("offline", "JWTValidator (offline, RS256)", BearerTokenMiddleware(hello_app, offline, resource=API), jwt),
            (
                "offline_cached",
                "JWTValidator, cache_ttl=5",
                BearerTokenMiddleware(hello_app, offline, resource=API, cache_ttl=5),
                jwt,
            ),
            ("online_jwt", "provider (online), a JWT", BearerTokenMiddleware(hello_app, provider, resource=API), jwt),
            (
                "online_opaque",
                "provider (online), an opaque token",
                BearerTokenMiddleware(hello_app, provider, resource=API),
                opaque,
            ),
            (
                "introspection_cached",
                "IntrospectionValidator, warm cache",
                BearerTokenMiddleware(hello_app, introspection, resource=API),
                opaque,
            ),
        ]
        callers = []
        for _, _, app, token in cases:
            env = environ("/", token)
            for _ in range(50):  # warm up: connections, the introspection cache
                serve(app, env)  # type: ignore[arg-type]
            callers.append(lambda _, app=app, env=env: serve(app, env))  # type: ignore[misc]
        timings = call_times(callers, iterations)
    provider.store.dispose()
    bare = timings[0]
    overheads = {key: overhead(bare, timing) for (key, _, _, _), timing in zip(cases, timings, strict=True)}
    rows = [
        ("RS", label, str(timing) + ("" if key == "bare" else f"  (+{overheads[key]:.1f})"))
        for (key, label, _, _), timing in zip(cases, timings, strict=True)
    ]
    return rows, overheads


def resource_budget_lines(overheads: dict[str, float]) -> list[tuple[str, bool]]:
    """The budget lines of this part: (text, within budget)."""
    online_gap = overheads["online_jwt"] / overheads["online_opaque"] - 1
    return [
        (
            f"offline JWT validation {overheads['offline']:+6.1f} µs <= {OFFLINE_JWT_BUDGET_US:.0f} µs",
            overheads["offline"] <= OFFLINE_JWT_BUDGET_US,
        ),
        (
            f"offline JWT, cache on {overheads['offline_cached']:+6.1f} µs <= {CACHED_BUDGET_US:.0f} µs",
            overheads["offline_cached"] <= CACHED_BUDGET_US,
        ),
        (
            f"online JWT vs online opaque {online_gap:+6.1%} <= {ONLINE_JWT_SLACK:.0%}",
            online_gap <= ONLINE_JWT_SLACK,
        ),
        (
            f"introspection, warm cache {overheads['introspection_cached']:+6.1f} µs <= {CACHED_BUDGET_US:.0f} µs",
            overheads["introspection_cached"] <= CACHED_BUDGET_US,
        ),
    ]
