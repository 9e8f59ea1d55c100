"""Authorization requests (RFC 6749 §4.1.1, §4.1.2, §4.1.2.1) and the RFC 9207 ``iss`` parameter."""

from __future__ import annotations

from typing import Any

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error
from proauth2_wsgi.endpoints import error_page
from proauth2_wsgi.pkce import s256_challenge
from tests.core.helpers import REDIRECT, STATE, USER, new_verifier, with_settings

CHALLENGE = s256_challenge(new_verifier())


def request(client: ClientCredentials, **overrides: Any) -> dict[str, Any]:
    """The arguments of a valid authorization request by ``client``, with ``overrides``."""
    return {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "profile email",
        "state": STATE,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **overrides,
    }


@pytest.mark.rfc("6749", "4.1.1")
def test_valid_request_is_ready_for_consent(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.1: a valid request yields what the consent page needs."""
    validated = provider.validate_authorization_request(**request(confidential))
    assert validated.client.client_id == confidential.client_id
    assert validated.redirect_uri == REDIRECT and validated.redirect_uri_given
    assert validated.scopes == {"profile", "email"} and validated.scope == "email profile"
    assert (validated.state, validated.code_challenge, validated.code_challenge_method) == (STATE, CHALLENGE, "S256")


@pytest.mark.rfc("6749", "4.1.2.1")
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"client_id": None}, "invalid_request", id="missing-client-id"),
        pytest.param({"client_id": "no-such-client"}, "invalid_client", id="unknown-client"),
        pytest.param({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request", id="unregistered-redirect"),
        pytest.param({"redirect_uri": REDIRECT + "#x"}, "invalid_request", id="redirect-with-fragment"),
        pytest.param({"redirect_uri": None}, "invalid_request", id="redirect-omitted-with-several-registered"),
        pytest.param({"redirect_uri": None, "response_type": "token"}, "invalid_request", id="redirect-checked-first"),
    ],
)
def test_errors_that_must_not_redirect(
    provider: Proauth2, confidential: ClientCredentials, overrides: dict[str, Any], error: str
) -> None:
    """RFC 6749 §4.1.2.1: unknown client or bad redirect_uri -> shown to the user, never redirected."""
    with pytest.raises(Proauth2Error) as caught:
        provider.validate_authorization_request(**request(confidential, **overrides))
    assert caught.value.error == error
    assert caught.value.redirect_uri is None and caught.value.state is None
    assert error_page(caught.value).status_code == 400


@pytest.mark.rfc("6749", "4.1.2.1")
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"response_type": None}, "invalid_request", id="missing-response-type"),
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit"),
        pytest.param({"response_type": "code token"}, "unsupported_response_type", id="hybrid"),
        pytest.param({"response_type": "CODE"}, "unsupported_response_type", id="case-sensitive"),
        pytest.param({"scope": "profile payments"}, "invalid_scope", id="unknown-scope"),
        pytest.param({"scope": 'profile "x"'}, "invalid_scope", id="malformed-scope"),
        pytest.param({"code_challenge": None, "code_challenge_method": None}, "invalid_request", id="no-pkce"),
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain-pkce"),
        pytest.param({"code_challenge": None}, "invalid_request", id="method-without-challenge"),
    ],
)
def test_errors_that_redirect_carry_redirect_uri_and_state(
    provider: Proauth2, confidential: ClientCredentials, overrides: dict[str, Any], error: str
) -> None:
    """RFC 6749 §4.1.2.1: once client and redirect_uri are verified, errors go back by redirect with ``state``."""
    with pytest.raises(Proauth2Error) as caught:
        provider.validate_authorization_request(**request(confidential, **overrides))
    assert caught.value.error == error
    assert caught.value.redirect_uri == REDIRECT and caught.value.state == STATE


@pytest.mark.rfc("6749", "4.1.2.1")
def test_client_not_allowed_the_code_grant_is_redirected(provider: Proauth2) -> None:
    """RFC 6749 §4.1.2.1: a client not allowed the code grant -> unauthorized_client, by redirect."""
    service = provider.register_app("Service", [REDIRECT], grant_types=["client_credentials"])
    with pytest.raises(Proauth2Error) as caught:
        provider.validate_authorization_request(**request(service))
    assert (caught.value.error, caught.value.redirect_uri, caught.value.state) == (
        "unauthorized_client",
        REDIRECT,
        STATE,
    )


@pytest.mark.rfc("6749", "4.1.2.1")
def test_oversized_state_is_not_echoed(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.2.1: an unacceptable ``state`` is refused by redirect without echoing it."""
    with pytest.raises(Proauth2Error) as caught:
        provider.validate_authorization_request(**request(confidential, state="s" * 5000))
    assert caught.value.error == "invalid_request"
    assert caught.value.redirect_uri == REDIRECT and caught.value.state is None


@pytest.mark.rfc("6749", "4.1.2")
def test_authorization_response_carries_code_state_and_iss(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.2 (code, state) and RFC 9207 §2 (iss equals the issuer identifier)."""
    validated = provider.validate_authorization_request(**request(confidential))
    first = provider.authorization_response(validated, USER)
    second = provider.authorization_response(validated, USER)
    assert set(first) == {"code", "state", "iss"}
    assert first["state"] == STATE and first["iss"] == "https://auth.example.com"
    assert first["code"] != second["code"] and len(first["code"]) >= 43


@pytest.mark.rfc("6749", "4.1.2")
def test_response_without_state_omits_it(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 6749 §4.1.2: ``state`` is returned only when the request carried one."""
    response = provider.request_authorization(**request(confidential, state=None, response_type="code"), user_id=USER)
    assert "state" not in response and response["iss"] == "https://auth.example.com"


@pytest.mark.rfc("9207", "2")
def test_no_iss_without_an_issuer(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 9207 §2: ``iss`` is the configured issuer identifier; none configured, none sent."""
    bare = with_settings(provider, issuer=None)
    assert "iss" not in bare.request_authorization(**request(confidential), user_id=USER)


@pytest.mark.rfc("6749", "3.1.2.3")
def test_omitted_redirect_uri_uses_the_only_registered_one(provider: Proauth2) -> None:
    """RFC 6749 §3.1.2.3: with one registered URI the request may omit redirect_uri."""
    credentials = provider.register_app("App", [REDIRECT])
    validated = provider.validate_authorization_request(**request(credentials, redirect_uri=None))
    assert validated.redirect_uri == REDIRECT and not validated.redirect_uri_given


@pytest.mark.rfc("6749", "4.1.2")
@pytest.mark.parametrize(
    "user_id",
    [pytest.param(None, id="none"), pytest.param(True, id="bool"), pytest.param(1.5, id="float")],
)
def test_code_needs_a_user(provider: Proauth2, confidential: ClientCredentials, user_id: Any) -> None:
    """RFC 6749 §4.1.2: a code is issued for an authenticated resource owner, named by str or int."""
    validated = provider.validate_authorization_request(**request(confidential))
    with pytest.raises(Proauth2Error):
        provider.issue_code(validated, user_id)
