"""The resource-server validators against a real issuer over HTTP, and hostile JWTs at every one of them.

``JWTValidator`` (offline, RFC 9068 §4), ``IntrospectionValidator`` (RFC 7662)
and the provider itself (online): every forged, altered, expired or
misdirected token is 401 ``invalid_token`` through the middleware, never a
500, never accepted; an issuer that cannot answer is 503.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from proauth2_wsgi import BearerTokenMiddleware, ClientCredentials, Proauth2
from proauth2_wsgi.errors import InvalidToken, TemporarilyUnavailable
from proauth2_wsgi.validators import ByFormat, IntrospectionValidator, JWTValidator
from tests.conftest import FakeClock
from tests.http_server import free_port, serve
from tests.resources.conftest import ISSUER, ORDERS, REPORTS
from tests.resources.issuer import CountingIssuer

JWKS_PATH = "/oauth/jwks"
INTROSPECTION_PATH = "/oauth/introspect"


@pytest.fixture
def issuer(provider: Proauth2) -> Iterator[tuple[CountingIssuer, str]]:
    counting = CountingIssuer(provider)
    with serve(counting) as url:
        yield counting, url


@pytest.fixture
def jwt_validator(issuer: tuple[CountingIssuer, str], clock: FakeClock) -> JWTValidator:
    return JWTValidator(issuer=ISSUER, audience=ORDERS, jwks_uri=issuer[1] + JWKS_PATH, clock=clock)


@pytest.fixture
def resource_server(provider: Proauth2) -> ClientCredentials:
    """The resource server's own confidential client at the issuer, for introspection."""
    return provider.register_app("Orders API", grant_types=["client_credentials"])


@pytest.fixture
def introspection(
    issuer: tuple[CountingIssuer, str], resource_server: ClientCredentials, clock: FakeClock
) -> IntrospectionValidator:
    client_id, secret = resource_server
    assert secret is not None
    return IntrospectionValidator(issuer[1] + INTROSPECTION_PATH, client_id, secret, issuer=ISSUER, clock=clock)


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _claims(provider: Proauth2, client: ClientCredentials, **changes: Any) -> dict[str, Any]:
    now = provider.now()
    claims = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": ORDERS,
        "exp": now + 300,
        "iat": now,
        "jti": "jti-1",
        "client_id": client.client_id,
        "scope": "read",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _signed(provider: Proauth2, claims: dict[str, Any], typ: str = "at+jwt") -> str:
    return provider.keys.sign(claims, "RS256", typ=typ)


def _hs256_with_public_key(provider: Proauth2, claims: dict[str, Any]) -> str:
    """The classic key-confusion forgery: HMAC keyed with the server's public key (PEM)."""
    public = provider.keys.signing_key("RS256").key.public_key.public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'at+jwt'})}.{_b64(claims)}"
    mac = hmac.HMAC(public, hashes.SHA256())
    mac.update(signing_input.encode())
    return f"{signing_input}.{_b64(mac.finalize())}"


def _with_part(token: str, index: int, part: str) -> str:
    """``token`` with its header (0), payload (1) or signature (2) replaced, the rest kept."""
    parts = token.split(".")
    parts[index] = part
    return ".".join(parts)


Forgery = Callable[[Proauth2, ClientCredentials], str]
#: every token a validator must refuse with invalid_token, built against the live issuer
HOSTILE: dict[str, Forgery] = {
    "alg-none": lambda p, c: f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(_claims(p, c))}.",
    "hs256-with-the-public-key": lambda p, c: _hs256_with_public_key(p, _claims(p, c)),
    "typ-jwt-an-id-token": lambda p, c: _signed(p, _claims(p, c), typ="JWT"),
    "wrong-audience": lambda p, c: _signed(p, _claims(p, c, aud=REPORTS)),
    "no-audience": lambda p, c: _signed(p, _claims(p, c, aud=None)),
    "wrong-issuer": lambda p, c: _signed(p, _claims(p, c, iss="https://evil.example.com")),
    "no-issuer": lambda p, c: _signed(p, _claims(p, c, iss=None)),
    "expired": lambda p, c: _signed(p, _claims(p, c, exp=p.now() - 120)),
    "not-yet-valid": lambda p, c: _signed(p, _claims(p, c, nbf=p.now() + 600)),
    "issued-in-the-future": lambda p, c: _signed(p, _claims(p, c, iat=p.now() + 600)),
    "exp-as-text": lambda p, c: _signed(p, _claims(p, c, exp=str(p.now() + 300))),
    "no-jti": lambda p, c: _signed(p, _claims(p, c, jti=None)),
    "no-client-id": lambda p, c: _signed(p, _claims(p, c, client_id=None)),
    "scope-not-text": lambda p, c: _signed(p, _claims(p, c, scope=["read"])),
    "altered-payload": lambda p, c: _with_part(_signed(p, _claims(p, c)), 1, _b64(_claims(p, c, scope="read write"))),
    "unknown-kid": lambda p, c: _with_part(
        _signed(p, _claims(p, c)), 0, _b64({"alg": "RS256", "typ": "at+jwt", "kid": "forged-kid"})
    ),
    "bad-base64": lambda p, c: "eyJhbGciOiJSUzI1NiJ9!.e30.c2ln",
    "not-json": lambda p, c: f"{_b64(b'not json')}.{_b64(b'also not')}.c2ln",
    "oversized": lambda p, c: _signed(p, _claims(p, c, pad="x" * 8192)),
    "two-parts": lambda p, c: ".".join(_signed(p, _claims(p, c)).split(".")[:2]),
}


