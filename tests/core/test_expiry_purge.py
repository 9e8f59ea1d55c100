"""Lifetimes (RFC 6749 §4.1.2, §5.1) and purge_expired, which deletes expired rows in bounded batches."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, InvalidToken, Proauth2
from proauth2_wsgi.errors import InvalidGrant
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.core.helpers import authorize, exchange, is_active, obtain_tokens, refresh, with_settings

pytestmark = pytest.mark.backends


@pytest.mark.rfc("6749", "5.1")
@pytest.mark.parametrize(
    ("lifetime", "age", "valid"),
    [
        pytest.param(None, 3599, True, id="default-just-before"),
        pytest.param(None, 3600, False, id="default-at-expiry"),
        pytest.param(30, 29, True, id="configured-just-before"),
        pytest.param(30, 30, False, id="configured-at-expiry"),
    ],
)
def test_access_token_lifetime(
    provider: Proauth2,
    confidential: ClientCredentials,
    clock: FakeClock,
    lifetime: int | None,
    age: int,
    valid: bool,
) -> None:
    """RFC 6749 §5.1: ``expires_in`` is Settings.access_token_lifetime, and the token dies then."""
    server = provider if lifetime is None else with_settings(provider, access_token_lifetime=lifetime)
    response = obtain_tokens(server, confidential)
    assert response["expires_in"] == (lifetime or 3600)
    clock.advance(age)
    assert is_active(server, response["access_token"]) is valid
    if not valid:
        with pytest.raises(InvalidToken):
            server.authenticate_token(response["access_token"])


@pytest.mark.rfc("6749", "6")
def test_rotation_renews_the_refresh_token_lifetime(
    provider: Proauth2, confidential: ClientCredentials, clock: FakeClock
) -> None:
    """RFC 6749 §6: each rotated refresh token lives Settings.refresh_token_lifetime from its issue."""
    server = with_settings(provider, refresh_token_lifetime=100)
    issued = obtain_tokens(server, confidential)
    clock.advance(90)
    rotated = refresh(server, confidential, issued["refresh_token"])
    clock.advance(90)
    assert "access_token" in refresh(server, confidential, rotated["refresh_token"])


def _count(store: PeeweeDataStore, table: str) -> int:
    return len(store.fetch_all(table))


def test_purge_expired_deletes_in_bounded_batches(
    provider: Proauth2,
    confidential: ClientCredentials,
    store: PeeweeDataStore,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """purge_expired: every expired code and token goes, in statements of at most batch_size rows."""
    short = with_settings(provider, access_token_lifetime=10, refresh_token_lifetime=10, code_lifetime=10)
    for _ in range(7):
        authorize(short, confidential)
        obtain_tokens(short, confidential)
    clock.advance(10)
    survivors = obtain_tokens(provider, confidential)
    pending = authorize(provider, confidential)
    assert [_count(store, t) for t in ("codes", "access_tokens", "refresh_tokens")] == [16, 8, 8]

    batches: list[int] = []
    remove_expired = store.remove_expired

    def spy(table: str, before: int, limit: int) -> int:
        removed = remove_expired(table, before, limit)
        batches.append(removed)
        return removed

    monkeypatch.setattr(store, "remove_expired", spy)
    assert provider.purge_expired(batch_size=3) == 28
    assert max(batches) == 3 and sum(batches) == 28
    assert [_count(store, t) for t in ("codes", "access_tokens", "refresh_tokens")] == [2, 1, 1]
    assert is_active(provider, survivors["access_token"]) and is_active(provider, survivors["refresh_token"])
    assert "access_token" in exchange(provider, confidential, pending)
    assert provider.purge_expired(batch_size=3) == 0


@pytest.mark.rfc("9700", "4.14.2")
def test_purge_keeps_rotated_refresh_tokens_until_they_expire(
    provider: Proauth2, confidential: ClientCredentials
) -> None:
    """RFC 9700 §4.14.2: reuse detection needs the rotated token, so purging does not remove it early."""
    issued = obtain_tokens(provider, confidential)
    rotated = refresh(provider, confidential, issued["refresh_token"])
    assert provider.purge_expired() == 0
    with pytest.raises(InvalidGrant):
        refresh(provider, confidential, issued["refresh_token"])
    assert not is_active(provider, rotated["refresh_token"])


@pytest.mark.parametrize("batch_size", [pytest.param(0, id="zero"), pytest.param(-1, id="negative")])
def test_purge_needs_a_positive_batch_size(provider: Proauth2, batch_size: int) -> None:
    """purge_expired: a batch must delete something, or the loop could never end."""
    with pytest.raises(ValueError, match="batch_size"):
        provider.purge_expired(batch_size=batch_size)
