"""Protected-resource metadata (RFC 9728) and audience checks at the resource, WSGI and Flask."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, jsonify
from werkzeug.test import Client

from flask_proauth2 import Proauth2 as FlaskProauth2
from flask_proauth2 import current_token
from proauth2_wsgi import BearerTokenMiddleware, ClientCredentials, Proauth2, SettingsError
from proauth2_wsgi.protected_resource import ProtectedResource
from tests.resources.conftest import ANY_API, ISSUER, KEY_SECRET, ORDERS

pytestmark = pytest.mark.rfc("9728", "3")


def api(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("identifier", "path"),
    [
        ("https://api.example.com", "/.well-known/oauth-protected-resource"),
        ("https://api.example.com/", "/.well-known/oauth-protected-resource"),
        ("https://api.example.com/v1", "/.well-known/oauth-protected-resource/v1"),
        ("https://api.example.com/a/b/", "/.well-known/oauth-protected-resource/a/b/"),
        ("http://127.0.0.1:8080/api", "/.well-known/oauth-protected-resource/api"),
    ],
)
def test_the_metadata_path_follows_the_identifier_rfc9728_3_1(identifier: str, path: str) -> None:
    resource = ProtectedResource(identifier, (ISSUER,))
    assert resource.metadata_path == path
    assert resource.metadata_url == identifier.split("/", 3)[0] + "//" + identifier.split("/")[2] + path


@pytest.mark.parametrize(
    "identifier",
    ["https://api.example.com/?x=1", "https://api.example.com/#f", "http://api.example.com", "api.example.com", ""],
)
def test_an_identifier_must_be_an_https_url_without_query_or_fragment(identifier: str) -> None:
    with pytest.raises(ValueError):
        ProtectedResource(identifier, (ISSUER,))


def test_the_middleware_serves_the_document_publicly_and_cacheably(provider: Proauth2) -> None:
    app = BearerTokenMiddleware(api, provider, resource=ORDERS, rules=[("/orders", "read"), ("/admin", "write")])
    client = Client(app)
    response = client.get("/.well-known/oauth-protected-resource/api")
    assert response.status_code == 200
    assert response.json == {
        "resource": ORDERS,
        "authorization_servers": [ISSUER],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["read", "write"],
        "dpop_signing_alg_values_supported": ["ES256", "EdDSA", "PS256", "RS256"],  # RFC 9728 §2, RFC 9449
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    unchanged = client.get(
        "/.well-known/oauth-protected-resource/api", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert unchanged.status_code == 304
    head = client.head("/.well-known/oauth-protected-resource/api")
    assert head.status_code == 200 and head.data == b""
    posted = client.post("/.well-known/oauth-protected-resource/api")
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET, HEAD"


def test_a_whole_protected_resource_can_be_given(provider: Proauth2) -> None:
    described = ProtectedResource(
        ORDERS, (ISSUER,), ("read",), ("header", "body"), resource_name="Orders", extra={"jwks_uri": ISSUER + "/j"}
    )
    document = Client(BearerTokenMiddleware(api, provider, resource=described)).get(described.metadata_path).json
    assert document["resource_name"] == "Orders" and document["bearer_methods_supported"] == ["header", "body"]
    assert document["jwks_uri"] == ISSUER + "/j"


@pytest.mark.rfc("9728", "5.1")
def test_every_challenge_names_the_metadata_and_403_its_scope(provider: Proauth2, service: ClientCredentials) -> None:
    client = Client(BearerTokenMiddleware(api, provider, resource=ORDERS, rules=[("/orders", "write")]))
    metadata = 'resource_metadata="https://orders.example.com/.well-known/oauth-protected-resource/api"'
    missing = client.get("/orders")
    assert missing.status_code == 401 and metadata in missing.headers["WWW-Authenticate"]
    token = provider.request_access_token("client_credentials", *service, resource=ORDERS, scope="read")
    weak = client.get("/orders", headers=bearer(token["access_token"]))
    assert weak.status_code == 403
    assert metadata in weak.headers["WWW-Authenticate"] and 'scope="write"' in weak.headers["WWW-Authenticate"]


@pytest.mark.rfc("8707", "2")
def test_the_resource_refuses_tokens_for_others_and_takes_unbound_ones_unless_told(
    provider: Proauth2, service: ClientCredentials
) -> None:
    for_orders = provider.request_access_token("client_credentials", *service, resource=ORDERS)["access_token"]
    for_other = provider.request_access_token("client_credentials", *service, resource=ANY_API)["access_token"]
    unbound = provider.request_access_token("client_credentials", *service)["access_token"]
    lenient = Client(BearerTokenMiddleware(api, provider, resource=ORDERS))
    strict = Client(BearerTokenMiddleware(api, provider, resource=ORDERS, require_audience=True))
    assert lenient.get("/", headers=bearer(for_orders)).status_code == 200
    refused = lenient.get("/", headers=bearer(for_other))
    assert (
        refused.status_code == 401 and refused.json["error_description"] == "the access token is for another resource"
    )
    assert lenient.get("/", headers=bearer(unbound)).status_code == 200  # as before resource indicators
    assert strict.get("/", headers=bearer(unbound)).status_code == 401
    assert strict.get("/", headers=bearer(for_orders)).status_code == 200
    # without a resource of its own, the middleware looks at no audience, as before
    assert Client(BearerTokenMiddleware(api, provider)).get("/", headers=bearer(for_other)).status_code == 200


def test_require_audience_needs_a_resource(provider: Proauth2) -> None:
    with pytest.raises(ValueError, match="require_audience"):
        BearerTokenMiddleware(api, provider, require_audience=True)


#: one extension for every test app (as an app factory would use it)
oauth = FlaskProauth2()


def flask_app(tmp_path: Any, **config: Any) -> Flask:
    app = Flask("rs", instance_path=str(tmp_path / "instance"))
    app.config.update(
        {
            "PROAUTH2_ISSUER": ISSUER,
            "PROAUTH2_SCOPES": {"read": "Read", "write": "Write"},
            "PROAUTH2_KEY_SECRET": KEY_SECRET,
            "PROAUTH2_RESOURCES": {ORDERS: {"scopes": "read write", "token_format": "jwt"}, ANY_API: {}},
            "PROAUTH2_PROTECTED_RESOURCE": ORDERS,
            **config,
        }
    )
    oauth.init_app(app)

    @app.get("/orders")
    @oauth.require_oauth("read")
    def orders() -> Any:
        assert current_token is not None
        return jsonify(audience=list(current_token.audience))

    @app.get("/other")
    @oauth.require_oauth(resource=ANY_API)
    def other() -> Any:
        return jsonify(ok=True)

    return app


def test_flask_serves_the_document_and_checks_the_audience(tmp_path: Any) -> None:
    app = flask_app(tmp_path)
    client = app.test_client()
    assert client.get("/.well-known/oauth-protected-resource/api").json["resource"] == ORDERS
    with app.app_context():
        provider = app.extensions["proauth2"].provider
        service = provider.register_app("svc", grant_types=["client_credentials"])
        orders = provider.request_access_token("client_credentials", *service, resource=ORDERS, scope="read")
        other = provider.request_access_token("client_credentials", *service, resource=ANY_API, scope="read")
    assert client.get("/orders", headers=bearer(orders["access_token"])).json == {"audience": [ORDERS]}
    refused = client.get("/orders", headers=bearer(other["access_token"]))
    assert refused.status_code == 401 and "resource_metadata=" in refused.headers["WWW-Authenticate"]
    assert client.get("/other", headers=bearer(other["access_token"])).status_code == 200  # its own resource
    assert client.get("/other", headers=bearer(orders["access_token"])).status_code == 401
    provider.store.dispose()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param(
            {"PROAUTH2_PROTECTED_RESOURCE": "http://api.example.com"}, "PROAUTH2_PROTECTED_RESOURCE", id="http"
        ),
        pytest.param({"PROAUTH2_RESOURCES": {"api.example.com": {}}}, "PROAUTH2_RESOURCES", id="not-a-url"),
        pytest.param({"PROAUTH2_RESOURCES": {ORDERS: {"token_format": "paseto"}}}, "token_format", id="format"),
        pytest.param({"PROAUTH2_RESOURCES": {ORDERS: {"scopes": "root"}}}, "not in scopes", id="unknown-scope"),
        pytest.param({"PROAUTH2_RESOURCES": {ORDERS: {"colour": "red"}}}, "unknown options", id="unknown-option"),
        pytest.param({"PROAUTH2_KEY_SECRET": None}, "signing keys", id="jwt-without-keys"),
    ],
)
def test_a_wrong_resource_setting_stops_start_up_naming_its_key(
    tmp_path: Any, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        flask_app(tmp_path, **config)


def test_a_flask_route_can_take_another_validator(tmp_path: Any) -> None:
    """``require_oauth(validator=...)``: a route checking JWTs offline, as a resource server elsewhere would."""
    from proauth2_wsgi.validators import JWTValidator

    app = flask_app(tmp_path)
    with app.app_context():
        provider = app.extensions["proauth2"].provider
        service = provider.register_app("svc", grant_types=["client_credentials"])
        jwt = provider.request_access_token("client_credentials", *service, resource=ORDERS, scope="read")
        opaque = provider.request_access_token("client_credentials", *service, scope="read")
    offline = JWTValidator(issuer=ISSUER, audience=ORDERS, keys=provider.keys.jwks())

    @app.get("/offline")
    @oauth.require_oauth("read", validator=offline)
    def offline_view() -> Any:
        assert current_token is not None
        return jsonify(client=current_token.client_id)

    client = app.test_client()
    assert client.get("/offline", headers=bearer(jwt["access_token"])).json == {"client": service.client_id}
    assert client.get("/offline", headers=bearer(opaque["access_token"])).status_code == 401  # not a JWT
    provider.revoke_token(jwt["access_token"])
    assert client.get("/offline", headers=bearer(jwt["access_token"])).status_code == 200  # offline: until expiry
    assert client.get("/orders", headers=bearer(jwt["access_token"])).status_code == 401  # online: at once
    provider.store.dispose()
