"""Settings: secure defaults, validated once, every error naming its key."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from proauth2_wsgi import Proauth2, Settings, SettingsError
from proauth2_wsgi.stores import PeeweeDataStore


def test_secure_defaults() -> None:
    """RFC 9700 / OAuth 2.1 defaults: 60 s codes, PKCE required, S256 only, refresh tokens rotated."""
    settings = Settings()
    assert (settings.code_lifetime, settings.access_token_lifetime) == (60, 3600)
    assert settings.require_pkce and not settings.allow_plain_pkce and settings.issue_refresh_tokens
    assert settings.pkce_methods == ("S256",)
    assert Settings(allow_plain_pkce=True).pkce_methods == ("S256", "plain")


@pytest.mark.rfc("6749", "3.3")
@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        pytest.param("profile email", {"profile": "profile", "email": "email"}, id="string"),
        pytest.param(["profile", "email"], {"profile": "profile", "email": "email"}, id="iterable"),
        pytest.param({"profile": "Your profile"}, {"profile": "Your profile"}, id="mapping"),
    ],
)
def test_scope_registry_forms(scopes: Any, expected: dict[str, str]) -> None:
    """RFC 6749 §3.3: the server's scopes, as names or with descriptions for consent pages."""
    assert Settings(scopes=scopes).scopes == expected


@pytest.mark.rfc("8414", "2")
def test_issuer_trailing_slash_is_dropped() -> None:
    """RFC 8414 §2 / RFC 9207 §2: one canonical issuer identifier, compared by simple string comparison."""
    assert Settings(issuer="https://auth.example.com/").issuer == "https://auth.example.com"
    assert Settings(issuer="https://example.com/tenant1").issuer == "https://example.com/tenant1"
    assert Settings(issuer="http://127.0.0.1:5000").issuer == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("access_token_lifetime", 0, id="access-zero"),
        pytest.param("access_token_lifetime", -5, id="access-negative"),
        pytest.param("access_token_lifetime", "3600", id="access-string"),
        pytest.param("access_token_lifetime", 1.5, id="access-float"),
        pytest.param("access_token_lifetime", True, id="access-bool"),
        pytest.param("refresh_token_lifetime", 0, id="refresh-zero"),
        pytest.param("code_lifetime", 0, id="code-zero"),
        pytest.param("code_lifetime", 601, id="code-over-ten-minutes"),
        pytest.param("scopes", {"bad scope": "x"}, id="scope-with-space"),
        pytest.param("scopes", {'q"uote': "x"}, id="scope-with-quote"),
        pytest.param("scopes", {"profile": 5}, id="description-not-text"),
        pytest.param("scopes", None, id="scopes-none"),
        pytest.param("scopes", 5, id="scopes-number"),
        pytest.param("default_scope", "admin", id="default-not-registered"),
        pytest.param("default_scope", 5, id="default-malformed"),
        pytest.param("require_pkce", "yes", id="pkce-string"),
        pytest.param("allow_plain_pkce", 1, id="plain-int"),
        pytest.param("issue_refresh_tokens", None, id="refresh-none"),
        pytest.param("issuer", "http://auth.example.com", id="issuer-http"),
        pytest.param("issuer", "https://auth.example.com?x=1", id="issuer-query"),
        pytest.param("issuer", "https://auth.example.com#x", id="issuer-fragment"),
        pytest.param("issuer", "auth.example.com", id="issuer-relative"),
        pytest.param("issuer", 123, id="issuer-not-text"),
        pytest.param("issuer", "https://user:secret@auth.example.com", id="issuer-userinfo-rfc8414-2"),
        pytest.param("issuer", "https://auth.example.com/a b", id="issuer-space-rfc8414-2"),
        pytest.param("issuer", 'https://auth.example.com/"x', id="issuer-quote-rfc8414-2"),
        pytest.param("issuer", "https://auth.example.com/\\x", id="issuer-backslash-rfc8414-2"),
        pytest.param("issuer", "https://auth.example.com/\r\nX: y", id="issuer-crlf-rfc8414-2"),
        pytest.param("issuer", "https://auth.exämple.com", id="issuer-non-ascii-rfc8414-2"),
        pytest.param("issuer", "https://auth.example.com:99999", id="issuer-bad-port-rfc8414-2"),
        pytest.param("clock", 5, id="clock-not-callable"),
    ],
)
def test_bad_setting_names_its_key(key: str, value: Any) -> None:
    """Settings validation: a bad value raises SettingsError whose message starts with the key."""
    with pytest.raises(SettingsError) as caught:
        Settings(**{"scopes": {"profile": "Your profile"}, key: value})
    assert str(caught.value).startswith(f"{key}:")


def test_settings_are_frozen() -> None:
    """One frozen settings object: validated values cannot be changed behind the validator's back."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().code_lifetime = 3600  # type: ignore[misc]


def test_provider_takes_settings_or_options(store: PeeweeDataStore) -> None:
    """Proauth2(store, settings) or Proauth2(store, **fields); not both."""
    assert Proauth2(store, code_lifetime=30).settings.code_lifetime == 30
    with pytest.raises(TypeError):
        Proauth2(store, Settings(), code_lifetime=30)
