"""The whole flow over real HTTP: a Flask provider on loopback, driven by requests-oauthlib with PKCE."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest
import requests
from flask import Flask
from requests_oauthlib import OAuth2Session

from tests.flask.apps import USER
from tests.flask.conftest import MakeApp
from tests.http_server import serve

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: a loopback redirect URI: any port matches it (RFC 8252 §7.3)
CALLBACK = "http://127.0.0.1/callback"


@pytest.mark.rfc("6749", "4.1")
def test_rfc6749_section_4_1_code_flow_with_rfc7636_pkce_refresh_and_rfc7009_revocation(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http, on loopback only
    apps: list[Flask] = []

    def dispatch(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The app, created once the server's port (part of the issuer) is known."""
        return apps[0](environ, start_response)

    with serve(dispatch) as base:
        app = make_app(PROAUTH2_ISSUER=base, AUTO_APPROVE=True)
        apps.append(app)
        provider = app.extensions["proauth2"].provider
        client_id, client_secret = provider.register_app("Loopback App", [CALLBACK])

        metadata = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=10).json()
        assert metadata["issuer"] == base
        assert metadata["code_challenge_methods_supported"] == ["S256"]

        session = OAuth2Session(client_id, redirect_uri=CALLBACK, scope=["profile", "email"], pkce="S256")
        authorization_url, state = session.authorization_url(metadata["authorization_endpoint"])
        assert "code_challenge=" in authorization_url
        answer = requests.get(authorization_url, allow_redirects=False, timeout=10)
        assert answer.status_code == 303
        callback = answer.headers["Location"]
        assert callback.startswith(CALLBACK + "?")
        assert f"state={state}" in callback
        assert f"iss={requests.utils.quote(base, safe='')}" in callback  # RFC 9207

        token = session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, client_secret=client_secret
        )
        assert token["token_type"] == "Bearer"
        assert set(token["scope"]) == {"profile", "email"}
        me = session.get(f"{base}/me", timeout=10)
        assert me.status_code == 200
        assert me.json()["user_id"] == USER
        assert me.headers["Vary"] == "Authorization"

        refreshed = session.refresh_token(metadata["token_endpoint"], auth=(client_id, client_secret))
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["refresh_token"] != token["refresh_token"]  # rotation
        assert (
            requests.get(
                f"{base}/me", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
            ).status_code
            == 200
        )  # the old access token lives until it expires

        revoked = requests.post(
            metadata["revocation_endpoint"],
            data={"token": refreshed["refresh_token"], "token_type_hint": "refresh_token"},
            auth=(client_id, client_secret),
            timeout=10,
        )
        assert revoked.status_code == 200
        denied = session.get(f"{base}/me", timeout=10)
        assert denied.status_code == 401
        assert 'error="invalid_token"' in denied.headers["WWW-Authenticate"]
