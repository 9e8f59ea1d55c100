"""Registries: every component is one class and one registration, on one provider only.

The README's toy grant (``MagicWordGrant``) is registered here and served by
the token endpoint over WSGI, announced in the metadata, validated by the
middleware; a toy client-authentication method, token format and token type
show that the other registries work the same way.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from proauth2_wsgi.client_auth import ClientAuthContext, ClientAuthMethod, PresentedCredentials
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.grants import Grant, GrantContext, TokenRequest
from proauth2_wsgi.issuance import GrantedAccess, IssuedTokens, OpaqueFormat, TokenType
from proauth2_wsgi.models import Client as OAuthClient
from proauth2_wsgi.registry import Registry
from proauth2_wsgi.request import EndpointRequest
from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.tokens import generate_id, secret_matches
from tests.middleware.conftest import echo_app
from tests.test_readme import run_block

TOY = run_block("class MagicWordGrant", name="toy_grant")
MagicWordGrant: type[Grant] = TOY["MagicWordGrant"]
WELL_KNOWN = "/.well-known/oauth-authorization-server"


@pytest.fixture
def toy_provider(provider: Proauth2) -> Proauth2:
    provider.grants.register(MagicWordGrant("please"))  # type: ignore[call-arg]
    return provider


@pytest.fixture
def robot(toy_provider: Proauth2) -> tuple[str, str]:
    client_id, secret = toy_provider.register_app("Robot", grant_types=[MagicWordGrant.name], scopes="profile email")
    assert secret is not None
    return client_id, secret


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.mark.rfc("6749", "4.5")
def test_an_extension_grant_is_served_by_the_token_endpoint(toy_provider: Proauth2, robot: tuple[str, str]) -> None:
    http = Client(AuthorizationServer(toy_provider))
    form = {"grant_type": MagicWordGrant.name, "word": "please", "scope": "email"}
    response = http.post("/oauth/token", data=form, headers=basic(*robot))
    assert response.status_code == 200, response.json
    assert (response.json["token_type"], response.json["scope"]) == ("Bearer", "email")
    api = Client(BearerTokenMiddleware(echo_app, toy_provider))
    me = api.get("/", headers={"Authorization": f"Bearer {response.json['access_token']}"})
    assert (me.status_code, me.json["client_id"], me.json["user_id"]) == (200, robot[0], None)
    wrong = http.post("/oauth/token", data={**form, "word": "abracadabra"}, headers=basic(*robot))
    assert (wrong.status_code, wrong.json["error"]) == (400, "invalid_grant")
    missing = http.post("/oauth/token", data={"grant_type": MagicWordGrant.name}, headers=basic(*robot))
    assert (missing.status_code, missing.json["error"]) == (400, "invalid_request")


@pytest.mark.rfc("8414", "2")
def test_an_extension_grant_is_announced_in_the_metadata(toy_provider: Proauth2) -> None:
    document = Client(AuthorizationServer(toy_provider)).get(WELL_KNOWN).json
    assert document["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        MagicWordGrant.name,
    ]


def test_registries_belong_to_one_provider(toy_provider: Proauth2, store: PeeweeDataStore) -> None:
    """A second provider on the same store, in the same process, knows nothing of the first's grant."""
    other = Proauth2(store, toy_provider.settings)
    assert MagicWordGrant.name in toy_provider.grants and MagicWordGrant.name not in other.grants
    assert other.grants is not toy_provider.grants and other.endpoints is not toy_provider.endpoints
    with pytest.raises(Exception, match="unsupported grant type"):
        other.register_app("Robot", grant_types=[MagicWordGrant.name])
    client_id, secret = toy_provider.register_app("Robot", grant_types=[MagicWordGrant.name])
    response = Client(AuthorizationServer(other)).post(
        "/oauth/token", data={"grant_type": MagicWordGrant.name, "word": "please"}, headers=basic(client_id, secret)
    )
    assert (response.status_code, response.json["error"]) == (400, "unsupported_grant_type")


def test_public_clients_cannot_register_a_confidential_only_grant(toy_provider: Proauth2) -> None:
    with pytest.raises(Exception, match="public clients cannot use"):
        toy_provider.register_app("App", grant_types=[MagicWordGrant.name], auth_method="none")


class EchoListGrant(Grant):
    """A grant reading a repeatable parameter: each ``audience`` becomes a scope."""

    name = "urn:example:params:oauth:grant-type:echo-list"
    parameters = ("audience",)
    repeatable = frozenset({"audience"})
    public_clients = False

    def exchange(self, context: GrantContext, request: TokenRequest) -> IssuedTokens:
        scopes = frozenset(request.params.getlist("audience"))
        with context.records.atomic():
            return context.issuer.issue(GrantedAccess(request.client, None, scopes, generate_id()), refresh=False)


@pytest.mark.rfc("6749", "3.1")
def test_only_declared_parameters_may_repeat(provider: Proauth2) -> None:
    provider.grants.register(EchoListGrant())
    client_id, secret = provider.register_app("Echo", grant_types=[EchoListGrant.name])
    http = Client(AuthorizationServer(provider))
    repeated = f"grant_type={EchoListGrant.name}&audience=profile&audience=email"
    headers = {**basic(client_id, secret), "Content-Type": "application/x-www-form-urlencoded"}
    response = http.post("/oauth/token", data=repeated, headers=headers)
    assert (response.status_code, response.json["scope"]) == (200, "email profile")
    refused = http.post("/oauth/token", data=repeated + "&grant_type=client_credentials", headers=headers)
    assert (refused.status_code, refused.json["error"]) == (400, "invalid_request")
    assert "grant_type is repeated" in refused.json["error_description"]


