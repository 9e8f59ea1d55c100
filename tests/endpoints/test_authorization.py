"""The authorization-request helper (RFC 6749 §4.1.1-§4.1.2.1, RFC 7636, RFC 9207, RFC 9700).

Driven both directly and through a host app's authorize view served over HTTP.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from proauth2_wsgi import Proauth2, Proauth2Error
from proauth2_wsgi.endpoints.authorization import (
    authorization_redirect,
    denial_redirect,
    error_page,
    error_redirect,
    parse_authorization_request,
)
from proauth2_wsgi.models import ClientCredentials
from tests.endpoints.helpers import REDIRECT_URI, Server, new_verifier, redirect_params, s256

ISSUER = "https://auth.example.com"


def _request(client_id: str, **params: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "state": "xyz 1/2",
        "code_challenge": s256(new_verifier()),
        "code_challenge_method": "S256",
        **params,
    }


@pytest.mark.rfc("6749", "4.1.2")
def test_success_redirect_carries_code_state_iss_rfc6749_4_1_2_rfc9207(
    server: Server, confidential: ClientCredentials
) -> None:
    response = server.authorize(**_request(confidential.client_id))
    assert response.status_code == 303
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    params = redirect_params(response)
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == "xyz 1/2"
    assert params["iss"] == ISSUER


@pytest.mark.rfc("6749", "4.1.2.1")
def test_denial_redirect_is_access_denied_rfc6749_4_1_2_1(server: Server, confidential: ClientCredentials) -> None:
    server.view.approve = False
    params = redirect_params(server.authorize(**_request(confidential.client_id)))
    assert params == {
        "error": "access_denied",
        "error_description": "the user denied the request",
        "state": "xyz 1/2",
        "iss": ISSUER,
    }


@pytest.mark.rfc("6749", "3.1.2")
def test_redirect_keeps_the_registered_query_and_drops_no_fragment_rfc6749_3_1_2(provider: Proauth2) -> None:
    client_id, _ = provider.register_app("Query app", ["https://client.example.com/cb?tenant=a%20b"])
    request = parse_authorization_request(provider, _request(client_id))
    location = authorization_redirect(provider, request, "alice")
    parts = urlsplit(location)
    assert "#" not in location
    query = parse_qs(parts.query)
    assert query["tenant"] == ["a b"]
    assert set(query) == {"tenant", "code", "state", "iss"}


@pytest.mark.rfc("6749", "4.1.2.1")
@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param({"response_type": None}, "invalid_request", id="no-response-type"),
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit-rfc9700-2.1.2"),
        pytest.param({"response_type": "code token"}, "unsupported_response_type", id="hybrid"),
        pytest.param({"scope": "root"}, "invalid_scope", id="unknown-scope"),
        pytest.param({"scope": 'bad"scope'}, "invalid_scope", id="malformed-scope"),
        pytest.param({"code_challenge": None, "code_challenge_method": None}, "invalid_request", id="no-pkce-rfc7636"),
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="plain-pkce-rfc9700-2.1.1"),
        pytest.param({"code_challenge": "short"}, "invalid_request", id="bad-challenge"),
        pytest.param({"state": "s" * 3000}, "invalid_request", id="huge-state"),
    ],
)
def test_errors_go_back_by_redirect_rfc6749_4_1_2_1(
    server: Server, confidential: ClientCredentials, change: dict[str, str | None], error: str
) -> None:
    params = {name: value for name, value in (_request(confidential.client_id) | change).items() if value is not None}
    response = server.authorize(**params)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    location = redirect_params(response)
    assert location["error"] == error
    assert location["iss"] == ISSUER
    assert "code" not in location
    if "state" not in change:
        assert location["state"] == "xyz 1/2"


@pytest.mark.rfc("6749", "4.1.2.1")
@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param({"client_id": "unknown"}, "invalid_client", id="unknown-client"),
        pytest.param({"client_id": None}, "invalid_request", id="no-client"),
        pytest.param({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request", id="unregistered-uri"),
        pytest.param({"redirect_uri": REDIRECT_URI + "/"}, "invalid_request", id="not-exact-rfc9700-4.1.3"),
        pytest.param({"redirect_uri": REDIRECT_URI + "?x=1"}, "invalid_request", id="extra-query"),
    ],
)
def test_errors_that_must_not_redirect_are_shown_rfc6749_4_1_2_1(
    server: Server, confidential: ClientCredentials, change: dict[str, str | None], error: str
) -> None:
    params = {name: value for name, value in (_request(confidential.client_id) | change).items() if value is not None}
    response = server.authorize(**params)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert f"<code>{error}</code>" in response.text


@pytest.mark.rfc("8252", "7.3")
@pytest.mark.parametrize("port", ["99999", "65536"])
def test_loopback_redirect_with_impossible_port_is_shown_rfc8252_7_3(
    server: Server, public: ClientCredentials, port: str
) -> None:
    """RFC 8252 §7.3: any *port* may vary; a number above 65535 is none, so it is shown (400), never a 500."""
    response = server.authorize(**_request(public.client_id, redirect_uri=f"http://127.0.0.1:{port}/callback"))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "<code>invalid_request</code>" in response.text


@pytest.mark.rfc("6749", "3.1")
@pytest.mark.parametrize(
    ("name", "redirected"),
    [
        pytest.param("client_id", False, id="client_id-shown"),
        pytest.param("redirect_uri", False, id="redirect_uri-shown"),
        pytest.param("scope", True, id="scope-redirected"),
        pytest.param("state", True, id="state-redirected"),
        pytest.param("code_challenge", True, id="code_challenge-redirected"),
    ],
)
def test_repeated_parameter_is_invalid_request_rfc6749_3_1(
    provider: Proauth2, confidential: ClientCredentials, name: str, redirected: bool
) -> None:
    args = MultiDict(_request(confidential.client_id, redirect_uri=REDIRECT_URI, scope="profile"))
    args.add(name, args[name] + "2")
    with pytest.raises(Proauth2Error) as caught:
        parse_authorization_request(provider, args)
    assert caught.value.error == "invalid_request"
    assert (caught.value.redirect_uri == REDIRECT_URI) is redirected
    if redirected:
        location = parse_qs(urlsplit(error_redirect(provider, caught.value)).query)
        assert location.get("state") == (None if name == "state" else ["xyz 1/2"])


@pytest.mark.rfc("6749", "3.1")
def test_empty_parameters_count_as_omitted_rfc6749_3_1(provider: Proauth2, confidential: ClientCredentials) -> None:
    args = MultiDict(_request(confidential.client_id, scope=""))
    args.add("state", "")
    request = parse_authorization_request(provider, args)
    assert request.scopes == frozenset({"profile"})  # the default scope
    assert request.state == "xyz 1/2"


def test_parse_qs_shaped_and_plain_mappings(provider: Proauth2, confidential: ClientCredentials) -> None:
    plain = _request(confidential.client_id)
    assert parse_authorization_request(provider, plain).state == "xyz 1/2"
    lists = {name: [value] for name, value in plain.items()}
    assert parse_authorization_request(provider, lists).state == "xyz 1/2"
    lists["scope"] = ["profile", "email"]
    with pytest.raises(Proauth2Error, match="scope is repeated"):
        parse_authorization_request(provider, lists)


@pytest.mark.rfc("6749", "4.1.3")
def test_code_from_the_helper_is_bound_to_the_request_rfc6749_4_1_3(
    server: Server, confidential: ClientCredentials
) -> None:
    verifier = new_verifier()
    code = server.code(confidential.client_id, verifier, redirect_uri=REDIRECT_URI, scope="email")
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": REDIRECT_URI}
    response = server.post(server.token_url, data, auth=(confidential.client_id, confidential.client_secret))
    assert response.json()["scope"] == "email"


def test_denial_redirect_without_state(provider: Proauth2, confidential: ClientCredentials) -> None:
    params = {name: value for name, value in _request(confidential.client_id).items() if name != "state"}
    location = denial_redirect(provider, parse_authorization_request(provider, params))
    assert parse_qs(urlsplit(location).query)["error"] == ["access_denied"]
    assert "state" not in parse_qs(urlsplit(location).query)


def test_error_redirect_refuses_a_non_redirect_error(provider: Proauth2) -> None:
    with pytest.raises(Proauth2Error) as caught:
        parse_authorization_request(provider, {"client_id": "nobody", "response_type": "code"})
    with pytest.raises(ValueError, match="error_page"):
        error_redirect(provider, caught.value)


def test_error_page_escapes_its_text() -> None:
    response = error_page(Proauth2Error("invalid_request", "<script>alert(1)</script> & more"))
    body = response.get_data(as_text=True)
    assert "<script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
    assert response.status_code == 400
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "script-src" not in response.headers["Content-Security-Policy"]  # no script, from anywhere
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_app_renders_the_error_page_with_its_own_template() -> None:
    """The hook of the plain-WSGI helper: the app's page, the error's text escaped into it."""
    template = "<main class=mine><h1>{{ Oops }}</h1><p>{error}: {description}</p></main>"
    response = error_page(Proauth2Error("invalid_client", "unknown <client>"), template=template)
    body = response.get_data(as_text=True)
    assert body == "<main class=mine><h1>{ Oops }</h1><p>invalid_client: unknown &lt;client&gt;</p></main>"
    assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
