"""The device flow in Flask (RFC 8628): the endpoint mounted, and the helpers of a verification page."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from flask_proauth2 import Proauth2
from flask_proauth2.extension import DEVICE_SESSION
from proauth2_wsgi import ClientCredentials, SettingsError
from proauth2_wsgi.device import DEVICE_CODE_GRANT, InvalidUserCode, TooManyAttempts
from proauth2_wsgi.oidc import Login
from tests.conftest import FakeClock
from tests.flask.apps import USER, oauth
from tests.flask.conftest import ISSUER, MakeApp

WRONG_CODES = ("ZZZZ-ZZZZ", "ZZZZ-ZZZB", "ZZZZ-ZZZC", "ZZZZ-ZZZD", "ZZZZ-ZZZF")


def add_verification_page(app: Flask, extension: Proauth2 = oauth) -> None:
    """A host app's verification page: show what the code asks for, then approve or deny (as JSON, for the tests)."""

    @app.route("/device", methods=["GET", "POST"])
    def device() -> Any:
        session_key = request.headers.get("X-Session-Key")  # a signed-in user's id, when the app prefers it
        try:
            decision = request.form.get("decision")
            if decision == "allow":
                done = extension.approve_device(None, Login(USER, 1_799_999_000), session_key=session_key)
                return jsonify(approved=done.client_name)
            if decision == "deny":
                return jsonify(denied=extension.deny_device(session_key=session_key).client_name)
            shown = extension.device_request(session_key=session_key)
        except TooManyAttempts as error:
            return jsonify(error="locked", description=error.error_description), 429
        except InvalidUserCode as error:
            return jsonify(error="invalid", description=error.error_description), 400
        return jsonify(client=shown.client_name, scopes=extension.scope_descriptions(shown), user_code=shown.user_code)


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    app = make_app(SECRET_KEY="device-tests-" + "s" * 32, PROAUTH2_DEVICE_VERIFICATION_URI="/device")
    add_verification_page(app)
    return app


@pytest.fixture
def tv(app: Flask) -> ClientCredentials:
    provider = app.extensions["proauth2"].provider
    return provider.register_app(
        "Kitchen TV", grant_types=[DEVICE_CODE_GRANT, "refresh_token"], scopes="profile email", auth_method="none"
    )


def start(client: FlaskClient, tv: ClientCredentials, **form: str) -> dict[str, Any]:
    response = client.post("/oauth/device_authorization", data={"client_id": tv.client_id, **form})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()  # type: ignore[no-any-return]


def poll(client: FlaskClient, tv: ClientCredentials, device_code: str) -> Any:
    form = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code, "client_id": tv.client_id}
    return client.post("/oauth/token", data=form)


