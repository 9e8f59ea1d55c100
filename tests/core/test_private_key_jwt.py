"""``private_key_jwt`` in the core (RFC 7523 §2.2, §3; OIDC Core §9): registration, every check, replays, jwks_uri.

Requests go to the provider as an endpoint hands them over (an
``EndpointRequest`` for the token endpoint's URL); the keys of ``jwks_uri``
clients come from a real HTTPS server on loopback (tests/client_assertions.py).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from joserfc.jwk import ECKey, OKPKey

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.client_auth import PrivateKeyJwt
from proauth2_wsgi.client_auth.private_key_jwt import ASSERTION_TYPE, LEEWAY, MAX_JWKS_BYTES
from proauth2_wsgi.errors import InvalidClient, InvalidClientMetadata, InvalidRequest
from proauth2_wsgi.models import Client
from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.testing.certificates import Certificates
from proauth2_wsgi.testing.client_assertions import AssertionKey
from proauth2_wsgi.tokens import hash_secret
from tests.cimd.conftest import CALLBACK
from tests.client_assertions import (
    ALGORITHMS,
    FAILED,
    ISSUER,
    RFC,
    TOKEN_URL,
    Answer,
    DocumentServer,
    FakeResolver,
    client_key,
    endpoint_request,
    jwks_settings,
    serve_jwks,
)
from tests.conftest import FakeClock
from tests.endpoints.helpers import new_verifier, s256


@pytest.fixture
def settings(clock: FakeClock, jwks_certificates: Certificates, jwks_resolver: FakeResolver) -> Settings:
    return jwks_settings(clock, jwks_certificates, jwks_resolver)


def register(provider: Proauth2, key: AssertionKey | None = None, **metadata: Any) -> str:
    """A client_credentials client authenticating with private_key_jwt (``jwks`` of ``key`` unless told)."""
    if not metadata:
        metadata = {"jwks": (key or client_key()).jwks}
    credentials = provider.register_app(
        "Service", grant_types=["client_credentials"], auth_method="private_key_jwt", metadata=metadata
    )
    assert credentials.client_secret is None
    return credentials.client_id


def form(key: AssertionKey, client_id: str, clock: FakeClock, audience: Any = TOKEN_URL, **changes: Any) -> dict:
    return {"client_assertion_type": ASSERTION_TYPE, **_assertion(key, client_id, clock, audience, **changes)}


def _assertion(key: AssertionKey, client_id: str, clock: FakeClock, audience: Any, **changes: Any) -> dict[str, str]:
    return {"client_assertion": key.assertion(client_id, audience, now=clock.now, **changes)}


def authenticate(provider: Proauth2, params: dict[str, str], url: str = TOKEN_URL, **headers: str) -> Client:
    return provider.authenticate_client_request(endpoint_request(params, url, **headers))


def assert_refused(provider: Proauth2, params: dict[str, str], url: str = TOKEN_URL) -> InvalidClient:
    """invalid_client (401) with the one generic description, the assertion never echoed."""
    with pytest.raises(InvalidClient) as caught:
        authenticate(provider, params, url)
    error = caught.value
    assert error.status_code == 401 and error.error_description == FAILED, error.error_description
    assert params.get("client_assertion", "\0") not in str(error.to_dict())
    return error


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}.{_b64(signature)}"


def claims_of(client_id: str, clock: FakeClock, **changes: Any) -> dict[str, Any]:
    now = int(clock.now)
    return {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "jti": "j-1", "iat": now, "exp": now + 60, **changes}


# -- registration (RFC 7591 §2) -------------------------------------------------------------------


@pytest.mark.rfc("7591", "2")
def test_a_private_key_jwt_client_registers_public_keys_and_gets_no_secret(provider: Proauth2) -> None:
    key = client_key()
    client_id = register(provider, key)
    client = provider.get_client(client_id)
    assert client is not None and client.auth_method == "private_key_jwt" and not client.is_public
    assert client.secret_hash is None and client.metadata["jwks"] == key.jwks
    by_uri = register(provider, jwks_uri="https://client.example.com/jwks.json")
    stored = provider.get_client(by_uri)
    assert stored is not None and stored.metadata["jwks_uri"] == "https://client.example.com/jwks.json"
    with pytest.raises(InvalidClientMetadata, match="has no secret to rotate"):
        provider.rotate_client_secret(client_id)


#: a header naming its alg twice (RFC 7515 §5.2: refused, never "the last one wins")
REPEATED_ALG = _b64(b'{"alg":"ES256","alg":"none"}')


def _weak_rsa_jwk() -> dict[str, str]:
    """A 1024-bit RSA public key as a JWK (made with cryptography: joserfc rightly warns on such keys)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    numbers = rsa.generate_private_key(65537, 1024).public_key().public_numbers()
    to_b64 = lambda n: _b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))  # noqa: E731
    return {"kty": "RSA", "n": to_b64(numbers.n), "e": to_b64(numbers.e)}


