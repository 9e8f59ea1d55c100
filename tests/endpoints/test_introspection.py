"""The introspection endpoint over real HTTP (RFC 7662)."""

from __future__ import annotations

import pytest

from proauth2_wsgi.models import ClientCredentials
from tests.conftest import FakeClock
from tests.endpoints.helpers import USER_ID, Server, assert_oauth_error


@pytest.fixture
def tokens(server: Server, confidential: ClientCredentials) -> dict[str, str]:
    return server.tokens(confidential.client_id, confidential.client_secret, scope="profile email")


@pytest.mark.rfc("7662", "2.2")
def test_active_access_token_rfc7662_2_2(server: Server, service: ClientCredentials, tokens: dict[str, str]) -> None:
    response = server.post(
        server.introspect_url, {"token": tokens["access_token"]}, auth=(service.client_id, service.client_secret)
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["active"] is True
    assert body["scope"] == "email profile"
    assert body["token_type"] == "Bearer"
    assert body["sub"] == USER_ID
    assert body["iss"] == "https://auth.example.com"
    assert body["exp"] > body["iat"]


@pytest.mark.rfc("7662", "2.1")
def test_active_refresh_token_with_hint_rfc7662_2_1(
    server: Server, service: ClientCredentials, tokens: dict[str, str]
) -> None:
    data = {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    body = server.post(server.introspect_url, data, auth=(service.client_id, service.client_secret)).json()
    assert body["active"] is True
    assert "token_type" not in body


@pytest.mark.rfc("7662", "2.2")
@pytest.mark.parametrize(
    "token",
    [
        pytest.param("A" * 43, id="unknown"),
        pytest.param("not a token", id="malformed"),
        pytest.param("x" * 5000, id="huge"),
    ],
)
def test_anything_not_active_is_just_active_false_rfc7662_2_2(
    server: Server, service: ClientCredentials, token: str
) -> None:
    assert server.introspect(token, (service.client_id, service.client_secret)) == {"active": False}


@pytest.mark.rfc("7662", "2.2")
def test_expired_token_is_inactive_rfc7662_2_2(
    server: Server, service: ClientCredentials, tokens: dict[str, str], clock: FakeClock
) -> None:
    clock.advance(3600)
    assert server.introspect(tokens["access_token"], (service.client_id, service.client_secret)) == {"active": False}


@pytest.mark.rfc("7662", "2.1")
def test_public_client_may_not_introspect_rfc7662_2_1(
    server: Server, public: ClientCredentials, tokens: dict[str, str]
) -> None:
    response = server.post(server.introspect_url, {"token": tokens["access_token"], "client_id": public.client_id})
    assert_oauth_error(response, 401, "invalid_client")
    assert "active" not in response.json()


@pytest.mark.rfc("7662", "2.1")
@pytest.mark.parametrize(
    "auth",
    [
        pytest.param(None, id="no-credentials"),
        pytest.param("bad-secret", id="bad-secret"),
    ],
)
def test_caller_must_authenticate_rfc7662_2_1(
    server: Server, service: ClientCredentials, tokens: dict[str, str], auth: str | None
) -> None:
    credentials = None if auth is None else (service.client_id, auth)
    response = server.post(server.introspect_url, {"token": tokens["access_token"]}, auth=credentials)
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="https://auth.example.com"'


@pytest.mark.rfc("7662", "2.1")
def test_missing_token_is_invalid_request_rfc7662_2_1(server: Server, service: ClientCredentials) -> None:
    response = server.post(
        server.introspect_url, {"token_type_hint": "access_token"}, auth=(service.client_id, service.client_secret)
    )
    assert_oauth_error(response, 400, "invalid_request")
