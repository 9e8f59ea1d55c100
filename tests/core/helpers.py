"""Small helpers the provider-level tests share: register, authorize, exchange."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from typing import Any

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.pkce import s256_challenge

#: the redirect URIs the ``confidential`` fixture registers
REDIRECT = "https://client.example.com/callback"
OTHER_REDIRECT = "https://client.example.com/other"
#: the loopback redirect the ``public`` fixture (a native app) registers
LOOPBACK = "http://127.0.0.1/callback"
STATE = "af0ifjsldkj"
USER = "alice"


def new_verifier() -> str:
    """A fresh RFC 7636 §4.1 code verifier (64 unreserved characters)."""
    return secrets.token_urlsafe(48)


def with_settings(provider: Proauth2, **changes: Any) -> Proauth2:
    """A provider on the same store whose settings differ by ``changes``."""
    return Proauth2(provider.store, dataclasses.replace(provider.settings, **changes))


@dataclass(frozen=True)
class Authorized:
    """An approved authorization request: the code and what the token request must repeat."""

    code: str
    verifier: str | None
    redirect_uri: str | None
    response: dict[str, str]


def authorize(
    provider: Proauth2,
    client: ClientCredentials,
    *,
    redirect_uri: str | None = REDIRECT,
    scope: str | None = None,
    pkce: bool = True,
    user_id: str = USER,
) -> Authorized:
    """Run an authorization request (S256 PKCE unless ``pkce=False``) and approve it for ``user_id``."""
    verifier = new_verifier() if pkce else None
    response = provider.request_authorization(
        client.client_id,
        user_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=STATE,
        code_challenge=None if verifier is None else s256_challenge(verifier),
        code_challenge_method=None if verifier is None else "S256",
    )
    return Authorized(response["code"], verifier, redirect_uri, response)


def exchange(provider: Proauth2, client: ClientCredentials, authorized: Authorized, **overrides: Any) -> dict[str, Any]:
    """The token request for an authorized code; ``overrides`` replace any of its parameters."""
    params: dict[str, Any] = {
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "code": authorized.code,
        "redirect_uri": authorized.redirect_uri,
        "code_verifier": authorized.verifier,
    }
    params.update(overrides)
    return provider.request_access_token("authorization_code", **params)


def obtain_tokens(provider: Proauth2, client: ClientCredentials, **authorize_options: Any) -> dict[str, Any]:
    """Authorize and exchange the code in one step: the token response."""
    redirect_uri = authorize_options.pop("redirect_uri", REDIRECT)
    return exchange(provider, client, authorize(provider, client, redirect_uri=redirect_uri, **authorize_options))


def refresh(
    provider: Proauth2, client: ClientCredentials, refresh_token: str, scope: str | None = None
) -> dict[str, Any]:
    """A refresh token request (RFC 6749 §6)."""
    return provider.request_access_token(
        "refresh_token", client.client_id, client.client_secret, refresh_token=refresh_token, scope=scope
    )


def is_active(provider: Proauth2, token: str) -> bool:
    """Whether introspection (RFC 7662) calls ``token`` active."""
    return provider.introspect_token(token)["active"]