def _private(alg: str) -> dict[str, Any]:
    return {**client_key(alg).key.as_dict(private=True), "kid": "leaked"}


@pytest.mark.rfc("7591", "2")
@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        pytest.param({}, "private_key_jwt needs the client's public keys: jwks or jwks_uri", id="no-keys"),
        pytest.param(
            {"jwks": client_key().jwks, "jwks_uri": "https://client.example.com/jwks"},
            "give jwks or jwks_uri, not both",
            id="both",
        ),
        pytest.param({"jwks": {"keys": [_private("ES256")]}}, "private or symmetric key material", id="private-ec"),
        pytest.param({"jwks": {"keys": [_private("RS256")]}}, "private or symmetric key material", id="private-rsa"),
        pytest.param({"jwks": {"keys": [_private("EdDSA")]}}, "private or symmetric key material", id="private-okp"),
        pytest.param(
            {"jwks": {"keys": [client_key().public_jwk, _private("ES256")]}},
            "private or symmetric key material",
            id="one-private-among-public",
        ),
        pytest.param({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "symmetric", id="symmetric"),
        pytest.param({"jwks": {"keys": []}}, "jwks must hold 1 to 100 keys", id="empty"),
        pytest.param({"jwks": [client_key().public_jwk]}, "jwks must be a JWK set", id="a-list"),
        pytest.param({"jwks": {"keys": ["x"]}}, "every key of jwks must be a JWK", id="not-an-object"),
        pytest.param({"jwks": {"keys": [{"kty": "XYZ"}]}}, "unknown kty", id="unknown-kty"),
        pytest.param(
            {"jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}}, "not a valid", id="bad"
        ),
        pytest.param({"jwks": {"keys": [{**client_key().public_jwk, "kid": 5}]}}, "kid in jwks", id="kid-number"),
        pytest.param(
            {"jwks": {"keys": [_weak_rsa_jwk()]}},
            "RSA key of fewer than 2048",
            id="rsa-1024",
        ),
        pytest.param(
            {"jwks": {"keys": [ECKey.generate_key("P-384").as_dict(private=False)]}},
            "no key that verifies ES256, RS256, PS256, EdDSA",
            id="p384-only",
        ),
        pytest.param(
            {"jwks": {"keys": [OKPKey.generate_key("X25519").as_dict(private=False)]}},
            "no key that verifies",
            id="x25519-only",
        ),
        pytest.param(
            {"jwks": {"keys": [{**client_key().public_jwk, "use": "enc"}]}}, "no key that verifies", id="enc-only"
        ),
        pytest.param({"jwks_uri": "http://client.example.com/jwks"}, "jwks_uri: it must use the https", id="http"),
        pytest.param({"jwks_uri": "https://client.example.com/"}, "jwks_uri: it must contain a path", id="no-path"),
        pytest.param({"jwks_uri": "https://a@client.example.com/k"}, "user name or password", id="userinfo"),
        pytest.param({"jwks_uri": "https://client.example.com/k#x"}, "fragment", id="fragment"),
        pytest.param({"jwks_uri": 42}, "jwks_uri must be a string", id="uri-number"),
    ],
)
def test_registration_refuses_keys_that_cannot_serve(provider: Proauth2, metadata: dict, reason: str) -> None:
    with pytest.raises(InvalidClientMetadata) as caught:
        provider.register_app(
            "Service", grant_types=["client_credentials"], auth_method="private_key_jwt", metadata=metadata
        )
    assert caught.value.error_description is not None and reason in caught.value.error_description
    assert provider.list_clients() == []


@pytest.mark.rfc("7591", "2")
def test_client_secret_jwt_is_refused_with_the_reason(provider: Proauth2) -> None:
    """client_secret_jwt would need the secret in plain text on the server, which keeps only its digest."""
    with pytest.raises(InvalidClientMetadata, match=r"client_secret_jwt is not offered: .* plain text"):
        provider.register_app("Service", grant_types=["client_credentials"], auth_method="client_secret_jwt")


