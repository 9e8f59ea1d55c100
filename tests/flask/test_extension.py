"""The extension: app factory, per-app state, PROAUTH2_* configuration, mounted endpoints, store lifecycle."""

from __future__ import annotations

import os
from typing import Any

import pytest
from flask import Flask, url_for

from flask_proauth2 import Proauth2
from proauth2_wsgi import ClientCredentials, SettingsError
from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi.settings import DEFAULT_ACCESS_TOKEN_LIFETIME, DEFAULT_CODE_LIFETIME
from proauth2_wsgi.stores import SCHEMA_VERSION
from tests.flask.conftest import ISSUER, REDIRECT, MakeApp, bearer, issue_token


def test_init_app_keeps_state_per_app_not_on_the_extension(make_app: MakeApp) -> None:
    first, second = make_app(), make_app(PROAUTH2_ACCESS_TOKEN_LIFETIME=60)
    state_one, state_two = first.extensions["proauth2"], second.extensions["proauth2"]
    assert state_one is not state_two
    assert state_one.provider.settings.access_token_lifetime == DEFAULT_ACCESS_TOKEN_LIFETIME
    assert state_two.provider.settings.access_token_lifetime == 60
    assert not hasattr(Proauth2(), "app")


def test_proauth2_app_argument_is_init_app(database_url: str, store: Any, tmp_path: Any) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["PROAUTH2_DATABASE_URL"] = database_url
    oauth = Proauth2(app)
    with app.app_context():
        assert oauth.provider is app.extensions["proauth2"].provider
    app.extensions["proauth2"].provider.store.close()


def test_two_apps_in_one_process_serve_their_own_configuration(make_app: MakeApp) -> None:
    short = make_app(PROAUTH2_ACCESS_TOKEN_LIFETIME=60, PROAUTH2_URL_PREFIX="/auth")
    default = make_app()
    for app, lifetime, token_path in ((short, 60, "/auth/token"), (default, 3600, "/oauth/token")):
        provider = app.extensions["proauth2"].provider
        client = provider.register_app("CC", grant_types=["client_credentials"])
        response = app.test_client().post(
            token_path,
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, client.client_secret),
        )
        assert response.status_code == 200, response.json
        assert response.json["expires_in"] == lifetime


def test_defaults_are_set_with_setdefault_and_documented_values(make_app: MakeApp) -> None:
    app = make_app(PROAUTH2_CODE_LIFETIME=30)
    assert app.config["PROAUTH2_CODE_LIFETIME"] == 30
    assert app.config["PROAUTH2_REQUIRE_PKCE"] is True
    assert app.config["PROAUTH2_ALLOW_PLAIN_PKCE"] is False
    assert app.config["PROAUTH2_ISSUE_REFRESH_TOKENS"] is True
    assert app.config["PROAUTH2_REGISTRATION"] is False
    assert app.config["PROAUTH2_URL_PREFIX"] == "/oauth"
    assert app.config["PROAUTH2_REALM"] == "api"
    assert app.extensions["proauth2"].provider.settings.code_lifetime == 30


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Any) -> None:
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    Proauth2(app)
    store = app.extensions["proauth2"].provider.store
    assert app.config["PROAUTH2_DATABASE_URL"] is None
    assert store.engine == "sqlite"
    assert store.location == str(tmp_path / "instance" / "proauth2.db")
    assert not os.path.exists(store.location)  # created on first use, not at start-up
    assert app.test_cli_runner().invoke(args=["proauth2", "migrate"]).exit_code == 0
    assert os.path.exists(store.location)
    assert app.extensions["proauth2"].provider.settings.code_lifetime == DEFAULT_CODE_LIFETIME
    store.close()


