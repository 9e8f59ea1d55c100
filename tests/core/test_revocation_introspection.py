"""Token revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from proauth2_wsgi import ClientCredentials, InvalidToken, Proauth2
from proauth2_wsgi.errors import UnauthorizedClient
from tests.conftest import FakeClock
from tests.core.helpers import USER, is_active, obtain_tokens, refresh

pytestmark = pytest.mark.backends


@pytest.fixture
def tokens(provider: Proauth2, confidential: ClientCredentials) -> dict[str, Any]:
    """A code grant's token response for ``confidential``, scope ``profile email``."""
    return obtain_tokens(provider, confidential, scope="profile email")


@pytest.mark.rfc("7009", "2.1")
@pytest.mark.parametrize(
    "hint",
    [
        pytest.param(None, id="no-hint"),
        pytest.param("access_token", id="right-hint"),
        pytest.param("refresh_token", id="wrong-hint"),
        pytest.param("id_token", id="unknown-hint"),
    ],
)
def test_revoking_an_access_token(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any], hint: str | None
) -> None:
    """RFC 7009 §2.1: the token is invalid at once; a wrong hint only widens the search."""
    provider.revoke_token(tokens["access_token"], hint, client_id=confidential.client_id)
    with pytest.raises(InvalidToken):
        provider.authenticate_token(tokens["access_token"])
    assert "access_token" in refresh(provider, confidential, tokens["refresh_token"])


@pytest.mark.rfc("7009", "2.1")
@pytest.mark.parametrize("hint", [pytest.param(None, id="no-hint"), pytest.param("access_token", id="wrong-hint")])
def test_revoking_a_refresh_token_revokes_its_access_tokens(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any], hint: str | None
) -> None:
    """RFC 7009 §2.1: revoking a refresh token SHOULD invalidate the access tokens of the same grant."""
    rotated = refresh(provider, confidential, tokens["refresh_token"])
    other = obtain_tokens(provider, confidential)
    provider.revoke_token(rotated["refresh_token"], hint, client_id=confidential.client_id)
    for token in (tokens["access_token"], rotated["access_token"], rotated["refresh_token"]):
        assert not is_active(provider, token)
    assert is_active(provider, other["access_token"]) and is_active(provider, other["refresh_token"])


@pytest.mark.rfc("7009", "2.1")
@pytest.mark.parametrize("kind", [pytest.param("access_token"), pytest.param("refresh_token")])
def test_client_can_revoke_only_its_own_tokens(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any], kind: str
) -> None:
    """RFC 7009 §2.1: the server verifies the token was issued to the client making the request."""
    other = provider.register_app("Other", ["https://other.example.com/cb"])
    with pytest.raises(UnauthorizedClient):
        provider.revoke_token(tokens[kind], client_id=other.client_id)
    assert is_active(provider, tokens["access_token"]) and is_active(provider, tokens["refresh_token"])


@pytest.mark.rfc("7009", "2.2")
@pytest.mark.parametrize(
    "token",
    [
        pytest.param("A" * 43, id="unknown"),
        pytest.param("", id="empty"),
        pytest.param("not a token!", id="malformed"),
        pytest.param("A" * 100_000, id="oversized"),
    ],
)
def test_revoking_an_unknown_token_is_not_an_error(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any], token: str
) -> None:
    """RFC 7009 §2.2: an invalid token is answered as success; nothing else is touched."""
    provider.revoke_token(token, client_id=confidential.client_id)
    assert is_active(provider, tokens["access_token"])


@pytest.mark.rfc("7009", "2.2")
def test_revoking_twice_is_not_an_error(provider: Proauth2, tokens: dict[str, Any]) -> None:
    """RFC 7009 §2.2: revoking an already revoked token is a success too."""
    provider.revoke_token(tokens["refresh_token"])
    provider.revoke_token(tokens["refresh_token"])
    assert not is_active(provider, tokens["refresh_token"])


def test_revoke_by_user_and_by_client(provider: Proauth2, confidential: ClientCredentials) -> None:
    """Operator revocation: every token of a user, or of a client, with the count."""
    alice = obtain_tokens(provider, confidential, user_id="alice")
    bob = obtain_tokens(provider, confidential, user_id=42)
    assert provider.revoke_user_tokens("alice") == 2
    assert provider.revoke_user_tokens("alice") == 0
    assert not is_active(provider, alice["access_token"]) and is_active(provider, bob["access_token"])
    assert provider.revoke_client_tokens(confidential.client_id) == 2
    assert not is_active(provider, bob["refresh_token"])


