"""The app's own authorization view, made of the extension's helpers (RFC 6749 §4.1, RFC 7636, RFC 9207)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from proauth2_wsgi import ClientCredentials
from proauth2_wsgi.pkce import s256_challenge
from tests.flask.apps import USER
from tests.flask.conftest import ISSUER, REDIRECT, MakeApp, bearer

STATE = "xyz-state"


def _query(client: ClientCredentials, **overrides: Any) -> dict[str, Any]:
    verifier = secrets.token_urlsafe(48)
    query = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "profile email",
        "state": STATE,
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
        "_verifier": verifier,
    }
    query.update(overrides)
    return query


def _redirect_params(response: Any) -> dict[str, str]:
    assert response.status_code == 303, response.data
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def test_consent_page_shows_client_name_and_scope_descriptions(client: Any, confidential: ClientCredentials) -> None:
    query = _query(confidential)
    query.pop("_verifier")
    page = client.get("/authorize", query_string=query).get_data(as_text=True)
    assert "Test Client asks for" in page
    assert '<li data-scope="email">Read your email</li>' in page
    assert '<li data-scope="profile">Read your profile</li>' in page


@pytest.mark.rfc("6749", "4.1.2")
def test_rfc6749_section_4_1_2_approval_redirects_with_code_state_and_rfc9207_iss(
    client: Any, confidential: ClientCredentials
) -> None:
    query = _query(confidential)
    verifier = query.pop("_verifier")
    response = client.post("/authorize", query_string=query, data={"decision": "approve"})
    params = _redirect_params(response)
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == STATE
    assert params["iss"] == ISSUER
    assert response.headers["Cache-Control"] == "no-store"
    tokens = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(confidential.client_id, confidential.client_secret),
    ).json
    assert tokens["scope"] == "email profile"
    assert client.get("/me", headers=bearer(tokens["access_token"])).json["user_id"] == USER


@pytest.mark.rfc("6749", "4.1.2.1")
def test_rfc6749_section_4_1_2_1_denial_redirects_with_access_denied(
    client: Any, confidential: ClientCredentials
) -> None:
    query = _query(confidential)
    query.pop("_verifier")
    params = _redirect_params(client.post("/authorize", query_string=query, data={"decision": "deny"}))
    assert params == {
        "error": "access_denied",
        "error_description": "the user denied the request",
        "state": STATE,
        "iss": ISSUER,
    }


@pytest.mark.rfc("6749", "4.1.2.1")
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit-refused"),
        pytest.param({"scope": "nonexistent"}, "invalid_scope", id="unknown-scope"),
        pytest.param({"code_challenge": None, "code_challenge_method": None}, "invalid_request", id="rfc7636-no-pkce"),
        pytest.param({"code_challenge_method": "plain"}, "invalid_request", id="rfc7636-plain-refused"),
    ],
)
def test_rfc6749_section_4_1_2_1_errors_redirect_to_a_trusted_uri(
    client: Any, confidential: ClientCredentials, overrides: dict[str, Any], error: str
) -> None:
    query = {name: value for name, value in _query(confidential, **overrides).items() if value is not None}
    query.pop("_verifier")
    params = _redirect_params(client.get("/authorize", query_string=query))
    assert params["error"] == error
    assert params["state"] == STATE
    assert params["iss"] == ISSUER


@pytest.mark.rfc("6749", "4.1.2.1")
@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"client_id": "no-such-client"}, id="unknown-client"),
        pytest.param({"redirect_uri": "https://evil.example.com/steal"}, id="unregistered-redirect"),
        pytest.param({"client_id": None}, id="missing-client"),
    ],
)
def test_rfc6749_section_4_1_2_1_untrusted_requests_get_a_400_page_not_a_redirect(
    client: Any, confidential: ClientCredentials, overrides: dict[str, Any]
) -> None:
    query = {name: value for name, value in _query(confidential, **overrides).items() if value is not None}
    query.pop("_verifier")
    response = client.get("/authorize", query_string=query)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Location" not in response.headers
    assert "evil" not in response.get_data(as_text=True)


def test_authorization_error_page_is_shown_even_to_an_app_with_its_own_400_handler(make_app: MakeApp) -> None:
    app = make_app()
    app.register_error_handler(400, lambda error: ("app's own 400", 400))
    response = app.test_client().get("/authorize", query_string={"client_id": "nope", "response_type": "code"})
    assert response.status_code == 400
    assert "The authorization request was refused" in response.get_data(as_text=True)


def test_the_error_page_is_a_template_the_app_overrides(make_app: MakeApp, tmp_path: Path) -> None:
    """``proauth2/error.html``: the extension's plain page, unless the app has its own of that name."""
    default = make_app().test_client().get("/authorize", query_string={"client_id": "nobody"})
    assert default.status_code == 400 and "The authorization request was refused" in default.text
    assert default.headers["X-Frame-Options"] == "DENY" and default.headers["Cache-Control"] == "no-store"
    (tmp_path / "proauth2").mkdir()
    (tmp_path / "proauth2" / "error.html").write_text(
        "<p class=house-style>{{ error.error }}: {{ error.error_description }}</p>", encoding="utf-8"
    )
    app = make_app()
    app.jinja_loader.searchpath.insert(0, str(tmp_path))  # type: ignore[union-attr]
    custom = app.test_client().get("/authorize", query_string={"client_id": "<nobody>"})
    assert custom.status_code == 400
    assert custom.text == "<p class=house-style>invalid_client: unknown client_id</p>"
