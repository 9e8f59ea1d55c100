"""A validated request with cold CPU caches, as a busy server worker runs it (SQLite).

In-process benchmarks repeat one request thousands of times, so its code and
data stay in the CPU caches. A server worker runs each request after the
server's own work (accepting, parsing, writing, logging) and other
processes' have evicted them: under gunicorn the same middleware costs
several times its in-process figure. This part reproduces that: before each
timed request it writes :data:`EVICTION_BYTES` of memory and runs unrelated
Python, then times the request alone, for the bare app, the middleware with
a valid token, and the floor (SHA-256 of the token and SQLite's primary-key
lookup through :mod:`sqlite3`, no Python around them), taking turns.
"""

from __future__ import annotations

import hashlib
import sqlite3
import statistics
import time
from collections.abc import Callable

from benchmarks.databases import client_token
from benchmarks.timing import ROUNDS, Timing, environ, hello_app, overhead, serve
from proauth2_wsgi import BearerTokenMiddleware, Proauth2

#: bytes written between two timed requests: more than this machine's L2 and its share of L3
EVICTION_BYTES = 16 * 1024 * 1024
#: the store's lookup, straight on sqlite3
FLOOR_LOOKUP = "SELECT * FROM proauth2_access_tokens WHERE token_hash = ? LIMIT 1"

_scratch = bytearray(EVICTION_BYTES)


def evict_caches() -> None:
    """Write one byte per cache line of a large buffer and run some unrelated Python."""
    _scratch[::64] = b"\x01" * (EVICTION_BYTES // 64)
    sum(len(str(number)) for number in range(2000))


def cold_times(functions: list[Callable[[], object]], requests: int) -> list[Timing]:
    """µs per call of each function, each call after :func:`evict_caches`; the median call of a round."""
    rounds: list[list[float]] = [[] for _ in functions]
    for _ in range(ROUNDS):
        for function, measured in zip(functions, rounds, strict=True):
            calls = []
            for _ in range(requests):
                evict_caches()
                start = time.perf_counter()
                function()
                calls.append(time.perf_counter() - start)
            measured.append(statistics.median(calls) * 1e6)
    return [Timing(statistics.median(r), min(r), tuple(r)) for r in rounds]


def cold_rows(directory: str, requests: int) -> tuple[list[tuple[str, str, str]], float, float]:
    """Rows of the cold-cache part (a new SQLite file in ``directory``); also the middleware's cost and the floor's."""
    path = f"{directory}/cold.db"
    provider = Proauth2(f"sqlite:///{path}")
    token = client_token(provider)
    protected = BearerTokenMiddleware(hello_app, provider)
    valid, bare_environ = environ(token=token), environ()
    raw = sqlite3.connect(path)

    def floor() -> object:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return raw.execute(FLOOR_LOOKUP, (digest,)).fetchone()

    if floor() is None:
        raise RuntimeError("the floor's lookup found no token: the digest differs from the store's")
    try:
        bare, middleware, floor_time = cold_times(
            [lambda: serve(hello_app, bare_environ), lambda: serve(protected, valid), floor], requests
        )
    finally:
        raw.close()
        provider.store.close()
    cost = overhead(bare, middleware)
    rows = [
        ("cold caches", "bare WSGI app", str(bare)),
        ("cold caches", "middleware, valid token", f"{middleware}  (+{cost:.1f})"),
        ("cold caches", "floor: SHA-256 + sqlite3 PK lookup", str(floor_time)),
    ]
    return rows, cost, floor_time.median
