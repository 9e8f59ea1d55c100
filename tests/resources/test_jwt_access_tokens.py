"""JWT access tokens (RFC 9068) as the provider issues them: header, claims, storage, revocation."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.errors import InvalidToken
from proauth2_wsgi.tokens import hash_secret
from tests.core.test_security import dump_database
from tests.resources.conftest import ISSUER, ORDERS, code_grant

pytestmark = pytest.mark.rfc("9068", "2")


def decode(provider: Proauth2, token: str) -> jwt.Token:
    """The token verified against the provider's published key set, as a resource server would."""
    return jwt.decode(token, KeySet.import_key_set(provider.keys.jwks()), algorithms=["RS256"])  # type: ignore[arg-type]


@pytest.mark.rfc("9068", "2.2")
def test_a_user_token_carries_the_rfc9068_claims(provider: Proauth2, app_client: ClientCredentials) -> None:
    tokens = code_grant(provider, app_client, resources=(ORDERS,), scope="read write")
    decoded = decode(provider, tokens["access_token"])
    assert decoded.header["typ"] == "at+jwt" and decoded.header["alg"] == "RS256" and decoded.header["kid"]
    claims = decoded.claims
    assert claims["iss"] == ISSUER and claims["aud"] == ORDERS and claims["sub"] == "alice"
    assert claims["client_id"] == app_client.client_id and claims["scope"] == "read write"
    assert claims["exp"] - claims["iat"] == tokens["expires_in"] == 300
    assert claims["auth_time"] == provider.now() - 5 and claims["amr"] == ["pwd"]  # §2.2.1
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    again = code_grant(provider, app_client, resources=(ORDERS,))
    assert decode(provider, again["access_token"]).claims["jti"] != claims["jti"]


@pytest.mark.rfc("9068", "2.2")
def test_a_client_credentials_token_has_the_client_as_subject(provider: Proauth2, service: ClientCredentials) -> None:
    token = provider.request_access_token("client_credentials", *service, resource=ORDERS, scope="read")["access_token"]
    claims = decode(provider, token).claims
    assert claims["sub"] == claims["client_id"] == service.client_id
    assert "auth_time" not in claims
    access = provider.validate_token(token)
    assert access.user_id is None and access.audience == (ORDERS,)


@pytest.mark.backends
def test_a_jwt_is_stored_by_digest_validated_online_and_revocable(
    provider: Proauth2, service: ClientCredentials
) -> None:
    token = provider.request_access_token("client_credentials", *service, resource=ORDERS)["access_token"]
    dump = dump_database(provider.store)  # type: ignore[arg-type]
    assert token not in dump and token.split(".")[2] not in dump and hash_secret(token) in dump
    assert provider.validate_token(token).client_id == service.client_id  # one lookup, no signature check
    provider.revoke_token(token)
    with pytest.raises(InvalidToken):
        provider.validate_token(token)
    assert provider.introspect_token(token) == {"active": False}


def test_a_forged_jwt_is_unknown_to_online_validation(provider: Proauth2, service: ClientCredentials) -> None:
    token = provider.request_access_token("client_credentials", *service, resource=ORDERS)["access_token"]
    header, payload, signature = token.split(".")
    with pytest.raises(InvalidToken):
        provider.validate_token(f"{header}.{payload}x.{signature}")


def test_a_resource_can_ask_for_es256(provider: Proauth2, service: ClientCredentials) -> None:
    from proauth2_wsgi.resources import Resource

    provider.resources.register(Resource("https://edge.example.com", token_format="jwt", signing_alg="ES256"))
    token = provider.request_access_token("client_credentials", *service, resource="https://edge.example.com")
    keys = KeySet.import_key_set(provider.keys.jwks())  # type: ignore[arg-type]
    assert jwt.decode(token["access_token"], keys, algorithms=["ES256"]).header["alg"] == "ES256"
