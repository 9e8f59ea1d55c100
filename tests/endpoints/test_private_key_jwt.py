"""``private_key_jwt`` over real HTTP (RFC 7523 §2.2, §3): the token, revocation and introspection endpoints,
and RFC 7591 registration.

The server runs on loopback under the issuer ``https://auth.example.com``
(tests/endpoints/conftest.py), so an assertion's ``aud`` is the endpoint's
public URL there (or the issuer); ``jwks_uri`` keys come from a real HTTPS
server on loopback (tests/client_assertions.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.client_auth.private_key_jwt import ASSERTION_TYPE
from proauth2_wsgi.testing.certificates import Certificates
from proauth2_wsgi.testing.client_assertions import AssertionKey
from tests.client_assertions import (
    ALGORITHMS,
    FAILED,
    ISSUER,
    RFC,
    TOKEN_URL,
    DocumentServer,
    FakeResolver,
    client_key,
    jwks_settings,
    serve_jwks,
)
from tests.conftest import FakeClock
from tests.endpoints.helpers import REDIRECT_URI, Server, assert_oauth_error, new_verifier

REVOKE_URL = ISSUER + "/oauth/revoke"
INTROSPECT_URL = ISSUER + "/oauth/introspect"


@pytest.fixture
def settings(clock: FakeClock, jwks_certificates: Certificates, jwks_resolver: FakeResolver) -> Settings:
    return jwks_settings(clock, jwks_certificates, jwks_resolver)


def register(provider: Proauth2, key: AssertionKey | None = None, **metadata: Any) -> str:
    credentials = provider.register_app(
        "Service",
        [REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        auth_method="private_key_jwt",
        metadata=metadata or {"jwks": (key or client_key()).jwks},
    )
    return credentials.client_id


def signed(key: AssertionKey, client_id: str, clock: FakeClock, audience: Any = TOKEN_URL, **changes: Any) -> dict:
    """The two parameters that authenticate ``client_id`` (RFC 7523 §2.2), at the fake clock's time."""
    return {
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": key.assertion(client_id, audience, now=clock.now, **changes),
    }


def client_credentials(server: Server, params: dict[str, str]) -> requests.Response:
    return server.post(server.token_url, {"grant_type": "client_credentials", **params})


def assert_invalid_client(response: requests.Response, params: dict[str, str]) -> None:
    """401 invalid_client with a challenge and the generic description; the assertion never echoed."""
    body = assert_oauth_error(response, 401, "invalid_client")
    assert body["error_description"] in (FAILED, "unsupported client_assertion_type")
    assert "WWW-Authenticate" in response.headers
    assert params.get("client_assertion", "\0") not in response.text


# -- accepted at every endpoint that authenticates clients ------------------------------------------


@pytest.mark.rfc(RFC, "2.2")
@pytest.mark.parametrize("alg", ALGORITHMS)
def test_an_assertion_authenticates_at_token_revocation_and_introspection(
    server: Server, provider: Proauth2, clock: FakeClock, alg: str
) -> None:
    key = client_key(alg)
    client_id = register(provider, key)
    issued = client_credentials(server, signed(key, client_id, clock))
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    introspected = server.post(server.introspect_url, {"token": token, **signed(key, client_id, clock, INTROSPECT_URL)})
    assert introspected.status_code == 200 and introspected.json()["active"] is True
    assert introspected.json()["client_id"] == client_id
    revoked = server.post(server.revoke_url, {"token": token, **signed(key, client_id, clock, ISSUER)})
    assert revoked.status_code == 200, revoked.text
    again = server.post(server.introspect_url, {"token": token, **signed(key, client_id, clock, ISSUER)})
    assert again.json() == {"active": False}


@pytest.mark.rfc("openid-connect-core", "9")
def test_the_code_and_refresh_grants_with_an_assertion(server: Server, provider: Proauth2, clock: FakeClock) -> None:
    key = client_key("EdDSA")
    client_id = register(provider, key)
    verifier = new_verifier()
    code = server.code(client_id, verifier, scope="profile")
    params = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "client_id": client_id}
    tokens = server.post(server.token_url, {**params, **signed(key, client_id, clock)})
    assert tokens.status_code == 200, tokens.text
    refreshed = server.post(
        server.token_url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens.json()["refresh_token"],
            **signed(key, client_id, clock),
        },
    )
    assert refreshed.status_code == 200, refreshed.text


@pytest.mark.rfc(RFC, "3")
def test_keys_from_a_jwks_uri_over_https(
    server: Server, provider: Proauth2, clock: FakeClock, jwks_server: DocumentServer
) -> None:
    key = client_key("RS256")
    client_id = register(provider, jwks_uri=serve_jwks(jwks_server, "/keys", key.jwks))
    for _ in range(2):
        assert client_credentials(server, signed(key, client_id, clock)).status_code == 200
    assert jwks_server.hits["/keys"] == 1
    assert_invalid_client(client_credentials(server, signed(client_key("RS256", 1), client_id, clock)), {})


# -- refused, always invalid_client, never a 500 ------------------------------------------------------