@pytest.mark.rfc("8628", "3.3")
def test_a_verification_page_with_the_helpers(client: FlaskClient, clock: FakeClock, tv: ClientCredentials) -> None:
    device, browser = client, client.application.test_client()
    answer = start(device, tv, scope="profile email")
    assert answer["verification_uri"] == f"{ISSUER}/device"
    shown = browser.get("/device", query_string={"user_code": answer["user_code"].lower()})  # from the QR code
    assert shown.get_json() == {
        "client": "Kitchen TV",
        "scopes": {"email": "Read your email", "profile": "Read your profile"},
        "user_code": answer["user_code"],
    }
    assert poll(device, tv, answer["device_code"]).get_json()["error"] == "authorization_pending"
    approved = browser.post("/device", data={"user_code": answer["user_code"], "decision": "allow"})
    assert approved.get_json() == {"approved": "Kitchen TV"}
    clock.advance(5)
    tokens = poll(device, tv, answer["device_code"]).get_json()
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "email profile"
    me = device.get("/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.get_json()["user_id"] == USER


@pytest.mark.rfc("8628", "3.5")
def test_a_denial_reaches_the_device(client: FlaskClient, tv: ClientCredentials) -> None:
    answer = start(client, tv)
    assert client.post("/device", data={"user_code": answer["user_code"], "decision": "deny"}).get_json() == {
        "denied": "Kitchen TV"
    }
    refused = poll(client, tv, answer["device_code"])
    assert refused.status_code == 400 and refused.get_json()["error"] == "access_denied"


@pytest.mark.rfc("8628", "5.1")
def test_wrong_codes_lock_the_flask_session(app: Flask, client: FlaskClient, tv: ClientCredentials) -> None:
    answer = start(client, tv)
    browser = app.test_client()
    for wrong in WRONG_CODES:
        refused = browser.get("/device", query_string={"user_code": wrong})
        assert refused.status_code == 400 and refused.get_json()["error"] == "invalid"
    with browser.session_transaction() as session:
        assert isinstance(session[DEVICE_SESSION], str)  # the per-session key lives in the Flask session
    locked = browser.get("/device", query_string={"user_code": answer["user_code"]})
    assert locked.status_code == 429 and locked.get_json()["description"] == TooManyAttempts.PUBLIC_DESCRIPTION
    assert browser.post("/device", data={"user_code": answer["user_code"], "decision": "allow"}).status_code == 429
    other = app.test_client()  # another browser: its own session
    assert other.get("/device", query_string={"user_code": answer["user_code"]}).status_code == 200


@pytest.mark.rfc("8628", "5.1")
def test_a_session_key_of_the_apps_own_outlives_the_cookie(
    app: Flask, client: FlaskClient, tv: ClientCredentials
) -> None:
    """Keyed by the signed-in user, a fresh cookie does not reset the count."""
    answer = start(client, tv)
    for wrong in WRONG_CODES:
        fresh_cookie = app.test_client()
        assert (
            fresh_cookie.get("/device", query_string={"user_code": wrong}, headers={"X-Session-Key": "u1"}).status_code
            == 400
        )
    locked = app.test_client().get(
        "/device", query_string={"user_code": answer["user_code"]}, headers={"X-Session-Key": "u1"}
    )
    assert locked.status_code == 429


def test_the_metadata_names_the_device_endpoint(client: FlaskClient) -> None:
    document = client.get("/.well-known/oauth-authorization-server").get_json()
    assert document["device_authorization_endpoint"] == f"{ISSUER}/oauth/device_authorization"
    assert DEVICE_CODE_GRANT in document["grant_types_supported"]


def test_the_device_settings_come_from_the_config(make_app: MakeApp) -> None:
    """Text from the environment is typed; a bad value fails at start-up naming its key."""
    app = make_app(
        PROAUTH2_DEVICE_VERIFICATION_URI="https://tv.example.com/go",
        PROAUTH2_DEVICE_POLL_INTERVAL="7",
        PROAUTH2_DEVICE_CODE_LIFETIME="300",
    )
    provider = app.extensions["proauth2"].provider
    tv = provider.register_app("TV", grant_types=[DEVICE_CODE_GRANT], auth_method="none")
    answer = start(app.test_client(), tv)
    assert (answer["verification_uri"], answer["interval"], answer["expires_in"]) == (
        "https://tv.example.com/go",
        7,
        300,
    )
    with pytest.raises(SettingsError, match=r"^PROAUTH2_DEVICE_VERIFICATION_URI: "):
        make_app(PROAUTH2_DEVICE_VERIFICATION_URI="http://tv.example.com/go")
    with pytest.raises(SettingsError, match=r"^PROAUTH2_DEVICE_POLL_INTERVAL: "):
        make_app(PROAUTH2_DEVICE_VERIFICATION_URI="/device", PROAUTH2_DEVICE_POLL_INTERVAL="0")


def test_without_the_setting_there_is_no_device_endpoint(make_app: MakeApp) -> None:
    client = make_app().test_client()
    assert client.post("/oauth/device_authorization", data={"client_id": "x"}).status_code == 404
