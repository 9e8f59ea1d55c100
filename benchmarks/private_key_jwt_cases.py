"""``private_key_jwt`` (RFC 7523) at the token endpoint: a client assertion against a client secret (SQLite).

A client_credentials token request through :class:`~proauth2_wsgi.endpoints.TokenEndpoint`, in rounds
taking turns: the client authenticating with ``client_secret_basic``, and a
client authenticating with an ES256 assertion verified with its registered
``jwks``. The assertions are made beforehand, each with its own ``jti``, so
only the server's work is timed: parsing, the claims, the signature check,
and spending the ``jti`` in the database (an insert per request). Budget:
at most 300 µs more than ``client_secret_basic``.
"""

from __future__ import annotations

import base64
import io
import itertools
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder

from benchmarks.timing import ROUNDS, call_times, overhead, serve
from proauth2_wsgi import Proauth2
from proauth2_wsgi.client_auth.private_key_jwt import ASSERTION_TYPE
from proauth2_wsgi.endpoints import TokenEndpoint
from proauth2_wsgi.testing.client_assertions import AssertionKey

ISSUER = "https://auth.example.com"
#: budget: µs a private_key_jwt token request may cost beyond a client_secret_basic one
ASSERTION_BUDGET_US = 300.0
#: requests of the warm-up before the timed rounds
WARM_UP = 50
_FORM = "application/x-www-form-urlencoded"


def private_key_jwt_rows(database_url: str, iterations: int) -> tuple[list[tuple[str, str, str]], float]:
    """Rows of the private_key_jwt table, and what an assertion adds over a secret (µs)."""
    provider = Proauth2(database_url, issuer=ISSUER)
    endpoint = TokenEndpoint(provider)
    basic_id, secret = provider.register_app("bench-basic", grant_types=["client_credentials"])
    key = AssertionKey("ES256")
    signer_id = provider.register_app(
        "bench-signer", grant_types=["client_credentials"], auth_method="private_key_jwt", metadata={"jwks": key.jwks}
    ).client_id
    basic_body = b"grant_type=client_credentials"
    credentials = base64.b64encode(f"{basic_id}:{secret}".encode()).decode()
    basic_environ = EnvironBuilder(
        method="POST", data=basic_body, content_type=_FORM, headers=[("Authorization", f"Basic {credentials}")]
    ).get_environ()
    bodies = iter(
        [
            urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": key.assertion(signer_id, ISSUER, lifetime=300),
                }
            ).encode()
            for _ in range(ROUNDS * iterations + WARM_UP)
        ]
    )
    signer_environ = EnvironBuilder(method="POST", data=b"", content_type=_FORM).get_environ()

    def basic_request(_: int) -> None:
        serve(endpoint, {**basic_environ, "wsgi.input": io.BytesIO(basic_body)})

    def signed_request(_: int) -> None:
        body = next(bodies)
        serve(endpoint, {**signer_environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})

    for _ in itertools.repeat(None, WARM_UP):
        basic_request(0)
        signed_request(0)
    issued = len(provider.store.fetch_all("access_tokens", client_id=signer_id))
    assert issued == WARM_UP, f"the warm-up's assertions issued {issued} tokens, not {WARM_UP}"
    basic_time, signed_time = call_times([basic_request, signed_request], iterations)
    provider.store.dispose()
    cost = overhead(basic_time, signed_time)
    rows = [
        ("private_key_jwt", "token endpoint, client_secret_basic", str(basic_time)),
        ("private_key_jwt", "token endpoint, ES256 client assertion (jti spent)", f"{signed_time}  (+{cost:.1f})"),
    ]
    return rows, cost


def private_key_jwt_budget_lines(cost: float) -> list[tuple[str, bool]]:
    """The budget line of this part: (text, within budget)."""
    return [
        (
            f"private_key_jwt token request (ES256) vs client_secret_basic {cost:+6.1f} µs"
            f" <= {ASSERTION_BUDGET_US:.0f} µs",
            cost <= ASSERTION_BUDGET_US,
        )
    ]
