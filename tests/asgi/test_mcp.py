"""An MCP server of the official SDK (streamable HTTP) behind the ASGI middleware, under uvicorn.

The MCP authorization spec's resource-server side: an unauthenticated MCP
request is 401 with the RFC 9728 ``resource_metadata``, the document names
the authorization server, and an MCP client session sending a bearer token
lists the tools and calls ``whoami``, which reads the token from the
Starlette request the SDK hands the tool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import requests
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import Context, MCPServer

from proauth2_wsgi import Proauth2
from proauth2_wsgi.asgi import BearerTokenMiddleware
from tests.asgi.conftest import bearer, run_async, serve_asgi
from tests.middleware.conftest import Tokens, with_dpop

RESOURCE = "https://mcp.example.com/mcp"
METADATA = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def whoami(ctx: Context) -> str:  # type: ignore[type-arg]
    """The user id of the token this MCP request carries (the client's id for a token of no user)."""
    request: Any = ctx.request_context.request  # the Starlette request of the streamable HTTP transport
    token = request.scope["auth"]  # the AccessToken the middleware validated
    return str(token.user_id if token.user_id is not None else token.client_id)


@pytest.fixture
def mcp_url(provider: Proauth2) -> Iterator[str]:
    server = MCPServer(name="proauth2 test")
    server.tool(description="Who the access token speaks for.")(whoami)
    app = BearerTokenMiddleware(server.streamable_http_app(host="127.0.0.1"), provider, resource=RESOURCE)
    with serve_asgi(app) as base:
        yield f"{base}/mcp"
    app.close()


@pytest.mark.rfc("9728", "5.1")
def test_an_unauthenticated_mcp_request_is_401_with_resource_metadata(mcp_url: str) -> None:
    response = requests.post(mcp_url, json=INITIALIZE, headers=MCP_HEADERS, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == with_dpop(
        f'Bearer realm="api", resource_metadata="{METADATA}"', resource_metadata=METADATA
    )


@pytest.mark.rfc("9728", "3")
def test_the_mcp_resources_document_names_the_authorization_server(mcp_url: str) -> None:
    document = requests.get(mcp_url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp"), timeout=10)
    assert document.status_code == 200
    assert document.json()["resource"] == RESOURCE
    assert document.json()["authorization_servers"] == ["https://auth.example.com"]


def test_an_invalid_token_is_401_invalid_token(mcp_url: str) -> None:
    response = requests.post(mcp_url, json=INITIALIZE, headers={**MCP_HEADERS, **bearer("w" * 43)}, timeout=10)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def session_whoami(url: str, token: str) -> tuple[list[str], str]:
    """An MCP client session of the SDK with the bearer token: the tools listed, what whoami answers."""
    async with (
        httpx2.AsyncClient(headers=bearer(token), timeout=10) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = await session.list_tools()
        result = await session.call_tool("whoami", {})
        return [tool.name for tool in tools.tools], result.content[0].text  # type: ignore[union-attr]


def test_an_authenticated_mcp_session_lists_tools_and_whoami_is_the_tokens_user(mcp_url: str, tokens: Tokens) -> None:
    names, user = run_async(session_whoami(mcp_url, tokens.for_user("alice")))
    assert names == ["whoami"]
    assert user == "alice"


def test_whoami_of_a_client_credentials_token_is_the_client(mcp_url: str, tokens: Tokens) -> None:
    _, user = run_async(session_whoami(mcp_url, tokens.for_client()))
    assert user == tokens._service[0]  # type: ignore[index]
