"""Proof Key for Code Exchange (RFC 7636) and the PKCE downgrade defence (RFC 9700 §4.8.2)."""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error
from proauth2_wsgi.errors import InvalidGrant
from proauth2_wsgi.pkce import s256_challenge
from tests.core.helpers import LOOPBACK, REDIRECT, USER, Authorized, authorize, exchange, new_verifier, with_settings


def test_s256_matches_the_rfc_example() -> None:
    """RFC 7636 Appendix B: the S256 challenge of the example verifier."""
    assert (
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def authorize_with(
    provider: Proauth2, client: ClientCredentials, redirect_uri: str, challenge: str | None, method: str | None
) -> str:
    """The code of an approved request with this exact PKCE challenge and method."""
    return provider.request_authorization(
        client.client_id,
        USER,
        redirect_uri=redirect_uri,
        code_challenge=challenge,
        code_challenge_method=method,
    )["code"]


@pytest.mark.rfc("9700", "2.1.1")
@pytest.mark.parametrize(
    "require_pkce", [pytest.param(True, id="pkce-required"), pytest.param(False, id="pkce-optional")]
)
def test_public_client_needs_s256_pkce(provider: Proauth2, public: ClientCredentials, require_pkce: bool) -> None:
    """RFC 9700 §2.1.1, RFC 7636 §4.4.1: public clients always send an S256 challenge."""
    server = with_settings(provider, require_pkce=require_pkce)
    with pytest.raises(Proauth2Error) as caught:
        authorize_with(server, public, LOOPBACK, None, None)
    assert caught.value.error == "invalid_request" and caught.value.redirect_uri == LOOPBACK


@pytest.mark.rfc("7636", "4.2")
def test_public_client_cannot_use_plain_even_when_allowed(provider: Proauth2, public: ClientCredentials) -> None:
    """RFC 7636 §4.2, RFC 9700 §2.1.1: plain is never for a public client, whatever the server allows."""
    server = with_settings(provider, allow_plain_pkce=True)
    with pytest.raises(Proauth2Error) as caught:
        authorize_with(server, public, LOOPBACK, new_verifier(), "plain")
    assert caught.value.error == "invalid_request"


@pytest.mark.parametrize(
    ("require_pkce", "refused"),
    [pytest.param(True, True, id="required-by-default"), pytest.param(False, False, id="optional-when-configured")],
)
def test_pkce_for_confidential_clients_is_configurable(
    provider: Proauth2, confidential: ClientCredentials, require_pkce: bool, refused: bool
) -> None:
    """Settings.require_pkce: PKCE for every client (the default), or for public clients only."""
    server = with_settings(provider, require_pkce=require_pkce)
    if refused:
        with pytest.raises(Proauth2Error) as caught:
            authorize_with(server, confidential, REDIRECT, None, None)
        assert caught.value.error == "invalid_request"
    else:
        authorized = authorize(server, confidential, pkce=False)
        assert "access_token" in exchange(server, confidential, authorized)


@pytest.mark.rfc("7636", "4.3")
@pytest.mark.parametrize(
    "method",
    [pytest.param("plain", id="plain-named"), pytest.param(None, id="plain-by-default-method")],
)
def test_plain_is_refused_by_default(provider: Proauth2, confidential: ClientCredentials, method: str | None) -> None:
    """RFC 7636 §4.3 (method defaults to plain) and RFC 9700 §2.1.1: plain is refused unless allowed."""
    with pytest.raises(Proauth2Error) as caught:
        authorize_with(provider, confidential, REDIRECT, new_verifier(), method)
    assert caught.value.error == "invalid_request"


@pytest.mark.rfc("7636", "4.6")
def test_plain_works_for_confidential_clients_when_allowed(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 7636 §4.6: with Settings.allow_plain_pkce a confidential client may use plain."""
    server = with_settings(provider, allow_plain_pkce=True)
    verifier = new_verifier()
    code = authorize_with(server, confidential, REDIRECT, verifier, "plain")
    authorized = Authorized(code, verifier, REDIRECT, {})
    with pytest.raises(InvalidGrant):
        exchange(server, confidential, authorized, code_verifier=new_verifier())
    assert "access_token" in exchange(server, confidential, authorized)


@pytest.mark.rfc("7636", "4.2")
@pytest.mark.parametrize(
    ("challenge", "method"),
    [
        pytest.param(s256_challenge(new_verifier()), "S512", id="unknown-method"),
        pytest.param(s256_challenge(new_verifier()), "s256", id="method-is-case-sensitive"),
        pytest.param("a" * 42, "S256", id="too-short"),
        pytest.param("a" * 44, "S256", id="longer-than-a-sha256"),
        pytest.param("a" * 42 + "=", "S256", id="padded"),
        pytest.param("a" * 42 + "+", "S256", id="not-base64url"),
        pytest.param("", "S256", id="empty"),
    ],
)
def test_malformed_challenge_is_invalid_request(
    provider: Proauth2, confidential: ClientCredentials, challenge: str, method: str
) -> None:
    """RFC 7636 §4.2, §4.4.1: a challenge must be 43 base64url characters for S256; others -> invalid_request."""
    with pytest.raises(Proauth2Error) as caught:
        authorize_with(provider, confidential, REDIRECT, challenge, method)
    assert caught.value.error == "invalid_request" and caught.value.redirect_uri == REDIRECT


@pytest.mark.rfc("7636", "4.6")
@pytest.mark.parametrize(
    "verifier",
    [
        pytest.param(None, id="missing"),
        pytest.param("other", id="malformed"),
        pytest.param("x" * 129, id="too-long"),
        pytest.param("é" * 43, id="non-ascii"),
        pytest.param("fresh", id="wrong-verifier"),
    ],
)
def test_wrong_verifier_is_invalid_grant(provider: Proauth2, public: ClientCredentials, verifier: str | None) -> None:
    """RFC 7636 §4.6: the verifier must transform to the stored challenge, else invalid_grant."""
    authorized = authorize(provider, public, redirect_uri=LOOPBACK)
    presented = new_verifier() if verifier == "fresh" else verifier
    with pytest.raises(InvalidGrant):
        exchange(provider, public, authorized, code_verifier=presented)
    assert "access_token" in exchange(provider, public, authorized)


@pytest.mark.rfc("9700", "4.8.2")
def test_verifier_for_a_code_issued_without_challenge_is_refused(
    provider: Proauth2, confidential: ClientCredentials
) -> None:
    """RFC 9700 §4.8.2: a code_verifier for a code issued without code_challenge -> invalid_grant (downgrade)."""
    server = with_settings(provider, require_pkce=False)
    authorized = authorize(server, confidential, pkce=False)
    with pytest.raises(InvalidGrant):
        exchange(server, confidential, authorized, code_verifier=new_verifier())


@pytest.mark.rfc("7636", "4.5")
def test_code_is_bound_to_its_challenge(provider: Proauth2, public: ClientCredentials) -> None:
    """RFC 7636 §4.5-4.6: each code answers only to the verifier of its own request."""
    first = authorize(provider, public, redirect_uri=LOOPBACK)
    second = authorize(provider, public, redirect_uri=LOOPBACK)
    with pytest.raises(InvalidGrant):
        exchange(provider, public, first, code_verifier=second.verifier)
    assert "access_token" in exchange(provider, public, second)
