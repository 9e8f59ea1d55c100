"""The demo's MCP server at ``{base}/mcp``: a protected resource an MCP client signs alice in to on its own.

The official MCP Python SDK's client, with its OAuth client provider and
nothing configured but the server's URL, follows the MCP authorization spec:
the 401's ``resource_metadata`` (RFC 9728) leads it to the demo's
authorization server (RFC 8414), it registers itself (RFC 7591) or, given
the URL of its client metadata document, uses that as its client_id (CIMD, the
consent page naming the document's host), sends alice
through Chromium to log in and consent with PKCE and ``resource`` (RFC 8707),
exchanges the code, and calls the ``whoami`` tool.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from proauth2_wsgi.testing.certificates import make_certificates
from tests.cimd.conftest import DocumentServer, serving_documents

from .browser_user import BrowserUser, Visit, landing_site
from .conftest import DEMO_USER, DemoServer, running_demo

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.rfc("9728", "5.1")

#: seconds the SDK client's whole sign-in may take
FLOW_TIMEOUT = 60


@pytest.fixture
def landing() -> Iterator[str]:
    with landing_site() as url:
        yield url


def test_an_unauthenticated_mcp_request_is_told_where_to_go(http: requests.Session, demo: DemoServer) -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    refused = http.post(
        demo.url("/mcp"),
        json=initialize,
        headers={"Accept": "application/json, text/event-stream"},
        timeout=10,
    )
    assert refused.status_code == 401
    metadata = demo.url("/.well-known/oauth-protected-resource/mcp")
    assert f'resource_metadata="{metadata}"' in refused.headers["WWW-Authenticate"]
    document = http.get(metadata, timeout=10).json()
    assert document["resource"] == demo.url("/mcp") and document["authorization_servers"] == [demo.base_url]


class _Storage:
    """The SDK client's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: Any = None
        self.client_info: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client_info

    async def set_client_info(self, client_info: Any) -> None:
        self.client_info = client_info


def _sign_in_and_call_whoami(
    server_url: str,
    redirect_uri: str,
    to_browser: queue.Queue[str],
    from_browser: queue.Queue[str],
    client_metadata_url: str | None,
) -> dict[str, Any]:
    """The SDK client, in its own event loop: every browser step goes through the queues.

    With ``client_metadata_url`` it uses that URL as its ``client_id`` (CIMD)
    where the server supports it, else it registers itself (RFC 7591).
    """
    import httpx2
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.client import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    storage = _Storage()

    async def redirect_handler(url: str) -> None:
        to_browser.put(url)

    async def callback_handler() -> AuthorizationCodeResult:
        landed = await asyncio.to_thread(from_browser.get, True, FLOW_TIMEOUT)
        params = {key: values[0] for key, values in parse_qs(urlsplit(landed).query).items()}
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    async def flow() -> dict[str, Any]:
        auth = OAuthClientProvider(
            server_url=server_url,
            client_metadata=OAuthClientMetadata(
                client_name="MCP Python SDK client",
                redirect_uris=[redirect_uri],  # type: ignore[list-item]
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=storage,
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
            client_metadata_url=client_metadata_url,
        )
        async with httpx2.AsyncClient(auth=auth, timeout=30) as http_client:
            async with Client(streamable_http_client(server_url, http_client=http_client)) as client:
                tools = await client.list_tools()
                result = await client.call_tool("whoami", {})
        return {
            "tools": [tool.name for tool in tools.tools],
            "whoami": [getattr(item, "text", None) for item in result.content],
            "token": storage.tokens,
            "client": storage.client_info,
        }

    return asyncio.run(flow())


@dataclass
class SignIn:
    """What one run of the SDK client did: its outcome, the authorization URL it sent, alice's visit."""

    result: dict[str, Any]
    authorize_url: str
    visit: Visit

    def sent(self, name: str) -> list[str]:
        return parse_qs(urlsplit(self.authorize_url).query)[name]


def _run_sdk_client(demo: DemoServer, page: Page, landing: str, client_metadata_url: str | None = None) -> SignIn:
    """Run the SDK client in a thread while alice answers its browser steps here, in Chromium."""
    to_browser: queue.Queue[str] = queue.Queue()
    from_browser: queue.Queue[str] = queue.Queue()
    outcome: dict[str, Any] = {}

    def client_thread() -> None:
        try:
            outcome["result"] = _sign_in_and_call_whoami(
                demo.url("/mcp"), f"{landing}/callback", to_browser, from_browser, client_metadata_url
            )
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            outcome["error"] = error

    thread = threading.Thread(target=client_thread, daemon=True)
    thread.start()
    user = BrowserUser(page, demo, landing)
    authorize_url = to_browser.get(timeout=FLOW_TIMEOUT)  # the SDK's redirect handler: open it in the browser
    visit = user.visit(authorize_url)
    from_browser.put(visit.landed)
    thread.join(FLOW_TIMEOUT)
    assert not thread.is_alive(), "the MCP client did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return SignIn(outcome["result"], authorize_url, visit)


def _assert_signed_in(demo: DemoServer, run: SignIn) -> None:
    assert run.sent("resource") == [demo.url("/mcp")]  # RFC 8707 §2.1
    assert run.sent("code_challenge_method") == ["S256"]  # RFC 7636 §4.3
    assert run.visit.pages == ["login", "consent"]
    assert "whoami" in run.result["tools"]
    assert run.result["whoami"] == [DEMO_USER]


@pytest.mark.browser
@pytest.mark.rfc("8707", "2")
def test_the_mcp_sdk_client_signs_alice_in_and_calls_whoami(demo: DemoServer, page: Page, landing: str) -> None:
    run = _run_sdk_client(demo, page, landing)
    _assert_signed_in(demo, run)
    assert run.result["client"].client_id  # registered itself over RFC 7591
    assert not run.result["client"].client_id.startswith("https://")
    assert run.visit.client_host is None  # a registered client: no document host to show
    assert '"POST /oauth/register HTTP/1.1" 201' in demo.output()


@pytest.fixture
def cimd_demo(tmp_path: Path) -> Iterator[tuple[DemoServer, DocumentServer]]:
    """The demo trusting a test CA for client metadata documents served on loopback (test-only settings)."""
    certificates = make_certificates(tmp_path)
    with serving_documents(certificates) as documents:
        env = {"FLASK_PROAUTH2_CIMD_ALLOW_LOOPBACK": "true", "FLASK_PROAUTH2_CIMD_CA_FILE": certificates.ca}
        with running_demo(tmp_path, env=env) as server:
            yield server, documents


@pytest.mark.browser
@pytest.mark.rfc("8707", "2")
def test_the_mcp_sdk_client_known_by_its_metadata_document_signs_alice_in(
    cimd_demo: tuple[DemoServer, DocumentServer], page: Page, landing: str
) -> None:
    """draft-ietf-oauth-client-id-metadata-document: the client_id is the document's URL; consent names its host."""
    demo, documents = cimd_demo
    client_id = documents.document(
        "/mcp-client.json",
        host="localhost",
        client_name="MCP Python SDK client",
        redirect_uris=[f"{landing}/callback"],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    run = _run_sdk_client(demo, page, landing, client_metadata_url=client_id)
    _assert_signed_in(demo, run)
    assert run.sent("client_id") == [client_id]
    assert run.result["client"].client_id == client_id  # nothing registered
    assert run.visit.client_host == "localhost"
    assert documents.hits["/mcp-client.json"] == 1  # fetched once, then cached (authorize, then token)
    assert "/oauth/register" not in demo.output()
