"""``python -m benchmarks``: the bearer middleware's cost, in-process, on SQLite and PostgreSQL.

Prints one table per part:

1. per backend: the bare app, the same app behind the middleware with a valid
   token (and with the token cache on), the 401 paths, the token endpoint
   (client_credentials grant), and how many queries a validated request runs;
2. the Flask extension: its decorator against the middleware, the token
   endpoint through Flask (benchmarks/flask_cases.py);
3. OpenID Connect: what the ID token adds to a code exchange per algorithm,
   the JWK set and discovery documents (benchmarks/oidc_cases.py);
4. resource servers: offline JWT validation, online, introspection with a
   warm cache (benchmarks/resource_cases.py);
5. DPoP: a bound token presented with an ES256 proof, against a bearer
   token (benchmarks/dpop_cases.py); private_key_jwt: a token request with
   an ES256 client assertion, against client_secret_basic
   (benchmarks/private_key_jwt_cases.py); the device grant: a pending poll
   against a token request failing with invalid_grant (benchmarks/device_cases.py);
6. Client ID Metadata Documents: a CIMD client's authorization request
   against a registered client's, and the document's fetches
   (benchmarks/cimd_cases.py);
7. the ASGI middleware: its cost over a bare Starlette route in-process,
   and requests/s under uvicorn with ``wrk`` (benchmarks/asgi_cases.py);
8. validation with 10^3 and 10^6 stored tokens (SQLite), looked up in turn
   among 1,000 known tokens spread over the table, beside a raw sqlite3
   primary-key lookup; then a validated request with cold CPU caches, as a
   server worker runs it, beside the floor (benchmarks/cold_cases.py);
9. side by side with Authlib and django-oauth-toolkit (``--peers``, the
   default; benchmarks/side_by_side.py), written to benchmarks/results/.

Budgets (issue 4): one query per validated request; at most 50 µs over the
bare app on SQLite; validation cost within 10% between 10^3 and 10^6 tokens.
"""

from __future__ import annotations

import argparse
import base64
import io
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.test import EnvironBuilder

from benchmarks import side_by_side
from benchmarks.asgi_cases import asgi_budget_lines, in_process_rows, uvicorn_rows
from benchmarks.cimd_cases import cimd_budget_lines, cimd_rows
from benchmarks.cold_cases import cold_rows
from benchmarks.databases import client_token, fill_sqlite, postgres_url, sqlite_url
from benchmarks.device_cases import device_budget_lines, device_rows
from benchmarks.dpop_cases import dpop_budget_lines, dpop_rows
from benchmarks.flask_cases import DECORATOR_BUDGET_US, TOKEN_ENDPOINT_BUDGET, flask_rows
from benchmarks.oidc_cases import id_token_budget_lines, oidc_rows
from benchmarks.private_key_jwt_cases import private_key_jwt_budget_lines, private_key_jwt_rows
from benchmarks.resource_cases import resource_budget_lines, resource_rows
from benchmarks.timing import (
    ROUNDS,
    Timing,
    call_times,
    environ,
    hello_app,
    overhead,
    paired_difference,
    request_time,
    serve,
)
from proauth2_wsgi import BearerTokenMiddleware, PeeweeDataStore, Proauth2
from proauth2_wsgi.endpoints import TokenEndpoint
from proauth2_wsgi.tokens import hash_secret

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

#: budget: µs the middleware may add to a request with a valid token, on SQLite
OVERHEAD_BUDGET_US = 50.0
#: budget: relative difference of validation cost between 10^3 and 10^6 stored tokens
SCALING_BUDGET = 0.10
#: tokens looked up in turn in the scaling part
KNOWN_TOKENS = 1000
#: the primary-key lookup the store runs, straight on sqlite3, for reference
RAW_LOOKUP = "SELECT * FROM proauth2_access_tokens WHERE token_hash = ? LIMIT 1"


def queries_per_request(app: BearerTokenMiddleware, provider: Proauth2, token: str) -> int | None:
    """SQL statements one validated request sends to SQLite, as SQLite itself traces them (None elsewhere)."""
    if not isinstance(provider.store, PeeweeDataStore) or provider.store.engine != "sqlite":
        return None
    statements: list[str] = []
    connection = provider.store._db.connection()
    connection.set_trace_callback(statements.append)
    try:
        request_time_once(app, token)
    finally:
        connection.set_trace_callback(None)
    return len(statements)


