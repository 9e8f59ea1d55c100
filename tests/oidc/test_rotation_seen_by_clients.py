"""Key rotation while tokens are outstanding, as relying parties see it over HTTP.

A relying party fetches the JWK set once and caches it (the endpoint allows
``max-age``); the operator rotates the keys. The ID tokens signed afterwards
must verify against that cached set (the new signer was published as ``next``
before it signed), the ones signed before must keep verifying against a
fresh set for the grace period, and not after it. Verification is Authlib's
(``CodeIDToken`` over joserfc), with the keys fetched from the served ``jwks_uri``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.oidc import Login
from tests.http_server import serve
from tests.oidc.conftest import ISSUER, authenticate, later

pytestmark = pytest.mark.rfc("openid-connect-core", "10.1.1")


@pytest.fixture
def jwks_uri(provider: Proauth2) -> Iterator[str]:
    with serve(AuthorizationServer(provider)) as url:
        yield f"{url}/oauth/jwks"


def fetch_jwks(jwks_uri: str) -> KeySet:
    """What a relying party caches: the served JWK set (and it may, for a while)."""
    response = requests.get(jwks_uri, timeout=10)
    assert response.status_code == 200
    assert "max-age=" in response.headers["Cache-Control"]
    return KeySet.import_key_set(response.json())


def client_accepts(
    provider: Proauth2, id_token: str, keys: KeySet, client: ClientCredentials, access_token: str
) -> dict[str, Any]:
    """Authlib's ID token checks (OIDC Core §3.1.3.7) against ``keys``, at the provider's clock; the claims."""
    decoded = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"values": [ISSUER]}},
        {"client_id": client.client_id, "access_token": access_token},
    )
    claims.validate(now=int(provider.now()))
    return dict(claims)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_cached_key_set_verifies_tokens_signed_after_a_rotation(
    provider: Proauth2, jwks_uri: str, alice: Login, alg: str
) -> None:
    client = provider.register_app(
        "RP", ["https://rp.example.com/callback"], metadata={"id_token_signed_response_alg": alg}
    )
    cached = fetch_jwks(jwks_uri)
    before = authenticate(provider, client, alice)
    assert client_accepts(provider, before["id_token"], cached, client, before["access_token"])["sub"] == "alice"

    provider.rotate_keys()  # what `proauth2 keys rotate` does
    after = authenticate(provider, client, alice)
    assert jwt.decode(after["id_token"], cached).header["kid"] != jwt.decode(before["id_token"], cached).header["kid"]
    assert client_accepts(provider, after["id_token"], cached, client, after["access_token"])["sub"] == "alice"

    # a relying party that fetches the set now still verifies the tokens of before: the grace period
    fresh = fetch_jwks(jwks_uri)
    assert client_accepts(provider, before["id_token"], fresh, client, before["access_token"])["sub"] == "alice"


def test_tokens_of_a_retired_key_stop_verifying_after_the_grace_period(
    provider: Proauth2, jwks_uri: str, rp: ClientCredentials, alice: Login
) -> None:
    before = authenticate(provider, rp, alice)
    provider.keys.rotate()
    after = authenticate(provider, rp, alice)

    later(provider, provider.settings.key_grace_period + 1)
    fresh = fetch_jwks(jwks_uri)
    with pytest.raises(JoseError):  # its key is no longer published
        jwt.decode(before["id_token"], fresh)
    assert jwt.decode(after["id_token"], fresh).claims["sub"] == "alice"
