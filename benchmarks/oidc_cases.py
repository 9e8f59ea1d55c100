"""OpenID Connect in-process (SQLite): what the ID token costs a code exchange; the public documents.

Budgets (issue 11): the ID token adds at most 400 µs to an authorization code
exchange with RS256 and 100 µs with ES256; the JWK set and the discovery
document are rendered once per key change, not per request.

What the ID token adds is timed on its own (the token-response extension:
claims, ``at_hash``, signature), since the rest of an exchange is the same
code path with or without it; the whole exchanges are shown beside it, each
round of an OpenID one paired with a plain OAuth one (their difference also
carries the variance of a SQLite commit).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder

from benchmarks.timing import ROUNDS, call_times, environ, overhead, serve
from proauth2_wsgi import Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.issuance import GrantedAccess
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.responses import PublicDocument

#: budgets: µs an ID token may add to a code exchange, per algorithm
ID_TOKEN_BUDGETS_US = {"RS256": 400.0, "ES256": 100.0}
ISSUER = "https://auth.example.com"
REDIRECT = "https://rp.example.com/callback"
VERIFIER = "bench-verifier-" + "v" * 40
#: what the benchmark's claims loader knows of its user
CLAIMS = {"name": "Bench User", "email": "bench@example.com", "email_verified": True}


class Exchanges:
    """Authorization codes made ahead for one client and scope, and a code exchange per call."""

    def __init__(self, provider: Proauth2, server: AuthorizationServer, alg: str | None, count: int) -> None:
        scope = "api" if alg is None else "openid email"
        metadata = {} if alg is None else {"id_token_signed_response_alg": alg}
        client = provider.register_app(f"bench {alg or 'oauth'}", [REDIRECT], metadata=metadata)
        self.client_id = client.client_id
        self.server = server
        credentials = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
        self.base = EnvironBuilder(
            method="POST",
            path="/oauth/token",
            content_type="application/x-www-form-urlencoded",
            headers=[("Authorization", f"Basic {credentials}")],
        ).get_environ()
        query = {
            "client_id": client.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "bench",
            "nonce": "bench-nonce",
            "code_challenge": s256_challenge(VERIFIER),
            "code_challenge_method": "S256",
        }
        login = Login("bench-user", provider.now(), amr=("pwd",))
        codes = [
            provider.authorization_response(provider.parse_authorization_request(query), login)["code"]
            for _ in range(count)
        ]
        self.bodies = iter([self._body(code) for code in codes])

    @staticmethod
    def _body(code: str) -> bytes:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
        return urlencode(form).encode()

    def __call__(self, _: int) -> None:
        body = next(self.bodies)
        serve(self.server, {**self.base, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})


@contextmanager
def counted_renders() -> Iterator[list[int]]:
    """Count :meth:`PublicDocument.render` calls while the block runs (one list item per render)."""
    original = PublicDocument.render
    renders: list[int] = []

    def counting(cls: type[PublicDocument], *args: Any, **kwargs: Any) -> PublicDocument:
        renders.append(1)
        return original(*args, **kwargs)

    PublicDocument.render = classmethod(counting)  # type: ignore[assignment,method-assign]
    try:
        yield renders
    finally:
        PublicDocument.render = original  # type: ignore[method-assign]


def id_token_signer(provider: Proauth2, client_id: str) -> Callable[[int], object]:
    """One ID token per call, as the code exchange builds it for ``client_id`` (claims, at_hash, signature)."""
    client = provider.clients.get(client_id)
    assert client is not None
    access = GrantedAccess(
        client, "bench-user", frozenset({"openid", "email"}), "bench-grant", provider.now(), None, ("pwd",), "nonce"
    )
    extension = provider.token_extensions["id_token"]
    access_token = "bench-access-token-" + "a" * 24
    return lambda _: extension.extend(access, access_token)


def bare_signature(provider: Proauth2, alg: str) -> Callable[[int], object]:
    """The floor: ``cryptography``'s own signature with the provider's key, over a payload of an ID token's size."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    private = provider.keys.signing_key(alg).key.private_key
    payload = b"x" * 400
    if alg == "RS256":
        return lambda _: private.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    return lambda _: private.sign(payload, ec.ECDSA(hashes.SHA256()))