@pytest.mark.rfc("7662", "2.2")
def test_introspecting_an_active_access_token(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any], clock: FakeClock
) -> None:
    """RFC 7662 §2.2: active, scope, client_id, token_type, exp, iat, sub, iss."""
    assert provider.introspect_token(tokens["access_token"]) == {
        "active": True,
        "scope": "email profile",
        "client_id": confidential.client_id,
        "token_type": "Bearer",
        "exp": int(clock.now) + 3600,
        "iat": int(clock.now),
        "sub": USER,
        "username": USER,
        "iss": "https://auth.example.com",
    }


@pytest.mark.rfc("7662", "2.2")
def test_introspecting_an_active_refresh_token(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any], clock: FakeClock
) -> None:
    """RFC 7662 §2.2: a refresh token is active until rotated, revoked or expired; no token_type."""
    response = provider.introspect_token(tokens["refresh_token"], "refresh_token")
    assert response["active"] is True and "token_type" not in response
    assert response["exp"] == int(clock.now) + 14 * 24 * 3600 and response["client_id"] == confidential.client_id


def _revoked_access(provider: Proauth2, client: ClientCredentials, clock: FakeClock, tokens: dict[str, Any]) -> str:
    provider.revoke_token(tokens["access_token"])
    return tokens["access_token"]


def _expired_access(provider: Proauth2, client: ClientCredentials, clock: FakeClock, tokens: dict[str, Any]) -> str:
    clock.advance(3600)
    return tokens["access_token"]


def _expired_refresh(provider: Proauth2, client: ClientCredentials, clock: FakeClock, tokens: dict[str, Any]) -> str:
    clock.advance(14 * 24 * 3600)
    return tokens["refresh_token"]


def _rotated_refresh(provider: Proauth2, client: ClientCredentials, clock: FakeClock, tokens: dict[str, Any]) -> str:
    refresh(provider, client, tokens["refresh_token"])
    return tokens["refresh_token"]


def _access_of_rotated_grant(
    provider: Proauth2, client: ClientCredentials, clock: FakeClock, tokens: dict[str, Any]
) -> str:
    provider.revoke_token(refresh(provider, client, tokens["refresh_token"])["refresh_token"])
    return tokens["access_token"]


def _revoked_user(provider: Proauth2, client: ClientCredentials, clock: FakeClock, tokens: dict[str, Any]) -> str:
    provider.revoke_user_tokens(USER)
    return tokens["refresh_token"]


def _deleted_client(provider: Proauth2, client: ClientCredentials, clock: FakeClock, tokens: dict[str, Any]) -> str:
    provider.delete_client(client.client_id)
    return tokens["access_token"]


@pytest.mark.rfc("7662", "2.2")
@pytest.mark.parametrize(
    "make_inactive",
    [
        pytest.param(_revoked_access, id="revoked-access-token"),
        pytest.param(_expired_access, id="expired-access-token"),
        pytest.param(_expired_refresh, id="expired-refresh-token"),
        pytest.param(_rotated_refresh, id="rotated-refresh-token"),
        pytest.param(_access_of_rotated_grant, id="access-token-of-revoked-grant"),
        pytest.param(_revoked_user, id="revoked-user"),
        pytest.param(_deleted_client, id="deleted-client"),
        pytest.param(lambda *_: "A" * 43, id="unknown"),
        pytest.param(lambda *_: "", id="empty"),
        pytest.param(lambda *_: "not a token!", id="malformed"),
    ],
)
def test_anything_not_active_is_just_inactive(
    provider: Proauth2,
    confidential: ClientCredentials,
    clock: FakeClock,
    tokens: dict[str, Any],
    make_inactive: Callable[..., str],
) -> None:
    """RFC 7662 §2.2: for any token not active the response is exactly {"active": false}."""
    token = make_inactive(provider, confidential, clock, tokens)
    assert provider.introspect_token(token) == {"active": False}
    assert provider.introspect_token(token, "refresh_token") == {"active": False}
