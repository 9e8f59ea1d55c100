"""The optional in-process token cache: bounded TTL, bounded size, and the revocation lag it allows."""

from __future__ import annotations

from playhouse.test_utils import count_queries
from werkzeug.test import Client

from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from proauth2_wsgi.protector import ResourceRequest
from proauth2_wsgi.token_cache import TokenCache
from tests.conftest import FakeClock
from tests.middleware.conftest import Tokens, bearer, echo_app


def test_without_cache_one_primary_key_query_per_request(provider: Proauth2, tokens: Tokens) -> None:
    """The hot path costs exactly one query: the token digest looked up by primary key."""
    client = Client(BearerTokenMiddleware(echo_app, provider))
    headers = bearer(tokens.for_user())
    for _ in range(3):
        with count_queries() as counter:
            assert client.get("/", headers=headers).status_code == 200
        assert counter.count == 1
        (query,) = counter.get_queries()
        assert "token_hash" in query.msg[0]
        assert headers["Authorization"][7:] not in str(query.msg)


def test_cache_revocation_lag_is_bounded_by_ttl(provider: Proauth2, tokens: Tokens, clock: FakeClock) -> None:
    """A revoked token stays accepted for at most cache_ttl seconds in a process that cached it."""
    client = Client(BearerTokenMiddleware(echo_app, provider, cache_ttl=5.0))
    token = tokens.for_user()
    assert client.get("/", headers=bearer(token)).status_code == 200
    provider.revoke_token(token)
    with count_queries() as counter:
        assert client.get("/", headers=bearer(token)).status_code == 200  # the lag
    assert counter.count == 0
    clock.advance(4.9)
    assert client.get("/", headers=bearer(token)).status_code == 200
    clock.advance(0.1)
    assert client.get("/", headers=bearer(token)).status_code == 401


def test_cache_never_outlives_the_token(provider: Proauth2, tokens: Tokens, clock: FakeClock) -> None:
    client = Client(BearerTokenMiddleware(echo_app, provider, cache_ttl=60.0))
    token = tokens.for_user()
    clock.advance(provider.settings.access_token_lifetime - 1)
    assert client.get("/", headers=bearer(token)).status_code == 200
    clock.advance(1)
    assert client.get("/", headers=bearer(token)).status_code == 401


def test_cache_is_bounded_keyed_by_digest_and_skips_invalid_tokens(provider: Proauth2, tokens: Tokens) -> None:
    cache = TokenCache(provider, ttl=10.0, size=2)
    issued = [tokens.for_user(f"u{i}") for i in range(3)]
    for token in issued:
        cache.validate_token(token, ResourceRequest("GET", "/"))
    client = Client(BearerTokenMiddleware(echo_app, provider, cache_ttl=10.0, cache_size=2))
    assert client.get("/", headers=bearer("A" * 43)).status_code == 401
    assert len(cache._entries) == 2
    assert not any(token in repr(cache._entries) for token in issued)
    cache.clear()
    assert not cache._entries
