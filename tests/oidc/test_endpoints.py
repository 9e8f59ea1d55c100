"""The OpenID Connect endpoints over WSGI: UserInfo (OIDC Core §5.3), discovery (OIDC Discovery §3-4), registration."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.oidc import Login
from tests.oidc.conftest import ISSUER, REDIRECT, authenticate, with_settings


@pytest.fixture
def http(provider: Proauth2) -> Client:
    server = AuthorizationServer(
        provider, authorization_endpoint="/authorize", end_session_endpoint="/logout", registration=True
    )
    return Client(server)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.rfc("openid-connect-core", "5.3.2")
def test_userinfo_answers_the_claims_the_scopes_release(
    http: Client, provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    token = authenticate(provider, rp, alice)["access_token"]
    for response in (
        http.get("/oauth/userinfo", headers=bearer(token)),
        http.post("/oauth/userinfo", headers=bearer(token)),
        http.post("/oauth/userinfo", data={"access_token": token}),  # §5.3.1: a form body too
    ):
        assert response.status_code == 200, response.text
        assert response.json == {
            "sub": "alice",
            "name": "Alice Liddell",
            "preferred_username": "alice",
            "email": "alice@example.com",
            "email_verified": True,
        }
        assert response.headers["Cache-Control"] == "no-store" and "Authorization" in response.headers["Vary"]


@pytest.mark.rfc("openid-connect-core", "5.5")
def test_userinfo_adds_claims_asked_for_by_name(
    http: Client, provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    request = json.dumps({"userinfo": {"address": None}})
    token = authenticate(provider, rp, alice, scope="openid", claims=request)["access_token"]
    assert http.get("/oauth/userinfo", headers=bearer(token)).json == {
        "sub": "alice",
        "address": {"locality": "Oxford", "country": "GB"},
    }


@pytest.mark.rfc("openid-connect-core", "5.3.3")
def test_userinfo_refuses_a_token_without_openid_with_403(
    http: Client, provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    token = authenticate(provider, rp, alice, scope="profile")["access_token"]
    response = http.get("/oauth/userinfo", headers=bearer(token))
    assert (response.status_code, response.json["error"]) == (403, "insufficient_scope")
    assert 'scope="openid"' in response.headers["WWW-Authenticate"]


@pytest.mark.rfc("openid-connect-core", "5.3.3")
def test_userinfo_refuses_revoked_missing_and_garbage_tokens_with_401(
    http: Client, provider: Proauth2, rp: ClientCredentials, alice: Login
) -> None:
    token = authenticate(provider, rp, alice)["access_token"]
    provider.revoke_token(token)
    revoked = http.get("/oauth/userinfo", headers=bearer(token))
    assert (revoked.status_code, revoked.json["error"]) == (401, "invalid_token")
    assert http.get("/oauth/userinfo").status_code == 401
    assert http.get("/oauth/userinfo", headers=bearer("x" * 43)).json["error"] == "invalid_token"
    assert http.get("/oauth/userinfo", headers={"Authorization": "Bearer a b"}).status_code == 400
    assert http.put("/oauth/userinfo", headers=bearer(token)).status_code == 405


def test_a_client_credentials_token_has_no_user_to_describe(http: Client, provider: Proauth2) -> None:
    service = provider.register_app("Service", grant_types=["client_credentials"])
    token = provider.request_access_token(
        "client_credentials", service.client_id, service.client_secret, scope="openid"
    )
    response = http.get("/oauth/userinfo", headers=bearer(token["access_token"]))
    assert (response.status_code, response.json["error"]) == (403, "insufficient_scope")


@pytest.mark.rfc("openid-connect-discovery", "4")
def test_discovery_serves_one_document_at_both_well_known_paths(http: Client) -> None:
    openid = http.get("/.well-known/openid-configuration")
    oauth = http.get("/.well-known/oauth-authorization-server")
    assert openid.status_code == oauth.status_code == 200
    assert openid.json == oauth.json
    document = openid.json
    assert document["issuer"] == ISSUER
    for name, path in (
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("jwks_uri", "/oauth/jwks"),
        ("registration_endpoint", "/oauth/register"),
        ("end_session_endpoint", "/logout"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("introspection_endpoint", "/oauth/introspect"),
    ):
        assert document[name] == ISSUER + path, name
    assert document["subject_types_supported"] == ["public"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert {"openid", "profile", "email", "address", "phone", "offline_access", "api"} <= set(
        document["scopes_supported"]
    )
    assert {"sub", "name", "email", "email_verified", "preferred_username", "auth_time"} <= set(
        document["claims_supported"]
    )
    assert document["response_types_supported"] == ["code"]
    assert set(document["prompt_values_supported"]) == {"none", "login", "consent", "select_account"}


def test_an_issuer_with_a_path_puts_openid_configuration_after_it(provider: Proauth2) -> None:
    """OIDC Discovery §4 appends the well-known path to the issuer; RFC 8414 §3.1 inserts it before."""
    tenant = with_settings(provider, issuer="https://auth.example.com/tenant")
    http = Client(AuthorizationServer(tenant))
    assert http.get("/tenant/.well-known/openid-configuration").json["issuer"] == "https://auth.example.com/tenant"
    assert (
        http.get("/.well-known/oauth-authorization-server/tenant").json["issuer"] == "https://auth.example.com/tenant"
    )


def test_registration_takes_the_openid_client_metadata(http: Client, provider: Proauth2) -> None:
    body = {
        "redirect_uris": [REDIRECT],
        "id_token_signed_response_alg": "ES256",
        "post_logout_redirect_uris": ["https://rp.example.com/bye"],
        "subject_type": "public",
    }
    registered = http.post("/oauth/register", json=body)
    assert registered.status_code == 201, registered.text
    assert registered.json["id_token_signed_response_alg"] == "ES256"
    assert registered.json["post_logout_redirect_uris"] == ["https://rp.example.com/bye"]
    client = provider.get_client(registered.json["client_id"])
    assert client is not None and client.metadata["id_token_signed_response_alg"] == "ES256"


@pytest.mark.rfc("openid-connect-registration", "2")
@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        pytest.param({"id_token_signed_response_alg": "HS256"}, "invalid_client_metadata", id="hs256"),
        pytest.param({"id_token_signed_response_alg": "none"}, "invalid_client_metadata", id="alg-none"),
        pytest.param({"post_logout_redirect_uris": ["http://evil.example.com/"]}, "invalid_redirect_uri", id="http"),
        pytest.param({"post_logout_redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri", id="script"),
        pytest.param({"post_logout_redirect_uris": "https://rp.example.com/"}, "invalid_redirect_uri", id="not-list"),
        pytest.param({"subject_type": "pairwise"}, "invalid_client_metadata", id="pairwise"),
        pytest.param({"id_token_encrypted_response_alg": "RSA-OAEP"}, "invalid_client_metadata", id="encrypted"),
    ],
)
def test_registration_refuses_openid_metadata_it_cannot_honour(
    http: Client, provider: Proauth2, metadata: dict[str, object], error: str
) -> None:
    response = http.post("/oauth/register", json={"redirect_uris": [REDIRECT], **metadata})
    assert (response.status_code, response.json["error"]) == (400, error)
    assert provider.list_clients() == []