def test_values_from_the_environment_are_parsed(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("FLASK_PROAUTH2_ACCESS_TOKEN_LIFETIME", "120")
    monkeypatch.setenv("FLASK_PROAUTH2_REQUIRE_PKCE", "false")
    monkeypatch.setenv("FLASK_PROAUTH2_SCOPES", '{"read": "Read things", "write": "Write things"}')
    monkeypatch.setenv("FLASK_PROAUTH2_DEFAULT_SCOPE", "read")
    config = Flask(__name__).config
    config.from_prefixed_env()
    app = make_app(**{key: value for key, value in config.items() if key.startswith("PROAUTH2_")})
    settings = app.extensions["proauth2"].provider.settings
    assert settings.access_token_lifetime == 120
    assert settings.require_pkce is False
    assert settings.scopes == {"read": "Read things", "write": "Write things"}
    assert settings.default_scope == {"read"}


def test_plain_strings_are_coerced_to_numbers_and_booleans(make_app: MakeApp) -> None:
    app = make_app(
        PROAUTH2_REFRESH_TOKEN_LIFETIME="7200",
        PROAUTH2_ISSUE_REFRESH_TOKENS="no",
        PROAUTH2_SCOPES="profile email",
        PROAUTH2_DEFAULT_SCOPE="",
    )
    settings = app.extensions["proauth2"].provider.settings
    assert settings.refresh_token_lifetime == 7200
    assert settings.issue_refresh_tokens is False
    assert set(settings.scopes) == {"profile", "email"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("PROAUTH2_ACCESS_TOKEN_LIFETIME", "an hour", id="lifetime-text"),
        pytest.param("PROAUTH2_ACCESS_TOKEN_LIFETIME", -5, id="lifetime-negative"),
        pytest.param("PROAUTH2_CODE_LIFETIME", 3600, id="code-lifetime-over-rfc6749-4.1.2-cap"),
        pytest.param("PROAUTH2_REQUIRE_PKCE", "maybe", id="bool-text"),
        pytest.param("PROAUTH2_SCOPES", ["bad scope\\"], id="scope-malformed"),
        pytest.param("PROAUTH2_DEFAULT_SCOPE", "unknown", id="default-scope-unknown"),
        pytest.param("PROAUTH2_ISSUER", "http://auth.example.com", id="issuer-http-not-loopback"),
        pytest.param("PROAUTH2_CLOCK", 5, id="clock-not-callable"),
        pytest.param("PROAUTH2_DATABASE_URL", "proauth2.db", id="database-not-a-url"),
        pytest.param("PROAUTH2_DATABASE_URL", "oracle://db.example.com/x", id="database-unknown-scheme"),
        pytest.param("PROAUTH2_ACCESS_TOKEN_LIFETIME", "²", id="lifetime-superscript-digit"),
        pytest.param("PROAUTH2_REGISTRATION", "sometimes", id="registration"),
        pytest.param("PROAUTH2_AUTO_MIGRATE", 2, id="auto-migrate"),
        pytest.param("PROAUTH2_INITIAL_ACCESS_TOKEN", "s3cret", id="initial-token-without-registration"),
        pytest.param("PROAUTH2_URL_PREFIX", "oauth/", id="prefix"),
        pytest.param("PROAUTH2_REALM", 'a"b', id="realm-quote"),
        pytest.param("PROAUTH2_AUTHORIZATION_ENDPOINT", "authorize", id="authorization-endpoint"),
    ],
)
def test_a_wrong_value_fails_at_init_app_naming_the_key(make_app: MakeApp, key: str, value: Any) -> None:
    with pytest.raises(SettingsError, match=f"^{key}: "):
        make_app(**{key: value})


def test_custom_prefix_moves_every_endpoint(make_app: MakeApp) -> None:
    app = make_app(PROAUTH2_URL_PREFIX="/api/auth", PROAUTH2_REGISTRATION=True)
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("proauth2.")}
    assert rules == {
        "proauth2.token": "/api/auth/token",
        "proauth2.revocation": "/api/auth/revoke",
        "proauth2.introspection": "/api/auth/introspect",
        "proauth2.registration": "/api/auth/register",
        "proauth2.pushed_authorization_request": "/api/auth/par",
        "proauth2.metadata": "/.well-known/oauth-authorization-server",
    }
    assert app.test_client().post("/oauth/token").status_code == 404


