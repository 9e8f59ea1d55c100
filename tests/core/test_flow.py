"""The original proauth2's five operations, end to end, on every backend.

register_app -> request_authorization -> request_access_token ->
authenticate_token -> revoke_token (RFC 6749 §4.1, RFC 7636, RFC 7009).
"""

from __future__ import annotations

import pytest

from proauth2_wsgi import AccessToken, Proauth2, Proauth2Error
from proauth2_wsgi.pkce import s256_challenge
from tests.conftest import FakeClock

pytestmark = pytest.mark.backends

REDIRECT_URI = "https://client.example.com/callback"
VERIFIER = "a-very-long-code-verifier-with-enough-entropy-0123456789"


def test_the_original_five_operations(provider: Proauth2) -> None:
    client_id, client_secret = provider.register_app("Original", [REDIRECT_URI])
    authorization = provider.request_authorization(
        client_id,
        "alice",
        redirect_uri=REDIRECT_URI,
        scope="profile email",
        state="s-1",
        code_challenge=s256_challenge(VERIFIER),
        code_challenge_method="S256",
    )
    assert authorization["state"] == "s-1"
    assert authorization["iss"] == "https://auth.example.com"

    token = provider.request_access_token(
        "authorization_code",
        client_id,
        client_secret,
        code=authorization["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=VERIFIER,
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == "email profile"
    assert token["refresh_token"]

    record = provider.authenticate_token(token["access_token"], scopes="profile")
    assert isinstance(record, AccessToken)
    assert (record.user_id, record.client_id, record.scopes) == ("alice", client_id, frozenset({"email", "profile"}))

    provider.revoke_token(token["access_token"])
    with pytest.raises(Proauth2Error) as raised:
        provider.authenticate_token(token["access_token"])
    assert (raised.value.error, raised.value.status_code) == ("invalid_token", 401)


@pytest.mark.rfc("6750", "3.1")
def test_authenticate_token_refuses_missing_scope_with_403(provider: Proauth2) -> None:
    """RFC 6750 §3.1: insufficient_scope is a 403 naming the required scope."""
    client_id, client_secret = provider.register_app("Scoped", [REDIRECT_URI])
    code = provider.request_authorization(
        client_id,
        1,
        redirect_uri=REDIRECT_URI,
        scope="profile",
        code_challenge=s256_challenge(VERIFIER),
        code_challenge_method="S256",
    )["code"]
    token = provider.request_access_token(
        "authorization_code", client_id, client_secret, code=code, redirect_uri=REDIRECT_URI, code_verifier=VERIFIER
    )
    assert provider.authenticate_token(token["access_token"]).user_id == "1"
    with pytest.raises(Proauth2Error) as raised:
        provider.authenticate_token(token["access_token"], scopes="profile admin")
    assert (raised.value.error, raised.value.status_code) == ("insufficient_scope", 403)
    assert raised.value.scope == "admin profile"


@pytest.mark.rfc("6749", "5.1")
def test_access_token_expires_after_its_lifetime(provider: Proauth2, clock: FakeClock) -> None:
    """RFC 6749 §5.1 expires_in: the token stops working when it says it will."""
    client_id, client_secret = provider.register_app("Service", [], grant_types=["client_credentials"])
    token = provider.request_access_token("client_credentials", client_id, client_secret)
    clock.advance(token["expires_in"] - 1)
    assert provider.authenticate_token(token["access_token"]).user_id is None
    clock.advance(1)
    with pytest.raises(Proauth2Error, match="invalid_token"):
        provider.authenticate_token(token["access_token"])


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("x" * 10_000, id="huge"),
        pytest.param("abc\x00def", id="NUL"),
        pytest.param("' OR 1=1 --", id="sql"),
        pytest.param(None, id="none"),
        pytest.param("A" * 43, id="well-formed-unknown"),
    ],
)
def test_authenticate_token_refuses_garbage_with_invalid_token(provider: Proauth2, token: object) -> None:
    """RFC 6750 §3.1: anything not a live token is invalid_token, whatever its shape."""
    with pytest.raises(Proauth2Error) as raised:
        provider.authenticate_token(token)  # type: ignore[arg-type]
    assert raised.value.error == "invalid_token"
