"""Test helpers: a host app's authorize view, PKCE values, and HTTP shortcuts for the endpoints."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import requests
from werkzeug.utils import redirect
from werkzeug.wrappers import Request

from proauth2_wsgi import Proauth2, Proauth2Error
from proauth2_wsgi.endpoints.authorization import (
    authorization_redirect,
    denial_redirect,
    error_page,
    error_redirect,
    parse_authorization_request,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: the redirect URI every confidential test client registers
REDIRECT_URI = "https://client.example.com/cb"
#: the user the authorize view has "logged in"
USER_ID = "alice"


class AuthorizeView:
    """A host app's authorization endpoint: a fixed logged-in user who approves (or denies)."""

    def __init__(self, provider: Proauth2) -> None:
        self.provider = provider
        self.approve = True

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            auth_request = parse_authorization_request(self.provider, request.args)
        except Proauth2Error as error:
            if error.redirect_uri is None:
                response = error_page(error)
            else:
                response = redirect(error_redirect(self.provider, error), 303)
        else:
            if self.approve:
                location = authorization_redirect(self.provider, auth_request, USER_ID)
            else:
                location = denial_redirect(self.provider, auth_request)
            response = redirect(location, 303)
        return response(environ, start_response)


@dataclass
class Server:
    """The served app: its base URL and its authorize view."""

    url: str
    view: AuthorizeView

    @property
    def token_url(self) -> str:
        return self.url + "/oauth/token"

    @property
    def revoke_url(self) -> str:
        return self.url + "/oauth/revoke"

    @property
    def introspect_url(self) -> str:
        return self.url + "/oauth/introspect"

    @property
    def register_url(self) -> str:
        return self.url + "/oauth/register"

    @property
    def authorize_url(self) -> str:
        return self.url + "/authorize"

    def authorize(self, **params: str) -> requests.Response:
        """GET the authorize view without following its redirect."""
        return requests.get(self.authorize_url, params=params, allow_redirects=False, timeout=10)

    def code(self, client_id: str, verifier: str, **params: str) -> str:
        """Run the authorization request for an approving user; the code from the redirect."""
        params = {
            "response_type": "code",
            "client_id": client_id,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
            **params,
        }
        response = self.authorize(**params)
        assert response.status_code == 303, response.text
        return redirect_params(response)["code"]

    def post(self, url: str, data: dict[str, str] | bytes | str, **kwargs: Any) -> requests.Response:
        """POST a form (or raw bytes) to an endpoint."""
        kwargs.setdefault("timeout", 10)
        if not isinstance(data, dict):
            kwargs.setdefault("headers", {}).setdefault("Content-Type", "application/x-www-form-urlencoded")
        return requests.post(url, data=data, **kwargs)

    def tokens(self, client_id: str, secret: str, **params: str) -> dict[str, Any]:
        """Exchange a fresh code of an approving user for tokens (client_secret_basic)."""
        verifier = new_verifier()
        code = self.code(client_id, verifier, **params)
        response = self.post(
            self.token_url,
            {"grant_type": "authorization_code", "code": code, "code_verifier": verifier},
            auth=(client_id, secret),
        )
        assert response.status_code == 200, response.text
        return response.json()

    def introspect(self, token: str, auth: tuple[str, str]) -> dict[str, Any]:
        response = self.post(self.introspect_url, {"token": token}, auth=auth)
        assert response.status_code == 200, response.text
        return response.json()


def new_verifier() -> str:
    """A fresh RFC 7636 code_verifier."""
    return secrets.token_urlsafe(48)


def s256(verifier: str) -> str:
    """The S256 code_challenge of ``verifier`` (RFC 7636 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def redirect_params(response: requests.Response) -> dict[str, str]:
    """The single-valued query parameters of a redirect's Location."""
    query = parse_qs(urlsplit(response.headers["Location"]).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {name: values[0] for name, values in query.items()}


def assert_oauth_error(response: requests.Response, status: int, error: str) -> dict[str, Any]:
    """The response is a JSON OAuth error with this status and code, and never cached (RFC 6749 §5.2)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error, body
    return body
