"""ID tokens (OIDC Core §2, §3.1.3.6, §11, §12.2): what they say, how they are signed, when they are issued."""

from __future__ import annotations

import json

import pytest
from joserfc import jwt

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.errors import InvalidGrant
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.oidc.id_tokens import at_hash
from tests.oidc.conftest import ISSUER, REDIRECT, authenticate, verified_claims

pytestmark = pytest.mark.rfc("openid-connect-core", "2")


def test_a_code_for_openid_buys_a_signed_id_token(provider: Proauth2, rp: ClientCredentials, alice: Login) -> None:
    tokens = authenticate(provider, rp, alice, nonce="n-0S6_WzA2Mj")
    claims = verified_claims(provider, tokens["id_token"])
    now = provider.now()
    assert claims == {
        "iss": ISSUER,
        "sub": "alice",
        "aud": rp.client_id,
        "exp": now + 3600,
        "iat": now,
        "auth_time": alice.auth_time,
        "nonce": "n-0S6_WzA2Mj",
        "acr": "urn:example:password",
        "amr": ["pwd"],
        "at_hash": at_hash(tokens["access_token"]),
        # the granted scopes' claims (profile, email), never another's nor an unknown one
        "name": "Alice Liddell",
        "preferred_username": "alice",
        "email": "alice@example.com",
        "email_verified": True,
    }
    assert jwt.decode(tokens["id_token"], provider.keys.signing_key("RS256").key).header["alg"] == "RS256"
    assert tokens["token_type"] == "Bearer" and "refresh_token" not in tokens  # no offline_access asked


@pytest.mark.rfc("openid-connect-core", "3.1.3.6")
def test_at_hash_is_the_left_half_of_the_access_tokens_sha256() -> None:
    """The OIDC Core §3.1.3.6 example: at_hash of jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y."""
    assert at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y") == "77QmUPtjPfzWtF2AnpK9RQ"


def test_a_client_registered_for_es256_gets_es256(provider: Proauth2) -> None:
    client = provider.register_app("EC RP", [REDIRECT], metadata={"id_token_signed_response_alg": "ES256"})
    tokens = authenticate(provider, client, Login("alice", provider.now()))
    header = jwt.decode(tokens["id_token"], provider.keys.signing_key("ES256").key).header
    assert header["alg"] == "ES256" and header["kid"] == provider.keys.signing_key("ES256").kid
    assert verified_claims(provider, tokens["id_token"], ("ES256",))["sub"] == "alice"


def test_no_openid_scope_no_id_token(provider: Proauth2, rp: ClientCredentials, alice: Login) -> None:
    tokens = authenticate(provider, rp, alice, scope="profile")
    assert "id_token" not in tokens and tokens["scope"] == "profile"


def test_a_token_for_the_client_itself_has_no_id_token(provider: Proauth2) -> None:
    service = provider.register_app("Service", grant_types=["client_credentials"])
    tokens = provider.request_access_token(
        "client_credentials", service.client_id, service.client_secret, scope="openid"
    )
    assert "id_token" not in tokens


@pytest.mark.backends
def test_a_replayed_code_never_yields_a_second_id_token(
    provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    from proauth2_wsgi.pkce import s256_challenge

    verifier = "v" * 50
    request = provider.parse_authorization_request(
        {
            "client_id": rp.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "openid",
            "code_challenge": s256_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    code = provider.authorization_response(request, alice)["code"]
    exchange = {"code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    first = provider.request_access_token("authorization_code", rp.client_id, rp.client_secret, **exchange)
    assert "id_token" in first
    with pytest.raises(InvalidGrant):
        provider.request_access_token("authorization_code", rp.client_id, rp.client_secret, **exchange)
    assert provider.introspect_token(first["access_token"]) == {"active": False}  # the replay revoked the grant


@pytest.mark.backends
@pytest.mark.rfc("openid-connect-core", "11")
def test_offline_access_with_prompt_consent_gives_a_refresh_token(
    provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    tokens = authenticate(provider, rp, alice, scope="openid offline_access", prompt="consent", nonce="abc")
    assert tokens["scope"] == "offline_access openid" and tokens["refresh_token"]
    refreshed = provider.request_access_token(
        "refresh_token", rp.client_id, rp.client_secret, refresh_token=tokens["refresh_token"]
    )
    first, second = verified_claims(provider, tokens["id_token"]), verified_claims(provider, refreshed["id_token"])
    for claim in ("iss", "sub", "aud", "auth_time", "acr", "amr"):  # OIDC Core §12.2
        assert second[claim] == first[claim], claim
    assert "nonce" not in second and second["at_hash"] == at_hash(refreshed["access_token"])


@pytest.mark.rfc("openid-connect-core", "11")
def test_offline_access_without_prompt_consent_is_ignored(
    provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    tokens = authenticate(provider, rp, alice, scope="openid offline_access")
    assert tokens["scope"] == "openid" and "refresh_token" not in tokens


def test_a_client_not_registered_for_refresh_tokens_gets_none_even_offline(provider: Proauth2, alice: Login) -> None:
    client = provider.register_app("No refresh", [REDIRECT], grant_types=["authorization_code"])
    tokens = authenticate(provider, client, alice, scope="openid offline_access", prompt="consent")
    assert "refresh_token" not in tokens


@pytest.mark.rfc("openid-connect-core", "5.5")
def test_claims_asked_for_by_name_reach_the_id_token(provider: Proauth2, rp: ClientCredentials, alice: Login) -> None:
    request = json.dumps({"id_token": {"phone_number": {"essential": True}, "secret_hobby": None}})
    claims = verified_claims(provider, authenticate(provider, rp, alice, scope="openid", claims=request)["id_token"])
    assert claims["phone_number"] == "+44 20 7946 0000"
    assert claims["secret_hobby"] == "never released"  # the app's loader gave it when asked by name
    assert "email" not in claims  # not granted, not asked


def test_a_bare_user_id_authenticated_at_approval(provider: Proauth2, rp: ClientCredentials) -> None:
    """Every ID token carries auth_time: a user given by id alone signed in when the code was issued."""
    tokens = authenticate(provider, rp, "bob")  # type: ignore[arg-type]
    claims = verified_claims(provider, tokens["id_token"])
    assert claims["auth_time"] == provider.now() and claims["sub"] == "bob" and "name" not in claims
