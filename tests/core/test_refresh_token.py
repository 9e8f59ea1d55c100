"""The refresh token grant: rotation, reuse detection, scope narrowing (RFC 6749 §6, RFC 9700 §4.14.2)."""

from __future__ import annotations

from typing import Any

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error
from proauth2_wsgi.errors import InvalidGrant, InvalidRequest, InvalidScope
from tests.conftest import FakeClock
from tests.core.helpers import LOOPBACK, is_active, obtain_tokens, refresh, with_settings

pytestmark = pytest.mark.backends


@pytest.fixture
def tokens(provider: Proauth2, confidential: ClientCredentials) -> dict[str, Any]:
    """A code grant's token response for ``confidential``, scope ``profile email``."""
    return obtain_tokens(provider, confidential, scope="profile email")


@pytest.mark.rfc("9700", "4.14.2")
def test_refresh_rotates_the_refresh_token(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any]
) -> None:
    """RFC 9700 §4.14.2 / RFC 6749 §6: every refresh returns a new refresh token; the old one is spent."""
    first = refresh(provider, confidential, tokens["refresh_token"])
    second = refresh(provider, confidential, first["refresh_token"])
    assert len({tokens["refresh_token"], first["refresh_token"], second["refresh_token"]}) == 3
    assert not is_active(provider, tokens["refresh_token"]) and not is_active(provider, first["refresh_token"])
    assert is_active(provider, second["refresh_token"]) and is_active(provider, second["access_token"])
    assert second["scope"] == "email profile" and second["token_type"] == "Bearer"
    grant_id = provider.authenticate_token(tokens["access_token"]).grant_id
    assert provider.authenticate_token(second["access_token"]).grant_id == grant_id


@pytest.mark.rfc("9700", "4.14.2")
def test_reuse_of_a_rotated_refresh_token_revokes_the_grant(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any]
) -> None:
    """RFC 9700 §4.14.2: a rotated refresh token presented again -> invalid_grant and the whole grant revoked."""
    unrelated = obtain_tokens(provider, confidential)
    rotated = refresh(provider, confidential, tokens["refresh_token"])
    with pytest.raises(InvalidGrant):
        refresh(provider, confidential, tokens["refresh_token"])
    for token in (tokens["access_token"], rotated["access_token"], rotated["refresh_token"]):
        assert not is_active(provider, token)
    with pytest.raises(InvalidGrant):
        refresh(provider, confidential, rotated["refresh_token"])
    assert is_active(provider, unrelated["access_token"]) and is_active(provider, unrelated["refresh_token"])


@pytest.mark.rfc("6749", "6")
@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        pytest.param("profile", "profile", id="narrower"),
        pytest.param("email profile", "email profile", id="same"),
        pytest.param(None, "email profile", id="omitted"),
        pytest.param("", "email profile", id="empty"),
    ],
)
def test_refresh_may_narrow_the_scope(
    provider: Proauth2,
    confidential: ClientCredentials,
    tokens: dict[str, Any],
    requested: str | None,
    granted: str,
) -> None:
    """RFC 6749 §6: the new access token may have a narrower scope; the grant keeps its original scope."""
    narrowed = refresh(provider, confidential, tokens["refresh_token"], scope=requested)
    assert narrowed["scope"] == granted
    assert provider.authenticate_token(narrowed["access_token"]).scope == granted
    restored = refresh(provider, confidential, narrowed["refresh_token"])
    assert restored["scope"] == "email profile"


@pytest.mark.rfc("6749", "6")
@pytest.mark.parametrize(
    "requested",
    [
        pytest.param("profile admin", id="added-scope"),
        pytest.param("admin", id="other-scope"),
        pytest.param("payments", id="unknown-scope"),
        pytest.param('"', id="malformed"),
    ],
)
def test_refresh_cannot_widen_the_scope(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any], requested: str
) -> None:
    """RFC 6749 §6: a scope not originally granted -> invalid_scope; the refresh token stays usable."""
    with pytest.raises(InvalidScope):
        refresh(provider, confidential, tokens["refresh_token"], scope=requested)
    assert "access_token" in refresh(provider, confidential, tokens["refresh_token"])


