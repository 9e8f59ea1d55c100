"""Pushed authorization requests at the provider (RFC 9126 §2, §4, §5, §6), on every backend.

A request is pushed with :meth:`Proauth2.push_authorization_request`, then
validated from ``client_id`` and ``request_uri`` alone. The ``request_uri``
stays valid while the host app shows its pages (validated again and again),
and is used up by the answer: a code, a denial, an error redirect.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error
from proauth2_wsgi.endpoints import denial_redirect, error_page, error_redirect
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.pushed_requests import MAX_PARAMETERS_BYTES, REQUEST_URI_PREFIX
from proauth2_wsgi.request import Parameters
from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.tokens import hash_secret
from tests.conftest import FakeClock
from tests.core.helpers import LOOPBACK, OTHER_REDIRECT, REDIRECT, STATE, USER, new_verifier, with_settings

pytestmark = pytest.mark.backends

RFC = "9126"
#: a thumbprint (RFC 7638) the pushed request binds its code to (RFC 9449 §10)
JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"


def pushed_params(verifier: str, **overrides: Any) -> dict[str, Any]:
    """The parameters of a valid authorization request, to push."""
    params = {
        "response_type": "code",
        "redirect_uri": OTHER_REDIRECT,
        "scope": "email",
        "state": STATE,
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def push(provider: Proauth2, client: ClientCredentials, verifier: str | None = None, **overrides: Any) -> str:
    """Push a request for ``client``; its ``request_uri``."""
    response = provider.push_authorization_request(
        client.client_id, client.client_secret, **pushed_params(verifier or new_verifier(), **overrides)
    )
    return str(response["request_uri"])


def refused(provider: Proauth2, client_id: str, request_uri: str, **beside: Any) -> Proauth2Error:
    """The error validating ``request_uri`` raises."""
    with pytest.raises(Proauth2Error) as caught:
        provider.validate_authorization_request(client_id, request_uri=request_uri, **beside)
    return caught.value


def race(attempt: Callable[[], object], store: PeeweeDataStore, threads: int = 32) -> tuple[list[object], list[str]]:
    """Run ``attempt`` in ``threads`` threads released at once: the results, and the error codes."""
    barrier = threading.Barrier(threads)

    def run(_: int) -> object:
        barrier.wait()
        try:
            return attempt()
        except Proauth2Error as exc:
            return exc.error
        finally:
            store.close()

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(run, range(threads)))
    return [r for r in results if not isinstance(r, str)], [r for r in results if isinstance(r, str)]


@pytest.mark.rfc(RFC, "2.2")
def test_the_request_uri_is_a_256_bit_urn_stored_only_as_its_digest(
    provider: Proauth2, store: PeeweeDataStore, confidential: ClientCredentials
) -> None:
    response = provider.push_authorization_request(
        confidential.client_id, confidential.client_secret, **pushed_params(new_verifier())
    )
    assert set(response) == {"request_uri", "expires_in"}
    assert response["expires_in"] == provider.settings.par_lifetime == 60
    request_uri = response["request_uri"]
    assert re.fullmatch(re.escape(REQUEST_URI_PREFIX) + r"[A-Za-z0-9_-]{43}", request_uri)
    (row,) = store.fetch_all("pushed_requests")
    assert row["request_uri_hash"] == hash_secret(request_uri)
    assert row["client_id"] == confidential.client_id and row["used"] is False
    assert row["expires_at"] == provider.now() + 60
    assert row["parameters"]["scope"] == ["email"] and row["parameters"]["client_id"] == [confidential.client_id]
    assert request_uri.removeprefix(REQUEST_URI_PREFIX) not in repr(row)
    client = provider.get_client(confidential.client_id)
    assert client is not None
    pushed = provider.authorizations.push(client, _params(confidential))
    assert pushed.request_uri.removeprefix(REQUEST_URI_PREFIX) not in repr(pushed)


@pytest.mark.rfc(RFC, "4")
def test_a_confidential_clients_pushed_request_issues_its_code(
    provider: Proauth2, confidential: ClientCredentials
) -> None:
    """client_id and request_uri stand for the pushed scope, redirect_uri, state and PKCE challenge."""
    verifier = new_verifier()
    request_uri = push(provider, confidential, verifier)
    validated = provider.validate_authorization_request(confidential.client_id, request_uri=request_uri)
    assert (validated.scopes, validated.redirect_uri, validated.state) == ({"email"}, OTHER_REDIRECT, STATE)
    assert validated.redirect_uri_given and validated.code_challenge == s256_challenge(verifier)
    answer = provider.authorization_response(validated, USER)
    assert answer["state"] == STATE and answer["iss"] == "https://auth.example.com"
    tokens = provider.request_access_token(
        "authorization_code",
        confidential.client_id,
        confidential.client_secret,
        code=answer["code"],
        redirect_uri=OTHER_REDIRECT,  # named in the pushed request: the token request repeats it (RFC 6749 §4.1.3)
        code_verifier=verifier,
    )
    assert tokens["scope"] == "email" and provider.validate_token(tokens["access_token"]).user_id == USER


@pytest.mark.rfc(RFC, "2.1")
def test_a_public_client_pushes_with_pkce(provider: Proauth2, public: ClientCredentials) -> None:
    verifier = new_verifier()
    request_uri = push(provider, public, verifier, redirect_uri=LOOPBACK, scope="profile")
    code = provider.authorization_response(
        provider.validate_authorization_request(public.client_id, request_uri=request_uri), USER
    )["code"]
    tokens = provider.request_access_token(
        "authorization_code", public.client_id, code=code, redirect_uri=LOOPBACK, code_verifier=verifier
    )
    assert tokens["scope"] == "profile"


@pytest.mark.rfc(RFC, "2.1")
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"code_challenge": None, "code_challenge_method": None}, "invalid_request", id="no-pkce"),
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain-pkce"),
        pytest.param({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request", id="unregistered-redirect"),
        pytest.param({"scope": "unknown"}, "invalid_scope", id="unknown-scope"),
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit"),
    ],
)
def test_a_pushed_request_gets_the_authorization_requests_validation(
    provider: Proauth2, store: PeeweeDataStore, public: ClientCredentials, overrides: dict[str, Any], error: str
) -> None:
    """RFC 9126 §2.1: validated as an authorization request; errors are for the PAR response, never redirected."""
    with pytest.raises(Proauth2Error) as caught:
        push(provider, public, **{"redirect_uri": LOOPBACK, **overrides})
    assert caught.value.error == error
    assert caught.value.redirect_uri is None and caught.value.state is None
    assert store.fetch_all("pushed_requests") == []


@pytest.mark.rfc(RFC, "2.1")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("request_uri", id="request-uri-rfc9126-2.1"),
        pytest.param("request", id="request-object-rfc9126-3"),
    ],
)
def test_a_request_uri_or_request_object_cannot_be_pushed(
    provider: Proauth2, confidential: ClientCredentials, name: str
) -> None:
    with pytest.raises(Proauth2Error) as caught:
        push(provider, confidential, **{name: REQUEST_URI_PREFIX + "x" * 43})
    assert caught.value.error == "invalid_request" and name in (caught.value.error_description or "")


@pytest.mark.rfc(RFC, "2.1")
def test_the_pushing_client_must_authenticate(provider: Proauth2, confidential: ClientCredentials) -> None:
    with pytest.raises(Proauth2Error) as caught:
        provider.push_authorization_request(confidential.client_id, "wrong", **pushed_params(new_verifier()))
    assert caught.value.error == "invalid_client"


@pytest.mark.rfc(RFC, "4")
def test_parameters_beside_the_request_uri_are_ignored(provider: Proauth2, confidential: ClientCredentials) -> None:
    """RFC 9126 §4: only the pushed parameters count; what the browser adds changes nothing."""
    request_uri = push(provider, confidential)
    validated = provider.validate_authorization_request(
        confidential.client_id,
        "token",
        request_uri=request_uri,
        redirect_uri=REDIRECT,
        scope="admin",
        state="forged",
        code_challenge=s256_challenge(new_verifier()),
        dpop_jkt=JKT,
    )
    assert (validated.scopes, validated.redirect_uri, validated.state) == ({"email"}, OTHER_REDIRECT, STATE)
    assert validated.dpop_jkt is None


@pytest.mark.rfc(RFC, "4")
def test_the_request_uri_survives_the_login_and_consent_round_trip(
    provider: Proauth2, confidential: ClientCredentials
) -> None:
    """Validated again on every page (and on reloads) until the answer; the answer uses it up."""
    request_uri = push(provider, confidential)
    for _ in range(3):
        validated = provider.validate_authorization_request(confidential.client_id, request_uri=request_uri)
    provider.authorization_response(validated, USER)
    error = refused(provider, confidential.client_id, request_uri)
    assert error.error == "invalid_request_uri" and "used" in (error.error_description or "")
    assert error.redirect_uri is None, "never redirected, not even to the pushed redirect_uri"
    assert error_page(error).status_code == 400


@pytest.mark.rfc(RFC, "4")
def test_a_second_approval_of_one_request_uri_issues_nothing(
    provider: Proauth2, store: PeeweeDataStore, confidential: ClientCredentials
) -> None:
    """Two tabs, one request_uri: the first approval gets the code, the second invalid_request_uri (shown)."""
    request_uri = push(provider, confidential)
    first = provider.validate_authorization_request(confidential.client_id, request_uri=request_uri)
    second = provider.validate_authorization_request(confidential.client_id, request_uri=request_uri)
    provider.authorization_response(first, USER)
    with pytest.raises(Proauth2Error) as caught:
        provider.authorization_response(second, USER)
    assert caught.value.error == "invalid_request_uri" and caught.value.redirect_uri is None
    assert len(store.fetch_all("codes", client_id=confidential.client_id)) == 1


@pytest.mark.rfc(RFC, "4")
def test_32_threads_approving_one_request_uri_issue_exactly_one_code(
    provider: Proauth2, store: PeeweeDataStore, confidential: ClientCredentials
) -> None:
    validated = provider.validate_authorization_request(
        confidential.client_id, request_uri=push(provider, confidential)
    )
    wins, errors = race(lambda: provider.authorization_response(validated, USER), store)
    assert len(wins) == 1 and set(errors) == {"invalid_request_uri"}
    assert len(store.fetch_all("codes", client_id=confidential.client_id)) == 1


@pytest.mark.rfc(RFC, "4")
def test_a_denial_uses_the_request_uri_up(provider: Proauth2, confidential: ClientCredentials) -> None:
    request_uri = push(provider, confidential)
    validated = provider.validate_authorization_request(confidential.client_id, request_uri=request_uri)
    location = denial_redirect(provider, validated)
    assert location.startswith(OTHER_REDIRECT + "?error=access_denied") and f"state={STATE}" in location
    assert refused(provider, confidential.client_id, request_uri).error == "invalid_request_uri"


@pytest.mark.rfc(RFC, "4")
def test_the_pushed_request_is_validated_again_and_its_error_redirect_uses_it_up(
    provider: Proauth2, confidential: ClientCredentials
) -> None:
    """RFC 9126 §4: validated as any other request; the client lost ``email`` since: invalid_scope, redirected."""
    request_uri = push(provider, confidential)
    provider.update_client(confidential.client_id, scopes="profile")
    error = refused(provider, confidential.client_id, request_uri)
    assert (error.error, error.redirect_uri, error.state) == ("invalid_scope", OTHER_REDIRECT, STATE)
    assert error_redirect(provider, error).startswith(OTHER_REDIRECT + "?error=invalid_scope")
    assert refused(provider, confidential.client_id, request_uri).error == "invalid_request_uri"


@pytest.mark.rfc(RFC, "4")
def test_another_clients_request_uri_is_refused_and_stays_usable(
    provider: Proauth2, confidential: ClientCredentials
) -> None:
    other = provider.register_app("Other app", [REDIRECT])
    request_uri = push(provider, confidential)
    error = refused(provider, other.client_id, request_uri, redirect_uri=REDIRECT)
    assert (error.error, error.redirect_uri) == ("invalid_request_uri", None)
    assert "another client" in (error.error_description or "")
    provider.validate_authorization_request(confidential.client_id, request_uri=request_uri)


@pytest.mark.rfc(RFC, "4")
def test_an_expired_request_uri_is_refused(
    provider: Proauth2, confidential: ClientCredentials, clock: FakeClock
) -> None:
    """RFC 9126 §4: "An expired request_uri MUST be rejected as invalid"."""
    request_uri = push(provider, confidential)
    clock.advance(59)
    provider.validate_authorization_request(confidential.client_id, request_uri=request_uri)
    clock.advance(1)
    error = refused(provider, confidential.client_id, request_uri)
    assert (error.error, error.redirect_uri, error.error_description) == (
        "invalid_request_uri",
        None,
        "the request_uri has expired",
    )


@pytest.mark.rfc(RFC, "4")
@pytest.mark.parametrize(
    ("query", "error"),
    [
        pytest.param({"request_uri": REQUEST_URI_PREFIX + "A" * 43}, "invalid_request_uri", id="unknown"),
        pytest.param({"request_uri": REQUEST_URI_PREFIX}, "invalid_request_uri", id="prefix-only"),
        pytest.param({"request_uri": [REQUEST_URI_PREFIX + "A" * 43] * 2}, "invalid_request", id="repeated"),
        pytest.param({"client_id": None}, "invalid_request", id="no-client-id"),
    ],
)
def test_a_request_uri_that_cannot_be_used_is_shown_never_redirected(
    provider: Proauth2, confidential: ClientCredentials, query: dict[str, Any], error: str
) -> None:
    """Not even to the client's only registered redirect URI: nothing of the request can be trusted."""
    only = provider.register_app("One redirect", [REDIRECT])
    args = {"client_id": only.client_id, "request_uri": push(provider, confidential), **query}
    with pytest.raises(Proauth2Error) as caught:
        provider.parse_authorization_request(args)
    assert caught.value.error == error and caught.value.redirect_uri is None


