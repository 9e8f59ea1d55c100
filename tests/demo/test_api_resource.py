"""The demo's API as an RFC 9728 protected resource with audience-bound JWT access tokens (RFC 8707, RFC 9068).

Against the running demo over HTTP (``requests``), and in-process where the
demo needs a second resource to mint a token for another audience.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from demo import create_app
from proauth2_wsgi.pkce import s256_challenge

from .conftest import DEMO_USER, DemoServer, call_api, consent, register_service, service_token, sign_in

OTHER_API = "https://reports.example.com"


@pytest.mark.rfc("9728", "3")
def test_the_api_publishes_its_protected_resource_metadata(http: requests.Session, demo: DemoServer) -> None:
    response = http.get(demo.url("/.well-known/oauth-protected-resource/api"), timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    document = response.json()
    assert document["resource"] == demo.url("/api")
    assert document["authorization_servers"] == [demo.base_url]
    assert "profile" in document["scopes_supported"]
    assert document["bearer_methods_supported"] == ["header"]
    assert http.post(demo.url("/.well-known/oauth-protected-resource/api"), timeout=10).status_code == 405


@pytest.mark.rfc("9728", "5.1")
def test_every_refusal_of_the_api_names_its_metadata(http: requests.Session, demo: DemoServer) -> None:
    metadata = f'resource_metadata="{demo.url("/.well-known/oauth-protected-resource/api")}"'
    client = register_service(http, demo, scope="email")  # a token without the profile scope /api/me needs
    weak = service_token(http, demo, client, scope="email", resource=demo.url("/api")).json()["access_token"]
    for response, status in (
        (http.get(demo.url("/api/me"), timeout=10), 401),
        (call_api(http, demo.base_url, "x" * 43), 401),
        (call_api(http, demo.base_url, weak), 403),
    ):
        assert response.status_code == status
        assert metadata in response.headers["WWW-Authenticate"]
    assert 'scope="profile"' in call_api(http, demo.base_url, weak).headers["WWW-Authenticate"]  # RFC 6750 §3.1


@pytest.mark.rfc("8707", "2")
def test_resource_gives_an_audience_bound_jwt_that_the_api_accepts(http: requests.Session, demo: DemoServer) -> None:
    """The code flow with resource at both requests: a JWT access token (RFC 9068) for {base}/api."""
    verifier = "v" * 43
    query = {
        "response_type": "code",
        "client_id": demo.demo_client["client_id"],
        "redirect_uri": demo.url("/client/callback"),
        "scope": "profile",
        "state": "s",
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
        "resource": demo.url("/api"),
    }
    assert sign_in(http, demo).status_code == 303
    code = parse_qs(urlsplit(consent(http, demo.url("/authorize?") + urlencode(query)).headers["Location"]).query)[
        "code"
    ][0]
    client = demo.demo_client
    answer = http.post(
        demo.url("/oauth/token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": query["redirect_uri"],
            "code_verifier": verifier,
            "resource": demo.url("/api"),
        },
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    keys = KeySet.import_key_set(http.get(demo.url("/oauth/jwks"), timeout=10).json())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    assert decoded.header["typ"] == "at+jwt"
    assert (decoded.claims["aud"], decoded.claims["sub"], decoded.claims["iss"]) == (
        demo.url("/api"),
        DEMO_USER,
        demo.base_url,
    )
    assert decoded.claims["client_id"] == client["client_id"] and decoded.claims["scope"] == "profile"
    me = call_api(http, demo.base_url, token)
    assert me.status_code == 200 and me.json()["audience"] == [demo.url("/api")]


@pytest.mark.rfc("8707", "2")
def test_an_unknown_resource_is_invalid_target(http: requests.Session, demo: DemoServer) -> None:
    client = register_service(http, demo)
    refused = service_token(http, demo, client, resource="https://elsewhere.example.com/api")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"
    assert service_token(http, demo, client, resource="not a uri").json()["error"] == "invalid_target"


@pytest.mark.rfc("7009", "2")
def test_a_revoked_jwt_is_refused_by_the_api_and_inactive_at_introspection(
    http: requests.Session, demo: DemoServer
) -> None:
    client = register_service(http, demo)
    auth = (client["client_id"], client["client_secret"])
    token = service_token(http, demo, client, scope="profile", resource=demo.url("/api")).json()["access_token"]
    assert call_api(http, demo.base_url, token).status_code == 200
    introspected = http.post(demo.url("/oauth/introspect"), data={"token": token}, auth=auth, timeout=10).json()
    assert introspected["active"] is True and introspected["aud"] == demo.url("/api")
    assert http.post(demo.url("/oauth/revoke"), data={"token": token}, auth=auth, timeout=10).status_code == 200
    refused = call_api(http, demo.base_url, token)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert http.post(demo.url("/oauth/introspect"), data={"token": token}, auth=auth, timeout=10).json() == {
        "active": False
    }


def test_without_resource_tokens_are_opaque_as_before(http: requests.Session, demo: DemoServer) -> None:
    client = register_service(http, demo)
    answer = service_token(http, demo, client, scope="profile").json()
    assert answer["access_token"].count(".") == 0 and answer["expires_in"] == 3600
    me = call_api(http, demo.base_url, answer["access_token"])
    assert me.status_code == 200 and "audience" not in me.json()


@pytest.mark.rfc("8707", "2")
def test_a_token_for_another_audience_is_invalid_token_at_the_api(tmp_path: Path) -> None:
    """The demo with a second resource: a token for that one is not for /api."""
    app = create_app(
        f"sqlite:///{tmp_path}/demo.db",
        "http://127.0.0.1:5000",
        config={"PROAUTH2_RESOURCES": {"http://127.0.0.1:5000/api": {"token_format": "jwt"}, OTHER_API: {}}},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        provider = app.extensions["proauth2"].provider
        client_id, secret = provider.register_app("svc", grant_types=["client_credentials"], scopes="profile")
        other = provider.request_access_token("client_credentials", client_id, secret, resource=OTHER_API)
    refused = app.test_client().get("/api/me", headers={"Authorization": f"Bearer {other['access_token']}"})
    assert (
        refused.status_code == 401 and refused.json["error_description"] == "the access token is for another resource"
    )