def request_time_once(app: BearerTokenMiddleware, token: str) -> None:
    statuses: list[str] = []
    body = app(environ(token=token), lambda status, headers, exc_info=None: statuses.append(status))  # type: ignore[arg-type,return-value]
    b"".join(body)
    assert statuses == ["200 OK"], statuses


def token_endpoint_time(provider: Proauth2, iterations: int) -> Timing:
    """µs per ``POST /token`` (client_credentials, client_secret_basic): authenticate, issue, store."""
    client_id, secret = provider.register_app("bench-token", grant_types=["client_credentials"])
    body = b"grant_type=client_credentials"
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    base = EnvironBuilder(
        method="POST",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=[("Authorization", f"Basic {credentials}")],
    ).get_environ()
    endpoint = TokenEndpoint(provider)

    def request(_: int) -> None:
        serve(endpoint, {**base, "wsgi.input": io.BytesIO(body)})

    return call_times([request], iterations)[0]


def _caller(app: WSGIApplication, environs: list[WSGIEnvironment]) -> Callable[[int], None]:
    count = len(environs)
    return lambda i: serve(app, environs[i % count])


def backend_rows(name: str, url: str, iterations: int) -> tuple[list[tuple[str, str, str]], float, int | None]:
    """The per-request figures on one backend; also the valid-token overhead and the query count."""
    provider = Proauth2(url)
    token = client_token(provider)
    protected = BearerTokenMiddleware(hello_app, provider)
    cached = BearerTokenMiddleware(hello_app, provider, cache_ttl=5.0)
    valid, missing, invalid = [environ(token=token)], [environ()], [environ(token="A" * 43)]
    request_time(protected, valid, iterations // 10)  # warm up connections and caches
    labelled: list[tuple[str, WSGIApplication, list[WSGIEnvironment]]] = [
        ("bare WSGI app", hello_app, valid),
        ("middleware, valid token", protected, valid),
        ("middleware, valid token, cache_ttl=5", cached, valid),
        ("middleware, no token (401)", protected, missing),
        ("middleware, unknown token (401)", protected, invalid),
    ]
    # All cases take turns round by round, so a burst of load falls on each alike.
    timings = call_times([_caller(app, environs) for _, app, environs in labelled], iterations)
    cases = [(label, timing) for (label, _, _), timing in zip(labelled, timings, strict=True)]
    bare = timings[0]
    cases.append(("token endpoint, client_credentials grant", token_endpoint_time(provider, iterations)))
    queries = queries_per_request(protected, provider, token)
    provider.store.close()
    rows = [(name, label, f"{us}" + ("" if us is bare else f"  (+{overhead(bare, us):.1f})")) for label, us in cases]
    if queries is not None:
        rows.append((name, "SQL statements per validated request", f"{queries:>8}"))
    return rows, overhead(bare, timings[1]), queries


def scaling_rows(directory: str, sizes: tuple[int, ...], iterations: int) -> tuple[list[tuple[str, str, str]], float]:
    """Validation cost with each of ``sizes`` stored tokens, measured in turns; returns rows and the spread.

    The last row is proauth2's own share of the growth: how much more the
    validation around the lookup costs with the most tokens than with the
    fewest (the validation's growth minus the raw lookup's).
    """
    setups = [ScaleSetup(f"{directory}/scale-{stored}.db", stored) for stored in sizes]
    try:
        raw = call_times([setup.raw_lookup for setup in setups], iterations)
        auth = call_times([setup.validate for setup in setups], iterations)
        request = call_times([setup.request for setup in setups], iterations)
    finally:
        for setup in setups:
            setup.close()
    rows = []
    for setup, raw_us, auth_us, request_us in zip(setups, raw, auth, request, strict=True):
        rows += [
            (setup.label, f"raw sqlite3 PK lookup (table filled in {setup.filled:.0f} s)", str(raw_us)),
            (setup.label, "provider.authenticate_token", str(auth_us)),
            (setup.label, "middleware request, valid token", str(request_us)),
        ]
    own_growth = overhead(auth[0], auth[-1]) - overhead(raw[0], raw[-1])
    label = f"{setups[-1].label} - {setups[0].label}"
    rows.append((label, "proauth2's own share of the growth (µs)", f"{own_growth:+8.1f}"))
    return rows, abs(paired_difference(auth[0], auth[-1]))


class ScaleSetup:
    """A SQLite database holding ``stored`` tokens, and ways to look up :data:`KNOWN_TOKENS` of them."""

    def __init__(self, path: str, stored: int) -> None:
        started = time.perf_counter()
        self.tokens = fill_sqlite(path, stored, min(KNOWN_TOKENS, stored), int(time.time()) + 3600)
        self.filled = time.perf_counter() - started
        self.label = f"10^{len(str(stored)) - 1} tokens"
        self.provider = Proauth2(f"sqlite:///{path}")
        self.app = BearerTokenMiddleware(hello_app, self.provider)
        self.environs = [environ(token=token) for token in self.tokens]
        self.hashes = [(hash_secret(token),) for token in self.tokens]
        self.raw = sqlite3.connect(path)
        for i in range(len(self.tokens)):  # warm the page caches
            self.request(i)
            self.raw_lookup(i)

    def raw_lookup(self, i: int) -> object:
        return self.raw.execute(RAW_LOOKUP, self.hashes[i % len(self.hashes)]).fetchone()

    def validate(self, i: int) -> object:
        return self.provider.authenticate_token(self.tokens[i % len(self.tokens)])

    def request(self, i: int) -> None:
        serve(self.app, self.environs[i % len(self.environs)])

    def close(self) -> None:
        self.raw.close()
        self.provider.store.close()


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    print(f"\n{title}")
    print(
        f"{'':{widths[0]}}  {'case':{widths[1]}}  {'median':>8} {'best':>8}  µs/request"
        "  (+ over bare: median of paired rounds)"
    )
    for first, second, value in rows:
        print(f"{first:{widths[0]}}  {second:{widths[1]}}  {value}")


def print_requests_table(rows: list[tuple[str, str, str]]) -> None:
    """Rows of requests/s (higher is better), under the table before."""
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    print(
        f"{'':{widths[0]}}  {'case':{widths[1]}}  {'median':>8} {'best':>8}  requests/s"
        "  (1 uvicorn worker; 5 one-second wrk runs per route, taking turns)"
    )
    for first, second, value in rows:
        print(f"{first:{widths[0]}}  {second:{widths[1]}}  {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=5000, help="requests per timed round (default 5000)")
    parser.add_argument("--max-tokens", type=int, default=10**6, help="largest stored-token count (default 10^6)")
    parser.add_argument(
        "--peers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run proauth2 side by side with Authlib and django-oauth-toolkit (default: on)",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=side_by_side.RESULTS_DIR,
        help="where the side-by-side results go (default benchmarks/results)",
    )
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as directory:
        backends: list[tuple[str, Callable[[], AbstractContextManager[str]], int]] = [
            ("SQLite", lambda: sqlite_url(directory), args.iterations),
            ("PostgreSQL", postgres_url, max(args.iterations // 5, 100)),
        ]
        rows: list[tuple[str, str, str]] = []
        for name, opener, iterations in backends:
            try:
                with opener() as url:
                    backend, overhead, queries = backend_rows(name, url, iterations)
            except OSError as exc:
                print(f"skipping {name}: {exc}")
                continue
            rows += backend
            ok &= queries in (None, 1)
            if name == "SQLite":
                sqlite_overhead = overhead
        print_table(f"Per request, in-process ({ROUNDS} rounds of {args.iterations} requests; PostgreSQL 1/5)", rows)
        with sqlite_url(directory) as url:
            flask_table, decorator_gap, token_ratio = flask_rows(url, args.iterations)
        print_table("Flask: the decorator and the middleware over one route; the token endpoint (SQLite)", flask_table)
        with sqlite_url(directory) as url:
            oidc_table, id_token_costs, jwks_renders = oidc_rows(url, max(args.iterations // 10, 100))
        print_table("OpenID Connect: the ID token on a code exchange, the public documents (SQLite)", oidc_table)
        with sqlite_url(directory) as url:
            resource_table, resource_overheads = resource_rows(url, args.iterations)
        print_table("Resource servers: the middleware with each validator (SQLite)", resource_table)
        with sqlite_url(directory) as url:
            dpop_table, dpop_overheads = dpop_rows(url, max(args.iterations // 5, 100))
        print_table("DPoP: a bound token with its proof, against a bearer token (SQLite)", dpop_table)
        with sqlite_url(directory) as url:
            assertion_table, assertion_cost = private_key_jwt_rows(url, max(args.iterations // 5, 100))
        print_table("private_key_jwt: a client assertion against a client secret (SQLite)", assertion_table)
        with sqlite_url(directory) as url:
            device_table, device_figures = device_rows(url, max(args.iterations // 5, 100))
        print_table("Device grant: a pending poll against a failed token request (SQLite)", device_table)
        with sqlite_url(directory) as url:
            cimd_table, _, cimd_fetches = cimd_rows(url, max(args.iterations // 5, 100))
        print_table("Client ID Metadata Documents: a CIMD client's authorization request (SQLite)", cimd_table)
        with sqlite_url(directory) as url:
            asgi_table, asgi_overheads = in_process_rows(url, args.iterations)
            throughput_table, throughput_shares = uvicorn_rows(url)
        print_table("ASGI: the middleware over a bare Starlette route; uvicorn under wrk (SQLite)", asgi_table)
        if throughput_table:
            print_requests_table(throughput_table)
        scale, spread = scaling_rows(directory, (10**3, args.max_tokens), args.iterations)
        print_table("Validation vs stored tokens (SQLite, 1,000 known tokens looked up in turn)", scale)
        cold, cold_cost, cold_floor = cold_rows(directory, max(args.iterations // 25, 50))
        print_table("Cold CPU caches before every request, as in a server worker (SQLite)", cold)
        print(f"  proauth2's own share, cold: {cold_cost - cold_floor:+.1f} µs over the floor's {cold_floor:.1f} µs")
    peer_lines: list[tuple[str, bool]] = []
    if args.peers:
        missing = side_by_side.missing_packages()
        if missing:
            print(f"\nskipping the side-by-side part: {', '.join(missing)} not installed (pip install -e '.[bench]')")
        else:
            peer_lines = side_by_side.run(args.iterations, results_dir=args.results_dir)
    print("\nBudgets")
    print(f"  SQL statements per validated request = 1 (SQLite trace) : {'ok' if ok else 'OVER'}")
    print(
        f"  SQLite overhead {sqlite_overhead:5.1f} µs <= {OVERHEAD_BUDGET_US:.0f} µs           : "
        f"{'ok' if sqlite_overhead <= OVERHEAD_BUDGET_US else 'OVER'}"
    )
    print(
        f"  10^3 vs 10^6 validation differ {spread:5.1%} <= {SCALING_BUDGET:.0%} (median of paired rounds) : "
        f"{'ok' if spread <= SCALING_BUDGET else 'OVER'}"
    )
    print(
        f"  Flask decorator - middleware overhead {decorator_gap:+5.1f} µs <= {DECORATOR_BUDGET_US:.0f} µs : "
        f"{'ok' if decorator_gap <= DECORATOR_BUDGET_US else 'OVER'}"
    )
    print(
        f"  token endpoint through Flask {token_ratio:+5.1%} <= {TOKEN_ENDPOINT_BUDGET:.0%}        : "
        f"{'ok' if token_ratio <= TOKEN_ENDPOINT_BUDGET else 'OVER'}"
    )
    for text, within in [
        *id_token_budget_lines(id_token_costs, jwks_renders),
        *resource_budget_lines(resource_overheads),
        *asgi_budget_lines(asgi_overheads, throughput_shares),
        *dpop_budget_lines(dpop_overheads),
        *private_key_jwt_budget_lines(assertion_cost),
        *device_budget_lines(device_figures),
        *cimd_budget_lines(cimd_fetches),
        *peer_lines,
    ]:
        print(f"  {text} : {'ok' if within else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
