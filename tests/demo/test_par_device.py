"""PAR (RFC 9126), the device grant (RFC 8628) and private_key_jwt (RFC 7523) against the real demo.

- oauth4webapi pushes an authorization request, signs a device in (alice
  entering its code at ``/device`` in Chromium while it polls) and
  authenticates with a key pair of its own, registered through RFC 7591;
- openid-client 6 does the same with ``buildAuthorizationUrlWithPAR`` and
  ``initiateDeviceAuthorization`` / ``pollDeviceAuthorizationGrant``;
- the demo client's PAR mode (``/client/start?par=1``, with DPoP too); a used
  or expired ``request_uri`` is the 400 page, never a redirect;
- the device page: a wrong code is a 400 page and issues nothing, Deny is
  ``access_denied``, too many wrong codes a 429, nothing decided on a GET or
  without the CSRF token; ``python -m demo.device_login`` with the Demo TV.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from demo import create_app
from demo.device_views import DEMO_TV_DEFAULT_SCOPE, DEMO_TV_NAME, demo_tv
from proauth2_wsgi.device import DEVICE_CODE_GRANT, InvalidUserCode, TooManyAttempts
from proauth2_wsgi.testing.certificates import make_certificates
from tests.cimd.conftest import serving_documents
from tests.conftest import FakeClock
from tests.http_server import free_port, serve

from .browser_user import BrowserUser, Visit, landing_site, run_node_relying_party
from .conftest import DEMO_PASSWORD, DEMO_USER, REPO_ROOT, DemoServer, demo_env, form_inputs
from .test_browser import SCREENSHOTS, VIEWPORTS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

#: how a pushed request's reference begins (RFC 9126 §2.2)
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: what the demo gives a login and consent to answer a pushed request (PROAUTH2_PAR_LIFETIME)
PAR_LIFETIME = 300
#: what the device page says once the user decided
SIGNED_IN, REFUSED = "Your device is signed in", "Your device was refused"


def _sentence(description: str) -> str:
    return f"{description[:1].upper()}{description[1:].rstrip('.')}."


#: the library's one answer to any code it cannot use, and to a session that guessed too often, as the page says them
INVALID_CODE = _sentence(InvalidUserCode.PUBLIC_DESCRIPTION)
TOO_MANY = _sentence(TooManyAttempts.PUBLIC_DESCRIPTION)
#: what the device page says of a request that names no resource (RFC 8707)
NO_AUDIENCE = "Its tokens will be for no particular API of this server."


def demo_tv_id(demo: DemoServer) -> str:
    """The Demo TV's client id, as ``python -m demo`` printed it at start-up."""
    found = re.search(r"Demo TV client id:\s+(\S+)", demo.output())
    assert found, demo.output()
    return found.group(1)


def wrong_second_half(user_code: str) -> str:
    """``user_code`` with its last letter changed: its first half still finds the code, so it counts as a guess."""
    return user_code[:-1] + ("B" if user_code[-1] != "B" else "C")


@dataclass
class Decision:
    """What alice saw on the device page's consent, and where she ended."""

    client_name: str
    user_code: str
    scopes: list[str]
    audience: str
    heading: str


