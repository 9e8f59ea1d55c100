"""The extension's OpenID Connect helpers: claims_loader, authorization_step, login_return_url, the settings."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from flask_proauth2 import Proauth2
from proauth2_wsgi import ClientCredentials, SettingsError
from proauth2_wsgi.oidc import Login
from proauth2_wsgi.pkce import s256_challenge
from tests.conftest import FakeClock
from tests.flask.conftest import ISSUER, REDIRECT

KEY_SECRET = "flask-tests-" + "k" * 32
ALICE = {"name": "Alice Liddell", "email": "alice@example.com", "phone_number": "+44 20 7946 0000"}


def make_app(database_url: str, clock: FakeClock, tmp_path: Any, **config: Any) -> tuple[Flask, Proauth2]:
    """A provider whose authorize view reads the signed-in user from test headers and reports the step."""
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(
        {
            "TESTING": True,
            "PROAUTH2_DATABASE_URL": database_url,
            "PROAUTH2_ISSUER": ISSUER,
            "PROAUTH2_SCOPES": {"api": "Call the API"},
            "PROAUTH2_CLOCK": clock,
            "PROAUTH2_OPENID": True,
            "PROAUTH2_KEY_SECRET": KEY_SECRET,
            "PROAUTH2_AUTHORIZATION_ENDPOINT": "/authorize",
            "PROAUTH2_END_SESSION_ENDPOINT": "/logout",
            **config,
        }
    )
    oauth = Proauth2()
    loaded = oauth.claims_loader(lambda user_id, scopes, claims_request: ALICE)
    assert loaded(None, None, None) is ALICE  # the decorator gives the function back
    oauth.init_app(app)

    @app.route("/authorize")
    def authorize() -> Any:
        auth = oauth.validate_authorization_request()
        user = request.headers.get("X-User")
        login = Login(user, int(request.headers["X-Auth-Time"])) if user else None
        step = oauth.authorization_step(auth, login)
        if request.args.get("answer") and login is not None:
            return oauth.authorization_response(auth, login, approved=True)
        return jsonify(step=step.value, return_url=oauth.login_return_url())

    return app, oauth


@pytest.fixture
def app(database_url: str, clock: FakeClock, tmp_path: Any) -> Iterator[Flask]:
    app, _ = make_app(database_url, clock, tmp_path)
    yield app
    app.extensions["proauth2"].provider.store.close()


@pytest.fixture
def http(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def rp(app: Flask) -> ClientCredentials:
    return app.extensions["proauth2"].provider.register_app("RP", [REDIRECT])


def _query(rp: ClientCredentials, verifier: str = "v" * 43, **params: str) -> dict[str, str]:
    return {
        "client_id": rp.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "state": "s1",
        "code_challenge": s256_challenge(verifier),
        "code_challenge_method": "S256",
        **params,
    }


def _alice(clock: FakeClock, ago: int = 10) -> dict[str, str]:
    return {"X-User": "alice", "X-Auth-Time": str(int(clock.now) - ago)}


def _redirected(response: Any) -> dict[str, str]:
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(response.headers["Location"]).query).items()}


@pytest.mark.rfc("openid-connect-core", "3.1.2.6")
def test_prompt_none_without_a_login_redirects_login_required(http: FlaskClient, rp: ClientCredentials) -> None:
    answer = _redirected(http.get("/authorize", query_string=_query(rp, prompt="none")))
    assert answer["error"] == "login_required" and answer["iss"] == ISSUER and answer["state"] == "s1"


@pytest.mark.rfc("openid-connect-core", "3.1.2.6")
def test_prompt_none_before_any_consent_redirects_consent_required(
    http: FlaskClient, rp: ClientCredentials, clock: FakeClock
) -> None:
    answer = _redirected(http.get("/authorize", query_string=_query(rp, prompt="none"), headers=_alice(clock)))
    assert answer["error"] == "consent_required"


def test_steps_login_then_consent_then_answer(http: FlaskClient, rp: ClientCredentials, clock: FakeClock) -> None:
    assert http.get("/authorize", query_string=_query(rp)).json["step"] == "login"
    assert http.get("/authorize", query_string=_query(rp), headers=_alice(clock)).json["step"] == "consent"
    approved = http.get("/authorize", query_string=_query(rp, answer="1"), headers=_alice(clock))
    assert "code" in _redirected(approved)
    assert http.get("/authorize", query_string=_query(rp), headers=_alice(clock)).json["step"] == "answer"
    # max_age shorter than the sign-in's age: a login again (OIDC Core §3.1.2.1)
    stale = http.get("/authorize", query_string=_query(rp, max_age="5"), headers=_alice(clock, ago=60))
    assert stale.json["step"] == "login"


def test_login_return_url_drops_prompt_login_and_max_age(http: FlaskClient, rp: ClientCredentials) -> None:
    query = _query(rp, prompt="login", max_age="0", login_hint="alice")
    back = http.get("/authorize", query_string=query).json["return_url"]
    kept = parse_qs(urlsplit(back).query)
    assert urlsplit(back).path == "/authorize"
    assert "prompt" not in kept and "max_age" not in kept
    assert kept["login_hint"] == ["alice"] and kept["client_id"] == [rp.client_id]


def test_the_claims_loader_feeds_userinfo_within_the_granted_scopes(
    http: FlaskClient, rp: ClientCredentials, clock: FakeClock
) -> None:
    verifier = secrets.token_urlsafe(48)
    approved = http.get("/authorize", query_string=_query(rp, verifier, answer="1"), headers=_alice(clock))
    tokens = http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": _redirected(approved)["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(rp.client_id, rp.client_secret),
    ).json
    assert tokens["id_token"].count(".") == 2
    userinfo = http.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.json == {"sub": "alice", "email": "alice@example.com"}  # no phone: not granted


def test_discovery_names_the_apps_logout_and_the_extensions_endpoints(http: FlaskClient) -> None:
    document = http.get("/.well-known/openid-configuration").json
    assert document["end_session_endpoint"] == f"{ISSUER}/logout"
    assert document["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert document["userinfo_endpoint"] == f"{ISSUER}/oauth/userinfo"
    assert document["jwks_uri"] == f"{ISSUER}/oauth/jwks"


def test_openid_without_a_key_secret_fails_at_start_naming_the_key(
    database_url: str, clock: FakeClock, tmp_path: Any
) -> None:
    with pytest.raises(SettingsError, match="key_secret"):
        make_app(database_url, clock, tmp_path, PROAUTH2_KEY_SECRET=None)