@pytest.mark.backends
@pytest.mark.rfc(RFC, "3")
def test_a_replayed_assertion_is_refused_at_the_token_endpoint(
    server: Server, provider: Proauth2, clock: FakeClock
) -> None:
    key = client_key()
    client_id = register(provider, key)
    params = signed(key, client_id, clock)
    assert client_credentials(server, params).status_code == 200
    assert_invalid_client(client_credentials(server, params), params)
    revocation = signed(key, client_id, clock, ISSUER)
    assert server.post(server.revoke_url, {"token": "x" * 43, **revocation}).status_code == 200
    assert_invalid_client(server.post(server.revoke_url, {"token": "x" * 43, **revocation}), revocation)


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize(
    ("changes", "audience"),
    [
        pytest.param({}, "https://other-server.example.com/oauth/token", id="wrong-aud"),
        pytest.param({}, REVOKE_URL, id="another-endpoints-url"),
        pytest.param({"exp": 1_800_000_000 - 3600}, TOKEN_URL, id="expired"),
        pytest.param({"exp": 1_800_000_000 + 3600}, TOKEN_URL, id="exp-too-far-ahead"),
        pytest.param({"jti": None}, TOKEN_URL, id="no-jti"),
        pytest.param({"iss": "someone-else"}, TOKEN_URL, id="iss-not-sub"),
        pytest.param({"header": {"alg": "none"}}, TOKEN_URL, id="alg-none"),
        pytest.param({"header": {"kid": "nobody-knows"}}, TOKEN_URL, id="unknown-kid"),
    ],
)
def test_hostile_assertions_are_401_invalid_client(
    server: Server, provider: Proauth2, clock: FakeClock, changes: dict[str, Any], audience: str
) -> None:
    client_id = register(provider, client_key())
    params = signed(client_key(), client_id, clock, audience, **changes)
    assert_invalid_client(client_credentials(server, params), params)


@pytest.mark.rfc(RFC, "3")
@pytest.mark.parametrize(
    "assertion",
    [
        pytest.param("", id="empty"),
        pytest.param("a.b.c", id="not-json"),
        pytest.param("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", id="alg-none-unsigned"),
        pytest.param("\u00e9\u00e9.\u00e9.\u00e9", id="non-ascii"),
        pytest.param("A" * 60_000, id="huge"),
        pytest.param("eyJ9." * 3, id="broken-json"),
    ],
)
def test_garbage_assertions_are_never_a_500(server: Server, provider: Proauth2, assertion: str) -> None:
    register(provider)
    params = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    response = client_credentials(server, params)
    if assertion:
        assert_invalid_client(response, params)
    else:  # an empty parameter counts as omitted (RFC 6749 §3.1): the type alone
        assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.rfc("7521", "4.2")
def test_the_assertion_type_must_be_jwt_bearer(server: Server, provider: Proauth2, clock: FakeClock) -> None:
    key = client_key()
    client_id = register(provider, key)
    params = signed(key, client_id, clock)
    saml = {**params, "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"}
    assert_invalid_client(client_credentials(server, saml), saml)
    untyped = {"client_assertion": params["client_assertion"]}
    assert_oauth_error(client_credentials(server, untyped), 400, "invalid_request")
    assert client_credentials(server, params).status_code == 200  # nothing was spent by the refusals


# -- RFC 7591 registration ------------------------------------------------------------------------------


def _register(server: Server, metadata: dict[str, Any]) -> requests.Response:
    return requests.post(server.register_url, json=metadata, timeout=10)


@pytest.mark.rfc("7591", "2")
@pytest.mark.parametrize("by", ["jwks", "jwks_uri"])
def test_a_client_registers_its_keys_and_authenticates_with_them(
    server: Server, clock: FakeClock, jwks_server: DocumentServer, by: str
) -> None:
    key = client_key()
    keys = {"jwks": key.jwks} if by == "jwks" else {"jwks_uri": serve_jwks(jwks_server, "/dynamic.json", key.jwks)}
    response = _register(
        server,
        {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt", **keys},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert "client_secret" not in body and "client_secret_expires_at" not in body
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert {name: body[name] for name in keys} == keys
    assert client_credentials(server, signed(key, body["client_id"], clock)).status_code == 200


@pytest.mark.rfc("7591", "3.2.2")
@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        pytest.param({}, "private_key_jwt needs the client's public keys", id="no-keys"),
        pytest.param({"jwks": client_key().jwks, "jwks_uri": "https://client.example.com/jwks"}, "not both", id="both"),
        pytest.param(
            {"jwks": {"keys": [client_key().key.as_dict(private=True)]}},
            "private or symmetric key material",
            id="private-key",
        ),
        pytest.param({"jwks": '{"keys": []}'}, "jwks must be a JWK set (a JSON object)", id="jwks-as-text"),
        pytest.param({"jwks_uri": "http://client.example.com/jwks"}, "https", id="http-jwks-uri"),
        pytest.param({"jwks_uri": ["https://client.example.com/jwks"]}, "jwks_uri must be a string", id="uri-list"),
    ],
)
def test_registration_refuses_unusable_keys(server: Server, provider: Proauth2, metadata: dict, reason: str) -> None:
    response = _register(
        server, {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt", **metadata}
    )
    body = assert_oauth_error(response, 400, "invalid_client_metadata")
    assert reason in body["error_description"], body
    assert provider.list_clients() == []


@pytest.mark.rfc("7591", "3.2.2")
def test_client_secret_jwt_registration_is_refused_with_the_reason(server: Server, provider: Proauth2) -> None:
    response = _register(
        server, {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_jwt"}
    )
    body = assert_oauth_error(response, 400, "invalid_client_metadata")
    assert "client_secret_jwt is not offered" in body["error_description"]
    assert "private_key_jwt" in body["error_description"]
    assert provider.list_clients() == []


@pytest.mark.rfc("7591", "2")
def test_other_clients_keys_are_ignored(server: Server, provider: Proauth2) -> None:
    """Only a private_key_jwt client's keys mean anything here; others are not kept (RFC 7591 §2)."""
    response = _register(
        server,
        {"redirect_uris": [REDIRECT_URI], "jwks": {"keys": [client_key().key.as_dict(private=True)]}},
    )
    assert response.status_code == 201 and "jwks" not in response.json()
    client = provider.get_client(response.json()["client_id"])
    assert client is not None and "jwks" not in client.metadata
