"""The revocation endpoint over real HTTP (RFC 7009)."""

from __future__ import annotations

import pytest

from proauth2_wsgi.models import ClientCredentials
from tests.endpoints.helpers import Server, assert_oauth_error, new_verifier


@pytest.fixture
def tokens(server: Server, confidential: ClientCredentials) -> dict[str, str]:
    return server.tokens(confidential.client_id, confidential.client_secret)


def _basic(client: ClientCredentials) -> tuple[str, str]:
    return (client.client_id, client.client_secret or "")


@pytest.mark.rfc("7009", "2.1")
def test_revoking_an_access_token_rfc7009_2_1(
    server: Server, confidential: ClientCredentials, service: ClientCredentials, tokens: dict[str, str]
) -> None:
    response = server.post(server.revoke_url, {"token": tokens["access_token"]}, auth=_basic(confidential))
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Cache-Control"] == "no-store"
    assert server.introspect(tokens["access_token"], _basic(service)) == {"active": False}
    assert server.introspect(tokens["refresh_token"], _basic(service))["active"] is True


@pytest.mark.rfc("7009", "2.1")
@pytest.mark.parametrize(
    "hint",
    [
        pytest.param(None, id="no-hint"),
        pytest.param("refresh_token", id="right-hint"),
        pytest.param("access_token", id="wrong-hint-rfc7009-2.1"),
        pytest.param("made_up_type", id="unknown-hint"),
    ],
)
def test_revoking_a_refresh_token_revokes_its_access_tokens_rfc7009_2_1(
    server: Server,
    confidential: ClientCredentials,
    service: ClientCredentials,
    tokens: dict[str, str],
    hint: str | None,
) -> None:
    """The hint only orders the search (§2.1): a wrong or unknown hint still finds the token."""
    data = {"token": tokens["refresh_token"]} | ({"token_type_hint": hint} if hint else {})
    assert server.post(server.revoke_url, data, auth=_basic(confidential)).status_code == 200
    assert server.introspect(tokens["refresh_token"], _basic(service)) == {"active": False}
    assert server.introspect(tokens["access_token"], _basic(service)) == {"active": False}


@pytest.mark.rfc("7009", "2.2")
@pytest.mark.parametrize(
    "token",
    [
        pytest.param("A" * 43, id="unknown"),
        pytest.param("not a token!", id="malformed"),
    ],
)
def test_unknown_token_is_200_rfc7009_2_2(server: Server, confidential: ClientCredentials, token: str) -> None:
    response = server.post(server.revoke_url, {"token": token}, auth=_basic(confidential))
    assert response.status_code == 200


@pytest.mark.rfc("7009", "2.2")
def test_revoking_twice_is_200_rfc7009_2_2(
    server: Server, confidential: ClientCredentials, tokens: dict[str, str]
) -> None:
    for _ in range(2):
        response = server.post(server.revoke_url, {"token": tokens["access_token"]}, auth=_basic(confidential))
        assert response.status_code == 200


@pytest.mark.rfc("7009", "2.1")
def test_another_clients_token_is_refused_and_untouched_rfc7009_2_1(
    server: Server,
    confidential: ClientCredentials,
    post_client: ClientCredentials,
    service: ClientCredentials,
    tokens: dict[str, str],
) -> None:
    data = {"token": tokens["access_token"], "client_id": post_client.client_id}
    response = server.post(server.revoke_url, data | {"client_secret": post_client.client_secret})
    body = assert_oauth_error(response, 400, "unauthorized_client")
    assert tokens["access_token"] not in str(body)
    assert server.introspect(tokens["access_token"], _basic(service))["active"] is True


@pytest.mark.rfc("7009", "2.1")
def test_public_client_revokes_with_its_id_rfc7009_2_1(server: Server, public: ClientCredentials) -> None:
    verifier = new_verifier()
    code = server.code(public.client_id, verifier)
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "client_id": public.client_id}
    token = server.post(server.token_url, data).json()["refresh_token"]
    response = server.post(server.revoke_url, {"token": token, "client_id": public.client_id})
    assert response.status_code == 200
    refresh = {"grant_type": "refresh_token", "refresh_token": token, "client_id": public.client_id}
    assert_oauth_error(server.post(server.token_url, refresh), 400, "invalid_grant")


@pytest.mark.rfc("7009", "2.1")
@pytest.mark.parametrize(
    "auth",
    [
        pytest.param(None, id="no-credentials"),
        pytest.param("bad-secret", id="bad-secret"),
    ],
)
def test_client_must_authenticate_rfc7009_2_1(
    server: Server, confidential: ClientCredentials, tokens: dict[str, str], auth: str | None
) -> None:
    credentials = None if auth is None else (confidential.client_id, auth)
    response = server.post(server.revoke_url, {"token": tokens["access_token"]}, auth=credentials)
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


@pytest.mark.rfc("7009", "2.1")
def test_missing_token_is_invalid_request_rfc7009_2_1(server: Server, confidential: ClientCredentials) -> None:
    response = server.post(server.revoke_url, {"token_type_hint": "access_token"}, auth=_basic(confidential))
    assert_oauth_error(response, 400, "invalid_request")
