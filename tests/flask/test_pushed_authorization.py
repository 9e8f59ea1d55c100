"""Pushed authorization requests through the Flask extension (RFC 9126): the app's view is unchanged.

``/oauth/par`` is mounted by the blueprint; the app's ``/authorize`` (made of
``oauth.validate_authorization_request`` and ``oauth.authorization_response``,
tests/flask/apps.py) resolves a ``request_uri`` with nothing added, across its
consent page's round trip.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from proauth2_wsgi import ClientCredentials
from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi.pkce import s256_challenge
from tests.conftest import FakeClock
from tests.flask.apps import USER, oauth
from tests.flask.conftest import ISSUER, REDIRECT, MakeApp

pytestmark = pytest.mark.backends

RFC = "9126"
STATE = "flask-par-state"


def push(client: FlaskClient, credentials: ClientCredentials, verifier: str, **overrides: str) -> str:
    form = {
        "client_id": credentials.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "email",
        "state": STATE,
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }
    response = client.post("/oauth/par", data=form, auth=(credentials.client_id, credentials.client_secret or ""))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return str(response.get_json()["request_uri"])


def by_reference(credentials: ClientCredentials, request_uri: str, **beside: str) -> dict[str, str]:
    return {"client_id": credentials.client_id, "request_uri": request_uri, **beside}


def redirect_params(response: Any) -> dict[str, str]:
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].startswith(REDIRECT + "?")
    return {name: values[0] for name, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def assert_error_page(response: Any) -> None:
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.mimetype == "text/html" and "invalid_request_uri" in response.get_data(as_text=True)


@pytest.mark.rfc(RFC, "4")
def test_the_apps_authorize_view_resolves_a_request_uri_across_its_consent_page(
    client: FlaskClient, confidential: ClientCredentials
) -> None:
    verifier = secrets.token_urlsafe(48)
    request_uri = push(client, confidential, verifier)
    query = by_reference(confidential, request_uri, scope="admin")  # added in the browser: ignored
    page = client.get("/authorize", query_string=query).get_data(as_text=True)
    assert "Test Client asks for" in page and 'data-scope="email"' in page and 'data-scope="admin"' not in page
    params = redirect_params(client.post("/authorize", query_string=query, data={"decision": "approve"}))
    assert params["state"] == STATE and params["iss"] == ISSUER
    form = {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT}
    tokens = client.post(
        "/oauth/token",
        data={**form, "code_verifier": verifier},
        auth=(confidential.client_id, confidential.client_secret or ""),
    )
    assert tokens.status_code == 200 and tokens.get_json()["scope"] == "email"
    token = tokens.get_json()["access_token"]
    assert client.get("/any", headers={"Authorization": f"Bearer {token}"}).get_json()["user_id"] == USER
    assert_error_page(client.get("/authorize", query_string=query))


@pytest.mark.rfc(RFC, "4")
def test_a_denial_uses_the_request_uri_up(client: FlaskClient, confidential: ClientCredentials) -> None:
    query = by_reference(confidential, push(client, confidential, secrets.token_urlsafe(48)))
    assert redirect_params(client.post("/authorize", query_string=query, data={}))["error"] == "access_denied"
    assert_error_page(client.post("/authorize", query_string=query, data={"decision": "approve"}))


@pytest.mark.rfc(RFC, "4")
def test_an_approval_racing_another_gets_the_error_page(
    app: Flask, client: FlaskClient, provider: Provider, confidential: ClientCredentials
) -> None:
    """Validated in two tabs, approved in both: one code; the second answer is the 400 page."""
    query = by_reference(confidential, push(client, confidential, secrets.token_urlsafe(48)))
    with app.test_request_context("/authorize", query_string=query):
        first = oauth.validate_authorization_request()
        second = oauth.validate_authorization_request()
        assert redirect_params(oauth.authorization_response(first, USER, approved=True))["code"]
        response = oauth.authorization_response(second, USER, approved=True)
    assert_error_page(response)


@pytest.mark.rfc(RFC, "4")
def test_an_expired_request_uri_is_the_error_page(
    client: FlaskClient, confidential: ClientCredentials, clock: FakeClock
) -> None:
    query = by_reference(confidential, push(client, confidential, secrets.token_urlsafe(48)))
    clock.advance(60)
    assert_error_page(client.get("/authorize", query_string=query))


@pytest.mark.rfc(RFC, "2.3")
def test_a_bad_redirect_uri_is_json_at_the_par_endpoint(client: FlaskClient, confidential: ClientCredentials) -> None:
    form = {"client_id": confidential.client_id, "response_type": "code", "redirect_uri": "https://evil.example.com/"}
    response = client.post("/oauth/par", data=form, auth=(confidential.client_id, confidential.client_secret or ""))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    assert "Location" not in response.headers


@pytest.mark.rfc(RFC, "5")
def test_required_by_configuration_and_announced(make_app: MakeApp) -> None:
    app = make_app(PROAUTH2_REQUIRE_PUSHED_AUTHORIZATION_REQUESTS=True, PROAUTH2_PAR_LIFETIME=120)
    client = app.test_client()
    document = client.get("/.well-known/oauth-authorization-server").get_json()
    assert document["pushed_authorization_request_endpoint"] == ISSUER + "/oauth/par"
    assert document["require_pushed_authorization_requests"] is True
    provider: Provider = app.extensions["proauth2"].provider
    credentials = provider.register_app("Test Client", [REDIRECT])
    verifier = secrets.token_urlsafe(48)
    direct = {
        "client_id": credentials.client_id,
        "response_type": "code",
        "state": STATE,
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
    }
    assert redirect_params(client.get("/authorize", query_string=direct))["error"] == "invalid_request"
    response = client.post(
        "/oauth/par", data=direct, auth=(credentials.client_id, credentials.client_secret or "")
    ).get_json()
    assert response["expires_in"] == 120
    page = client.get("/authorize", query_string=by_reference(credentials, response["request_uri"]))
    assert page.status_code == 200