@dataclass
class DeviceUser:
    """alice at a browser page, entering the codes devices show her at their ``verification_uri``."""

    page: Page
    decisions: list[Decision] = field(default_factory=list)

    def open(self, verification_uri: str) -> None:
        """The code form at ``verification_uri``, signing in first when the demo asks."""
        self.page.goto(verification_uri)
        if urlsplit(self.page.url).path == "/login":
            self.page.fill("input[name=username]", DEMO_USER)
            self.page.fill("input[name=password]", DEMO_PASSWORD)
            self.page.get_by_role("button", name="Sign in").click()
            self.page.wait_for_url(lambda url: urlsplit(url).path == "/device")
        assert self.page.locator("input[name=user_code]").count() == 1, self.page.content()

    def submit(self, typed: str) -> int:
        """Type ``typed`` into the code form and continue; the status of the page that answered."""
        self.page.fill("input[name=user_code]", typed)
        with self.page.expect_navigation() as navigation:
            self.page.get_by_role("button", name="Continue").click()
        assert navigation.value is not None
        return navigation.value.status

    def decide(self, verification_uri: str, user_code: str, decision: str = "Allow", typed: str | None = None) -> str:
        """Enter ``user_code`` (as ``typed``), check the consent page shows it, press ``decision``; the heading."""
        self.open(verification_uri)
        assert self.submit(typed or user_code) == 200, self.page.content()
        shown = Decision(
            client_name=self.page.locator("#client-name").inner_text(),
            user_code=self.page.locator("#user-code").inner_text(),
            scopes=[item.inner_text().split()[0] for item in self.page.locator("#scopes li").all()],
            audience=self.page.locator("#audience").inner_text(),
            heading="",
        )
        with self.page.expect_navigation() as navigation:
            self.page.get_by_role("button", name=decision).click()
        assert navigation.value is not None and navigation.value.status == 200
        shown.heading = self.page.locator("h1").inner_text()
        assert "You may return to your device." in self.page.locator("#device-done").inner_text()
        self.decisions.append(shown)
        return shown.heading


def device_authorization(http: requests.Session, demo: DemoServer, client_id: str, **params: str) -> dict[str, Any]:
    """A public client's device authorization (RFC 8628 §3.1): the §3.2 answer."""
    answer = http.post(demo.url("/oauth/device_authorization"), data={"client_id": client_id, **params}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def poll(http: requests.Session, demo: DemoServer, client_id: str, device_code: str) -> requests.Response:
    """One poll of the token endpoint (RFC 8628 §3.4)."""
    form = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code, "client_id": client_id}
    return http.post(demo.url("/oauth/token"), data=form, timeout=10)


# -- Node clients through Chromium --------------------------------------------------------------------


@dataclass
class NodeRun:
    """A Node script's summary, with alice's visits (code flows) and decisions (devices) for it."""

    summary: dict[str, Any]
    visits: list[Visit]
    decisions: list[Decision]


def _run(script: Path, chromium: Browser, demo: DemoServer) -> NodeRun:
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        with landing_site() as landing:
            page = context.new_page()
            user, device = BrowserUser(page, demo, landing), DeviceUser(page)
            summary = run_node_relying_party(script, user.follow, demo.base_url, landing, device=device.decide)
            return NodeRun(summary, user.visits, device.decisions)
    finally:
        context.close()


@pytest.fixture(scope="module")
def oauth4webapi(node_scripts: Path, chromium: Browser, demo: DemoServer) -> NodeRun:
    """``node/par_device_oauth4webapi.mjs`` run once for the module."""
    return _run(node_scripts / "par_device_oauth4webapi.mjs", chromium, demo)


@pytest.fixture(scope="module")
def openid_client(node_scripts: Path, chromium: Browser, demo: DemoServer) -> NodeRun:
    """``node/par_device_openid_client.mjs`` run once for the module."""
    return _run(node_scripts / "par_device_openid_client.mjs", chromium, demo)


@pytest.mark.browser
@pytest.mark.rfc("9126", "2")
def test_oauth4webapi_pushes_its_authorization_request(oauth4webapi: NodeRun, demo: DemoServer) -> None:
    par = oauth4webapi.summary["par"]
    assert oauth4webapi.summary["issuer"] == demo.base_url
    assert par["pushed_authorization_request_endpoint"] == demo.url("/oauth/par")  # §5
    assert par["require_pushed_authorization_requests"] is False
    assert par["request_uri"].startswith(REQUEST_URI_PREFIX) and par["expires_in"] == PAR_LIFETIME  # §2.2
    assert par["authorization_url_parameters"] == ["client_id", "request_uri"]  # §4: nothing else in the browser
    assert oauth4webapi.visits[0].pages == ["login", "consent"]
    assert (par["token_type"], par["scope"]) == ("bearer", "profile")  # oauth4webapi writes it in lower case
    assert par["me"]["status"] == 200 and par["me"]["body"]["user_id"] == DEMO_USER
    # §2.3: a redirect_uri the client never registered is refused at the push, to the client, as JSON
    assert par["bad_redirect_uri"] == {"refused": True, "status": 400, "error": "invalid_request"}