@pytest.mark.rfc("9068", "4")
@pytest.mark.parametrize("forgery", list(HOSTILE), ids=list(HOSTILE))
def test_the_jwt_validator_refuses_every_hostile_token(
    provider: Proauth2, service: ClientCredentials, jwt_validator: JWTValidator, forgery: str
) -> None:
    token = HOSTILE[forgery](provider, service)
    with pytest.raises(InvalidToken):
        jwt_validator.validate_token(token)


@pytest.mark.rfc("9068", "4")
def test_the_jwt_validator_accepts_the_issuers_tokens(
    provider: Proauth2, service: ClientCredentials, jwt_validator: JWTValidator
) -> None:
    token = provider.request_access_token("client_credentials", *service, resource=ORDERS, scope="read write")
    access = jwt_validator.validate_token(token["access_token"])
    assert (access.client_id, access.user_id, access.scopes) == (service.client_id, None, {"read", "write"})
    assert access.audience == (ORDERS,) and access.expires_at - access.issued_at == 300


def test_a_flood_of_forged_kids_costs_the_issuer_one_fetch_per_interval(
    provider: Proauth2, service: ClientCredentials, jwt_validator: JWTValidator, issuer: tuple[CountingIssuer, str]
) -> None:
    good = provider.request_access_token("client_credentials", *service, resource=ORDERS)["access_token"]
    jwt_validator.validate_token(good)
    body, signature = good.split(".")[1], good.split(".")[2]
    for n in range(200):
        forged = f"{_b64({'alg': 'RS256', 'typ': 'at+jwt', 'kid': f'kid-{n}'})}.{body}.{signature}"
        with pytest.raises(InvalidToken):
            jwt_validator.validate_token(forged)
    assert issuer[0].hits[JWKS_PATH] <= 2  # the first fetch, and at most one refresh in the interval


def test_a_rotation_is_picked_up_and_a_dropped_key_no_longer_verifies(
    provider: Proauth2, service: ClientCredentials, issuer: tuple[CountingIssuer, str], clock: FakeClock
) -> None:
    validator = JWTValidator(
        issuer=ISSUER, audience=ORDERS, jwks_uri=issuer[1] + JWKS_PATH, clock=clock, min_refresh_interval=0
    )
    old = _signed(provider, _claims(provider, service, exp=provider.now() + 10**7))
    validator.validate_token(old)
    provider.rotate_keys()
    new = provider.request_access_token("client_credentials", *service, resource=ORDERS)["access_token"]
    assert validator.validate_token(new).client_id == service.client_id  # a known kid: no fetch needed
    clock.advance(provider.settings.key_grace_period + 1)
    provider.rotate_keys()  # the first key is retired past its grace: dropped from the set
    validator.jwks._fetched -= validator.jwks.max_age  # type: ignore[union-attr] # the cached set has aged
    with pytest.raises(InvalidToken):
        validator.validate_token(old)


def test_an_unreachable_jwks_is_503_never_401(clock: FakeClock) -> None:
    validator = JWTValidator(
        issuer=ISSUER, audience=ORDERS, jwks_uri=f"http://127.0.0.1:{free_port()}/jwks", clock=clock
    )
    token = f"{_b64({'alg': 'RS256', 'typ': 'at+jwt', 'kid': 'k'})}.{_b64({'sub': 'x'})}.c2ln"
    with pytest.raises(TemporarilyUnavailable):
        validator.validate_token(token)


