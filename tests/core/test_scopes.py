"""Scopes (RFC 6749 §3.3): the server registry, per-client allowances and defaults, the granted scope."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, InsufficientScope, Proauth2
from proauth2_wsgi.errors import InvalidScope
from proauth2_wsgi.scopes import format_scope, missing_scopes, parse_scope
from tests.core.helpers import REDIRECT, obtain_tokens, with_settings


@pytest.mark.rfc("6749", "3.3")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, frozenset(), id="none"),
        pytest.param("", frozenset(), id="empty"),
        pytest.param("profile email", {"profile", "email"}, id="two"),
        pytest.param("profile  email ", {"profile", "email"}, id="extra-spaces"),
        pytest.param("email email", {"email"}, id="duplicate"),
        pytest.param(["a:b", "c/d"], {"a:b", "c/d"}, id="iterable"),
        pytest.param("https://api.example.com/read", {"https://api.example.com/read"}, id="uri-scope"),
    ],
)
def test_parse_scope(value: str | list[str] | None, expected: set[str]) -> None:
    """RFC 6749 §3.3: a space-delimited, order-free list of scope tokens."""
    assert parse_scope(value) == expected


@pytest.mark.rfc("6749", "3.3")
@pytest.mark.parametrize(
    "value",
    [
        pytest.param('a"b', id="double-quote"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("a\tb", id="tab"),
        pytest.param("caf\u00e9", id="non-ascii"),
        pytest.param(["ok", ""], id="empty-token-in-list"),
        pytest.param(["ok", 5], id="non-string-in-list"),
        pytest.param("a " * 2000, id="oversized"),
    ],
)
def test_malformed_scope_is_invalid_scope(value: object) -> None:
    """RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); anything else -> invalid_scope."""
    with pytest.raises(InvalidScope):
        parse_scope(value)  # type: ignore[arg-type]


@pytest.mark.rfc("6749", "3.3")
def test_format_and_missing_scopes() -> None:
    """RFC 6749 §3.3: the wire form is space-separated (sorted here, so it is stable)."""
    assert format_scope({"profile", "email", "admin"}) == "admin email profile"
    assert missing_scopes({"profile"}, {"profile", "email"}) == {"email"}


@pytest.mark.rfc("6749", "3.3")
@pytest.mark.parametrize(
    ("allowed", "default", "requested", "granted"),
    [
        pytest.param(None, None, None, {"profile"}, id="server-default"),
        pytest.param(None, None, "email admin", {"email", "admin"}, id="requested"),
        pytest.param("email admin", None, None, set(), id="server-default-outside-client-allowance"),
        pytest.param("email admin", "email", None, {"email"}, id="client-default"),
        pytest.param("email admin", "email", "admin", {"admin"}, id="requested-over-client-default"),
    ],
)
def test_granted_scope(
    provider: Proauth2, allowed: str | None, default: str | None, requested: str | None, granted: set[str]
) -> None:
    """RFC 6749 §3.3: the requested scope, or the pre-defined default, within the client's allowance."""
    credentials = provider.register_app("App", [REDIRECT], scopes=allowed, default_scope=default)
    client = provider.get_client(credentials.client_id)
    assert client is not None and provider.resolve_scope(client, requested) == granted


@pytest.mark.rfc("6749", "4.1.2.1")
@pytest.mark.parametrize(
    "requested",
    [
        pytest.param("admin", id="outside-client-allowance"),
        pytest.param("profile admin", id="partly-outside"),
        pytest.param("payments", id="unknown-to-server"),
        pytest.param("profile,email", id="comma-separated"),
    ],
)
def test_scope_outside_the_allowance_is_invalid_scope(provider: Proauth2, requested: str) -> None:
    """RFC 6749 §4.1.2.1, §5.2: a scope the client may not have -> invalid_scope."""
    credentials = provider.register_app("App", [REDIRECT], scopes="profile email")
    client = provider.get_client(credentials.client_id)
    assert client is not None
    with pytest.raises(InvalidScope):
        provider.resolve_scope(client, requested)


@pytest.mark.rfc("6749", "3.3")
def test_scope_removed_from_the_server_is_no_longer_granted(
    provider: Proauth2, confidential: ClientCredentials
) -> None:
    """RFC 6749 §3.3: the server registry bounds every grant, even for clients registered earlier."""
    client = provider.get_client(confidential.client_id)
    assert client is not None and "admin" in client.scopes
    smaller = with_settings(provider, scopes={"profile": "Profile"}, default_scope="profile")
    with pytest.raises(InvalidScope):
        smaller.resolve_scope(client, "admin")


@pytest.mark.rfc("6749", "5.1")
def test_granted_scope_is_returned(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §5.1: the token response states the granted scope, and the token carries it."""
    response = obtain_tokens(provider, confidential)
    assert response["scope"] == "profile"
    assert provider.authenticate_token(response["access_token"]).scopes == {"profile"}


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize(
    ("required", "allowed"),
    [
        pytest.param(None, True, id="nothing-required"),
        pytest.param("email", True, id="granted"),
        pytest.param(["profile", "email"], True, id="all-granted"),
        pytest.param("admin", False, id="not-granted"),
        pytest.param("email admin", False, id="partly-granted"),
    ],
)
def test_token_scope_check(
    provider: Proauth2, confidential: ClientCredentials, required: str | list[str] | None, allowed: bool
) -> None:
    """RFC 6750 §3.1: a token lacking a required scope -> insufficient_scope naming what is required."""
    token = obtain_tokens(provider, confidential, scope="profile email")["access_token"]
    if allowed:
        assert provider.authenticate_token(token, required).scopes == {"profile", "email"}
    else:
        with pytest.raises(InsufficientScope) as caught:
            provider.authenticate_token(token, required)
        assert caught.value.scope == format_scope(parse_scope(required))


@pytest.mark.rfc("6749", "3.3")
def test_empty_scope_is_left_out_of_responses_rfc6749_3_3(provider: Proauth2) -> None:
    """RFC 6749 §3.3: scope = scope-token *( SP scope-token ), so ``"scope": ""`` is not a scope.

    With no scope requested and no default, the token response (§5.1: identical to the
    request, so optional) and the introspection answer (RFC 7662 §2.2) leave ``scope`` out.
    """
    credentials = provider.register_app("App", [REDIRECT], scopes="profile", default_scope="")
    response = obtain_tokens(provider, credentials)
    assert "scope" not in response
    assert provider.authenticate_token(response["access_token"]).scopes == frozenset()
    for token in (response["access_token"], response["refresh_token"]):
        introspection = provider.introspect_token(token)
        assert introspection["active"] is True and "scope" not in introspection