@pytest.mark.rfc("7591", "2")
def test_keys_change_from_jwks_to_jwks_uri_and_back(provider: Proauth2) -> None:
    client_id = register(provider)
    uri = "https://client.example.com/jwks.json"
    changed = provider.update_client(client_id, metadata={"jwks": None, "jwks_uri": uri})
    assert changed.metadata.get("jwks_uri") == uri and "jwks" not in changed.metadata
    with pytest.raises(InvalidClientMetadata, match="not both"):
        provider.update_client(client_id, metadata={"jwks": client_key().jwks})
    back = provider.update_client(client_id, metadata={"jwks": client_key("EdDSA").jwks, "jwks_uri": None})
    assert back.metadata["jwks"] == client_key("EdDSA").jwks and "jwks_uri" not in back.metadata


# -- authenticating (RFC 7523 §3) ---------------------------------------------------------------


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize("alg", ALGORITHMS)
@pytest.mark.parametrize(
    "audience",
    [
        pytest.param(TOKEN_URL, id="token-endpoint"),
        pytest.param(ISSUER, id="issuer"),
        pytest.param(["https://elsewhere.example.com", TOKEN_URL], id="list-holding-it"),
    ],
)
def test_a_valid_assertion_authenticates(provider: Proauth2, clock: FakeClock, alg: str, audience: Any) -> None:
    key = client_key(alg)
    client_id = register(provider, key)
    client = authenticate(provider, form(key, client_id, clock, audience))
    assert client.client_id == client_id and client.auth_method == "private_key_jwt"


@pytest.mark.rfc(RFC, "2.2")
def test_client_id_in_the_body_is_optional_but_must_be_the_assertions(provider: Proauth2, clock: FakeClock) -> None:
    key = client_key()
    client_id, other = register(provider, key), register(provider, key)
    assert authenticate(provider, {"client_id": client_id, **form(key, client_id, clock)}).client_id == client_id
    assert_refused(provider, {"client_id": other, **form(key, client_id, clock)})


@pytest.mark.rfc("openid-connect-core", "9")
def test_the_issuer_is_accepted_at_any_endpoint_the_endpoint_url_only_at_itself(
    provider: Proauth2, clock: FakeClock
) -> None:
    key = client_key()
    client_id = register(provider, key)
    revocation = ISSUER + "/oauth/revoke"
    assert authenticate(provider, form(key, client_id, clock, ISSUER), revocation).client_id == client_id
    assert authenticate(provider, form(key, client_id, clock, revocation), revocation).client_id == client_id
    assert_refused(provider, form(key, client_id, clock, TOKEN_URL), revocation)


def _hs256_with_public_key(client_id: str, clock: FakeClock) -> str:
    """The old confusion attack: HMAC keyed with the bytes of the client's public key."""
    secret = json.dumps(client_key().public_jwk).encode()
    signing_input = unsigned({"alg": "HS256", "typ": "JWT"}, claims_of(client_id, clock)).rsplit(".", 1)[0]
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


