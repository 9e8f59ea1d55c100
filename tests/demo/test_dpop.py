"""DPoP (RFC 9449) against the real demo: clients we did not write, the demo client, a thief, and ``/mcp``.

The demo asks every proof for its nonce (``PROAUTH2_DPOP_NONCE``): a client's
first proof is refused with ``use_dpop_nonce`` and a ``DPoP-Nonce`` header
(§8 at the token endpoint, §9 at a resource), and it sends the request again.

- oauth4webapi (its ``DPoP()`` handle) and openid-client 6 (``getDPoPHandle``)
  discover the demo, register public clients (RFC 7591), sign alice in through
  Chromium with PKCE and ``dpop_jkt`` (§10), get DPoP-bound tokens (§5),
  refresh them with the same key and call ``/api/me`` and UserInfo (§7);
- their access tokens, stolen, are refused: as bearer tokens, and with a
  proof by another key; their refresh tokens too (§5, public clients);
- the demo client's own DPoP mode, ``/client/start?dpop=1``, through Chromium;
- ``/mcp`` (the ASGI middleware) takes a DPoP-bound token with its proof, and
  refuses it as a bearer token.

Proofs of the test's own are made by ``tests/dpop/proofs.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.dpop.proofs import make_proof, new_key

from .browser_user import BrowserUser, Visit, landing_site, run_node_relying_party
from .conftest import DEMO_USER, DemoServer, consent, sign_in

if TYPE_CHECKING:
    from joserfc.jwk import Key
    from playwright.sync_api import Browser, Page, Request

pytestmark = pytest.mark.rfc("9449", "5")

#: the algorithms the demo's metadata names for DPoP proofs (RFC 9449 §5.1)
DPOP_ALGORITHMS = ["ES256", "EdDSA", "PS256", "RS256"]
#: a redirect URI of the test's own clients, never followed
REDIRECT_URI = "http://127.0.0.1:8976/callback"


def _ath(token: str) -> str:
    """RFC 9449 §4.2: base64url(SHA-256(token)), worked here rather than taken from the library."""
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()


def _asks_for_nonce(response: requests.Response) -> bool:
    """A refusal for want of the server's nonce: §8 (a 400 ``use_dpop_nonce``) or §9 (a 401 DPoP challenge)."""
    if "DPoP-Nonce" not in response.headers:
        return False
    if response.status_code == 400:
        return bool(response.json().get("error") == "use_dpop_nonce")
    challenge = response.headers.get("WWW-Authenticate", "")
    return response.status_code == 401 and re.search(r'DPoP .*error="use_dpop_nonce"', challenge) is not None


