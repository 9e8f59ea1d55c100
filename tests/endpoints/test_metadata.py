"""Authorization server metadata (RFC 8414) and the dispatcher around it."""

from __future__ import annotations

import dataclasses

import pytest
import requests
from werkzeug.test import Client

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.endpoints import AuthorizationServer, MetadataEndpoint
from proauth2_wsgi.stores import PeeweeDataStore
from tests.endpoints.helpers import Server, assert_oauth_error

WELL_KNOWN = "/.well-known/oauth-authorization-server"


@pytest.mark.rfc("8414", "2")
def test_metadata_document_rfc8414_2_and_rfc9207(server: Server) -> None:
    response = requests.get(server.url + WELL_KNOWN, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    document = response.json()
    issuer = "https://auth.example.com"
    assert document == {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/authorize",
        "token_endpoint": issuer + "/oauth/token",
        "revocation_endpoint": issuer + "/oauth/revoke",
        "introspection_endpoint": issuer + "/oauth/introspect",
        "registration_endpoint": issuer + "/oauth/register",
        "pushed_authorization_request_endpoint": issuer + "/oauth/par",  # RFC 9126 §5
        "require_pushed_authorization_requests": False,
        "scopes_supported": ["admin", "email", "profile"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        # RFC 8414 §2, from private_key_jwt (RFC 7523)
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256", "EdDSA"],
        "revocation_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256", "EdDSA"],
        "introspection_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256", "EdDSA"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "dpop_signing_alg_values_supported": ["ES256", "EdDSA", "PS256", "RS256"],  # RFC 9449 §5.1
    }


def test_metadata_is_public_cacheable_and_conditional(server: Server) -> None:
    """The document is the same bytes for everyone: cacheable, with an ETag, 304 when unchanged (RFC 9110 §13.1.2)."""
    first = requests.get(server.url + WELL_KNOWN, timeout=10)
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    again = requests.get(server.url + WELL_KNOWN, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    other = requests.get(server.url + WELL_KNOWN, headers={"If-None-Match": '"other"'}, timeout=10)
    assert other.status_code == 200 and other.content == first.content


def test_registration_is_off_by_default_rfc7591(default_server: Server) -> None:
    document = requests.get(default_server.url + WELL_KNOWN, timeout=10).json()
    assert "registration_endpoint" not in document
    response = requests.post(default_server.register_url, json={"redirect_uris": []}, timeout=10)
    assert_oauth_error(response, 404, "not_found")


@pytest.mark.rfc("8414", "3")
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_metadata_is_get_only_rfc8414_3(server: Server, method: str) -> None:
    response = requests.request(method, server.url + WELL_KNOWN, timeout=10)
    assert_oauth_error(response, 405, "invalid_request")
    assert response.headers["Allow"] == "GET, HEAD"


def test_unknown_path_is_json_404(server: Server) -> None:
    assert_oauth_error(requests.get(server.url + "/oauth/nothing", timeout=10), 404, "not_found")


@pytest.mark.rfc("8414", "3.1")
def test_issuer_with_a_path_rfc8414_3_1(store: PeeweeDataStore, settings: Settings) -> None:
    """The well-known segment goes between the host and the issuer's path."""
    provider = Proauth2(store, dataclasses.replace(settings, issuer="https://auth.example.com/tenant"))
    client = Client(AuthorizationServer(provider, authorization_endpoint="https://login.example.com/authorize"))
    document = client.get(WELL_KNOWN + "/tenant").json
    assert document["issuer"] == "https://auth.example.com/tenant"
    assert document["token_endpoint"] == "https://auth.example.com/tenant/oauth/token"
    assert document["authorization_endpoint"] == "https://login.example.com/authorize"
    assert client.get(WELL_KNOWN).status_code == 404


@pytest.mark.rfc("8414", "3.1")
@pytest.mark.parametrize("issuer", ["https://auth.example.com/tenant", "https://auth.example.com/tenant/"])
def test_issuer_path_endpoints_are_served_where_listed_rfc8414_3_1(
    provider: Proauth2, settings: Settings, issuer: str
) -> None:
    """RFC 8414 §2: every endpoint URL listed is absolute and answers, with no "//" from a trailing "/".

    Mounted at the host's root (where §3.1 puts the metadata of an issuer with a path),
    the app answers the URLs its metadata lists.
    """
    provider = Proauth2(provider.store, dataclasses.replace(settings, issuer=issuer))
    client = Client(AuthorizationServer(provider, authorization_endpoint="/authorize", registration=True))
    document = client.get(WELL_KNOWN + "/tenant").json
    assert document["issuer"] == issuer
    for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        assert document[name].startswith("https://auth.example.com/tenant/") and "//" not in document[name][8:]
    for name in ("token_endpoint", "revocation_endpoint", "introspection_endpoint", "registration_endpoint"):
        path = document[name].removeprefix("https://auth.example.com")
        response = client.post(path, data={})
        assert response.status_code in (400, 401), (name, response.status_code)
        assert response.json["error"] in ("invalid_request", "invalid_client")


@pytest.mark.rfc("8414", "2")
def test_relative_authorization_endpoint_needs_a_slash_rfc8414_2(provider: Proauth2) -> None:
    """RFC 8414 §2: the authorization_endpoint is a URL; "authorize" would give "https://auth.example.comauthorize"."""
    with pytest.raises(ValueError, match="authorization_endpoint"):
        AuthorizationServer(provider, authorization_endpoint="authorize")


@pytest.mark.rfc("7636", "4.3")
def test_plain_pkce_is_advertised_only_when_allowed_rfc7636_4_3(store: PeeweeDataStore, settings: Settings) -> None:
    provider = Proauth2(store, dataclasses.replace(settings, allow_plain_pkce=True))
    document = MetadataEndpoint(provider, {}).document
    assert document["code_challenge_methods_supported"] == ["S256", "plain"]


@pytest.mark.rfc("8414", "2")
def test_metadata_needs_an_issuer_rfc8414_2(store: PeeweeDataStore, settings: Settings) -> None:
    provider = Proauth2(store, dataclasses.replace(settings, issuer=None))
    with pytest.raises(ValueError, match="issuer"):
        MetadataEndpoint(provider, {})
    assert Client(AuthorizationServer(provider)).get(WELL_KNOWN).status_code == 404


def test_unknown_endpoint_name_is_refused(provider: Proauth2) -> None:
    with pytest.raises(ValueError, match="token_url"):
        MetadataEndpoint(provider, {"token_url": "https://auth.example.com/token"})


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"initial_access_token": "t"}, id="token-without-registration"),
        pytest.param({"prefix": "oauth"}, id="relative-prefix"),
        pytest.param({"prefix": "/oauth/"}, id="trailing-slash"),
    ],
)
def test_bad_server_options_fail_at_start_up(provider: Proauth2, options: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        AuthorizationServer(provider, **options)  # type: ignore[arg-type]


def test_prefix_moves_the_endpoints(provider: Proauth2) -> None:
    client = Client(AuthorizationServer(provider, prefix=""))
    document = client.get(WELL_KNOWN).json
    assert document["token_endpoint"] == "https://auth.example.com/token"
    assert client.post("/token", data={}).status_code == 400
