"""DPoP (RFC 9449) at a resource: a DPoP-bound token with its proof against a bearer token (SQLite).

The WSGI middleware with the provider as validator, in rounds taking turns:
the bare app, a bearer token, and a DPoP-bound token presented with a fresh
ES256 proof per request (made beforehand, so only the server's work is
timed: parsing, the signature check, ``htm``/``htu``/``ath``/``iat``, the
binding, and spending the ``jti`` in the database). Budget: the proof adds at
most 200 µs to a validated request; a bearer request costs what it did.
"""

from __future__ import annotations

import itertools

from werkzeug.test import Client

from benchmarks.timing import ROUNDS, call_times, environ, hello_app, overhead, serve
from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from proauth2_wsgi.dpop import DPoPKey
from proauth2_wsgi.endpoints import AuthorizationServer

ISSUER = "https://auth.example.com"
#: where the benchmark's requests go (what each proof's ``htu`` names)
RESOURCE_URL = "http://localhost/"
#: budget: µs a DPoP proof adds to a validated request
PROOF_BUDGET_US = 200.0
#: requests of the warm-up before the timed rounds
WARM_UP = 50


def _bound_token(provider: Proauth2, key: DPoPKey) -> str:
    """A client-credentials access token bound to ``key``, from the token endpoint (RFC 9449 §5)."""
    client_id, secret = provider.register_app("bench-dpop", grant_types=["client_credentials"])
    http = Client(AuthorizationServer(provider))
    answer = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret or ""),
        headers={"DPoP": key.proof("POST", f"{ISSUER}/oauth/token")},
    )
    assert answer.json is not None and answer.json["token_type"] == "DPoP", answer.json
    return str(answer.json["access_token"])


def dpop_rows(database_url: str, iterations: int) -> tuple[list[tuple[str, str, str]], dict[str, float]]:
    """Rows of the DPoP table, and each case's overhead over the bare app (µs, by case key)."""
    provider = Proauth2(database_url, issuer=ISSUER)
    key = DPoPKey()
    bound = _bound_token(provider, key)
    bearer_id, bearer_secret = provider.register_app("bench-bearer", grant_types=["client_credentials"])
    bearer = str(provider.request_access_token("client_credentials", bearer_id, bearer_secret)["access_token"])
    app = BearerTokenMiddleware(hello_app, provider)
    proofs = iter([key.proof("GET", RESOURCE_URL, access_token=bound) for _ in range(ROUNDS * iterations + WARM_UP)])
    dpop_environ = environ("/", bound)
    dpop_environ["HTTP_AUTHORIZATION"] = f"DPoP {bound}"
    bearer_environ = environ("/", bearer)

    def dpop_request(_: int) -> None:
        serve(app, {**dpop_environ, "HTTP_DPOP": next(proofs)})

    for _ in itertools.repeat(None, WARM_UP):
        dpop_request(0)
        serve(app, bearer_environ)
    timings = call_times(
        [lambda _: serve(hello_app, bearer_environ), lambda _: serve(app, bearer_environ), dpop_request], iterations
    )
    provider.store.dispose()
    bare, bearer_time, dpop_time = timings
    overheads = {"bearer": overhead(bare, bearer_time), "dpop": overhead(bare, dpop_time)}
    overheads["proof"] = overhead(bearer_time, dpop_time)
    rows = [
        ("DPoP", "bare WSGI app", str(bare)),
        ("DPoP", "middleware, bearer token", f"{bearer_time}  (+{overheads['bearer']:.1f})"),
        ("DPoP", "middleware, DPoP-bound token + ES256 proof", f"{dpop_time}  (+{overheads['dpop']:.1f})"),
    ]
    return rows, overheads


def dpop_budget_lines(overheads: dict[str, float]) -> list[tuple[str, bool]]:
    """The budget line of this part: (text, within budget)."""
    proof = overheads["proof"]
    return [
        (
            f"DPoP proof (ES256, jti spent in SQLite) {proof:+6.1f} µs <= {PROOF_BUDGET_US:.0f} µs",
            proof <= PROOF_BUDGET_US,
        )
    ]