class HeaderKey(ClientAuthMethod):
    """A toy client-authentication method: the secret in an ``X-Client-Key`` header, the id in the body."""

    name = "urn:example:header_key"

    def detect(self, request: EndpointRequest) -> PresentedCredentials | None:
        key = request.headers.get("X-Client-Key")
        return None if key is None else PresentedCredentials(request.params.get("client_id"), self.name, key)

    def verify(self, client: OAuthClient, presented: PresentedCredentials, context: ClientAuthContext) -> bool:
        assert context.endpoint_url is not None and context.endpoint_url.startswith("https://auth.example.com/oauth/")
        return (
            client.secret_hash is not None
            and presented.credential is not None
            and secret_matches(presented.credential, client.secret_hash)
        )


@pytest.fixture
def header_client(provider: Proauth2) -> Iterator[tuple[Proauth2, str, str]]:
    provider.client_auth_methods.register(HeaderKey())
    client_id, secret = provider.register_app("Keyed", grant_types=["client_credentials"], auth_method=HeaderKey.name)
    assert secret is not None
    yield provider, client_id, secret


@pytest.mark.rfc("6749", "2.3")
def test_a_client_auth_method_is_one_component_every_endpoint_uses(header_client: tuple[Proauth2, str, str]) -> None:
    provider, client_id, secret = header_client
    http = Client(AuthorizationServer(provider))
    key = {"X-Client-Key": secret}
    token = http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id}, headers=key)
    assert token.status_code == 200, token.json
    access = token.json["access_token"]
    introspected = http.post("/oauth/introspect", data={"token": access, "client_id": client_id}, headers=key)
    assert introspected.json["active"] is True
    assert http.post("/oauth/revoke", data={"token": access, "client_id": client_id}, headers=key).status_code == 200
    assert provider.introspect_token(access) == {"active": False}
    wrong = http.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id}, headers={"X-Client-Key": "x"}
    )
    assert (wrong.status_code, wrong.json["error"]) == (401, "invalid_client")
    both = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        headers=key,
    )
    assert (both.status_code, both.json["error"]) == (400, "invalid_request")  # two methods at once
    document = http.get(WELL_KNOWN).json
    assert HeaderKey.name in document["token_endpoint_auth_methods_supported"]
    assert HeaderKey.name in document["introspection_endpoint_auth_methods_supported"]


def test_a_client_must_use_its_registered_method(header_client: tuple[Proauth2, str, str]) -> None:
    provider, client_id, secret = header_client
    response = Client(AuthorizationServer(provider)).post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    )
    assert (response.status_code, response.json["error"]) == (401, "invalid_client")


class PrefixedFormat(OpaqueFormat):
    """A toy access-token format replacing ``opaque``: the same random bits, a recognisable prefix."""

    def create(self, access: GrantedAccess, issued_at: int, expires_at: int) -> str:
        return "pa2_" + super().create(access, issued_at, expires_at)


class Marked(TokenType):
    """A toy token type, chosen for the tokens of clients registered with ``{"toy": true}``."""

    name = "Toy"

    def applies(self, access: GrantedAccess) -> bool:
        return access.client.metadata.get("toy") is True


def test_token_formats_and_types_are_components(provider: Proauth2) -> None:
    provider.token_formats.register(PrefixedFormat(), replace=True)
    provider.token_types.register(Marked(), first=True)  # tried before Bearer, which applies to every request
    assert provider.token_types.names() == ["Toy", "DPoP", "Bearer"]
    client_id, secret = provider.register_app("Svc", grant_types=["client_credentials"])
    toy_id, toy_secret = provider.register_app("Toy", grant_types=["client_credentials"], metadata={"toy": True})
    http = Client(AuthorizationServer(provider))
    plain = http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret))
    marked = http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(toy_id, toy_secret))
    assert (plain.json["token_type"], marked.json["token_type"]) == ("Bearer", "Toy")
    assert plain.json["access_token"].startswith("pa2_")
    assert provider.authenticate_token(plain.json["access_token"]).client_id == client_id


def test_a_registry_refuses_a_second_component_of_the_same_name() -> None:
    registry: Registry[Any] = Registry("grant")
    registry.register(MagicWordGrant("a"))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="registered already"):
        registry.register(MagicWordGrant("b"))  # type: ignore[call-arg]
    registry.register(MagicWordGrant("c"), replace=True)  # type: ignore[call-arg]
    assert registry[MagicWordGrant.name].word == "c"  # type: ignore[attr-defined]
    assert registry.get(["not", "a", "name"]) is None and [] not in registry


@pytest.mark.rfc("9700", "2.4")
def test_a_default_grant_can_be_switched_off(provider: Proauth2) -> None:
    """Unregistering a grant removes it everywhere: token endpoint, registration, metadata."""
    client_id, secret = provider.register_app("Svc", grant_types=["client_credentials"])
    provider.grants.unregister("client_credentials")
    http = Client(AuthorizationServer(provider))
    response = http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret))
    assert (response.status_code, response.json["error"]) == (400, "unsupported_grant_type")
    assert "client_credentials" not in http.get(WELL_KNOWN).json["grant_types_supported"]
    with pytest.raises(Exception, match="unsupported grant type"):
        provider.register_app("Svc", grant_types=["client_credentials"])