HOSTILE: list[Any] = [
    pytest.param({"audience": "https://other-server.example.com/token"}, "aud names neither", id="wrong-aud"),
    pytest.param({"audience": ISSUER + "/"}, "aud names neither", id="issuer-with-a-slash"),
    pytest.param({"audience": [ISSUER + "/oauth/revoke"]}, "aud names neither", id="another-endpoint"),
    pytest.param({"aud": None}, "aud is not a string", id="no-aud"),
    pytest.param({"aud": 5}, "aud is not a string", id="aud-number"),
    pytest.param({"exp": 1_800_000_000 - LEEWAY}, "it has expired", id="expired"),
    pytest.param({"exp": None}, "no exp", id="no-exp"),
    pytest.param({"exp": "1800000060"}, "no exp", id="exp-string"),
    pytest.param({"exp": True}, "no exp", id="exp-boolean"),
    pytest.param({"exp": 1_800_000_000 + 3600}, "more than 300 seconds ahead", id="exp-an-hour-ahead"),
    pytest.param({"exp": 10**400}, "more than 300 seconds ahead", id="exp-huge"),
    pytest.param(
        {"lifetime": 300, "iat": 1_800_000_000 - 60},
        "lives more than 300 seconds from its iat",
        id="lives-longer-than-300s-from-iat",
    ),
    pytest.param({"iat": 1_800_000_000 + 120}, "iat is in the future", id="iat-in-the-future"),
    pytest.param({"nbf": 1_800_000_000 + 120}, "nbf is in the future", id="nbf-in-the-future"),
    pytest.param({"iat": "now"}, "iat is not a number", id="iat-string"),
    pytest.param({"jti": None}, "no jti", id="no-jti"),
    pytest.param({"jti": ""}, "no jti", id="empty-jti"),
    pytest.param({"jti": 7}, "no jti", id="jti-number"),
    pytest.param({"jti": "j" * 256}, "no jti", id="jti-too-long"),
    pytest.param({"iss": "someone-else"}, "iss and sub", id="iss-not-sub"),
    pytest.param({"iss": None}, "iss and sub", id="no-iss"),
    pytest.param({"header": {"alg": "ES384"}}, "alg is not one of", id="alg-not-accepted"),
    pytest.param({"header": {"typ": "at+jwt"}}, "typ", id="typ-access-token"),
    pytest.param({"header": {"typ": "dpop+jwt"}}, "typ", id="typ-dpop-proof"),
    pytest.param({"header": {"crit": ["exp"]}}, "crit", id="crit"),
    pytest.param({"header": {"kid": "unknown-kid"}}, "signature does not verify", id="unknown-kid"),
    pytest.param({"header": {"kid": 3}}, "kid is not a string", id="kid-number"),
    pytest.param({"key": ("ES256", 1)}, "signature does not verify", id="signed-by-another-key"),
    pytest.param(
        {"key": ("ES256", 1), "header": {"kid": "es256-0"}},
        "signature does not verify",
        id="another-key-claiming-the-kid",
    ),
    pytest.param(
        {"key": ("RS256", 0), "header": {"kid": None}}, "signature does not verify", id="an-rsa-key-the-client-lacks"
    ),
]


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize(("change", "reason"), HOSTILE)
def test_hostile_assertions_are_invalid_client(
    provider: Proauth2, clock: FakeClock, caplog: pytest.LogCaptureFixture, change: dict[str, Any], reason: str
) -> None:
    """Each is refused for its own reason, which the log says; the client only hears the generic one."""
    client_id = register(provider, client_key())
    change = dict(change)
    audience = change.pop("audience", TOKEN_URL)
    key = client_key(*change.pop("key", ("ES256", 0)))
    with caplog.at_level(logging.INFO, "proauth2.client_auth"):
        assert_refused(provider, form(key, client_id, clock, audience, **change))
    assert reason in caplog.text, caplog.text
    assert provider.store.fetch_all("client_assertions") == []  # nothing spent


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda c, clock: unsigned({"alg": "none"}, claims_of(c, clock)), id="alg-none"),
        pytest.param(lambda c, clock: unsigned({"alg": "none"}, claims_of(c, clock), b"x" * 64), id="none-signed"),
        pytest.param(lambda c, clock: unsigned({"alg": "ES256"}, claims_of(c, clock)), id="es256-unsigned"),
        pytest.param(lambda c, clock: unsigned({"alg": "ES256"}, claims_of(c, clock), b"\0" * 64), id="zero-sig"),
        pytest.param(_hs256_with_public_key, id="hs256-with-the-public-key-as-secret"),
        pytest.param(lambda c, clock: "not-a-jwt", id="garbage"),
        pytest.param(lambda c, clock: "a.b.c.d.e", id="five-segments-jwe"),
        pytest.param(lambda c, clock: unsigned({"alg": "ES256"}, claims_of(c, clock)) + "!!", id="bad-b64"),
        pytest.param(lambda c, clock: "é." + unsigned({}, claims_of(c, clock)), id="non-ascii"),
        pytest.param(lambda c, clock: unsigned({"alg": "ES256"}, claims_of(c, clock)).replace(".", "..", 1), id="dots"),
        pytest.param(lambda c, clock: "x" * 9000, id="too-long"),
        pytest.param(
            lambda c, clock: f"{_b64(b'[1]')}.{_b64(json.dumps(claims_of(c, clock)).encode())}.{_b64(b'x')}",
            id="header-array",
        ),
        pytest.param(
            lambda c, clock: f"{REPEATED_ALG}.{_b64(json.dumps(claims_of(c, clock)).encode())}.{_b64(b'x' * 64)}",
            id="repeated-alg",
        ),
    ],
)
def test_unsigned_forged_and_malformed_assertions_are_invalid_client(
    provider: Proauth2, clock: FakeClock, make
) -> None:
    client_id = register(provider, client_key())
    params = {
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": make(client_id, clock),
        "client_id": client_id,
    }
    assert_refused(provider, params)


