"""The code flow run in-process, for tests that need its tokens rather than its HTTP."""

from __future__ import annotations

import secrets
from typing import Any

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.pkce import s256_challenge


def approved_code_exchange(
    provider: Proauth2, client: ClientCredentials, login: Login, query: dict[str, Any], **token: Any
) -> dict[str, Any]:
    """An authorization request of ``query`` (its ``redirect_uri`` included) with PKCE S256, approved for
    ``login``; its code exchanged with the ``token`` parameters: the token response."""
    verifier = secrets.token_urlsafe(48)
    request = provider.parse_authorization_request(
        {
            "client_id": client.client_id,
            "response_type": "code",
            "code_challenge": s256_challenge(verifier),
            "code_challenge_method": "S256",
            **query,
        }
    )
    code = provider.authorization_response(request, login)["code"]
    return provider.request_access_token(
        "authorization_code",
        client.client_id,
        client.client_secret,
        code=code,
        redirect_uri=query["redirect_uri"],
        code_verifier=verifier,
        **token,
    )
