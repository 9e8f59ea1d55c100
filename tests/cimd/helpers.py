"""Helpers for the metadata-document tests: an authorization query, and the checks every refusal passes."""

from __future__ import annotations

import pytest

from proauth2_wsgi import Proauth2
from proauth2_wsgi.errors import InvalidClient
from tests.cimd.conftest import CALLBACK
from tests.endpoints.helpers import new_verifier, s256

#: the draft every test here proves a section of
DRAFT = "draft-ietf-oauth-client-id-metadata-document"


def authorization_query(client_id: str, verifier: str | None = None, **params: str) -> dict[str, str]:
    """An authorization request of ``client_id`` with PKCE S256, back to :data:`CALLBACK`."""
    return {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "profile",
        "state": "s1",
        "code_challenge": s256(verifier or new_verifier()),
        "code_challenge_method": "S256",
        **params,
    }


def assert_refused(provider: Proauth2, client_id: str, description: str) -> InvalidClient:
    """The authorization request is refused to show (no redirect), saying ``description``; nothing kept."""
    with pytest.raises(InvalidClient) as caught:
        provider.parse_authorization_request(authorization_query(client_id))
    error = caught.value
    assert error.redirect_uri is None and error.state is None
    assert error.error == "invalid_client"
    assert error.error_description is not None and description in error.error_description, error.error_description
    assert provider.client_documents is not None and len(provider.client_documents.cache) == 0
    assert provider.list_clients() == []
    return error