@pytest.mark.rfc("7521", "4.2")
@pytest.mark.parametrize(
    ("params", "error"),
    [
        pytest.param({"client_assertion_type": "urn:example:saml"}, InvalidClient, id="other-assertion-type"),
        pytest.param(
            {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"},
            InvalidClient,
            id="saml-type",
        ),
        pytest.param({"client_assertion_type": None}, InvalidRequest, id="assertion-without-its-type"),
        pytest.param({"client_assertion": None}, InvalidRequest, id="type-without-an-assertion"),
    ],
)
def test_the_assertion_type_is_required_and_must_be_jwt_bearer(
    provider: Proauth2, clock: FakeClock, params: dict[str, Any], error: type[Exception]
) -> None:
    key = client_key()
    client_id = register(provider, key)
    sent = {name: value for name, value in {**form(key, client_id, clock), **params}.items() if value is not None}
    with pytest.raises(error):
        authenticate(provider, sent)


@pytest.mark.rfc("6749", "2.3")
def test_a_client_uses_its_own_method_only(provider: Proauth2, clock: FakeClock) -> None:
    """A secret client presenting an assertion, a key client presenting a secret, or both at once: refused."""
    key = client_key()
    client_id = register(provider, key)
    basic_id, secret = provider.register_app("Basic", grant_types=["client_credentials"])
    assert_refused(provider, form(key, basic_id, clock))
    with pytest.raises(InvalidClient):
        authenticate(provider, {"client_id": client_id, "client_secret": "a-guess"})
    basic = base64.b64encode(f"{basic_id}:{secret}".encode()).decode()
    with pytest.raises(InvalidRequest, match="one client authentication method"):
        authenticate(provider, form(key, client_id, clock), Authorization=f"Basic {basic}")


@pytest.mark.rfc(RFC, "3")
def test_keys_without_a_kid_are_tried_by_key_type(provider: Proauth2, clock: FakeClock) -> None:
    """No kid: each key of the algorithm's type is tried (OIDC Core §10.1)."""
    es, rs, ed = client_key("ES256", 2), client_key("RS256", 2), client_key("EdDSA", 2)
    jwks = {"keys": [{name: value for name, value in key.public_jwk.items() if name != "kid"} for key in (rs, es, ed)]}
    client_id = register(provider, jwks=jwks)
    for key in (es, rs, ed):
        assert authenticate(provider, form(key, client_id, clock, header={"kid": None})).client_id == client_id
    assert_refused(provider, form(client_key("ES256", 3), client_id, clock, header={"kid": None}))


@pytest.mark.rfc(RFC, "3")
def test_an_assertion_without_a_kid_costs_at_most_five_signature_checks(provider: Proauth2, clock: FakeClock) -> None:
    """A set of many keys cannot make each request cost many signature checks: beyond five, name the kid."""
    keys = [client_key("ES256", number) for number in range(10, 16)]
    client_id = register(provider, jwks={"keys": [key.public_jwk for key in keys]})
    assert authenticate(provider, form(keys[4], client_id, clock, header={"kid": None})).client_id == client_id
    assert_refused(provider, form(keys[5], client_id, clock, header={"kid": None}))
    assert authenticate(provider, form(keys[5], client_id, clock)).client_id == client_id


@pytest.mark.rfc(RFC, "3")
def test_a_key_bound_to_one_alg_verifies_that_alg_only(provider: Proauth2, clock: FakeClock) -> None:
    """RFC 7517 §4.4: a JWK's ``alg`` names the one algorithm it is for."""
    key = client_key("RS256")
    client_id = register(provider, jwks={"keys": [{**key.public_jwk, "alg": "PS256"}]})
    assert_refused(provider, form(key, client_id, clock))
    ps = AssertionKey("PS256", kid=key.kid, key=key.key)
    assert authenticate(provider, form(ps, client_id, clock)).client_id == client_id


@pytest.mark.rfc(RFC, "3")
def test_the_settings_choose_the_algorithms(store: PeeweeDataStore, settings: Settings, clock: FakeClock) -> None:
    provider = Proauth2(store, dataclasses.replace(settings, client_assertion_algorithms=("ES256",)))
    es, rs = client_key("ES256"), client_key("RS256")
    client_id = register(provider, jwks={"keys": [es.public_jwk, rs.public_jwk]})
    assert authenticate(provider, form(es, client_id, clock)).client_id == client_id
    assert_refused(provider, form(rs, client_id, clock))
    assert provider.metadata({})["token_endpoint_auth_signing_alg_values_supported"] == ["ES256"]


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize(
    ("seconds", "accepted"),
    [
        pytest.param(LEEWAY - 1, True, id="within-the-leeway"),
        pytest.param(LEEWAY + 1, False, id="beyond-the-leeway"),
    ],
)
def test_a_clock_ahead_of_the_servers_is_tolerated_within_the_leeway(
    provider: Proauth2, clock: FakeClock, seconds: int, accepted: bool
) -> None:
    key = client_key()
    client_id = register(provider, key)
    now = clock.now + seconds
    params = {
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": key.assertion(client_id, TOKEN_URL, now=now, nbf=int(now)),
    }
    if accepted:
        assert authenticate(provider, params).client_id == client_id
    else:
        assert_refused(provider, params)


# -- one use per jti (RFC 7523 §3 item 7), on every backend --------------------------------------


@pytest.mark.backends
@pytest.mark.rfc(RFC, "3")
def test_a_replayed_assertion_is_refused_on_every_backend(provider: Proauth2, clock: FakeClock) -> None:
    key = client_key()
    client_id = register(provider, key)
    params = form(key, client_id, clock)
    assert authenticate(provider, params).client_id == client_id
    assert_refused(provider, params)
    payload = params["client_assertion"].split(".")[1]
    jti = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]
    assert_refused(provider, form(key, client_id, clock, jti=jti))  # a new assertion reusing the jti
    assert authenticate(provider, form(key, client_id, clock)).client_id == client_id  # a new jti


