"""The demo clicked through in Debian's Chromium, the way a newcomer meets it.

The demo client starts the authorization code flow with PKCE (RFC 6749 §4.1,
RFC 7636); the provider logs the user in, asks for consent, and redirects back
with ``code``, ``state`` and ``iss`` (RFC 9207) or ``error=access_denied``
(RFC 6749 §4.1.2.1); an untrusted redirect URI gets an error page, never a
redirect (RFC 6749 §3.1.2.4, §4.1.2.1).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.http_server import serve

from .conftest import DEMO_PASSWORD, DEMO_USER, DemoServer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from playwright.sync_api import Browser, Page, Request, Route

pytestmark = pytest.mark.browser


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _navigations(page: Page) -> list[str]:
    """Every document URL the page requests, in order (redirect hops included)."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if request.resource_type == "document":
            seen.append(request.url)

    page.on("request", record)
    return seen


def _start_and_sign_in(page: Page, demo: DemoServer, start: str = "/client/start?prompt=consent") -> None:
    """Start the demo client's flow (asking for consent again: alice's is remembered) and sign in."""
    page.goto(demo.url(start))
    page.wait_for_url(re.compile(r"/login\?"))
    page.fill("input[name=username]", DEMO_USER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/authorize\?"))


def _check_authorization_request(demo: DemoServer, navigations: list[str]) -> dict[str, str]:
    """The demo client's authorization request: code flow, state, PKCE S256 (RFC 7636 §4.3)."""
    authorize = [url for url in navigations if urlsplit(url).path == "/authorize"]
    assert authorize, navigations
    params = _query(authorize[0])
    assert params["response_type"] == "code"
    assert params["client_id"] == demo.demo_client["client_id"]
    assert params["redirect_uri"] == demo.url("/client/callback")
    assert params["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", params["code_challenge"])
    assert params["state"]
    return params


def _callback(demo: DemoServer, navigations: list[str]) -> dict[str, str]:
    callbacks = [url for url in navigations if url.startswith(demo.url("/client/callback"))]
    assert len(callbacks) == 1, navigations
    return _query(callbacks[0])


def _run_allow_flow(page: Page, demo: DemoServer) -> dict[str, str]:
    navigations = _navigations(page)
    _start_and_sign_in(page, demo)

    assert page.locator("#client-name").inner_text() == "Demo client"
    scopes = [item.inner_text() for item in page.locator("#scopes li").all()]
    assert [scope.split()[0] for scope in scopes] == ["email", "openid", "profile"]
    assert "See your name and user name" in scopes[2]
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(re.compile(r"/client/callback\?"))

    sent = _check_authorization_request(demo, navigations)
    back = _callback(demo, navigations)
    assert back["iss"] == demo.base_url  # RFC 9207 §2
    assert back["state"] == sent["state"]
    assert back["code"]
    assert "error" not in back

    assert page.locator("#error").count() == 0
    token = json.loads(page.locator("#token").inner_text())
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "email openid profile"
    claims = json.loads(page.locator("#claims").inner_text())  # the ID token, verified by the demo client
    assert (claims["sub"], claims["name"], claims["email"]) == (DEMO_USER, "Alice Liddell", "alice@example.com")
    assert json.loads(page.locator("#userinfo").inner_text())["preferred_username"] == DEMO_USER
    me = json.loads(page.locator("#me").inner_text())
    assert me["user_id"] == DEMO_USER
    assert me["client_id"] == demo.demo_client["client_id"]
    assert "profile" in me["scope"].split()
    return back


@pytest.mark.rfc("6750", "2.1")
def test_sign_in_allow_and_call_the_api(page: Page, demo: DemoServer) -> None:
    """The whole round trip: login, consent, code + PKCE exchange, ``GET /api/me`` (RFC 6750 §2.1)."""
    back = _run_allow_flow(page, demo)
    deadline = time.monotonic() + 5
    while "GET /client/callback" not in demo.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "GET /client/callback" in demo.output()  # the access log is there ...
    assert back["code"] not in demo.output()  # ... without the code (RFC 6749 §10.5)
    assert back["state"] not in demo.output()


@pytest.mark.backends
def test_sign_in_allow_on_every_backend(page: Page, demo_on_backend: DemoServer) -> None:
    """The same round trip with the demo on SQLite, PostgreSQL and MariaDB/MySQL."""
    _run_allow_flow(page, demo_on_backend)


@pytest.mark.rfc("6749", "4.1.2.1")
def test_deny_sends_access_denied(page: Page, demo: DemoServer) -> None:
    """RFC 6749 §4.1.2.1: the user said no; the client gets ``error=access_denied`` and ``iss``."""
    navigations = _navigations(page)
    _start_and_sign_in(page, demo)
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(re.compile(r"/client/callback\?"))

    sent = _check_authorization_request(demo, navigations)
    back = _callback(demo, navigations)
    assert back["error"] == "access_denied"
    assert back["state"] == sent["state"]
    assert back["iss"] == demo.base_url
    assert "code" not in back
    assert page.locator("#error").inner_text() == "access_denied"
    assert page.locator("#me").count() == 0


@pytest.mark.rfc("6749", "4.1.2.1")
def test_wrong_redirect_uri_shows_the_error_page(page: Page, demo: DemoServer) -> None:
    """RFC 6749 §4.1.2.1: a redirect URI not registered for the client is never redirected to."""
    off_site: list[str] = []

    def refuse(route: Route) -> None:
        off_site.append(route.request.url)
        route.abort()

    page.route("https://evil.example/**", refuse)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": demo.demo_client["client_id"],
            "redirect_uri": "https://evil.example/cb",
            "scope": "profile",
            "state": "xyz",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )
    response = page.goto(demo.url(f"/authorize?{query}"))

    assert response is not None
    assert response.status == 400
    assert urlsplit(page.url).netloc == urlsplit(demo.base_url).netloc
    assert page.locator("h1").inner_text() == "The authorization request was refused"
    assert "redirect_uri" in page.content()
    assert off_site == []