@pytest.mark.rfc("8414", "3")
def test_rfc8414_section_3_metadata_lists_the_mounted_endpoints(make_app: MakeApp) -> None:
    app = make_app(PROAUTH2_URL_PREFIX="/auth")
    document = app.test_client().get("/.well-known/oauth-authorization-server").json
    assert document["issuer"] == ISSUER
    assert document["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert document["token_endpoint"] == f"{ISSUER}/auth/token"
    assert document["revocation_endpoint"] == f"{ISSUER}/auth/revoke"
    assert document["introspection_endpoint"] == f"{ISSUER}/auth/introspect"
    assert "registration_endpoint" not in document
    assert document["authorization_response_iss_parameter_supported"] is True


def test_metadata_is_not_served_without_an_issuer(make_app: MakeApp) -> None:
    app = make_app(PROAUTH2_ISSUER=None)
    assert app.test_client().get("/.well-known/oauth-authorization-server").status_code == 404


def test_rfc7591_registration_is_off_by_default_and_guarded_when_on(make_app: MakeApp) -> None:
    metadata = {"client_name": "Dynamic", "redirect_uris": [REDIRECT]}
    assert make_app().test_client().post("/oauth/register", json=metadata).status_code == 404
    client = make_app(PROAUTH2_REGISTRATION=True, PROAUTH2_INITIAL_ACCESS_TOKEN="initial-s3cret").test_client()
    assert client.post("/oauth/register", json=metadata).status_code == 401
    response = client.post("/oauth/register", json=metadata, headers=bearer("initial-s3cret"))
    assert response.status_code == 201, response.json
    assert response.json["client_name"] == "Dynamic"
    document = client.get("/.well-known/oauth-authorization-server").json
    assert document["registration_endpoint"] == f"{ISSUER}/oauth/register"


def test_endpoints_answer_wrong_methods_themselves(client: Any) -> None:
    response = client.get("/oauth/token")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json["error"] == "invalid_request"


def test_rfc7009_and_rfc7662_endpoints_are_mounted(client: Any, provider: Provider) -> None:
    resource_server = provider.register_app("RS", grant_types=["client_credentials"])
    user_client = provider.register_app("App", [REDIRECT])
    token = issue_token(provider, user_client)
    auth = (resource_server.client_id, resource_server.client_secret)
    assert client.post("/oauth/introspect", data={"token": token}, auth=auth).json["active"] is True
    own = (user_client.client_id, user_client.client_secret)
    assert client.post("/oauth/revoke", data={"token": token}, auth=own).status_code == 200
    assert client.post("/oauth/introspect", data={"token": token}, auth=auth).json == {"active": False}


def test_teardown_keeps_the_connection_for_the_next_request(app: Flask, confidential: ClientCredentials) -> None:
    """The app context's teardown hands a pooled connection back and never closes a thread's SQLite one.

    Closing it made every request reconnect, run the PRAGMAs and checkpoint the WAL (issue 9).
    """
    store = app.extensions["proauth2"].provider.store
    token = issue_token(app.extensions["proauth2"].provider, confidential)
    client = app.test_client()
    assert client.get("/me", headers=bearer(token)).status_code == 200
    connection = store._db.connection()
    for _ in range(3):
        assert client.get("/me", headers=bearer(token)).status_code == 200
    assert store._db.connection() is connection


def test_auto_migrate_off_leaves_the_schema_to_the_migrate_command(tmp_path: Any) -> None:
    """With ``PROAUTH2_AUTO_MIGRATE`` off, requests answer 503 until ``flask proauth2 migrate`` runs."""
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(
        PROAUTH2_DATABASE_URL=f"sqlite:///{tmp_path}/empty.db",
        PROAUTH2_AUTO_MIGRATE=False,
        PROAUTH2_ISSUER="https://auth.example.com",
    )
    Proauth2(app)
    store = app.extensions["proauth2"].provider.store
    client = app.test_client()
    assert store.schema_version() == 0
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "x"})
    assert response.status_code == 503 and response.json["error"] == "temporarily_unavailable"
    runner = app.test_cli_runner()
    check = runner.invoke(args=["proauth2", "migrate", "--check"])
    assert check.exit_code == 1 and "version 0" in check.output
    assert runner.invoke(args=["proauth2", "migrate"]).exit_code == 0
    assert runner.invoke(args=["proauth2", "migrate", "--check"]).exit_code == 0
    assert store.schema_version() == SCHEMA_VERSION
    assert client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "x"}).status_code == 401
    store.dispose()


def test_a_view_outside_init_app_names_the_mistake() -> None:
    app = Flask(__name__)
    with app.app_context(), pytest.raises(RuntimeError, match="init_app"):
        Proauth2().provider  # noqa: B018


def test_endpoints_before_flask_answer_without_flasks_dispatch(make_app: MakeApp, provider: Any) -> None:
    """``PROAUTH2_ENDPOINTS_BEFORE_FLASK``: the endpoints answer alike, Flask's hooks do not run for them."""
    app = make_app(PROAUTH2_ENDPOINTS_BEFORE_FLASK=True)
    hooked: list[str] = []
    app.before_request(lambda: hooked.append("hook") and None)
    client = app.test_client()
    client_id, secret = app.extensions["proauth2"].provider.register_app("svc", grant_types=["client_credentials"])
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert response.status_code == 200 and response.json["token_type"] == "Bearer"
    assert client.get("/.well-known/oauth-authorization-server").json["issuer"] == "https://auth.example.com"
    assert hooked == []
    assert client.get("/unguarded").status_code == 200 and hooked == ["hook"]  # other routes: Flask as ever
    with app.test_request_context():
        assert url_for("proauth2.token") == "/oauth/token"
