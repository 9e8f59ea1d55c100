"""Fixtures for the bearer middleware tests: real tokens from a real provider, a WSGI echo app."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest

from proauth2_wsgi import Proauth2
from proauth2_wsgi.middleware import CLIENT_ID, SCOPES, USER_ID
from proauth2_wsgi.pkce import s256_challenge

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

REDIRECT_URI = "https://client.example.com/callback"
#: the body of a 401 for a request without a token: no error code (RFC 6750 §3.1), words for people
NO_TOKEN_BODY = {"error_description": "this resource needs an access token (RFC 6750 section 2.1)"}
VERIFIER = "v" * 43 + "-verifier"


def echo_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A bare WSGI app answering with what the middleware put into its environ."""
    body = json.dumps(
        {
            "user_id": environ.get(USER_ID),
            "client_id": environ.get(CLIENT_ID),
            "scopes": sorted(environ.get(SCOPES, ())),
            "path": environ.get("PATH_INFO"),
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class Tokens:
    """Issues real access tokens through the provider's grants."""

    def __init__(self, provider: Proauth2) -> None:
        self.provider = provider
        self._service: tuple[str, str] | None = None
        self._web: tuple[str, str] | None = None

    def for_user(self, user_id: str = "alice", scope: str = "profile") -> str:
        """An authorization-code token (RFC 6749 §4.1) with PKCE S256 (RFC 7636)."""
        if self._web is None:
            client_id, secret = self.provider.register_app("web", [REDIRECT_URI])
            assert secret is not None
            self._web = client_id, secret
        client_id, secret = self._web
        code = self.provider.request_authorization(
            client_id,
            user_id,
            redirect_uri=REDIRECT_URI,
            scope=scope,
            code_challenge=s256_challenge(VERIFIER),
            code_challenge_method="S256",
        )["code"]
        response = self.provider.request_access_token(
            "authorization_code", client_id, secret, code=code, redirect_uri=REDIRECT_URI, code_verifier=VERIFIER
        )
        return str(response["access_token"])

    def for_client(self, scope: str = "profile") -> str:
        """A client-credentials token (RFC 6749 §4.4): no user."""
        if self._service is None:
            client_id, secret = self.provider.register_app("service", grant_types=["client_credentials"])
            assert secret is not None
            self._service = client_id, secret
        client_id, secret = self._service
        return str(
            self.provider.request_access_token("client_credentials", client_id, secret, scope=scope)["access_token"]
        )


@pytest.fixture
def tokens(provider: Proauth2) -> Tokens:
    return Tokens(provider)


def bearer(token: str) -> dict[str, str]:
    """The RFC 6750 §2.1 request header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


#: the algorithms a resource takes DPoP proofs of by default (RFC 9449 §7.1 ``algs``)
DPOP_ALGS = "ES256 EdDSA PS256 RS256"


def with_dpop(bearer: str, realm: str = "api", **extra: str) -> str:
    """The challenges of a resource taking bearer and DPoP tokens: ``bearer``, then DPoP's (RFC 9449 §7.1)."""
    params = "".join(f', {name}="{value}"' for name, value in extra.items())
    return f'{bearer}, DPoP realm="{realm}"{params}, algs="{DPOP_ALGS}"'