def oidc_rows(database_url: str, iterations: int) -> tuple[list[tuple[str, str, str]], dict[str, float], int]:
    """Rows for the OpenID Connect table; also each algorithm's ID token cost and the renders per key change."""
    provider = Proauth2(
        database_url, issuer=ISSUER, scopes={"api": "Call the API"}, openid=True, key_secret="bench-" + "k" * 32
    )
    provider.claims_loader = lambda user_id, scopes, request: CLAIMS
    provider.keys.ensure()
    with counted_renders() as renders:
        server = AuthorizationServer(provider, authorization_endpoint="/authorize")
    startup_renders = len(renders)
    cases = [Exchanges(provider, server, alg, ROUNDS * iterations + 10) for alg in (None, "RS256", "ES256")]
    for case in cases:  # warm up: connections, opened keys
        for i in range(10):
            case(i)
    timings = call_times(cases, iterations)
    exchange_costs = [overhead(timings[0], timing) for timing in timings[1:]]
    signing = [id_token_signer(provider, case.client_id) for case in cases[1:]]
    floors = [bare_signature(provider, alg) for alg in ID_TOKEN_BUDGETS_US]
    *signers, rs256_floor, es256_floor = call_times([*signing, *floors], iterations)
    costs = {alg: timing.median for alg, timing in zip(ID_TOKEN_BUDGETS_US, signers, strict=True)}

    jwks, discovery = environ("/oauth/jwks"), environ("/.well-known/openid-configuration")
    serve(server, jwks)  # the first GET renders the key set
    with counted_renders() as renders:
        documents = call_times([lambda _: serve(server, jwks), lambda _: serve(server, discovery)], iterations)
        provider.keys.rotate()
        for _ in range(iterations):
            serve(server, jwks)
    per_key_change = len(renders)
    provider.store.dispose()
    rows = [
        ("OIDC", "code exchange, plain OAuth scope", str(timings[0])),
        ("OIDC", "code exchange + ID token, RS256", f"{timings[1]}  (+{exchange_costs[0]:.1f})"),
        ("OIDC", "code exchange + ID token, ES256", f"{timings[2]}  (+{exchange_costs[1]:.1f})"),
        ("OIDC", "the ID token alone (claims, at_hash, signature), RS256", str(signers[0])),
        ("OIDC", "  of which cryptography's RSA-2048 signature (the floor)", str(rs256_floor)),
        ("OIDC", "the ID token alone (claims, at_hash, signature), ES256", str(signers[1])),
        ("OIDC", "  of which cryptography's P-256 signature (the floor)", str(es256_floor)),
        ("OIDC", "GET /oauth/jwks", str(documents[0])),
        ("OIDC", "GET /.well-known/openid-configuration", str(documents[1])),
        ("OIDC", "discovery documents rendered at start-up", f"{startup_renders:>8}"),
        (
            "OIDC",
            f"JWK set rendered over {ROUNDS * iterations * 2 + iterations:,} GETs and a rotation",
            f"{per_key_change:>8}",
        ),
    ]
    return rows, costs, per_key_change


def id_token_budget_lines(costs: dict[str, float], renders_per_key_change: int) -> list[tuple[str, bool]]:
    """The budget lines of this part: (text, within budget)."""
    lines = [
        (f"ID token {alg} adds {costs[alg]:6.1f} µs <= {budget:.0f} µs to a code exchange", costs[alg] <= budget)
        for alg, budget in ID_TOKEN_BUDGETS_US.items()
    ]
    lines.append((f"JWK set rendered {renders_per_key_change} time(s) for one key change", renders_per_key_change == 1))
    return lines