def test_wrong_password_is_refused(page: Page, demo: DemoServer) -> None:
    """A wrong password shows the login form again with an error, and no consent page."""
    page.goto(demo.url("/client/"))
    page.get_by_role("button", name="Sign in with proauth2").click()
    page.wait_for_url(re.compile(r"/login\?"))
    login_url = page.url
    page.fill("input[name=username]", DEMO_USER)
    page.fill("input[name=password]", "not-" + DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "wrong password" in alert.inner_text()
    assert urlsplit(page.url).path == "/login"
    assert page.url == login_url  # still carrying ?next=, nothing granted
    assert page.get_by_role("button", name="Allow").count() == 0


@pytest.mark.rfc("6749", "10.13")
def test_login_and_consent_cannot_be_framed(page: Page, demo: DemoServer) -> None:
    """Clickjacking (RFC 6749 §10.13, RFC 9700 §4.16): another site framing the demo's pages sees no form.

    The attacker's page is served from ``localhost``, a site other than the
    demo's ``127.0.0.1``, over real HTTP on loopback.
    """
    _start_and_sign_in(page, demo)
    consent_url = page.url
    assert page.get_by_role("button", name="Allow").count() == 1
    frames = "".join(
        f'<iframe src="{url}" width="600" height="400"></iframe>' for url in (consent_url, demo.url("/login"))
    )
    body = f"<!doctype html><title>attacker</title><body>{frames}</body>".encode()

    def attacker_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
        return [body]

    with serve(attacker_app, host="localhost") as attacker:
        with page.expect_response(lambda response: response.url == demo.url("/login")) as login:
            page.goto(attacker)
        assert login.value.status == 200  # the demo answered the framed request: the browser refused to show it
        page.wait_for_timeout(500)
        children = [frame for frame in page.frames if frame != page.main_frame]
        assert len(children) == 2
        for frame in children:
            assert frame.locator("form, button, input").count() == 0, frame.url


#: where the browser tests leave their screenshots, for people to look at
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
#: a desktop window and a phone's (an iPhone 14's CSS pixels)
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_every_page_rendered_at_desktop_and_phone_width(chromium: Browser, demo: DemoServer, device: str) -> None:
    """Screenshots of every page (build/screenshots/): no page is wider than the window, each has the layout."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=VIEWPORTS[device])  # type: ignore[arg-type]
    page = context.new_page()

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{device}-{name}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[device]["width"], f"{name} is {width}px wide"
        assert page.locator("nav a[href='/']").count() == 1, name

    try:
        page.goto(demo.url("/"))
        shot("home")
        page.goto(demo.url("/no/such/page"))
        shot("not-found")
        page.goto(demo.url("/authorize?client_id=nobody"))
        shot("authorization-error")
        page.goto(demo.url("/client/"))
        shot("client")
        page.goto(demo.url("/client/start?prompt=consent"))
        page.wait_for_url(re.compile(r"/login\?"))
        page.fill("input[name=username]", DEMO_USER)
        page.fill("input[name=password]", "not the password")
        page.get_by_role("button", name="Sign in").click()
        shot("login-failed")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/authorize\?"))
        shot("consent")
        page.get_by_role("button", name="Deny").click()
        page.wait_for_url(re.compile(r"/client/callback\?"))
        shot("client-denied")
        page.goto(demo.url("/client/start?prompt=consent"))
        page.wait_for_url(re.compile(r"/authorize\?"))
        page.get_by_role("button", name="Allow").click()
        page.wait_for_url(re.compile(r"/client/callback\?"))
        shot("client-signed-in")
        page.goto(demo.url("/"))
        shot("home-signed-in")
        page.goto(demo.url("/logout"))
        shot("logout-confirm")
    finally:
        context.close()
