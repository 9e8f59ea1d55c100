"""The demo over plain HTTP with ``requests``: CSRF on its forms, settings from the environment.

Each test talks to the real ``python -m demo`` subprocess.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import signal
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from proauth2_wsgi.settings import DEFAULT_ACCESS_TOKEN_LIFETIME

from .conftest import (
    DEMO_USER,
    REPO_ROOT,
    DemoServer,
    consent,
    demo_command,
    demo_env,
    form_inputs,
    http_session,
    running_demo,
    sign_in,
)

#: what the demo's home page says to a signed-in user
SIGNED_IN = "You are signed in as"


def _start(http: requests.Session, demo: DemoServer) -> str:
    """The demo client's authorization URL (consent asked again), from the 303 of ``/client/start``."""
    response = http.get(demo.url("/client/start?prompt=consent"), allow_redirects=False, timeout=10)
    assert response.status_code == 303
    return response.headers["Location"]


@pytest.mark.rfc("6749", "10.12")
def test_consent_without_csrf_token_is_refused(http: requests.Session, demo: DemoServer) -> None:
    """A consent POST must carry the session's CSRF token (RFC 6749 §10.12; RFC 9700 §4.7)."""
    assert sign_in(http, demo).status_code == 303
    url = _start(http, demo)
    page = http.get(url, timeout=10)
    assert page.status_code == 200
    token = form_inputs(page.text)["csrf"]

    for data in ({"decision": "allow"}, {"decision": "allow", "csrf": token[::-1]}, {"decision": "allow", "csrf": ""}):
        refused = http.post(url, data=data, allow_redirects=False, timeout=10)
        assert refused.status_code == 400, data
        assert "CSRF" in refused.text
        assert "Location" not in refused.headers

    # the same request with the token is answered: the refusals were the token's doing
    allowed = http.post(url, data={"decision": "allow", "csrf": token}, allow_redirects=False, timeout=10)
    assert allowed.status_code == 303
    assert "code" in parse_qs(urlsplit(allowed.headers["Location"]).query)


def test_consent_token_of_another_session_is_refused(demo: DemoServer) -> None:
    """A token lifted from one browser session does not work in another (the attacker's)."""
    with http_session() as victim, http_session() as attacker:
        assert sign_in(victim, demo).status_code == 303
        victims_token = form_inputs(victim.get(_start(victim, demo), timeout=10).text)["csrf"]
        assert sign_in(attacker, demo).status_code == 303
        url = _start(attacker, demo)
        refused = attacker.post(url, data={"decision": "allow", "csrf": victims_token}, allow_redirects=False)
        assert refused.status_code == 400
        assert "Location" not in refused.headers