@pytest.mark.backends
@pytest.mark.rfc(RFC, "3")
def test_a_jti_is_spent_only_by_a_signed_assertion_and_per_client(provider: Proauth2, clock: FakeClock) -> None:
    """A forger cannot burn a client's jti; two clients may pick the same one."""
    key = client_key()
    client_id, other = register(provider, key), register(provider, key)
    assert_refused(provider, form(client_key("ES256", 1), client_id, clock, jti="shared"))
    assert authenticate(provider, form(key, client_id, clock, jti="shared")).client_id == client_id
    assert authenticate(provider, form(key, other, clock, jti="shared")).client_id == other
    stored = provider.store.fetch("client_assertions", assertion_hash=hash_secret(f"{client_id}:shared"))
    assert stored is not None and stored["expires_at"] == int(clock.now) + 60 + LEEWAY + 1


@pytest.mark.backends
@pytest.mark.rfc(RFC, "3")
def test_16_threads_presenting_one_assertion_get_exactly_one_token(provider: Proauth2, clock: FakeClock) -> None:
    """Exactly once under any concurrency: the jti's insert is the arbiter, in every worker's database."""
    key = client_key()
    client_id = register(provider, key)
    params = {"grant_type": "client_credentials", **form(key, client_id, clock)}
    barrier = threading.Barrier(16)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            return provider.token_request(endpoint_request(params)).to_response()["token_type"]
        except InvalidClient as error:
            return error.error
        finally:
            provider.store.close()

    with ThreadPoolExecutor(16) as pool:
        results = sorted(pool.map(attempt, range(16)))
    assert results == ["Bearer"] + ["invalid_client"] * 15
    assert len(provider.store.fetch_all("access_tokens", client_id=client_id)) == 1


@pytest.mark.backends
def test_spent_jtis_are_purged_once_their_assertion_expired(provider: Proauth2, clock: FakeClock) -> None:
    key = client_key()
    client_id = register(provider, key)
    authenticate(provider, form(key, client_id, clock, jti="old"))
    clock.advance(60 + LEEWAY + 1)
    assert provider.purge_expired() >= 1
    assert provider.store.fetch("client_assertions", assertion_hash=hash_secret(f"{client_id}:old")) is None


# -- keys at a jwks_uri, fetched with the SSRF defences -----------------------------------------------


def jwks_client(provider: Proauth2, server: DocumentServer, *keys: AssertionKey, path: str = "/jwks.json") -> str:
    uri = serve_jwks(server, path, {"keys": [key.public_jwk for key in keys]})
    return register(provider, jwks_uri=uri)


def fetches(provider: Proauth2) -> int:
    method = provider.client_auth_methods["private_key_jwt"]
    assert isinstance(method, PrivateKeyJwt)
    return method.keys.fetches


@pytest.mark.rfc(RFC, "3")
def test_keys_come_from_the_jwks_uri_once_per_cache_period(
    provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer
) -> None:
    key = client_key()
    client_id = jwks_client(provider, jwks_server, key)
    for _ in range(3):
        assert authenticate(provider, form(key, client_id, clock)).client_id == client_id
    assert jwks_server.hits["/jwks.json"] == 1 and fetches(provider) == 1
    clock.advance(provider.settings.cimd_cache_ttl)  # no max-age: the default period
    assert authenticate(provider, form(key, client_id, clock)).client_id == client_id
    assert jwks_server.hits["/jwks.json"] == 2