@dataclass
class Prover:
    """A key of the test's own and the last nonce the demo gave it; :meth:`send` retries once for a new nonce."""

    key: Key = field(default_factory=new_key)
    nonce: str | None = None
    #: the paths whose first proof the demo refused for want of its nonce
    retried: list[str] = field(default_factory=list)

    @property
    def jkt(self) -> str:
        return str(self.key.thumbprint())

    def send(
        self,
        http: requests.Session,
        method: str,
        url: str,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """``method url`` with a proof (and ``Authorization: DPoP token``), once more if the demo wants its nonce."""
        response = self._send(http, method, url, token, headers or {}, **kwargs)
        if _asks_for_nonce(response):
            self.retried.append(urlsplit(url).path)
            response = self._send(http, method, url, token, headers or {}, **kwargs)
        return response

    def _send(
        self,
        http: requests.Session,
        method: str,
        url: str,
        token: str | None,
        headers: dict[str, str],
        **kwargs: Any,
    ) -> requests.Response:
        htu = url.split("?")[0]
        proof = make_proof(self.key, htm=method, htu=htu, ath=_ath(token) if token else None, nonce=self.nonce)
        sent = {**headers, "DPoP": proof}
        if token is not None:
            sent["Authorization"] = f"DPoP {token}"
        response = http.request(method, url, headers=sent, timeout=10, **kwargs)
        self.nonce = response.headers.get("DPoP-Nonce", self.nonce)
        return response


def _refusal(response: requests.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("error")


# -- Node clients through Chromium ---------------------------------------------------------------


@dataclass
class NodeRun:
    """A Node script's summary and alice's visits for it."""

    summary: dict[str, Any]
    visits: list[Visit]


@contextmanager
def _alice(chromium: Browser, demo: DemoServer) -> Iterator[BrowserUser]:
    """alice in a browser context of her own, and the relying party's landing site."""
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        with landing_site() as landing:
            yield BrowserUser(context.new_page(), demo, landing)
    finally:
        context.close()


def _run(script: Path, chromium: Browser, demo: DemoServer) -> NodeRun:
    with _alice(chromium, demo) as user:
        summary = run_node_relying_party(script, user.follow, demo.base_url, user.relying_party)
        return NodeRun(summary, user.visits)


@pytest.fixture(scope="module")
def oauth4webapi(node_scripts: Path, chromium: Browser, demo: DemoServer) -> NodeRun:
    """``node/dpop_oauth4webapi.mjs`` run once for the module (its tokens are shared with the thief's test)."""
    return _run(node_scripts / "dpop_oauth4webapi.mjs", chromium, demo)


@pytest.fixture(scope="module")
def openid_client(node_scripts: Path, chromium: Browser, demo: DemoServer) -> NodeRun:
    """``node/dpop_openid_client.mjs`` run once for the module."""
    return _run(node_scripts / "dpop_openid_client.mjs", chromium, demo)


@pytest.mark.browser
@pytest.mark.rfc("9449", "8")
def test_oauth4webapi_gets_and_uses_dpop_bound_tokens(oauth4webapi: NodeRun, demo: DemoServer) -> None:
    summary = oauth4webapi.summary
    assert summary["issuer"] == demo.base_url
    assert summary["dpop_signing_alg_values_supported"] == DPOP_ALGORITHMS
    assert summary["token_endpoint_auth_method"] == "none"  # a public client (RFC 7591)
    assert [visit.pages for visit in oauth4webapi.visits] == [["login", "consent"]]

    # §5: bound to the key the authorization request named (dpop_jkt, §10); cnf.jkt in the JWT (§6.1)
    assert summary["token_type"].lower() == "dpop"
    assert summary["access_token_cnf"] == {"jkt": summary["jkt"]}
    assert summary["refresh_token_issued"] is True
    # the refresh grant with the same key: a new token bound to it, the refresh token rotated
    assert summary["refreshed_token_type"].lower() == "dpop"
    assert summary["refreshed_access_token_cnf"] == {"jkt": summary["jkt"]}
    assert summary["refresh_token_rotated"] is True
    # §7: GET /api/me with Authorization: DPoP and a proof
    assert summary["me"]["status"] == 200
    assert summary["me"]["body"]["user_id"] == DEMO_USER
    assert summary["me"]["body"]["client_id"] == summary["client_id"]

    # §8 and §9: the first proof to the token endpoint and to /api/me lacked the nonce, and was sent again;
    # the refresh grant used the nonce the handle had kept
    assert summary["nonce_retries"] == [{"step": "token", "status": 400}, {"step": "me", "status": 401}]


@pytest.mark.browser
@pytest.mark.rfc("9449", "9")
def test_openid_client_gets_and_uses_dpop_bound_tokens(openid_client: NodeRun, demo: DemoServer) -> None:
    summary = openid_client.summary
    assert [visit.pages for visit in openid_client.visits] == [["login", "consent"]]
    assert summary["token_type"].lower() == "dpop"
    assert summary["claims"]["sub"] == DEMO_USER and summary["claims"]["aud"] == summary["client_id"]
    assert (summary["userinfo"]["sub"], summary["userinfo"]["name"]) == (DEMO_USER, "Alice Liddell")
    assert summary["me"] == {
        "status": 200,
        "body": {"user_id": DEMO_USER, "client_id": summary["client_id"], "scope": "offline_access openid profile"},
    }
    assert summary["refreshed_token_type"].lower() == "dpop"
    assert summary["refresh_token_rotated"] is True
    assert summary["me_after_refresh"]["status"] == 200

    # openid-client retried by itself: a refusal for want of the nonce, then the same request with it
    answers = [(a["method"], a["path"], a["status"], a["nonce_sent"]) for a in summary["answers"]]
    assert answers == [
        ("POST", "/oauth/token", 400, False),  # §8: use_dpop_nonce
        ("POST", "/oauth/token", 200, True),
        ("GET", "/oauth/userinfo", 401, False),  # §9, at a resource (a handle that knew no nonce)
        ("GET", "/oauth/userinfo", 200, True),
        ("GET", "/api/me", 200, True),
        ("POST", "/oauth/token", 200, True),  # the refresh grant
        ("GET", "/api/me", 200, True),
    ]
    refused = [a for a in summary["answers"] if a["status"] >= 400]
    assert all(a["dpop_nonce"] for a in refused)
    assert re.search(r'(^|, )DPoP realm="[^"]*", algs="[^"]*", error="use_dpop_nonce"', refused[1]["www_authenticate"])


@pytest.mark.browser
@pytest.mark.rfc("9449", "7.1")
@pytest.mark.parametrize("run", ["oauth4webapi", "openid_client"])
def test_a_stolen_token_is_useless(run: str, request: pytest.FixtureRequest, http: requests.Session) -> None:
    """The Node client's own calls worked; the same tokens in a thief's hands do not (JWT and opaque alike)."""
    demo: DemoServer = request.getfixturevalue("demo")
    summary = request.getfixturevalue(run).summary
    assert summary["me"]["status"] == 200  # with its own key's proof
    token, api = summary["access_token"], demo.url("/api/me")

    as_bearer = http.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert _refusal(as_bearer) == (401, "invalid_token")  # §7.1: a bound token is no bearer token

    thief = Prover()
    with_another_key = thief.send(http, "GET", api, token)
    assert thief.retried == ["/api/me"]  # the thief had a valid nonce from the first 401
    assert _refusal(with_another_key) == (401, "invalid_token")
    assert 'DPoP realm="api"' in with_another_key.headers["WWW-Authenticate"]

    userinfo = thief.send(http, "GET", demo.url("/oauth/userinfo"), token)
    assert _refusal(userinfo) == (401, "invalid_token")

    # §5: a public client's refresh token is bound to its key too: not without a proof, not with another key
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": summary["refresh_token"],
        "client_id": summary["client_id"],
    }
    without_proof = http.post(demo.url("/oauth/token"), data=refresh, timeout=10)
    assert _refusal(without_proof) == (400, "invalid_grant")
    with_thiefs_key = thief.send(http, "POST", demo.url("/oauth/token"), data=refresh)
    assert _refusal(with_thiefs_key) == (400, "invalid_grant")


# -- the demo client's DPoP mode ---------------------------------------------------------------------


def _authorization_requests(page: Page) -> list[str]:
    """The URLs of the documents the page loads from ``/authorize``, in order."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if request.resource_type == "document" and urlsplit(request.url).path == "/authorize":
            seen.append(request.url)

    page.on("request", record)
    return seen


@pytest.mark.browser
@pytest.mark.rfc("9449", "10")
def test_the_demo_client_signs_in_with_dpop(page: Page, demo: DemoServer) -> None:
    page.goto(demo.url("/client/"))
    button = page.get_by_role("link", name="Sign in with DPoP")
    assert button.get_attribute("href") == "/client/start?dpop=1"
    assert page.get_by_role("link", name="Sign in with proauth2").get_attribute("href") == "/client/start"

    sent = _authorization_requests(page)
    user = BrowserUser(page, demo, demo.url("/client"))
    visit = user.visit(demo.url("/client/start?dpop=1&prompt=consent"))
    assert visit.pages == ["login", "consent"]
    assert urlsplit(visit.landed).path == "/client/callback"

    assert page.locator("#error").count() == 0, page.inner_text("#result")
    assert page.locator("#token-type").inner_text() == "DPoP"
    assert json.loads(page.locator("#token").inner_text())["token_type"] == "DPoP"
    assert "(RFC 9449): the access token is bound to a key this client made" in page.inner_text("#result")
    # the key named in the authorization request (dpop_jkt) is the one the token is bound to
    jkt = page.locator("#dpop-jkt").inner_text()
    assert parse_qs(urlsplit(sent[0]).query)["dpop_jkt"] == [jkt]
    assert page.locator("#dpop-nonce-retried").inner_text() == "/oauth/token"  # §8, then the nonce was kept

    claims = json.loads(page.locator("#claims").inner_text())
    assert (claims["sub"], claims["name"]) == (DEMO_USER, "Alice Liddell")
    assert json.loads(page.locator("#userinfo").inner_text())["sub"] == DEMO_USER
    me = json.loads(page.locator("#me").inner_text())
    assert (me["user_id"], me["client_id"]) == (DEMO_USER, demo.demo_client["client_id"])


# -- /mcp, behind the ASGI middleware -----------------------------------------------------------------


def _alice_token_for(http: requests.Session, demo: DemoServer, prover: Prover, resource: str) -> dict[str, Any]:
    """alice's DPoP-bound token for ``resource``, for a public client of the test's own (no browser needed)."""
    registered = http.post(
        demo.url("/oauth/register"),
        json={
            "client_name": "DPoP MCP client",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "none",
            "scope": "profile",
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "profile",
        "state": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": resource,
        "dpop_jkt": prover.jkt,
    }
    assert sign_in(http, demo).status_code == 303
    callback = consent(http, demo.url(f"/authorize?{urlencode(query)}")).headers["Location"]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "client_id": client_id}
    answer = prover.send(http, "POST", demo.url("/oauth/token"), data={**form, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _rpc(response: requests.Response) -> dict[str, Any]:
    """The JSON-RPC message of a streamable HTTP answer: JSON, or the one ``data:`` line of an SSE stream."""
    if response.headers["Content-Type"].startswith("application/json"):
        return response.json()  # type: ignore[no-any-return]
    data = [line[len("data:") :].strip() for line in response.text.splitlines() if line.startswith("data:")]
    assert len(data) == 1, response.text
    message = json.loads(data[0])
    assert isinstance(message, dict)
    return message


@pytest.mark.rfc("9449", "7.1")
def test_mcp_takes_a_dpop_bound_token_with_its_proof(http: requests.Session, demo: DemoServer) -> None:
    prover = Prover()
    tokens = _alice_token_for(http, demo, prover, demo.url("/mcp"))
    assert tokens["token_type"] == "DPoP"
    assert prover.retried == ["/oauth/token"]
    mcp, token = demo.url("/mcp"), tokens["access_token"]
    accept = {"Accept": "application/json, text/event-stream"}
    initialize: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
    }

    as_bearer = http.post(mcp, json=initialize, headers={**accept, "Authorization": f"Bearer {token}"}, timeout=10)
    assert _refusal(as_bearer) == (401, "invalid_token")
    assert "DPoP " in as_bearer.headers["WWW-Authenticate"]

    initialized = prover.send(http, "POST", mcp, token, accept, json=initialize)
    assert initialized.status_code == 200, initialized.text
    assert _rpc(initialized)["result"]["serverInfo"]["name"] == "proauth2 demo"
    # the token endpoint's nonce is the demo's nonce everywhere: /mcp took it at once
    assert prover.retried == ["/oauth/token"]

    session = {**accept, "Mcp-Session-Id": initialized.headers["Mcp-Session-Id"]}
    notified = prover.send(
        http, "POST", mcp, token, session, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    assert notified.status_code == 202, notified.text
    whoami_call = {"name": "whoami", "arguments": {}}
    call: dict[str, Any] = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": whoami_call}
    whoami = prover.send(http, "POST", mcp, token, session, json=call)
    assert whoami.status_code == 200, whoami.text
    assert _rpc(whoami)["result"]["content"][0]["text"] == DEMO_USER

    replayed = http.post(
        mcp,
        json=call,
        headers={**session, "Authorization": f"DPoP {token}", "DPoP": whoami.request.headers["DPoP"]},
        timeout=10,
    )
    assert _refusal(replayed) == (401, "invalid_dpop_proof")  # §11.1: a proof works once
