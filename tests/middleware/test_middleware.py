"""BearerTokenMiddleware on a bare WSGI app, on every backend: RFC 6750 §2 and §3 end to end."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from proauth2_wsgi.middleware import TOKEN
from proauth2_wsgi.models import AccessToken
from proauth2_wsgi.protector import ResourceRequest
from tests.conftest import FakeClock
from tests.middleware.conftest import NO_TOKEN_BODY, Tokens, bearer, echo_app, with_dpop


def client(provider: Proauth2, **options: Any) -> Client:
    return Client(BearerTokenMiddleware(echo_app, provider, **options))


def assert_challenge(response: TestResponse, status: int, challenge: str) -> None:
    assert response.status_code == status
    assert response.headers["WWW-Authenticate"] == challenge
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"


INVALID = with_dpop(
    'Bearer realm="api", error="invalid_token", error_description="the access token is invalid, expired or revoked"'
)


@pytest.mark.rfc("6750", "2.1")
def test_rfc6750_2_1_valid_user_token_annotates_environ(provider: Proauth2, tokens: Tokens) -> None:
    response = client(provider).get("/things", headers=bearer(tokens.for_user("alice", "profile email")))
    assert response.status_code == 200
    body = response.json
    assert body["user_id"] == "alice"
    assert body["scopes"] == ["email", "profile"]
    assert body["client_id"] == tokens._web[0]  # type: ignore[index]


@pytest.mark.rfc("6750", "2.1")
def test_rfc6750_2_1_client_credentials_token_has_no_user(provider: Proauth2, tokens: Tokens) -> None:
    body = client(provider).get("/", headers=bearer(tokens.for_client())).json
    assert body["user_id"] is None
    assert body["client_id"] == tokens._service[0]  # type: ignore[index]


@pytest.mark.rfc("6750", "2")
def test_rfc6750_2_token_record_with_expiry_in_environ(provider: Proauth2, tokens: Tokens) -> None:
    seen: dict[str, Any] = {}

    def app(environ: Any, start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("204 No Content", [])
        return []

    Client(BearerTokenMiddleware(app, provider)).get("/", headers=bearer(tokens.for_user()))
    record = seen[TOKEN]
    assert record.expires_at == provider.now() + provider.settings.access_token_lifetime
    assert record.user_id == "alice"


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_1_no_token_is_401_without_error_code(provider: Proauth2) -> None:
    response = client(provider).get("/")
    assert_challenge(response, 401, with_dpop('Bearer realm="api"'))
    assert response.json == NO_TOKEN_BODY


@pytest.mark.rfc("6750", "3")
def test_rfc6750_3_realm_is_configurable(provider: Proauth2) -> None:
    challenge = client(provider, realm="photos").get("/").headers["WWW-Authenticate"]
    assert challenge == with_dpop('Bearer realm="photos"', realm="photos")


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_1_other_scheme_counts_as_no_token(provider: Proauth2) -> None:
    assert_challenge(
        client(provider).get("/", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, with_dpop('Bearer realm="api"')
    )


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_1_unknown_token_is_invalid_token(provider: Proauth2) -> None:
    response = client(provider).get("/", headers=bearer("A" * 43))
    assert_challenge(response, 401, INVALID)
    assert response.json["error"] == "invalid_token"


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_1_expired_token_is_invalid_token(provider: Proauth2, tokens: Tokens, clock: FakeClock) -> None:
    token = tokens.for_user()
    assert client(provider).get("/", headers=bearer(token)).status_code == 200
    clock.advance(provider.settings.access_token_lifetime)
    assert_challenge(client(provider).get("/", headers=bearer(token)), 401, INVALID)


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_1_revoked_token_is_invalid_token(provider: Proauth2, tokens: Tokens) -> None:
    token = tokens.for_user()
    provider.revoke_token(token)
    assert_challenge(client(provider).get("/", headers=bearer(token)), 401, INVALID)


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_1_user_tokens_revoked_is_invalid_token(provider: Proauth2, tokens: Tokens) -> None:
    token = tokens.for_user("bob")
    provider.revoke_user_tokens("bob")
    assert client(provider).get("/", headers=bearer(token)).status_code == 401


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer abc, realm=x", "Bearer a!b"])
def test_rfc6750_3_1_malformed_header_is_invalid_request(provider: Proauth2, header: str) -> None:
    response = client(provider).get("/", headers={"Authorization": header})
    assert response.status_code == 400
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_request"')
    assert response.json["error"] == "invalid_request"


@pytest.mark.rfc("6750", "2.3")
def test_rfc6750_2_3_query_token_refused_by_default(provider: Proauth2, tokens: Tokens) -> None:
    token = tokens.for_user()
    response = client(provider).get("/", query_string={"access_token": token})
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"


@pytest.mark.rfc("6750", "2.3")
def test_rfc6750_2_3_query_token_when_enabled(provider: Proauth2, tokens: Tokens) -> None:
    token = tokens.for_user()
    assert client(provider, allow_query_token=True).get("/", query_string={"access_token": token}).status_code == 200


@pytest.mark.rfc("6750", "2.2")
def test_rfc6750_2_2_form_token_when_enabled_and_app_reads_body(provider: Proauth2, tokens: Tokens) -> None:
    token = tokens.for_user()
    bodies: list[bytes] = []

    def app(environ: Any, start_response: Any) -> list[bytes]:
        bodies.append(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["proauth2.user_id"].encode()]

    wrapped = Client(BearerTokenMiddleware(app, provider, allow_form_token=True))
    response = wrapped.post("/", data={"access_token": token, "note": "hi"})
    assert (response.status_code, response.data) == (200, b"alice")
    assert bodies[0].endswith(b"&note=hi")


@pytest.mark.rfc("6750", "2.2")
def test_rfc6750_2_2_form_token_ignored_when_disabled(provider: Proauth2, tokens: Tokens) -> None:
    assert client(provider).post("/", data={"access_token": tokens.for_user()}).status_code == 401


@pytest.mark.rfc("6750", "2")
def test_rfc6750_2_two_methods_at_once_is_invalid_request(provider: Proauth2, tokens: Tokens) -> None:
    token = tokens.for_user()
    both = client(provider, allow_form_token=True).post("/", data={"access_token": token}, headers=bearer(token))
    assert (both.status_code, both.json["error"]) == (400, "invalid_request")


@pytest.mark.rfc("6750", "3.1")
def test_rfc6750_3_1_insufficient_scope_is_403_with_scope(provider: Proauth2, tokens: Tokens) -> None:
    token = tokens.for_user(scope="profile")
    response = client(provider, rules=[("/admin", "admin email")]).get("/admin/users", headers=bearer(token))
    assert_challenge(
        response,
        403,
        with_dpop(
            'Bearer realm="api", error="insufficient_scope", '
            'error_description="the access token lacks a required scope", scope="admin email"'
        ),
    )
    assert response.json["error"] == "insufficient_scope"


@pytest.mark.rfc("6750", "5.3")
def test_rfc6750_5_3_token_never_echoed_nor_logged(
    provider: Proauth2, tokens: Tokens, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    token = tokens.for_user()
    caplog.set_level(logging.DEBUG)
    wrapped = client(provider, rules=[("/admin", "admin")])
    responses = [
        wrapped.get("/admin", headers=bearer(token)),
        wrapped.get("/", headers={"Authorization": f"Bearer {token} {token}"}),
        wrapped.get("/", query_string={"access_token": token}),
    ]
    clock.advance(provider.settings.access_token_lifetime)
    responses.append(wrapped.get("/", headers=bearer(token)))
    assert [r.status_code for r in responses] == [403, 400, 400, 401]
    for response in responses:
        assert token not in response.get_data(as_text=True)
        assert token not in str(response.headers)
    assert token not in caplog.text


def test_the_validator_sees_the_whole_request(provider: Proauth2, tokens: Tokens) -> None:
    """Validators get the request context (method, URL, headers), as DPoP proofs will need."""
    seen: list[tuple[str, str, str | None, str]] = []

    class Recording:
        def validate_token(self, token: str, request: ResourceRequest) -> AccessToken:
            seen.append((request.method, request.url, request.headers.get("X-Trace"), request.path))
            return provider.validate_token(token, request)

    client = Client(BearerTokenMiddleware(echo_app, Recording()))
    headers = {**bearer(tokens.for_user()), "X-Trace": "t1"}
    assert client.post("/things?x=1", headers=headers, base_url="https://api.example.com/v1/").status_code == 200
    assert seen == [("POST", "https://api.example.com/v1/things", "t1", "/things")]


@pytest.mark.rfc("9728", "5.1")
def test_challenges_carry_extra_parameters(provider: Proauth2) -> None:
    metadata = "https://api.example.com/.well-known/oauth-protected-resource"
    client = Client(BearerTokenMiddleware(echo_app, provider, challenge={"resource_metadata": metadata}))
    assert client.get("/").headers["WWW-Authenticate"] == with_dpop(
        f'Bearer realm="api", resource_metadata="{metadata}"', resource_metadata=metadata
    )
    refused = client.get("/", headers=bearer("A" * 43)).headers["WWW-Authenticate"]
    assert refused.startswith(f'Bearer realm="api", resource_metadata="{metadata}", error="invalid_token"')