@pytest.mark.rfc(RFC, "3")
def test_an_unknown_kid_refetches_at_most_once_per_interval(
    provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer
) -> None:
    """A rotation is picked up at once; a flood of forged kids costs one fetch per interval."""
    old, new = client_key("ES256", 0), client_key("ES256", 1)
    client_id = jwks_client(provider, jwks_server, old)
    assert authenticate(provider, form(old, client_id, clock)).client_id == client_id
    clock.advance(provider.settings.cimd_cache_min_ttl)
    serve_jwks(jwks_server, "/jwks.json", {"keys": [old.public_jwk, new.public_jwk]})  # the client rotates
    assert authenticate(provider, form(new, client_id, clock)).client_id == client_id
    assert jwks_server.hits["/jwks.json"] == 2
    for number in range(5):
        assert_refused(provider, form(new, client_id, clock, header={"kid": f"forged-{number}"}))
    assert jwks_server.hits["/jwks.json"] == 2  # within the interval: no fetch however many forged kids
    clock.advance(provider.settings.cimd_cache_min_ttl)
    assert_refused(provider, form(new, client_id, clock, header={"kid": "forged-again"}))
    assert_refused(provider, form(new, client_id, clock, header={"kid": "and-again"}))
    assert jwks_server.hits["/jwks.json"] == 3
    assert authenticate(provider, form(new, client_id, clock)).client_id == client_id  # the keys held still work


@pytest.mark.rfc(RFC, "3")
def test_concurrent_assertions_with_a_new_kid_share_one_refetch(
    provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer
) -> None:
    """Eight requests find the set stale at once: one fetches (slowly), the others wait for its keys."""
    old, new = client_key("ES256", 0), client_key("ES256", 1)
    client_id = jwks_client(provider, jwks_server, old)
    assert authenticate(provider, form(old, client_id, clock)).client_id == client_id
    clock.advance(provider.settings.cimd_cache_min_ttl)
    body = json.dumps({"keys": [old.public_jwk, new.public_jwk]}).encode()
    jwks_server.answer("/jwks.json", Answer(body, delay=0.3))
    barrier = threading.Barrier(8)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            return authenticate(provider, form(new, client_id, clock)).client_id
        finally:
            provider.store.close()

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(attempt, range(8))) == [client_id] * 8
    assert jwks_server.hits["/jwks.json"] == 2


@pytest.mark.rfc(RFC, "3")
def test_a_failed_refetch_keeps_the_keys_held(
    provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer
) -> None:
    key = client_key()
    client_id = jwks_client(provider, jwks_server, key)
    assert authenticate(provider, form(key, client_id, clock)).client_id == client_id
    jwks_server.answer("/jwks.json", Answer(b"{}", status="500 Internal Server Error"))
    clock.advance(provider.settings.cimd_cache_min_ttl)
    assert_refused(provider, form(key, client_id, clock, header={"kid": "rotated?"}))
    assert authenticate(provider, form(key, client_id, clock)).client_id == client_id
    assert jwks_server.hits["/jwks.json"] == 2


@pytest.mark.rfc(RFC, "3")
def test_a_jwks_larger_than_a_metadata_document_is_fine_up_to_64_kib(
    provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer
) -> None:
    key = client_key()
    padding = [client_key("RS256", number).public_jwk for number in range(3)] * 8  # ~11 KiB of RSA keys
    uri = serve_jwks(jwks_server, "/big.json", {"keys": [*padding, key.public_jwk]})
    assert 5 * 1024 < len(json.dumps({"keys": [*padding, key.public_jwk]})) < MAX_JWKS_BYTES
    client_id = register(provider, jwks_uri=uri)
    assert authenticate(provider, form(key, client_id, clock)).client_id == client_id


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize("content_type", ["application/jwk-set+json", "application/json; charset=utf-8"])
def test_the_jwk_set_media_type_is_accepted(
    provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer, content_type: str
) -> None:
    key = client_key()
    uri = serve_jwks(jwks_server, "/typed.json", key.jwks, content_type=content_type)
    client_id = register(provider, jwks_uri=uri)
    assert authenticate(provider, form(key, client_id, clock)).client_id == client_id


