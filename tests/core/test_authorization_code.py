"""The authorization code grant (RFC 6749 §4.1.3-4.1.4) and the grants not offered (RFC 9700 §2.1.2, §2.4)."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error
from proauth2_wsgi.errors import InvalidClient, InvalidGrant, InvalidRequest, UnsupportedGrantType
from tests.conftest import FakeClock
from tests.core.helpers import (
    OTHER_REDIRECT,
    REDIRECT,
    USER,
    authorize,
    exchange,
    is_active,
    obtain_tokens,
    refresh,
    with_settings,
)

pytestmark = pytest.mark.backends


@pytest.mark.rfc("6749", "4.1.4")
def test_code_exchange_returns_a_bearer_token_response(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.4 / §5.1: access_token, token_type, expires_in, scope, refresh_token."""
    response = obtain_tokens(provider, confidential, scope="email")
    assert set(response) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert response["token_type"] == "Bearer" and response["expires_in"] == 3600 and response["scope"] == "email"
    token = provider.authenticate_token(response["access_token"])
    assert (token.client_id, token.user_id, token.scopes) == (confidential.client_id, USER, {"email"})


@pytest.mark.rfc("6749", "4.1.3")
def test_code_is_bound_to_its_client(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.3: the code must have been issued to the authenticated client."""
    other = provider.register_app("Other app", [REDIRECT])
    authorized = authorize(provider, confidential)
    with pytest.raises(InvalidGrant):
        exchange(provider, other, authorized)


@pytest.mark.rfc("6749", "4.1.3")
def test_public_client_exchanges_with_its_id_only(provider: Proauth2, public: ClientCredentials) -> None:
    """RFC 6749 §4.1.3: a public client names itself with client_id; PKCE proves possession."""
    authorized = authorize(provider, public, redirect_uri=None)
    response = exchange(provider, public, authorized, auth_method="none")
    assert provider.authenticate_token(response["access_token"]).client_id == public.client_id


@pytest.mark.rfc("6749", "4.1.3")
@pytest.mark.parametrize(
    ("authorized_with", "token_request_with"),
    [
        pytest.param(REDIRECT, None, id="omitted-after-given"),
        pytest.param(REDIRECT, OTHER_REDIRECT, id="other-registered-uri"),
        pytest.param(REDIRECT, REDIRECT + "/", id="not-exactly-equal"),
        pytest.param(None, "https://client.example.com/elsewhere", id="given-only-in-token-request"),
    ],
)
def test_code_is_bound_to_its_redirect_uri(
    provider: Proauth2, authorized_with: str | None, token_request_with: str | None
) -> None:
    """RFC 6749 §4.1.3: redirect_uri must be repeated, identical, when the authorization request had it."""
    credentials = provider.register_app("App", [REDIRECT, OTHER_REDIRECT] if authorized_with else [REDIRECT])
    authorized = authorize(provider, credentials, redirect_uri=authorized_with)
    with pytest.raises(InvalidGrant):
        exchange(provider, credentials, authorized, redirect_uri=token_request_with)
    assert "access_token" in exchange(provider, credentials, authorized)


@pytest.mark.rfc("6749", "4.1.3")
def test_redirect_uri_may_be_omitted_when_the_request_omitted_it(provider: Proauth2) -> None:
    """RFC 6749 §4.1.3: redirect_uri is required in the token request only if it was in the authorization request."""
    credentials = provider.register_app("App", [REDIRECT])
    authorized = authorize(provider, credentials, redirect_uri=None)
    assert "access_token" in exchange(provider, credentials, authorized)


@pytest.mark.rfc("6749", "4.1.3")
def test_code_is_bound_to_its_scope(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.3 / §5.1: the token carries the scope approved in the authorization request."""
    authorized = authorize(provider, confidential, scope="profile email")
    response = exchange(provider, confidential, authorized, scope="admin")
    assert response["scope"] == "email profile"
    assert provider.authenticate_token(response["access_token"]).scopes == {"profile", "email"}


@pytest.mark.rfc("6749", "4.1.2")
def test_replayed_code_is_refused_and_its_tokens_revoked(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.2 / §10.5: a code used twice -> invalid_grant, and every token issued from it revoked."""
    authorized = authorize(provider, confidential)
    first = exchange(provider, confidential, authorized)
    refreshed = refresh(provider, confidential, first["refresh_token"])
    with pytest.raises(InvalidGrant):
        exchange(provider, confidential, authorized)
    for token in (first["access_token"], refreshed["access_token"], refreshed["refresh_token"]):
        assert not is_active(provider, token)
    with pytest.raises(InvalidGrant):
        refresh(provider, confidential, refreshed["refresh_token"])


@pytest.mark.rfc("6749", "4.1.2")
def test_replay_leaves_other_grants_alone(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.2: only the tokens issued from the replayed code are revoked."""
    authorized = authorize(provider, confidential)
    exchange(provider, confidential, authorized)
    unrelated = obtain_tokens(provider, confidential)
    with pytest.raises(InvalidGrant):
        exchange(provider, confidential, authorized)
    assert is_active(provider, unrelated["access_token"]) and is_active(provider, unrelated["refresh_token"])


@pytest.mark.rfc("6749", "4.1.2")
@pytest.mark.parametrize(
    ("lifetime", "age", "valid"),
    [
        pytest.param(None, 59, True, id="default-59s"),
        pytest.param(None, 60, False, id="default-60s"),
        pytest.param(600, 599, True, id="configured-599s"),
        pytest.param(600, 600, False, id="configured-600s"),
    ],
)
def test_code_expires(
    provider: Proauth2, confidential: ClientCredentials, clock: FakeClock, lifetime: int | None, age: int, valid: bool
) -> None:
    """RFC 6749 §4.1.2: codes are short-lived (60 s by default, Settings.code_lifetime, at most 10 min)."""
    server = provider if lifetime is None else with_settings(provider, code_lifetime=lifetime)
    authorized = authorize(server, confidential)
    clock.advance(age)
    if valid:
        assert "access_token" in exchange(server, confidential, authorized)
    else:
        with pytest.raises(InvalidGrant):
            exchange(server, confidential, authorized)


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize(
    ("code", "error"),
    [
        pytest.param(None, InvalidRequest, id="missing"),
        pytest.param("", InvalidRequest, id="empty-is-omitted"),
        pytest.param("not a code", InvalidGrant, id="malformed"),
        pytest.param("A" * 43, InvalidGrant, id="unknown"),
        pytest.param("A" * 5000, InvalidGrant, id="oversized"),
    ],
)
def test_bad_code(
    provider: Proauth2, confidential: ClientCredentials, code: str | None, error: type[Proauth2Error]
) -> None:
    """RFC 6749 §5.2: no code (an empty one counts as omitted, §3.1) -> invalid_request; a bad one -> invalid_grant."""
    authorized = authorize(provider, confidential)
    with pytest.raises(error):
        exchange(provider, confidential, authorized, code=code)


@pytest.mark.rfc("6749", "4.1.3")
def test_client_must_authenticate(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.3: a confidential client authenticates; a wrong secret leaves the code unused."""
    authorized = authorize(provider, confidential)
    with pytest.raises(InvalidClient):
        exchange(provider, confidential, authorized, client_secret="wrong")
    assert "access_token" in exchange(provider, confidential, authorized)


@pytest.mark.rfc("6749", "4.1.4")
def test_refresh_tokens_can_be_switched_off(provider: Proauth2, confidential: ClientCredentials) -> None:
    """Settings.issue_refresh_tokens=False: the code grant issues an access token only (RFC 6749 §4.1.4)."""
    response = obtain_tokens(with_settings(provider, issue_refresh_tokens=False), confidential)
    assert "access_token" in response and "refresh_token" not in response


@pytest.mark.rfc("9700", "2.4")
@pytest.mark.parametrize(
    "grant_type",
    [
        pytest.param("password", id="password"),
        pytest.param("implicit", id="implicit"),
        pytest.param("token", id="token"),
        pytest.param("urn:ietf:params:oauth:grant-type:device_code", id="device-code"),
        pytest.param("AUTHORIZATION_CODE", id="case-sensitive"),
        pytest.param("", id="empty"),
    ],
)
def test_grants_not_offered_are_unsupported(
    provider: Proauth2, confidential: ClientCredentials, grant_type: str
) -> None:
    """RFC 9700 §2.4 (no password grant), §2.1.2 (no implicit): unsupported_grant_type (RFC 6749 §5.2)."""
    with pytest.raises(UnsupportedGrantType):
        provider.request_access_token(grant_type, confidential.client_id, confidential.client_secret)