def test_a_request_uri_of_another_kind_is_not_supported(provider: Proauth2, confidential: ClientCredentials) -> None:
    """Only the PAR endpoint's URNs: a request object by reference (RFC 9101) is refused, by redirect."""
    with pytest.raises(Proauth2Error) as caught:
        provider.validate_authorization_request(
            confidential.client_id,
            "code",
            REDIRECT,
            state=STATE,
            code_challenge=s256_challenge(new_verifier()),
            code_challenge_method="S256",
            request_uri="https://client.example.com/request.jwt",
        )
    assert (caught.value.error, caught.value.redirect_uri) == ("request_uri_not_supported", REDIRECT)


@pytest.mark.rfc(RFC, "5")
def test_required_server_wide_a_request_not_pushed_is_invalid_request(
    provider: Proauth2, confidential: ClientCredentials
) -> None:
    """RFC 9126 §4, §5: invalid_request; the redirect_uri was checked against the registered ones, so redirected."""
    strict = with_settings(provider, require_pushed_authorization_requests=True)
    with pytest.raises(Proauth2Error) as caught:
        strict.validate_authorization_request(**_direct(confidential))
    assert (caught.value.error, caught.value.redirect_uri, caught.value.state) == ("invalid_request", REDIRECT, STATE)
    validated = strict.validate_authorization_request(confidential.client_id, request_uri=push(strict, confidential))
    assert strict.authorization_response(validated, USER)["code"]


