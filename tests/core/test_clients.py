"""Clients: registration, authentication methods, redirect URIs, per-client grant types (RFC 6749 §2)."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error
from proauth2_wsgi.errors import InvalidClient, InvalidClientMetadata, InvalidRedirectUri, UnauthorizedClient
from tests.core.helpers import LOOPBACK, REDIRECT, authorize, exchange, is_active, obtain_tokens

pytestmark = pytest.mark.backends


@pytest.mark.rfc("6749", "2.3.1")
def test_confidential_client_secret_is_shown_once_and_stored_hashed(provider: Proauth2) -> None:
    """RFC 6749 §2.3.1: a confidential client gets a secret; only its digest is stored."""
    credentials = provider.register_app("Web app", [REDIRECT])
    client = provider.get_client(credentials.client_id)
    assert client is not None and credentials.client_secret
    assert client.secret_hash and credentials.client_secret not in client.secret_hash
    assert credentials.client_secret not in repr(credentials) + repr(client)
    assert client.auth_method == "client_secret_basic" and not client.is_public


@pytest.mark.rfc("6749", "2.1")
def test_public_client_has_no_secret(provider: Proauth2, public: ClientCredentials) -> None:
    """RFC 6749 §2.1: a public client cannot keep a secret and authenticates with ``none``."""
    client = provider.get_client(public.client_id)
    assert public.client_secret is None
    assert client is not None and client.is_public and client.secret_hash is None


@pytest.mark.rfc("6749", "2.3")
@pytest.mark.parametrize(
    ("registered", "presented", "right_secret"),
    [
        pytest.param("client_secret_basic", "client_secret_basic", True, id="basic"),
        pytest.param("client_secret_post", "client_secret_post", True, id="post"),
        pytest.param("none", "none", False, id="none"),
        pytest.param("client_secret_basic", None, True, id="method-left-to-the-client"),
    ],
)
def test_client_authenticates_with_its_registered_method(
    provider: Proauth2, registered: str, presented: str | None, right_secret: bool
) -> None:
    """RFC 6749 §2.3: each client authenticates with the one method it registered."""
    credentials = provider.register_app("App", [REDIRECT], auth_method=registered)
    secret = credentials.client_secret if right_secret else None
    client = provider.authenticate_client(credentials.client_id, secret, presented)
    assert client.client_id == credentials.client_id and client.auth_method == registered


@pytest.mark.rfc("6749", "2.3")
@pytest.mark.parametrize(
    ("registered", "presented", "secret"),
    [
        pytest.param("client_secret_basic", "client_secret_post", "right", id="basic-client-posting"),
        pytest.param("client_secret_post", "client_secret_basic", "right", id="post-client-using-basic"),
        pytest.param("client_secret_basic", "none", None, id="confidential-without-secret"),
        pytest.param("none", "client_secret_post", "anything", id="public-sending-a-secret"),
        pytest.param("none", "none", "anything", id="public-none-with-a-secret"),
        pytest.param("client_secret_basic", "client_secret_basic", "wrong", id="wrong-secret"),
        pytest.param("client_secret_basic", "client_secret_basic", None, id="missing-secret"),
        pytest.param("client_secret_basic", "client_secret_basic", "x" * 10_000, id="oversized-secret"),
        pytest.param("client_secret_post", None, "wrong", id="wrong-secret-any-method"),
    ],
)
def test_client_authentication_failures_are_invalid_client(
    provider: Proauth2, registered: str, presented: str | None, secret: str | None
) -> None:
    """RFC 6749 §2.3: exactly one method per client; anything else -> invalid_client (§5.2)."""
    credentials = provider.register_app("App", [REDIRECT], auth_method=registered)
    presented_secret = credentials.client_secret if secret == "right" else secret
    with pytest.raises(InvalidClient) as caught:
        provider.authenticate_client(credentials.client_id, presented_secret, presented)
    assert caught.value.error == "invalid_client" and caught.value.status_code == 401


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize(
    "client_id",
    [
        pytest.param("no-such-client", id="unknown"),
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("x" * 300, id="oversized"),
    ],
)
def test_unknown_client_is_invalid_client(provider: Proauth2, confidential: ClientCredentials, client_id: str) -> None:
    """RFC 6749 §5.2: an unknown client fails authentication with invalid_client."""
    with pytest.raises(InvalidClient):
        provider.authenticate_client(client_id, confidential.client_secret)


@pytest.mark.rfc("9700", "4.1.3")
@pytest.mark.parametrize(
    ("requested", "matches"),
    [
        pytest.param(REDIRECT, True, id="first-registered"),
        pytest.param("https://client.example.com/other", True, id="second-registered"),
        pytest.param(REDIRECT + "/", False, id="trailing-slash"),
        pytest.param(REDIRECT.upper(), False, id="other-case"),
        pytest.param(REDIRECT + "?next=/admin", False, id="extra-query"),
        pytest.param("https://client.example.com:443/callback", False, id="explicit-default-port"),
        pytest.param("https://client.example.com/callback/../other", False, id="dot-segments"),
        pytest.param("https://client.example.com.evil.com/callback", False, id="suffixed-host"),
        pytest.param("http://127.0.0.1:51004/native", True, id="loopback-ipv4-any-port"),
        pytest.param("http://127.0.0.1/native", True, id="loopback-ipv4-no-port"),
        pytest.param("http://[::1]:8080/native?x=1", True, id="loopback-ipv6-any-port"),
        pytest.param("http://127.0.0.1:51004/other", False, id="loopback-other-path"),
        pytest.param("http://127.0.0.1:51004/native/", False, id="loopback-trailing-slash"),
        pytest.param("HTTP://127.0.0.1:51004/native", False, id="loopback-other-case-scheme"),
        pytest.param("http://127.0.0.1:80x/native", False, id="loopback-malformed-port"),
        pytest.param("http://127.0.0.1:99999/native", False, id="loopback-port-out-of-range"),
        pytest.param("http://[::1]:65536/native?x=1", False, id="loopback-ipv6-port-out-of-range"),
        pytest.param("http://127.0.0.1:65535/native", True, id="loopback-highest-port"),
        pytest.param("http://localhost:8080/native", False, id="localhost-port-is-exact"),
        pytest.param("https://127.0.0.1:8443/secure", False, id="https-loopback-port-is-exact"),
        pytest.param("http://[::1]:1/v6-only", True, id="ipv6-registered-ipv6-requested"),
        pytest.param("http://127.0.0.1:1/v6-only", False, id="ipv6-registered-ipv4-requested"),
    ],
)
def test_redirect_uri_exact_match_with_loopback_port_exception(
    provider: Proauth2, requested: str, matches: bool
) -> None:
    """RFC 9700 §4.1.3 exact string match; RFC 8252 §7.3 loopback IP port may vary (not localhost, not https)."""
    registered = [
        REDIRECT,
        "https://client.example.com/other",
        "http://127.0.0.1:9000/native",
        "http://[::1]/native?x=1",
        "http://localhost/native",
        "https://127.0.0.1/secure",
        "http://[::1]:2/v6-only",
    ]
    credentials = provider.register_app("App", registered)
    if matches:
        client, target = provider.check_client_redirect(credentials.client_id, requested)
        assert target == requested and client.client_id == credentials.client_id
    else:
        with pytest.raises(Proauth2Error) as caught:
            provider.check_client_redirect(credentials.client_id, requested)
        assert caught.value.redirect_uri is None and caught.value.status_code == 400


@pytest.mark.rfc("6749", "3.1.2")
@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("https://client.example.com/cb#frag", id="fragment"),
        pytest.param("https://client.example.com/cb#", id="empty-fragment"),
        pytest.param("/callback", id="relative"),
        pytest.param("//client.example.com/cb", id="scheme-relative"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("JavaScript:alert(1)", id="javascript-mixed-case"),
        pytest.param("data:text/html,hi", id="data"),
        pytest.param("http://client.example.com/cb", id="http-non-loopback"),
        pytest.param("HTTP://client.example.com/cb", id="http-upper-case"),
        pytest.param("http://127.0.0.1.evil.com/cb", id="http-loopback-lookalike"),
        pytest.param("https:///cb", id="no-host"),
        pytest.param("https://client.example.com/c b", id="space"),
        pytest.param("https://client.example.com:99999/cb", id="bad-port"),
        pytest.param("https://client.example.com/" + "a" * 2000, id="oversized"),
        pytest.param("", id="empty"),
    ],
)
def test_registration_refuses_bad_redirect_uris(provider: Proauth2, uri: str) -> None:
    """RFC 6749 §3.1.2 absolute, no fragment; RFC 9700 §2.1 / RFC 8252 §8.3: http only on loopback."""
    with pytest.raises(InvalidRedirectUri):
        provider.register_app("App", [REDIRECT, uri])
    assert provider.list_clients() == []


@pytest.mark.rfc("8252", "7.1")
@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("https://client.example.com/cb?tenant=1", id="https-with-query"),
        pytest.param("http://127.0.0.1:8080/cb", id="loopback-ipv4"),
        pytest.param("http://[::1]/cb", id="loopback-ipv6"),
        pytest.param("http://localhost/cb", id="localhost"),
        pytest.param("com.example.app:/oauth2redirect", id="private-use-scheme"),
    ],
)
def test_registration_accepts_good_redirect_uris(provider: Proauth2, uri: str) -> None:
    """RFC 8252 §7.1, §7.3 and RFC 6749 §3.1.2: these redirect URIs may be registered."""
    credentials = provider.register_app("App", [uri])
    client = provider.get_client(credentials.client_id)
    assert client is not None and client.redirect_uris == (uri,)


@pytest.mark.rfc("7591", "3.2.2")
@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"grant_types": ["password"]}, id="password-grant"),
        pytest.param({"grant_types": ["implicit"]}, id="implicit-grant"),
        pytest.param({"grant_types": []}, id="no-grant"),
        pytest.param({"grant_types": ["refresh_token"]}, id="refresh-without-code"),
        pytest.param({"auth_method": "none", "grant_types": ["client_credentials"]}, id="public-client-credentials"),
        pytest.param({"auth_method": "private_key_jwt"}, id="unsupported-auth-method"),
        pytest.param({"scopes": "profile payments"}, id="scope-not-offered"),
        pytest.param({"scopes": 'profile "quoted"'}, id="malformed-scope"),
        pytest.param({"scopes": "profile", "default_scope": "email"}, id="default-outside-allowed"),
        pytest.param({"name": " "}, id="blank-name"),
        pytest.param({"name": "a\nb"}, id="unprintable-name"),
    ],
)
def test_registration_refuses_bad_metadata(provider: Proauth2, options: dict[str, object]) -> None:
    """RFC 7591 §3.2.2: unacceptable client metadata -> invalid_client_metadata; nothing stored."""
    arguments: dict[str, object] = {"name": "App", "redirect_uris": [REDIRECT], **options}
    with pytest.raises(InvalidClientMetadata):
        provider.register_app(**arguments)  # type: ignore[arg-type]
    assert provider.list_clients() == []


@pytest.mark.rfc("6749", "3.1.2.2")
def test_code_grant_needs_a_redirect_uri(provider: Proauth2) -> None:
    """RFC 6749 §3.1.2.2: clients using the code grant register their redirect URIs."""
    with pytest.raises(InvalidRedirectUri):
        provider.register_app("App", [])


@pytest.mark.rfc("6749", "3.1.2.3")
def test_several_redirect_uris_require_one_per_request(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §3.1.2.3: with several registered URIs the request must name one; each one works."""
    with pytest.raises(Proauth2Error) as caught:
        provider.check_client_redirect(confidential.client_id, None)
    assert caught.value.error == "invalid_request" and caught.value.redirect_uri is None
    client = provider.get_client(confidential.client_id)
    assert client is not None
    for uri in client.redirect_uris:
        assert provider.check_client_redirect(confidential.client_id, uri)[1] == uri


