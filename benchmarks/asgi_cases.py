"""The ASGI middleware (SQLite): its cost over a bare Starlette route in-process, and throughput under uvicorn.

1. In-process: the ASGI apps are called directly, with a prepared scope and
   ``receive``/``send`` callables, in one asyncio loop, the cases taking
   turns round by round. A valid opaque token is validated on the loop: a
   SQLite file in WAL mode never makes a reader wait
   (:attr:`~proauth2_wsgi.stores.base.DataStore.reads_inline`); a network
   database would go to the thread pool. Budget: at most 40 µs over the bare
   route, by default and with the token cache on.
2. Under uvicorn (one worker, a subprocess on a free port), ``wrk -t1 -c50``
   with the ``Authorization`` header against the bare route and the
   protected ones, 5 s per route in one-second runs taking turns. Budget:
   the protected route keeps at least 80% of the bare route's requests/s.
   Skipped, with the reason printed, without ``wrk``.

``python -m benchmarks.asgi_cases DATABASE_URL PORT`` is that server.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from benchmarks.databases import client_token
from benchmarks.load import free_port, wrk
from benchmarks.timing import ROUNDS, Timing, overhead
from proauth2_wsgi import Proauth2
from proauth2_wsgi.asgi import BearerTokenMiddleware

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

#: budget: µs the ASGI middleware may add to a request with a valid token, in-process
OVERHEAD_BUDGET_US = 40.0
#: budget: the protected route's requests/s under uvicorn, as a share of the bare route's
THROUGHPUT_BUDGET = 0.80
#: wrk's threads, connections and seconds per route, in rounds taking turns
WRK_THREADS, WRK_CONNECTIONS, WRK_SECONDS, WRK_ROUNDS = 1, 50, 5, 5
#: the routes of the uvicorn server, by case
ROUTES = {"bare": "/bare", "protected": "/protected", "cached": "/cached"}


def starlette_app() -> ASGIApp:
    """The bare app every case wraps: one Starlette route answering a fixed small body."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/{path:path}", hello)])


def scope(path: str = "/", token: str | None = None) -> Scope:
    """An HTTP GET's scope, with a bearer token when given."""
    headers = [(b"host", b"bench.example.com"), (b"accept", b"*/*"), (b"user-agent", b"bench")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Any) -> None:
    """The server's ``send``, which nobody reads here."""


async def _serve(app: ASGIApp, prepared: Scope, iterations: int) -> None:
    for _ in range(iterations):
        await app(dict(prepared), _receive, _send)  # a fresh scope per request, as a server gives


def asgi_times(cases: list[tuple[ASGIApp, Scope]], iterations: int) -> list[Timing]:
    """µs per request of each ``(app, scope)`` over :data:`ROUNDS` rounds taking turns, in one event loop."""
    loop = asyncio.new_event_loop()
    rounds: list[list[float]] = [[] for _ in cases]
    try:
        for app, prepared in cases:  # warm up: Starlette's middleware stack, the pool's threads, SQLite's pages
            loop.run_until_complete(_serve(app, prepared, 50))
        for _ in range(ROUNDS):
            for (app, prepared), measured in zip(cases, rounds, strict=True):
                start = time.perf_counter()
                loop.run_until_complete(_serve(app, prepared, iterations))
                measured.append((time.perf_counter() - start) / iterations * 1e6)
    finally:
        loop.close()
    return [Timing(statistics.median(measured), min(measured), tuple(measured)) for measured in rounds]


def in_process_rows(database_url: str, iterations: int) -> tuple[list[tuple[str, str, str]], dict[str, float]]:
    """Rows of the in-process part, and each case's overhead over the bare route (µs, by case key)."""
    provider = Proauth2(database_url)
    token = client_token(provider)
    bare = starlette_app()
    default = BearerTokenMiddleware(bare, provider)
    cached = BearerTokenMiddleware(bare, provider, cache_ttl=5)
    cases: list[tuple[str, str, ASGIApp, Scope]] = [
        ("bare", "bare Starlette route", bare, scope("/", token)),
        ("default", "middleware, valid token (SQLite: on the loop)", default, scope("/", token)),
        ("cached", "middleware, valid token, cache_ttl=5 (on the loop)", cached, scope("/", token)),
        ("missing", "middleware, no token (401)", default, scope("/")),
    ]
    timings = asgi_times([(app, prepared) for _, _, app, prepared in cases], iterations)
    default.close()
    cached.close()
    provider.store.close()
    overheads = {key: overhead(timings[0], timing) for (key, _, _, _), timing in zip(cases, timings, strict=True)}
    rows = [
        ("in-process", label, str(timing) + ("" if key == "bare" else f"  (+{overheads[key]:.1f})"))
        for (key, label, _, _), timing in zip(cases, timings, strict=True)
    ]
    return rows, overheads