@pytest.mark.rfc(RFC, "6")
def test_required_per_client_only_that_client_must_push(provider: Proauth2, confidential: ClientCredentials) -> None:
    strict = provider.register_app("FAPI app", [REDIRECT], metadata={"require_pushed_authorization_requests": True})
    with pytest.raises(Proauth2Error) as caught:
        provider.validate_authorization_request(**_direct(strict))
    assert (caught.value.error, caught.value.redirect_uri) == ("invalid_request", REDIRECT)
    provider.validate_authorization_request(**_direct(confidential))
    provider.validate_authorization_request(strict.client_id, request_uri=push(provider, strict, redirect_uri=REDIRECT))


@pytest.mark.rfc("9449", "10.1")
def test_a_proofs_key_binds_the_code_as_dpop_jkt_does(provider: Proauth2, confidential: ClientCredentials) -> None:
    client = provider.get_client(confidential.client_id)
    assert client is not None
    pushed = provider.authorizations.push(client, _params(confidential), dpop_jkt=JKT)
    validated = provider.validate_authorization_request(confidential.client_id, request_uri=pushed.request_uri)
    assert validated.dpop_jkt == JKT
    provider.authorizations.push(client, _params(confidential, dpop_jkt=JKT), dpop_jkt=JKT)  # both, the same key
    with pytest.raises(Proauth2Error) as caught:
        provider.authorizations.push(client, _params(confidential, dpop_jkt="x" * 43), dpop_jkt=JKT)
    assert caught.value.error == "invalid_dpop_proof"