def test_the_jwt_validator_refuses_symmetric_algorithms_at_construction() -> None:
    for algorithms in (["HS256"], ["none"], ["RS256", "HS512"], []):
        with pytest.raises(ValueError, match="public-key"):
            JWTValidator(issuer=ISSUER, audience=ORDERS, keys={"keys": []}, algorithms=algorithms)
    with pytest.raises(ValueError, match="one of them"):
        JWTValidator(issuer=ISSUER, audience=ORDERS)


@pytest.mark.rfc("7662", "2.2")
def test_introspection_accepts_active_access_tokens_only(
    provider: Proauth2, app_client: ClientCredentials, service: ClientCredentials, introspection: IntrospectionValidator
) -> None:
    from tests.resources.conftest import code_grant

    tokens = code_grant(provider, app_client, resources=(REPORTS,), scope="reports")
    access = introspection.validate_token(tokens["access_token"])
    assert (access.user_id, access.client_id, access.scopes, access.audience) == (
        "alice",
        app_client.client_id,
        {"reports"},
        (REPORTS,),
    )
    with pytest.raises(InvalidToken):  # a refresh token is not an access token (no token_type Bearer)
        introspection.validate_token(tokens["refresh_token"])
    provider.revoke_token(tokens["access_token"])
    with pytest.raises(InvalidToken):
        introspection.validate_token(tokens["access_token"])
    with pytest.raises(InvalidToken):
        introspection.validate_token("x" * 43)


def test_introspection_caches_valid_answers_for_its_ttl(
    provider: Proauth2,
    service: ClientCredentials,
    resource_server: ClientCredentials,
    issuer: tuple[CountingIssuer, str],
    clock: FakeClock,
) -> None:
    cached = IntrospectionValidator(
        issuer[1] + INTROSPECTION_PATH,
        *resource_server,
        cache_ttl=5,
        clock=clock,  # type: ignore[arg-type]
    )
    token = provider.request_access_token("client_credentials", *service)["access_token"]
    for _ in range(20):
        cached.validate_token(token)
    assert issuer[0].hits[INTROSPECTION_PATH] == 1
    clock.advance(6)
    cached.validate_token(token)
    assert issuer[0].hits[INTROSPECTION_PATH] == 2


@pytest.mark.parametrize("trouble", ["down", "unreachable", "wrong-credentials"])
def test_an_issuer_that_cannot_answer_makes_introspection_503(
    provider: Proauth2,
    service: ClientCredentials,
    resource_server: ClientCredentials,
    issuer: tuple[CountingIssuer, str],
    trouble: str,
) -> None:
    client_id, secret = resource_server
    url = issuer[1] + INTROSPECTION_PATH
    if trouble == "down":
        issuer[0].down = True
    elif trouble == "unreachable":
        url = f"http://127.0.0.1:{free_port()}{INTROSPECTION_PATH}"
    else:
        secret = "not-the-secret"
    validator = IntrospectionValidator(url, client_id, str(secret))
    token = provider.request_access_token("client_credentials", *service)["access_token"]
    with pytest.raises(TemporarilyUnavailable):
        validator.validate_token(token)


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize("kind", ["provider", "jwt", "introspection", "by-format"])
def test_every_validator_answers_hostile_tokens_with_401_through_the_middleware(
    provider: Proauth2,
    service: ClientCredentials,
    jwt_validator: JWTValidator,
    introspection: IntrospectionValidator,
    kind: str,
) -> None:
    validators = {
        "provider": provider,
        "jwt": jwt_validator,
        "introspection": introspection,
        "by-format": ByFormat(jwt=jwt_validator, opaque=introspection),
    }

    def api(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    app = BearerTokenMiddleware(api, validators[kind], resource=ORDERS)
    with serve(app) as url:
        for name, forgery in HOSTILE.items():
            token = forgery(provider, service)
            response = requests.get(url + "/orders", headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert response.status_code in (400, 401), (name, response.status_code, response.text)
            if response.status_code == 401:
                assert response.json()["error"] == "invalid_token", name
            else:  # not even the RFC 6750 §2.1 syntax (bad base64 with "!")
                assert response.json()["error"] == "invalid_request", name
        good = provider.request_access_token("client_credentials", *service, resource=ORDERS)["access_token"]
        assert requests.get(url + "/orders", headers={"Authorization": f"Bearer {good}"}, timeout=10).text == "ok"
