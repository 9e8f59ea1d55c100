"""Dynamic client registration over real HTTP (RFC 7591)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from proauth2_wsgi import Proauth2
from tests.endpoints.conftest import INITIAL_ACCESS_TOKEN
from tests.endpoints.helpers import REDIRECT_URI, Server, assert_oauth_error


def _register(server: Server, metadata: Any, **kwargs: Any) -> requests.Response:
    return requests.post(server.register_url, json=metadata, timeout=10, **kwargs)


@pytest.mark.rfc("7591", "3.2.1")
def test_registered_client_gets_id_secret_and_metadata_rfc7591_3_2_1(server: Server, provider: Proauth2) -> None:
    response = _register(
        server,
        {
            "redirect_uris": [REDIRECT_URI],
            "client_name": "Dynamic app",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "profile email",
            "x_custom_flag": True,  # unrecognised: ignored (§2)
        },
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["client_secret_expires_at"] == 0
    assert body["client_id_issued_at"] == provider.now()
    assert body["redirect_uris"] == [REDIRECT_URI]
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scope"] == "email profile"
    assert "x_custom_flag" not in body
    tokens = server.tokens(body["client_id"], body["client_secret"])
    assert "refresh_token" in tokens


@pytest.mark.rfc("7591", "2")
def test_defaults_rfc7591_2(server: Server) -> None:
    """Grant types default to authorization_code, the method to client_secret_basic."""
    body = _register(server, {"redirect_uris": [REDIRECT_URI]}).json()
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["client_name"]


@pytest.mark.rfc("7591", "3.2.1")
def test_public_client_gets_no_secret_rfc7591_3_2_1(server: Server) -> None:
    body = _register(server, {"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"}).json()
    assert body["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in body
    assert "client_secret_expires_at" not in body


@pytest.mark.rfc("7591", "2")
def test_client_credentials_client_rfc7591_2(server: Server) -> None:
    body = _register(server, {"grant_types": ["client_credentials"], "response_types": []}).json()
    assert body["response_types"] == []
    response = server.post(
        server.token_url, {"grant_type": "client_credentials"}, auth=(body["client_id"], body["client_secret"])
    )
    assert response.status_code == 200


@pytest.mark.rfc("7591", "3.2.2")
@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        pytest.param({"redirect_uris": ["http://evil.example.com/cb"]}, "invalid_redirect_uri", id="http-non-loopback"),
        pytest.param({"redirect_uris": ["https://client.example.com/cb#frag"]}, "invalid_redirect_uri", id="fragment"),
        pytest.param({"redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri", id="javascript"),
        pytest.param({"redirect_uris": []}, "invalid_redirect_uri", id="none-for-code-grant"),
        pytest.param({"redirect_uris": "https://client.example.com/cb"}, "invalid_redirect_uri", id="not-an-array"),
        pytest.param({"redirect_uris": [1]}, "invalid_redirect_uri", id="not-strings"),
        pytest.param(
            {"redirect_uris": [REDIRECT_URI], "grant_types": ["password"]},
            "invalid_client_metadata",
            id="password-grant",
        ),
        pytest.param(
            {"redirect_uris": [REDIRECT_URI], "grant_types": ["implicit"], "response_types": ["token"]},
            "invalid_client_metadata",
            id="implicit",
        ),
        pytest.param(
            {"redirect_uris": [REDIRECT_URI], "response_types": ["token"]},
            "invalid_client_metadata",
            id="response-type-token",
        ),
        pytest.param(
            {"grant_types": ["client_credentials"], "response_types": ["code"]},
            "invalid_client_metadata",
            id="code-without-code-grant",
        ),
        pytest.param(
            {"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "private_key_jwt"},
            "invalid_client_metadata",
            id="unsupported-auth-method",
        ),
        pytest.param(
            {"redirect_uris": [REDIRECT_URI], "scope": "profile root"}, "invalid_client_metadata", id="unknown-scope"
        ),
        pytest.param(
            {"redirect_uris": [REDIRECT_URI], "scope": ["profile"]}, "invalid_client_metadata", id="scope-not-a-string"
        ),
        pytest.param(
            {"redirect_uris": [REDIRECT_URI], "client_name": 7}, "invalid_client_metadata", id="name-not-a-string"
        ),
        pytest.param(
            {"redirect_uris": [REDIRECT_URI], "client_name": "x" * 300}, "invalid_client_metadata", id="name-too-long"
        ),
        pytest.param(
            {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"},
            "invalid_client_metadata",
            id="public-client-credentials",
        ),
    ],
)
def test_bad_metadata_rfc7591_3_2_2(server: Server, metadata: dict[str, Any], error: str) -> None:
    assert_oauth_error(_register(server, metadata), 400, error)


@pytest.mark.rfc("7591", "3")
def test_registration_without_initial_access_token_is_401_rfc7591_3(protected_server: Server) -> None:
    response = _register(protected_server, {"redirect_uris": [REDIRECT_URI]})
    assert_oauth_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="https://auth.example.com"'


@pytest.mark.rfc("7591", "3")
@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer wrong-token", id="wrong-token"),
        pytest.param(f"Basic {INITIAL_ACCESS_TOKEN}", id="wrong-scheme"),
        pytest.param("Bearer", id="bare-bearer"),
        pytest.param(f"Bearer {INITIAL_ACCESS_TOKEN}x", id="longer-token"),
    ],
)
def test_wrong_initial_access_token_is_401_rfc7591_3(protected_server: Server, header: str) -> None:
    response = _register(protected_server, {"redirect_uris": [REDIRECT_URI]}, headers={"Authorization": header})
    assert_oauth_error(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="https://auth.example.com"')
    assert INITIAL_ACCESS_TOKEN not in response.text


@pytest.mark.rfc("7591", "3")
def test_initial_access_token_admits_rfc7591_3(protected_server: Server) -> None:
    response = _register(
        protected_server,
        {"redirect_uris": [REDIRECT_URI]},
        headers={"Authorization": f"Bearer {INITIAL_ACCESS_TOKEN}"},
    )
    assert response.status_code == 201, response.text