def _wait_for_port(port: int, server: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise OSError(f"the uvicorn server exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise OSError("the uvicorn server did not start")


def uvicorn_rows(database_url: str) -> tuple[list[tuple[str, str, str]], dict[str, float]]:
    """Rows of the uvicorn part (requests/s per route), and each route's share of the bare route's.

    The routes take turns, :data:`WRK_ROUNDS` runs of one second each (five
    seconds per route in all), so a burst of load from other processes
    falls on each alike; a share is the median of the rounds' ratios.
    """
    if shutil.which("wrk") is None:
        print("skipping the ASGI throughput under uvicorn: wrk is not installed (apt-get install wrk)")
        return [], {}
    provider = Proauth2(database_url)
    token = client_token(provider)
    provider.store.close()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.asgi_cases", database_url, str(port)])
    measured: dict[str, list[float]] = {key: [] for key in ROUTES}
    errors = dict.fromkeys(ROUTES, 0)
    try:
        _wait_for_port(port, server)
        for _ in range(WRK_ROUNDS):
            for key, path in ROUTES.items():
                figures = wrk(f"http://127.0.0.1:{port}{path}", token, WRK_SECONDS // WRK_ROUNDS, WRK_CONNECTIONS)
                rate, failed = figures["rps"], int(figures["non_2xx"])
                measured[key].append(rate)
                errors[key] += failed
    finally:
        server.terminate()
        server.wait(timeout=10)
    bare = measured["bare"]
    shares = {
        key: statistics.median(rate / base for rate, base in zip(rates, bare, strict=True))
        for key, rates in measured.items()
    }
    labels = {"bare": "bare Starlette route", "protected": "middleware, valid token", "cached": "cache_ttl=5"}
    rows = []
    for key, rates in measured.items():
        note = "" if key == "bare" else f"  ({shares[key]:.0%} of bare)"
        if errors[key]:
            note += f"  {errors[key]} answers not 2xx!"
        median, best = statistics.median(rates), max(rates)
        rows.append((f"uvicorn, wrk -c{WRK_CONNECTIONS}", labels[key], f"{median:8.0f} {best:8.0f}{note}"))
    return rows, shares


def asgi_budget_lines(overheads: dict[str, float], shares: dict[str, float]) -> list[tuple[str, bool]]:
    """The budget lines of this part: (text, within budget); the default and the cached case each."""
    lines = [
        (
            f"ASGI middleware, valid token, {label} {overheads[key]:+6.1f} µs <= {OVERHEAD_BUDGET_US:.0f} µs",
            overheads[key] <= OVERHEAD_BUDGET_US,
        )
        for key, label in (("default", "default       "), ("cached", "cache_ttl=5   "))
    ]
    lines += [
        (
            f"uvicorn, ASGI middleware, {label} {shares[key]:5.0%} of bare req/s >= {THROUGHPUT_BUDGET:.0%}",
            shares[key] >= THROUGHPUT_BUDGET,
        )
        for key, label in (("protected", "default       "), ("cached", "cache_ttl=5   "))
        if key in shares
    ]
    return lines


def server_app(database_url: str) -> ASGIApp:
    """The server's app: ``/bare`` straight to the route, ``/protected`` and ``/cached`` behind the middleware."""
    provider = Proauth2(database_url)
    bare = starlette_app()
    protected = BearerTokenMiddleware(bare, provider)
    cached = BearerTokenMiddleware(bare, provider, cache_ttl=5)

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        chosen = bare if path == ROUTES["bare"] or scope["type"] == "lifespan" else protected
        await (cached if path == ROUTES["cached"] else chosen)(scope, receive, send)

    return app


if __name__ == "__main__":
    import uvicorn

    url, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(server_app(url), host="127.0.0.1", port=port, workers=1, log_level="warning", access_log=False)