@pytest.mark.rfc("6749", "6")
def test_refresh_token_is_bound_to_its_client(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any]
) -> None:
    """RFC 6749 §6: the refresh token must have been issued to the authenticated client."""
    thief = provider.register_app("Thief", ["https://thief.example.com/cb"])
    with pytest.raises(InvalidGrant):
        refresh(provider, thief, tokens["refresh_token"])
    assert "access_token" in refresh(provider, confidential, tokens["refresh_token"])


@pytest.mark.rfc("6749", "6")
@pytest.mark.parametrize(
    ("lifetime", "age", "valid"),
    [
        pytest.param(None, 14 * 24 * 3600 - 1, True, id="default-just-before"),
        pytest.param(None, 14 * 24 * 3600, False, id="default-at-expiry"),
        pytest.param(300, 299, True, id="configured-just-before"),
        pytest.param(300, 300, False, id="configured-at-expiry"),
    ],
)
def test_refresh_token_expires(
    provider: Proauth2,
    confidential: ClientCredentials,
    clock: FakeClock,
    lifetime: int | None,
    age: int,
    valid: bool,
) -> None:
    """RFC 6749 §6: an expired refresh token -> invalid_grant; Settings.refresh_token_lifetime sets the age."""
    server = provider if lifetime is None else with_settings(provider, refresh_token_lifetime=lifetime)
    issued = obtain_tokens(server, confidential)
    clock.advance(age)
    if valid:
        assert "access_token" in refresh(server, confidential, issued["refresh_token"])
    else:
        with pytest.raises(InvalidGrant):
            refresh(server, confidential, issued["refresh_token"])


@pytest.mark.rfc("7009", "2.1")
def test_revoked_refresh_token_is_refused(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any]
) -> None:
    """RFC 7009 §2.1 / RFC 6749 §6: a revoked refresh token -> invalid_grant."""
    provider.revoke_token(tokens["refresh_token"])
    with pytest.raises(InvalidGrant):
        refresh(provider, confidential, tokens["refresh_token"])


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize(
    ("token", "error"),
    [
        pytest.param(None, InvalidRequest, id="missing"),
        pytest.param("", InvalidRequest, id="empty-is-omitted"),
        pytest.param("no such token", InvalidGrant, id="malformed"),
        pytest.param("R" * 43, InvalidGrant, id="unknown"),
    ],
)
def test_bad_refresh_token(
    provider: Proauth2, confidential: ClientCredentials, token: str | None, error: type[Proauth2Error]
) -> None:
    """RFC 6749 §5.2: no refresh_token -> invalid_request; an unknown one -> invalid_grant."""
    with pytest.raises(error):
        provider.request_access_token(
            "refresh_token", confidential.client_id, confidential.client_secret, refresh_token=token
        )


@pytest.mark.rfc("6749", "6")
def test_access_token_is_not_a_refresh_token(
    provider: Proauth2, confidential: ClientCredentials, tokens: dict[str, Any]
) -> None:
    """RFC 6749 §6: only a refresh token refreshes."""
    with pytest.raises(InvalidGrant):
        refresh(provider, confidential, tokens["access_token"])


@pytest.mark.rfc("9700", "4.14.2")
def test_public_client_refreshes_with_rotation(provider: Proauth2, public: ClientCredentials) -> None:
    """RFC 9700 §4.14.2: public clients get rotated refresh tokens, authenticating with ``none``."""
    issued = obtain_tokens(provider, public, redirect_uri=LOOPBACK)
    rotated = provider.request_access_token(
        "refresh_token", public.client_id, refresh_token=issued["refresh_token"], auth_method="none"
    )
    assert rotated["refresh_token"] != issued["refresh_token"]
    with pytest.raises(InvalidGrant):
        refresh(provider, public, issued["refresh_token"])
    assert not is_active(provider, rotated["refresh_token"])
