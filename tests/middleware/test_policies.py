"""Declared protection: secure by default, longest-prefix rules with scopes, public paths, optional mode."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client

from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from tests.middleware.conftest import Tokens, bearer, echo_app

RULES = [("/api", "profile"), ("/api/admin", "admin"), ("/", "email")]


def middleware(provider: Proauth2, **options: Any) -> BearerTokenMiddleware:
    return BearerTokenMiddleware(echo_app, provider, **options)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/api", frozenset({"profile"}), id="exact"),
        pytest.param("/api/things", frozenset({"profile"}), id="below"),
        pytest.param("/api/admin/x", frozenset({"admin"}), id="longest-prefix-wins"),
        pytest.param("/apix", frozenset({"email"}), id="whole-segments-only"),
        pytest.param("/health", None, id="public"),
        pytest.param("/health/live", None, id="public-below"),
        pytest.param("/health/../api/admin", frozenset({"admin"}), id="dot-segments-resolved"),
        pytest.param("//api//admin/", frozenset({"admin", "email"}), id="empty-segments-resolved-stricter-of-both"),
        pytest.param("/api/admin/../../health", frozenset({"admin"}), id="dot-segments-out-of-a-rule"),
        pytest.param("/api/admin/x/..//../../health", frozenset({"admin"}), id="mixed-segments-out-of-a-rule"),
        pytest.param("/api//admin", frozenset({"admin", "profile"}), id="stricter-of-both-unions-scopes"),
        pytest.param("/docs", None, id="public-docs"),
        pytest.param("/docs/private/page", frozenset({"admin"}), id="rule-inside-public-path"),
        pytest.param("", frozenset({"email"}), id="empty-path"),
    ],
)
def test_policy_longest_prefix_wins(provider: Proauth2, path: str, expected: frozenset[str] | None) -> None:
    wrapped = middleware(provider, rules=[*RULES, ("/docs/private/", "admin")], public_paths=["/health", "/docs/"])
    assert wrapped.policy(path) == expected


@pytest.mark.rfc("3986", "5.2.4")
def test_dot_segments_cannot_carry_a_protected_route_onto_a_public_path(provider: Proauth2, tokens: Tokens) -> None:
    """A Flask ``<path:...>`` route under a protected prefix is not reachable through ``..`` (RFC 3986 §5.2.4).

    The middleware resolves dot segments to find a policy, but Flask routes
    the path as sent: ``/api/admin/../../health`` reaches ``/api/admin/<path>``.
    """
    app = Flask(__name__)

    @app.route("/api/admin/<path:rest>")
    def admin(rest: str) -> str:
        return f"admin page {rest}"

    client = Client(BearerTokenMiddleware(app.wsgi_app, provider, rules=RULES, public_paths=["/health"]))
    for path in ("/api/admin/../../health", "/api/admin/x/../../../health/"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert b"admin page" not in response.data
        assert client.get(path, headers=bearer(tokens.for_user(scope="profile"))).status_code == 403
    assert client.get(path, headers=bearer(tokens.for_user(scope="admin profile"))).status_code == 200


def test_secure_by_default_everything_needs_a_token(provider: Proauth2) -> None:
    wrapped = middleware(provider)
    assert wrapped.policy("/anything") == frozenset()
    assert Client(wrapped).get("/anything").status_code == 401


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"rules": [("api", "profile")]}, "must start with '/'", id="relative-rule"),
        pytest.param({"public_paths": ["health"]}, "must start with '/'", id="relative-public"),
        pytest.param({"rules": [("/a", "x")], "public_paths": ["/a/"]}, "twice", id="duplicate"),
        pytest.param({"cache_ttl": 3600}, "cache_ttl", id="cache-too-long"),
        pytest.param({"cache_ttl": -1}, "cache_ttl", id="cache-negative"),
        pytest.param({"cache_ttl": 1, "cache_size": 0}, "cache_size", id="cache-empty"),
    ],
)
def test_bad_configuration_fails_at_start_up(provider: Proauth2, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        middleware(provider, **options)


def test_rule_scopes_enforced_per_prefix(provider: Proauth2, tokens: Tokens) -> None:
    client = Client(middleware(provider, rules=RULES))
    profile = bearer(tokens.for_user(scope="profile"))
    assert client.get("/api/things", headers=profile).status_code == 200
    assert client.get("/api/admin/users", headers=profile).status_code == 403
    challenge = client.get("/other", headers=profile).headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="email", DPoP realm="api"' in challenge
    admin = bearer(tokens.for_user(scope="admin email"))
    assert client.get("/api/admin/users", headers=admin).status_code == 200
    assert client.get("/api/things", headers=admin).status_code == 403


def test_public_paths_pass_without_token_and_are_not_annotated(provider: Proauth2, tokens: Tokens) -> None:
    client = Client(middleware(provider, public_paths=["/health"]))
    assert client.get("/health").json["user_id"] is None
    assert client.get("/health", headers=bearer(tokens.for_user())).json["user_id"] is None
    assert client.get("/health", headers={"Authorization": "Bearer"}).status_code == 200


def test_optional_mode_annotates_valid_tokens(provider: Proauth2, tokens: Tokens) -> None:
    client = Client(middleware(provider, optional=True, rules=[("/", "profile")]))
    response = client.get("/", headers=bearer(tokens.for_user(scope="profile")))
    assert (response.status_code, response.json["user_id"], response.json["scopes"]) == (200, "alice", ["profile"])


def test_optional_mode_lets_requests_without_a_token_through(provider: Proauth2) -> None:
    response = Client(middleware(provider, optional=True, rules=[("/", "admin")])).get("/")
    assert (response.status_code, response.json["user_id"]) == (200, None)


@pytest.mark.rfc("6750", "3.1")
def test_optional_mode_refuses_a_token_that_is_invalid_or_lacks_the_scope(provider: Proauth2, tokens: Tokens) -> None:
    """Optional means the token may be absent; one that is sent must be valid (so clients learn to refresh)."""
    client = Client(middleware(provider, optional=True, rules=[("/", "admin")]))
    invalid = client.get("/", headers=bearer("A" * 43))
    assert (invalid.status_code, invalid.json["error"]) == (401, "invalid_token")
    lacking = client.get("/", headers=bearer(tokens.for_user(scope="profile")))
    assert (lacking.status_code, lacking.json["error"]) == (403, "insufficient_scope")


def test_optional_mode_still_refuses_malformed_requests(provider: Proauth2) -> None:
    response = Client(middleware(provider, optional=True)).get("/", headers={"Authorization": "Bearer a b"})
    assert (response.status_code, response.json["error"]) == (400, "invalid_request")