@pytest.mark.browser
@pytest.mark.rfc("8628", "3.5")
def test_oauth4webapi_signs_a_device_in(oauth4webapi: NodeRun, demo: DemoServer) -> None:
    device = oauth4webapi.summary["device"]
    assert device["device_authorization_endpoint"] == demo.url("/oauth/device_authorization")  # §4
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", device["user_code"])  # §6.1
    assert device["verification_uri"] == demo.url("/device")
    assert device["verification_uri_complete"] == demo.url(f"/device?user_code={device['user_code']}")
    assert (device["expires_in"], device["interval"]) == (600, 5)
    # alice compared the code and saw who asked for what, then the device's next poll got the tokens
    [decision] = oauth4webapi.decisions
    assert decision == Decision("oauth4webapi device client", device["user_code"], ["profile"], NO_AUDIENCE, SIGNED_IN)
    assert device["page"] == SIGNED_IN
    # a poll before alice saw the code, then every `interval` seconds until she allowed: never too soon (slow_down)
    answers = device["answers"]
    assert answers[-1] == "tokens" and set(answers[:-1]) == {"authorization_pending"}, answers
    assert (device["token_type"], device["scope"], device["refresh_token_issued"]) == ("bearer", "profile", True)
    assert device["me"]["status"] == 200
    assert (device["me"]["body"]["user_id"], device["me"]["body"]["client_id"]) == (DEMO_USER, device["client_id"])
    assert device["refreshed_me"]["status"] == 200 and device["refresh_token_rotated"] is True


