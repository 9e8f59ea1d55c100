"""RP-Initiated Logout 1.0: a verified id_token_hint and a registered URI end the session; nothing else is followed."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.errors import InvalidRequest
from proauth2_wsgi.oidc import Login
from tests.oidc.conftest import LOGOUT_REDIRECT, REDIRECT, authenticate, later

pytestmark = pytest.mark.rfc("openid-connect-rpinitiated", "2")


@pytest.fixture
def hint(provider: Proauth2, rp: ClientCredentials, alice: Login) -> str:
    return str(authenticate(provider, rp, alice)["id_token"])


def test_a_verified_hint_and_a_registered_uri_redirect_without_asking(
    provider: Proauth2, rp: ClientCredentials, hint: str
) -> None:
    logout = provider.validate_logout_request(
        {"id_token_hint": hint, "post_logout_redirect_uri": LOGOUT_REDIRECT, "state": "bye-1"}
    )
    assert logout.verified and logout.subject == "alice" and logout.client is not None
    assert logout.client.client_id == rp.client_id
    assert logout.redirect_url() == f"{LOGOUT_REDIRECT}?state=bye-1"


def test_an_expired_hint_still_says_who_leaves(provider: Proauth2, hint: str) -> None:
    later(provider, 10 * 24 * 3600)
    assert provider.validate_logout_request({"id_token_hint": hint}).subject == "alice"


def test_without_a_hint_the_app_must_ask(provider: Proauth2, rp: ClientCredentials) -> None:
    logout = provider.validate_logout_request({"client_id": rp.client_id, "post_logout_redirect_uri": LOGOUT_REDIRECT})
    assert not logout.verified and logout.redirect_url() == LOGOUT_REDIRECT
    bare = provider.validate_logout_request({})
    assert not bare.verified and bare.redirect_url() is None


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"post_logout_redirect_uri": "https://evil.example.com/"}, id="unregistered-uri-with-hint"),
        pytest.param({"post_logout_redirect_uri": REDIRECT}, id="a-login-redirect-is-not-a-logout-one"),
        pytest.param({"post_logout_redirect_uri": LOGOUT_REDIRECT + "/"}, id="not-exactly-equal"),
        pytest.param({"client_id": "nobody"}, id="unknown-client"),
        pytest.param({"state": "s" * 3000}, id="long-state"),
        pytest.param({"ui_locales": "en\x00fr"}, id="control-characters-in-locales"),
        pytest.param({"ui_locales": "e" * 3000}, id="long-locales"),
    ],
)
def test_anything_unregistered_is_refused_never_followed(provider: Proauth2, hint: str, params: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest) as raised:
        provider.validate_logout_request({"id_token_hint": hint, **params})
    assert raised.value.redirect_uri is None  # shown as a page: never a redirect


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"post_logout_redirect_uri": LOGOUT_REDIRECT}, id="uri-without-any-client"),
        pytest.param({"id_token_hint": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."}, id="unsigned-hint"),
        pytest.param({"id_token_hint": "garbage"}, id="garbage-hint"),
    ],
)
def test_hints_and_uris_without_a_trusted_client_are_refused(provider: Proauth2, params: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest):
        provider.validate_logout_request(params)


def test_a_hint_and_a_client_id_must_agree(provider: Proauth2, hint: str) -> None:
    other = provider.register_app("Other", [REDIRECT])
    with pytest.raises(InvalidRequest, match="not the client"):
        provider.validate_logout_request({"id_token_hint": hint, "client_id": other.client_id})


def test_a_repeated_parameter_is_refused(provider: Proauth2, hint: str) -> None:
    with pytest.raises(InvalidRequest, match="repeated"):
        provider.validate_logout_request({"id_token_hint": [hint, hint]})