@pytest.mark.rfc("6749", "10.12")
def test_login_without_csrf_token_is_refused(http: requests.Session, demo: DemoServer) -> None:
    """Login CSRF (RFC 6749 §10.12): a login form posted without the token signs nobody in."""
    http.get(demo.url("/login"), timeout=10)
    response = http.post(
        demo.url("/login"), data={"username": DEMO_USER, "password": "wonderland"}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 200
    assert "session expired" in response.text
    assert SIGNED_IN not in http.get(demo.url("/"), timeout=10).text
    # an authorization request still sends this session to the login page
    assert urlsplit(http.get(_start(http, demo), allow_redirects=False, timeout=10).headers["Location"]).path == (
        "/login"
    )


def test_wrong_password_signs_nobody_in(http: requests.Session, demo: DemoServer) -> None:
    response = sign_in(http, demo, password="Wonderland")
    assert response.status_code == 200
    assert "wrong password" in response.text
    assert SIGNED_IN not in http.get(demo.url("/"), timeout=10).text
    # the right password, for contrast
    assert sign_in(http, demo).status_code == 303
    assert f"{SIGNED_IN} <strong>{DEMO_USER}</strong>" in http.get(demo.url("/"), timeout=10).text


def _exchange_with_demo_client(http: requests.Session, demo: DemoServer) -> requests.Response:
    """Code flow as the demo client, PKCE by hand; the token endpoint's response (RFC 6749 §4.1.3)."""
    client = demo.demo_client
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = demo.url("/client/callback")
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
        "scope": "profile",
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    assert sign_in(http, demo).status_code == 303
    location = consent(http, demo.url(f"/authorize?{urlencode(query)}")).headers["Location"]
    assert location.startswith(redirect_uri + "?")
    code = parse_qs(urlsplit(location).query)["code"][0]
    return http.post(
        demo.url("/oauth/token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    )


@pytest.mark.rfc("6749", "5.1")
@pytest.mark.parametrize(
    ("env", "expires_in"),
    [
        pytest.param({}, DEFAULT_ACCESS_TOKEN_LIFETIME, id="default"),
        pytest.param({"FLASK_PROAUTH2_ACCESS_TOKEN_LIFETIME": "5"}, 5, id="from-env"),
    ],
)
def test_settings_from_the_environment(tmp_path: Path, env: dict[str, str], expires_in: int) -> None:
    """``FLASK_PROAUTH2_*`` reaches ``python -m demo`` the Flask way: ``expires_in`` (RFC 6749 §5.1)."""
    with running_demo(tmp_path, env=env) as demo, http_session() as http:
        response = _exchange_with_demo_client(http, demo)
        assert response.status_code == 200, response.text
        assert response.json()["expires_in"] == expires_in


def test_a_bad_setting_in_the_environment_stops_start_up(tmp_path: Path) -> None:
    """A wrong value fails at start-up, naming the key, instead of serving with a broken setting."""
    result = subprocess.run(
        demo_command(tmp_path / "instance"),
        cwd=REPO_ROOT,
        env=demo_env({"FLASK_PROAUTH2_ACCESS_TOKEN_LIFETIME": "0"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: PROAUTH2_ACCESS_TOKEN_LIFETIME: expected a positive whole number")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr  # one line, once
    assert "Running on" not in result.stdout + result.stderr


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_sigint_and_sigterm_stop_the_demo_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    """Ctrl-C and a service manager's SIGTERM end ``python -m demo`` with status 0 and a last word, mid-session."""
    with running_demo(tmp_path) as demo, http_session() as http:
        assert sign_in(http, demo).status_code == 303  # a kept-alive connection and a live session
        code, output = demo.interrupt(stop)
        assert code == 0, output
        assert output.rstrip().endswith("proauth2 demo stopped."), output
        assert "Traceback" not in output


@pytest.mark.rfc("9700", "4.16")
@pytest.mark.parametrize("path", ["/login", "/authorize", "/", "/client/"])
def test_pages_refuse_framing_and_caching(http: requests.Session, demo: DemoServer, path: str) -> None:
    """Login and consent cannot be framed (clickjacking, RFC 9700 §4.16; RFC 6749 §10.13) nor cached."""
    assert sign_in(http, demo).status_code == 303
    url = _start(http, demo) if path == "/authorize" else demo.url(path)
    page = http.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    if path == "/authorize":
        assert "Allow" in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.rfc("6749", "10.12")
def test_a_callback_from_another_browser_is_refused(demo: DemoServer) -> None:
    """RFC 6749 §10.12, RFC 9700 §4.7: the client's ``state`` is bound to the browser that started the flow.

    The attacker completes a flow for their own account but stops before the
    callback, then sends the victim there: the victim's browser must not
    finish the attacker's flow.
    """
    with http_session() as attacker, http_session() as victim:
        assert sign_in(attacker, demo).status_code == 303
        callback = consent(attacker, _start(attacker, demo)).headers["Location"]
        assert callback.startswith(demo.url("/client/callback?"))

        refused = victim.get(callback, timeout=10)
        assert refused.status_code == 400
        assert "not started in this browser" in refused.text
        assert "Signed in" not in refused.text

        # The browser that started a flow finishes it.
        assert sign_in(victim, demo).status_code == 303
        own = victim.get(consent(victim, _start(victim, demo)).headers["Location"], timeout=10)
        assert own.status_code == 200
        assert "Signed in" in own.text


def test_logout_needs_the_csrf_token(http: requests.Session, demo: DemoServer) -> None:
    """A cross-site form cannot sign the user out; the home page's own form can."""
    assert sign_in(http, demo).status_code == 303
    refused = http.post(demo.url("/logout"), allow_redirects=False, timeout=10)
    assert refused.status_code == 400
    home = http.get(demo.url("/"), timeout=10).text
    assert SIGNED_IN in home
    signed_out = http.post(demo.url("/logout"), data={"csrf": form_inputs(home)["csrf"]}, allow_redirects=False)
    assert signed_out.status_code == 303
    assert SIGNED_IN not in http.get(demo.url("/"), timeout=10).text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [pytest.param("POST", "/api/me", 405, id="wrong-method"), pytest.param("GET", "/api/nothing", 404, id="no-route")],
)
def test_api_errors_are_json(http: requests.Session, demo: DemoServer, method: str, path: str, status: int) -> None:
    """An API client gets JSON from ``/api/`` even when no view ran (405 keeps its ``Allow``)."""
    response = http.request(method, demo.url(path), timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]
    if status == 405:
        assert "GET" in response.headers["Allow"]


#: hostile OpenID Connect input at the demo's own views: each a refusal, never a 500
_HOSTILE_LOGOUT = [
    pytest.param({"id_token_hint": "x" * 10_000}, id="hint-10kb"),
    pytest.param({"id_token_hint": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."}, id="hint-alg-none"),
    pytest.param({"post_logout_redirect_uri": "javascript:alert(1)"}, id="uri-javascript"),
    pytest.param({"post_logout_redirect_uri": "https://evil.example/"}, id="uri-unregistered"),
    pytest.param({"state": "a\x00b", "client_id": "nobody"}, id="control-state-unknown-client"),
    pytest.param({"ui_locales": "\x7f" * 50}, id="locales-control"),
]


@pytest.mark.rfc("RP-Initiated Logout", "2")
@pytest.mark.parametrize("params", _HOSTILE_LOGOUT)
def test_hostile_logout_requests_are_refused_with_a_page(
    http: requests.Session, demo: DemoServer, params: dict[str, str]
) -> None:
    response = http.get(demo.url("/logout"), params=params, allow_redirects=False, timeout=10)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Location" not in response.headers
    assert "Traceback" not in response.text and "Traceback" not in demo.output()


@pytest.mark.rfc("openid-connect-core", "3.1.2.6")
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"nonce": "n" * 10_240}, id="nonce-10kb"),
        pytest.param({"max_age": "-1"}, id="max-age-negative"),
        pytest.param({"max_age": "soon"}, id="max-age-text"),
        pytest.param({"prompt": "none login"}, id="prompt-none-with-login"),
        pytest.param({"prompt": "login\x00"}, id="prompt-control"),
    ],
)
def test_hostile_authentication_requests_redirect_invalid_request(
    http: requests.Session, demo: DemoServer, params: dict[str, str]
) -> None:
    query = dict(parse_qs(urlsplit(_start(http, demo)).query))
    query.update({name: [value] for name, value in params.items()})
    response = http.get(demo.url("/authorize"), params=query, allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text
    back = parse_qs(urlsplit(response.headers["Location"]).query)
    assert back["error"] == ["invalid_request"] and back["state"] == query["state"]
