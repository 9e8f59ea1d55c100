"""Real OAuth client libraries against the endpoints over loopback HTTP.

requests-oauthlib and Authlib run the code flow with PKCE S256 (RFC 7636),
refresh with rotation (RFC 6749 §6), revocation (RFC 7009), introspection
(RFC 7662) and the client credentials grant (RFC 6749 §4.4), each against
SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import AccessDeniedError, BackendApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from proauth2_wsgi import Proauth2
from proauth2_wsgi.models import ClientCredentials
from tests.endpoints.helpers import REDIRECT_URI, USER_ID, Server

PUBLIC_REDIRECT = "http://127.0.0.1:53117/callback"


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests-oauthlib refuses plain http; these servers listen on loopback only."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _follow_authorize(url: str) -> str:
    """The user's browser: load the authorization URL, return where the server redirects it."""
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def _active(server: Server, token: str, introspector: ClientCredentials) -> bool:
    return server.introspect(token, (introspector.client_id, introspector.client_secret or ""))["active"]


# -- requests-oauthlib ----------------------------------------------------------


def test_requests_oauthlib_code_flow_pkce_and_refresh(
    server: Server, confidential: ClientCredentials, service: ClientCredentials
) -> None:
    session = OAuth2Session(confidential.client_id, redirect_uri=REDIRECT_URI, scope=["profile", "email"], pkce="S256")
    url, _ = session.authorization_url(server.authorize_url)
    location = _follow_authorize(url)
    token = session.fetch_token(
        server.token_url, authorization_response=location, client_secret=confidential.client_secret
    )
    assert token["token_type"] == "Bearer"
    assert sorted(token["scope"]) == ["email", "profile"]
    assert _active(server, token["access_token"], service)

    auth = HTTPBasicAuth(confidential.client_id, confidential.client_secret)
    refreshed = session.refresh_token(server.token_url, auth=auth)
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert _active(server, refreshed["access_token"], service)
    assert not _active(server, token["refresh_token"], service)  # rotated, RFC 9700 §4.14.2


def test_requests_oauthlib_public_client(server: Server, public: ClientCredentials, service: ClientCredentials) -> None:
    session = OAuth2Session(public.client_id, redirect_uri=PUBLIC_REDIRECT, scope=["profile"], pkce="S256")
    url, _ = session.authorization_url(server.authorize_url)
    token = session.fetch_token(server.token_url, authorization_response=_follow_authorize(url), include_client_id=True)
    assert server.introspect(token["access_token"], (service.client_id, service.client_secret or ""))["sub"] == USER_ID


@pytest.mark.rfc("6749", "2.3.1")
def test_requests_oauthlib_public_client_default_basic_rfc6749_2_3_1(
    server: Server, public: ClientCredentials, service: ClientCredentials
) -> None:
    """requests-oauthlib's default for a public client is ``Authorization: Basic`` of ``client_id:``.

    RFC 6749 §2.3.1 encodes the client_id and a (here empty) secret: the public client
    named itself, which is its registered method ``none``; PKCE still binds the code.
    """
    session = OAuth2Session(public.client_id, redirect_uri=PUBLIC_REDIRECT, scope=["profile"], pkce="S256")
    url, _ = session.authorization_url(server.authorize_url)
    token = session.fetch_token(server.token_url, authorization_response=_follow_authorize(url))
    assert server.introspect(token["access_token"], (service.client_id, service.client_secret or ""))["sub"] == USER_ID


def test_requests_oauthlib_denied_consent_raises_access_denied(server: Server, confidential: ClientCredentials) -> None:
    server.view.approve = False
    session = OAuth2Session(confidential.client_id, redirect_uri=REDIRECT_URI, pkce="S256")
    url, _ = session.authorization_url(server.authorize_url)
    location = _follow_authorize(url)
    with pytest.raises(AccessDeniedError):
        session.fetch_token(server.token_url, authorization_response=location, client_secret=confidential.client_secret)


def test_requests_oauthlib_client_credentials(server: Server, service: ClientCredentials) -> None:
    session = OAuth2Session(client=BackendApplicationClient(client_id=service.client_id))
    token = session.fetch_token(
        server.token_url, client_id=service.client_id, client_secret=service.client_secret, scope=["email"]
    )
    assert token["scope"] == ["email"]
    assert "refresh_token" not in token


# -- Authlib ---------------------------------------------------------------------


def test_authlib_code_flow_pkce_refresh_revoke(
    server: Server, confidential: ClientCredentials, service: ClientCredentials
) -> None:
    with AuthlibSession(
        confidential.client_id,
        confidential.client_secret,
        scope="profile",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    ) as client:
        verifier = generate_token(64)
        url, _ = client.create_authorization_url(server.authorize_url, code_verifier=verifier)
        location = _follow_authorize(url)
        token = client.fetch_token(server.token_url, authorization_response=location, code_verifier=verifier)
        assert token["scope"] == "profile"

        refreshed = client.refresh_token(server.token_url)
        assert refreshed["access_token"] != token["access_token"]
        assert client.token["refresh_token"] == refreshed["refresh_token"]

        introspection = client.introspect_token(server.introspect_url, token=refreshed["access_token"])
        assert introspection.json()["active"] is True

        response = client.revoke_token(
            server.revoke_url, token=refreshed["refresh_token"], token_type_hint="refresh_token"
        )
        assert response.status_code == 200
        assert not _active(server, refreshed["access_token"], service)  # the grant went with it


def test_authlib_public_client_with_pkce(server: Server, public: ClientCredentials) -> None:
    with AuthlibSession(public.client_id, redirect_uri=PUBLIC_REDIRECT, code_challenge_method="S256") as client:
        verifier = generate_token(64)
        url, _ = client.create_authorization_url(server.authorize_url, code_verifier=verifier)
        token = client.fetch_token(
            server.token_url, authorization_response=_follow_authorize(url), code_verifier=verifier
        )
        assert token["scope"] == "profile"
        assert client.revoke_token(server.revoke_url, token=token["access_token"]).status_code == 200


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_authlib_client_credentials(server: Server, provider: Proauth2, auth_method: str) -> None:
    client_id, secret = provider.register_app("Svc", grant_types=["client_credentials"], auth_method=auth_method)
    with AuthlibSession(client_id, secret, token_endpoint_auth_method=auth_method, scope="email") as client:
        token = client.fetch_token(server.token_url, grant_type="client_credentials")
        assert token["scope"] == "email"
        assert "refresh_token" not in token
        assert client.introspect_token(server.introspect_url, token=token["access_token"]).json()["active"] is True