@pytest.mark.rfc("6749", "3.1.2.3")
def test_single_redirect_uri_may_be_omitted(provider: Proauth2, public: ClientCredentials) -> None:
    """RFC 6749 §3.1.2.3: with one registered URI the request may omit it."""
    assert provider.check_client_redirect(public.client_id, None)[1] == LOOPBACK


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize(
    ("grant_types", "grant_type"),
    [
        pytest.param(["client_credentials"], "authorization_code", id="service-using-code"),
        pytest.param(["authorization_code"], "refresh_token", id="no-refresh-grant"),
        pytest.param(["authorization_code", "refresh_token"], "client_credentials", id="web-app-as-service"),
    ],
)
def test_per_client_grant_types(provider: Proauth2, grant_types: list[str], grant_type: str) -> None:
    """RFC 6749 §5.2: a grant type the client is not registered for -> unauthorized_client."""
    credentials = provider.register_app("App", [REDIRECT], grant_types=grant_types)
    with pytest.raises(UnauthorizedClient):
        provider.request_access_token(
            grant_type,
            credentials.client_id,
            credentials.client_secret,
            code="c" * 43,
            refresh_token="r" * 43,
            code_verifier="v" * 43,
        )


@pytest.mark.rfc("6749", "5.1")
def test_client_without_refresh_grant_gets_no_refresh_token(provider: Proauth2) -> None:
    """RFC 6749 §5.1: refresh_token is issued only to clients allowed the refresh grant."""
    credentials = provider.register_app("App", [REDIRECT], grant_types=["authorization_code"])
    response = obtain_tokens(provider, credentials)
    assert "access_token" in response and "refresh_token" not in response


def test_list_and_delete_clients(
    provider: Proauth2, confidential: ClientCredentials, public: ClientCredentials
) -> None:
    """Deleting a client removes it with its codes and tokens; deleting twice reports False."""
    assert sorted(c.client_id for c in provider.list_clients()) == sorted([confidential.client_id, public.client_id])
    tokens = obtain_tokens(provider, confidential)
    pending = authorize(provider, confidential)
    assert provider.delete_client(confidential.client_id) is True
    assert provider.delete_client(confidential.client_id) is False
    assert [c.client_id for c in provider.list_clients()] == [public.client_id]
    assert not is_active(provider, tokens["access_token"]) and not is_active(provider, tokens["refresh_token"])
    with pytest.raises(InvalidClient):
        exchange(provider, confidential, pending)