def _oversized(key: AssertionKey) -> Answer:
    jwks = {"keys": [key.public_jwk], "x_padding": "x" * MAX_JWKS_BYTES}
    return Answer(json.dumps(jwks).encode())


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            lambda key, target: Answer(b"", status="302 Found", headers=[("Location", target)]), id="redirect"
        ),
        pytest.param(lambda key, target: _oversized(key), id="oversized"),
        pytest.param(
            lambda key, target: Answer(json.dumps(key.jwks).encode(), headers=[("Content-Type", "text/html")]),
            id="html",
        ),
        pytest.param(lambda key, target: Answer(b"{not json"), id="not-json"),
        pytest.param(lambda key, target: Answer(json.dumps({"keys": [_private("ES256")]}).encode()), id="private-keys"),
        pytest.param(lambda key, target: Answer(b"{}", status="404 Not Found"), id="404"),
    ],
)
def test_a_jwks_uri_that_misbehaves_authenticates_nobody(
    provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer, answer: Any
) -> None:
    key = client_key()
    target = serve_jwks(jwks_server, "/real.json", key.jwks)
    jwks_server.answer("/jwks.json", answer(key, target))
    client_id = register(provider, jwks_uri=jwks_server.url("/jwks.json"))
    assert_refused(provider, form(key, client_id, clock))
    assert jwks_server.hits["/real.json"] == 0  # no redirect followed
    serve_jwks(jwks_server, "/jwks.json", key.jwks)  # failures are not cached: fixed, it works at once
    assert authenticate(provider, form(key, client_id, clock)).client_id == client_id


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize(
    "addresses",
    [
        pytest.param(["169.254.169.254"], id="cloud-metadata"),
        pytest.param(["10.0.0.7"], id="private"),
        pytest.param(["127.0.0.1", "192.168.1.1"], id="one-private-among-them"),
        pytest.param(["::ffff:169.254.169.254"], id="mapped-metadata"),
        pytest.param(["fd00::1"], id="ula"),
    ],
)
def test_a_jwks_uri_resolving_to_a_private_address_is_never_fetched(
    provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer, jwks_resolver: FakeResolver, addresses: list
) -> None:
    key = client_key()
    serve_jwks(jwks_server, "/jwks.json", key.jwks)
    jwks_resolver.set("internal.test", addresses)
    client_id = register(provider, jwks_uri=jwks_server.url("/jwks.json", host="internal.test"))
    assert_refused(provider, form(key, client_id, clock))
    assert jwks_server.hits["/jwks.json"] == 0 and ("internal.test", jwks_server.port) in jwks_resolver.calls


@pytest.mark.rfc(RFC, "3")
def test_a_denied_host_is_never_resolved(
    store: PeeweeDataStore,
    settings: Settings,
    clock: FakeClock,
    jwks_server: DocumentServer,
    jwks_resolver: FakeResolver,
) -> None:
    provider = Proauth2(store, dataclasses.replace(settings, cimd_denied_hosts=("client.test",)))
    key = client_key()
    client_id = jwks_client(provider, jwks_server, key)
    assert_refused(provider, form(key, client_id, clock))
    assert jwks_resolver.calls == [] and jwks_server.hits["/jwks.json"] == 0


# -- clients known by their metadata document (CIMD) may sign too ------------------------------------


@pytest.mark.rfc("draft-ietf-oauth-client-id-metadata-document", "4.1")
@pytest.mark.parametrize("by", ["jwks", "jwks_uri"])
def test_a_metadata_document_client_may_authenticate_with_private_key_jwt(
    store: PeeweeDataStore, settings: Settings, clock: FakeClock, jwks_server: DocumentServer, by: str
) -> None:
    """No shared secret can live in a public document, but public keys can: a confidential client, unregistered."""
    provider = Proauth2(store, dataclasses.replace(settings, client_id_metadata_documents=True))
    key = client_key("EdDSA")
    keys = {"jwks": key.jwks} if by == "jwks" else {"jwks_uri": serve_jwks(jwks_server, "/keys.json", key.jwks)}
    url = jwks_server.document("/app.json", token_endpoint_auth_method="private_key_jwt", **keys)
    verifier = new_verifier()
    query = {
        "client_id": url,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    request = provider.parse_authorization_request(query)
    assert request.client.auth_method == "private_key_jwt" and not request.client.is_public
    assert request.client.metadata[by] == keys[by]
    code = provider.issue_code(request, "alice")
    exchange = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": CALLBACK}
    with pytest.raises(InvalidClient):  # the client_id alone (none) no longer does
        provider.token_request(endpoint_request({**exchange, "client_id": url}))
    tokens = provider.token_request(endpoint_request({**exchange, **form(key, url, clock)})).to_response()
    assert tokens["token_type"] == "Bearer"
    assert provider.list_clients() == []  # never stored


# -- metadata (RFC 8414 §2) ----------------------------------------------------------------------


@pytest.mark.rfc("8414", "2")
def test_the_metadata_names_the_method_and_its_algorithms(provider: Proauth2) -> None:
    from proauth2_wsgi.endpoints import AuthorizationServer

    AuthorizationServer(provider)
    document = provider.metadata({})
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]
    for endpoint in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        assert "private_key_jwt" in document[f"{endpoint}_auth_methods_supported"]
        assert document[f"{endpoint}_auth_signing_alg_values_supported"] == list(ALGORITHMS)
    provider.client_auth_methods.unregister("private_key_jwt")
    document = provider.metadata({})
    assert "private_key_jwt" not in document["token_endpoint_auth_methods_supported"]
    assert not [name for name in document if name.endswith("_auth_signing_alg_values_supported")]