@pytest.mark.rfc("7523", "2.2")
def test_oauth4webapi_authenticates_with_its_own_key(oauth4webapi: NodeRun) -> None:
    """Registered over RFC 7591 with its public key only; token, introspection and revocation by assertion."""
    keyed = oauth4webapi.summary["private_key_jwt"]
    assert "private_key_jwt" in keyed["token_endpoint_auth_methods_supported"]
    assert "ES256" in keyed["token_endpoint_auth_signing_alg_values_supported"]
    assert keyed["registered_auth_method"] == "private_key_jwt"
    assert keyed["client_secret_issued"] is False  # nothing to share, nothing to leak
    [jwk] = keyed["registered_jwks"]["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["kid"]) == ("EC", "P-256", "oauth4webapi-1") and "d" not in jwk
    assert (keyed["token_type"], keyed["scope"]) == ("bearer", "profile")
    assert keyed["introspected"] == {"active": True, "client_id": keyed["client_id"], "scope": "profile"}
    assert keyed["active_after_revocation"] is False
    assert keyed["other_key"] == {"refused": True, "status": 401, "error": "invalid_client", "challenge": "basic"}


@pytest.mark.browser
@pytest.mark.rfc("9126", "4")
def test_openid_client_pushes_and_signs_a_device_in(openid_client: NodeRun, demo: DemoServer) -> None:
    summary = openid_client.summary
    assert sorted(summary["authorization_url_parameters"]) == ["client_id", "request_uri"]
    assert summary["request_uri"].startswith(REQUEST_URI_PREFIX)
    assert openid_client.visits[0].pages == ["login", "consent"]
    assert summary["token_type"].lower() == "bearer"
    assert (summary["claims"]["sub"], summary["claims"]["aud"]) == (DEMO_USER, summary["client_id"])

    [decision] = openid_client.decisions
    assert (decision.client_name, decision.user_code) == ("openid-client PAR and device client", summary["user_code"])
    assert decision.scopes == ["openid", "profile"] and decision.heading == SIGNED_IN == summary["page"]
    assert (summary["device_token_type"].lower(), summary["device_scope"]) == ("bearer", "openid profile")
    device_claims = summary["device_claims"]  # openid-client checked the ID token (signature, iss, aud, exp)
    assert (device_claims["sub"], device_claims["aud"]) == (DEMO_USER, summary["client_id"])
    assert device_claims["name"] == "Alice Liddell"

    answers = [(a["method"], a["path"], a["status"]) for a in summary["answers"]]
    assert answers[:2] == [("POST", "/oauth/par", 201), ("POST", "/oauth/token", 200)]
    assert answers[2] == ("POST", "/oauth/device_authorization", 200)
    polls = summary["answers"][3:]
    assert polls[-1]["status"] == 200 and all(a["error"] == "authorization_pending" for a in polls[:-1])


# -- the demo client's PAR mode ------------------------------------------------------------------------


def _authorization_requests(page: Page) -> list[str]:
    """The URLs of the documents the page loads from ``/authorize``, in order."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if request.resource_type == "document" and urlsplit(request.url).path == "/authorize":
            seen.append(request.url)

    page.on("request", record)
    return seen


def _callbacks(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if "/client/callback" in request.url else None)
    return seen


@pytest.mark.browser
@pytest.mark.rfc("9126", "7.3")
def test_the_demo_client_signs_in_with_par(page: Page, demo: DemoServer) -> None:
    """The push, the browser with the reference alone, alice signed in; the reference used again is the 400 page."""
    page.goto(demo.url("/client/"))
    assert page.get_by_role("link", name="Sign in with PAR").get_attribute("href") == "/client/start?par=1"
    sent, callbacks = _authorization_requests(page), _callbacks(page)
    visit = BrowserUser(page, demo, demo.url("/client")).visit(demo.url("/client/start?par=1&prompt=consent"))
    assert visit.pages == ["login", "consent"]
    assert page.locator("#error").count() == 0, page.inner_text("#result")

    query = parse_qs(urlsplit(sent[0]).query)
    assert sorted(query) == ["client_id", "request_uri"]  # no scope, redirect_uri, state or challenge to read
    assert query["client_id"] == [demo.demo_client["client_id"]]
    assert query["request_uri"][0].startswith(REQUEST_URI_PREFIX)
    assert "pushed (RFC 9126)" in page.locator("#pushed").inner_text()
    claims = json.loads(page.locator("#claims").inner_text())
    assert (claims["sub"], claims["name"]) == (DEMO_USER, "Alice Liddell")
    assert json.loads(page.locator("#me").inner_text())["user_id"] == DEMO_USER
    assert json.loads(page.locator("#token").inner_text())["token_type"] == "Bearer"

    # used up when answered: the same URL again (a reload, the back button) is refused, and goes nowhere
    response = page.goto(sent[0])
    assert response is not None and response.status == 400
    assert urlsplit(page.url).path == "/authorize"
    assert page.locator("#error").inner_text() == "invalid_request_uri"
    assert page.locator("nav a[href='/']").count() == 1  # the demo's own error page
    assert len(callbacks) == 1  # the sign-in's, none more


@pytest.mark.browser
@pytest.mark.rfc("9449", "10.1")
def test_the_demo_client_pushes_with_dpop(page: Page, demo: DemoServer) -> None:
    """``par=1&dpop=1``: the proof goes with the push (no ``dpop_jkt`` anywhere), the token is bound to its key."""
    sent = _authorization_requests(page)
    visit = BrowserUser(page, demo, demo.url("/client")).visit(demo.url("/client/start?par=1&dpop=1&prompt=consent"))
    assert visit.pages == ["login", "consent"]
    assert page.locator("#error").count() == 0, page.inner_text("#result")
    assert sorted(parse_qs(urlsplit(sent[0]).query)) == ["client_id", "request_uri"]
    assert page.locator("#token-type").inner_text() == "DPoP"
    assert page.locator("#pushed").count() == 1
    # the push was refused for want of the nonce (§8) and sent again; the token endpoint then took the kept nonce
    assert page.locator("#dpop-nonce-retried").inner_text() == "/oauth/par"
    assert json.loads(page.locator("#me").inner_text())["user_id"] == DEMO_USER


@dataclass
class LocalDemo:
    """The demo app in this process, over HTTP on loopback, with a clock the test moves."""

    app: Flask
    base_url: str
    clock: FakeClock

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
def local_demo(tmp_path: Path) -> Iterator[LocalDemo]:
    port = free_port()  # the demo client calls its provider over HTTP, at the base URL
    base_url = f"http://127.0.0.1:{port}"
    clock = FakeClock(time.time())
    app = create_app(
        f"sqlite:///{tmp_path}/demo.db", base_url, {"PROAUTH2_CLOCK": clock}, instance_path=str(tmp_path / "i")
    )
    with serve(app, port=port):
        yield LocalDemo(app, base_url, clock)


@pytest.mark.browser
@pytest.mark.rfc("9126", "7.3")
def test_an_expired_request_uri_is_the_error_page(page: Page, local_demo: LocalDemo) -> None:
    """alice takes longer than PROAUTH2_PAR_LIFETIME to sign in: the 400 page, no redirect to the client."""
    callbacks = _callbacks(page)
    page.goto(local_demo.url("/client/start?par=1"))
    assert urlsplit(page.url).path == "/login"
    local_demo.clock.advance(PAR_LIFETIME + 1)
    page.fill("input[name=username]", DEMO_USER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation(url=lambda url: urlsplit(url).path == "/authorize") as navigation:
        page.get_by_role("button", name="Sign in").click()
    assert navigation.value is not None and navigation.value.status == 400
    assert page.locator("#error").inner_text() == "invalid_request_uri"
    assert page.get_by_role("button", name="Allow").count() == 0
    assert callbacks == []


@pytest.mark.rfc("9126", "2.3")
def test_a_refused_push_is_explained_and_sends_the_browser_nowhere(local_demo: LocalDemo) -> None:
    answer = local_demo.app.test_client().get("/client/start?par=1&scope=openid+admin")  # a scope nobody offers
    assert answer.status_code == 502 and "Location" not in answer.headers
    assert '<code id="error">invalid_scope</code>' in answer.text
    assert "refused the pushed authorization request (RFC 9126)" in answer.text


# -- the device page ---------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.rfc("8628", "5.1")
def test_a_wrong_user_code_issues_nothing(page: Page, demo: DemoServer, http: requests.Session) -> None:
    tv = demo_tv_id(demo)
    device = device_authorization(http, demo, tv)
    user = DeviceUser(page)
    user.open(device["verification_uri"])
    assert user.submit(wrong_second_half(device["user_code"])) == 400
    assert page.get_by_role("alert").inner_text() == INVALID_CODE
    assert page.locator("input[name=user_code]").count() == 1  # the form again, to correct the code
    assert page.get_by_role("button", name="Allow").count() == 0
    assert page.locator("nav a[href='/']").count() == 1
    pending = poll(http, demo, tv, device["device_code"])
    assert (pending.status_code, pending.json()["error"]) == (400, "authorization_pending")
    assert "access_token" not in pending.text


@pytest.mark.browser
@pytest.mark.rfc("8628", "3.5")
def test_deny_sends_access_denied(page: Page, demo: DemoServer, http: requests.Session) -> None:
    tv = demo_tv_id(demo)
    device = device_authorization(http, demo, tv, resource=demo.url("/api"), scope="profile")
    user = DeviceUser(page)
    typed = device["user_code"].lower().replace("-", " ")  # compared without case, dashes or spaces (§6.1)
    assert user.decide(device["verification_uri"], device["user_code"], "Deny", typed=typed) == REFUSED
    [decision] = user.decisions
    assert (decision.client_name, decision.user_code, decision.scopes) == (
        DEMO_TV_NAME,
        device["user_code"],
        ["profile"],
    )
    assert decision.audience == demo.url("/api")  # RFC 8707: what its tokens would have been for
    denied = poll(http, demo, tv, device["device_code"])
    assert (denied.status_code, denied.json()["error"]) == (400, "access_denied")


@pytest.mark.browser
@pytest.mark.rfc("8628", "3.3")
def test_device_login_signs_the_demo_tv_in(page: Page, demo: DemoServer) -> None:
    """``python -m demo.device_login`` with the client id the demo printed, alice allowing in the browser."""
    command = [sys.executable, "-m", "demo.device_login", "--issuer", demo.base_url, "--client-id", demo_tv_id(demo)]
    with subprocess.Popen(
        command, cwd=REPO_ROOT, env=demo_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        watchdog = threading.Timer(120, process.kill)
        watchdog.start()
        try:
            shown = [process.stdout.readline() for _ in range(3)]
            where = re.fullmatch(r"To sign in, open (\S+)\n", shown[0])
            code = re.fullmatch(r"and enter the code (\S+)\n", shown[1])
            assert where and code, shown
            assert shown[2] == f"(or open {where.group(1)}?user_code={code.group(1)})\n"
            heading = DeviceUser(page).decide(where.group(1), code.group(1))
            output, errors = process.communicate(timeout=60)
        finally:
            watchdog.cancel()
    assert heading == SIGNED_IN
    assert process.returncode == 0, errors
    lines = output.splitlines()
    assert lines[0] == "Signed in. The token response holds:", output
    members = {name: value for name, _, value in (line.strip().partition(": ") for line in lines[1:])}
    assert (members["token_type"], members["scope"]) == ("Bearer", " ".join(sorted(DEMO_TV_DEFAULT_SCOPE.split())))
    for secret in ("access_token", "refresh_token", "id_token"):  # said to be there, never shown
        assert re.fullmatch(r"\(received, \d+ characters\)", members[secret]), members


# -- the device page in this process: the rules a browser need not prove -------------------------------------


def _signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    csrf = form_inputs(client.get("/login").text)["csrf"]
    answer = client.post("/login", data={"csrf": csrf, "username": DEMO_USER, "password": DEMO_PASSWORD})
    assert answer.status_code == 303
    return client


def _device_code(client: FlaskClient, app: Flask) -> dict[str, Any]:
    with app.app_context():
        tv = demo_tv()
    answer = client.post("/oauth/device_authorization", data={"client_id": tv})
    assert answer.status_code == 200, answer.text
    return {"client_id": tv, **answer.json}  # type: ignore[dict-item]


def _poll(client: FlaskClient, device: dict[str, Any]) -> str:
    form = {"grant_type": DEVICE_CODE_GRANT, "device_code": device["device_code"], "client_id": device["client_id"]}
    return str(client.post("/oauth/token", data=form).json["error"])  # type: ignore[index]


def test_the_device_page_asks_for_a_login_first(local_demo: LocalDemo) -> None:
    client = local_demo.app.test_client()
    answer = client.get("/device?user_code=BCDF-GHJK")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login?next=/device?user_code%3DBCDF-GHJK"
    landed = _signed_in(local_demo.app).get("/device?user_code=BCDF-GHJK")
    assert 'name="user_code" value="BCDF-GHJK"' in landed.text  # pre-filled from verification_uri_complete
    assert landed.headers["X-Frame-Options"] == "DENY" and landed.headers["Cache-Control"] == "no-store"


@pytest.mark.rfc("8628", "5.4")
def test_nothing_is_decided_on_a_get_or_without_the_csrf_token(local_demo: LocalDemo) -> None:
    client = _signed_in(local_demo.app)
    device = _device_code(client, local_demo.app)
    code = device["user_code"]
    for _ in range(3):  # a link (a phishing mail, a scanner) only fills the form in
        shown = client.get(f"/device?user_code={code}&decision=allow")
        assert shown.status_code == 200 and "Continue" in shown.text and "Allow" not in shown.text
    forged = client.post("/device", data={"user_code": code, "decision": "allow"})
    assert forged.status_code == 400 and "enter the code again" in forged.text
    assert _poll(client, device) == "authorization_pending"
    csrf = form_inputs(shown.text)["csrf"]
    consent = client.post("/device", data={"csrf": csrf, "user_code": code})
    assert consent.status_code == 200 and f'<code id="user-code">{code}</code>' in consent.text
    done = client.post("/device", data={"csrf": csrf, "user_code": code, "decision": "allow"})
    assert done.status_code == 200 and SIGNED_IN in done.text
    again = client.post("/device", data={"csrf": csrf, "user_code": code, "decision": "deny"})
    assert again.status_code == 400 and INVALID_CODE in again.text  # decided once


@pytest.mark.rfc("8628", "5.1")
def test_too_many_wrong_codes_is_a_429_page(local_demo: LocalDemo) -> None:
    client = _signed_in(local_demo.app)
    device = _device_code(client, local_demo.app)
    csrf = form_inputs(client.get("/device").text)["csrf"]
    prefix = "BCDF" if not device["user_code"].startswith("BCDF") else "GHJK"  # guesses at no live code
    statuses = [
        client.post("/device", data={"csrf": csrf, "user_code": f"{prefix}-GHJ{letter}"}).status_code
        for letter in "BCDFG"
    ]
    assert statuses == [400] * 5
    locked = client.post("/device", data={"csrf": csrf, "user_code": device["user_code"]})  # even the right code
    assert locked.status_code == 429 and TOO_MANY in locked.text
    assert '<nav><a href="/">Home</a>' in locked.text and locked.headers["X-Frame-Options"] == "DENY"
    assert _poll(client, device) == "authorization_pending"


@pytest.mark.rfc("8628", "5.4")
def test_a_client_known_by_its_metadata_document_is_named_by_its_host(tmp_path: Path) -> None:
    """A CIMD client's name is its own claim: the device page names the host its document came from."""
    certificates = make_certificates(tmp_path)
    with serving_documents(certificates) as documents:
        client_id = documents.document(
            "/tv.json",
            host="localhost",
            client_name="Totally Your Bank TV",
            redirect_uris=["https://localhost/callback"],  # required in every document
            grant_types=["authorization_code", DEVICE_CODE_GRANT],
            response_types=["code"],
            token_endpoint_auth_method="none",
        )
        config = {"PROAUTH2_CIMD_ALLOW_LOOPBACK": True, "PROAUTH2_CIMD_CA_FILE": certificates.ca}
        app = create_app(f"sqlite:///{tmp_path}/demo.db", config=config, instance_path=str(tmp_path / "i"))
        client = _signed_in(app)
        device = client.post("/oauth/device_authorization", data={"client_id": client_id})
        assert device.status_code == 200, device.text
        csrf = form_inputs(client.get("/device").text)["csrf"]
        consent = client.post("/device", data={"csrf": csrf, "user_code": device.json["user_code"]})  # type: ignore[index]
    assert consent.status_code == 200, consent.text
    assert '<span id="client-name">Totally Your Bank TV</span>' in consent.text
    assert '<code id="client-host">localhost</code>' in consent.text


def test_the_demo_tv_is_registered_once_per_database(tmp_path: Path) -> None:
    first = create_app(f"sqlite:///{tmp_path}/demo.db", instance_path=str(tmp_path / "i"))
    with first.app_context():
        tv = demo_tv()
        client = first.extensions["proauth2"].provider.get_client(tv)
    assert (client.name, client.auth_method, client.grant_types) == (
        DEMO_TV_NAME,
        "none",
        (DEVICE_CODE_GRANT, "refresh_token"),
    )
    again = create_app(f"sqlite:///{tmp_path}/demo.db", instance_path=str(tmp_path / "other"))
    with again.app_context():
        assert demo_tv() == tv
        names = [c.name for c in again.extensions["proauth2"].provider.list_clients()]
    assert names.count(DEMO_TV_NAME) == 1


@pytest.mark.browser
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_device_pages_rendered_at_desktop_and_phone_width(
    chromium: Browser, local_demo: LocalDemo, device: str
) -> None:
    """Screenshots of the device pages (build/screenshots/): the layout, no page wider than the window."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=VIEWPORTS[device])  # type: ignore[arg-type]
    page = context.new_page()

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{device}-{name}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[device]["width"], f"{name} is {width}px wide"
        assert page.locator("nav a[href='/']").count() == 1, name

    try:
        with local_demo.app.test_client() as client:
            code = _device_code(client, local_demo.app)["user_code"]
        user = DeviceUser(page)
        user.open(local_demo.url("/device"))
        shot("device-code")
        assert user.submit(wrong_second_half(code)) == 400
        shot("device-code-invalid")
        assert user.submit(code) == 200
        shot("device-consent")
        page.get_by_role("button", name="Allow").click()
        page.wait_for_selector("#device-done")
        shot("device-done")
    finally:
        context.close()