def test_a_pushed_request_too_large_to_store_is_invalid_request(
    provider: Proauth2, store: PeeweeDataStore, confidential: ClientCredentials
) -> None:
    with pytest.raises(Proauth2Error) as caught:
        push(provider, confidential, login_hint="é" * (MAX_PARAMETERS_BYTES // 2))
    assert caught.value.error == "invalid_request"
    assert store.fetch_all("pushed_requests") == []


def test_expired_pushed_requests_are_purged_and_go_with_their_client(
    provider: Proauth2, store: PeeweeDataStore, confidential: ClientCredentials, clock: FakeClock
) -> None:
    push(provider, confidential)
    clock.advance(60)
    push(provider, confidential)
    assert provider.purge_expired() == 1
    assert len(store.fetch_all("pushed_requests")) == 1
    provider.delete_client(confidential.client_id)
    assert store.fetch_all("pushed_requests") == []


def _direct(client: ClientCredentials) -> dict[str, Any]:
    """A valid authorization request sent directly, not pushed."""
    return {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": STATE,
        "code_challenge": s256_challenge(new_verifier()),
        "code_challenge_method": "S256",
    }


def _params(client: ClientCredentials, **overrides: Any) -> Parameters:
    return Parameters.of({"client_id": client.client_id, **pushed_params(new_verifier(), **overrides)})


@pytest.mark.rfc(RFC, "4")
def test_a_prompt_none_error_redirect_uses_the_request_uri_up(provider: Proauth2) -> None:
    """OIDC Core §3.1.2.6 ``login_required``, redirected from the step check: the pushed request is answered."""
    oidc = with_settings(provider, openid=True, key_secret="pushed-requests-key-secret-" + "k" * 16)
    client = oidc.register_app("RP", [REDIRECT], scopes="openid profile")
    request_uri = push(oidc, client, redirect_uri=REDIRECT, scope="openid", prompt="none", nonce="n-0S6_WzA2Mj")
    validated = oidc.validate_authorization_request(client.client_id, request_uri=request_uri)
    with pytest.raises(Proauth2Error) as caught:
        oidc.next_step(validated, None)
    assert caught.value.error == "login_required" and caught.value.pushed_request == validated.pushed_request
    assert "error=login_required" in error_redirect(oidc, caught.value)
    assert refused(oidc, client.client_id, request_uri).error == "invalid_request_uri"


@pytest.mark.rfc(RFC, "6")
@pytest.mark.parametrize("value", [pytest.param("true", id="string"), pytest.param(1, id="number")])
def test_the_client_requirement_is_a_boolean_or_nothing(
    provider: Proauth2, confidential: ClientCredentials, value: object
) -> None:
    """Whatever is not ``true`` would mean "not required": refused rather than silently taken as false."""
    with pytest.raises(Proauth2Error) as caught:
        provider.register_app("App", [REDIRECT], metadata={"require_pushed_authorization_requests": value})
    assert caught.value.error == "invalid_client_metadata"
    with pytest.raises(Proauth2Error):
        provider.update_client(confidential.client_id, metadata={"require_pushed_authorization_requests": value})
