"""The demo's MCP server: streamable HTTP from the official SDK at ``{base}/mcp``, a protected resource.

The MCP authorization spec's resource server side, done by proauth2's ASGI
middleware in front of the SDK's app: every request to ``/mcp`` needs an
access token of the demo provider whose audience (RFC 8707) is ``{base}/mcp``
(or none: a token issued without ``resource``); an unauthenticated request
gets 401 with ``resource_metadata`` (RFC 9728 §5.1), which leads an MCP
client to ``/.well-known/oauth-protected-resource/mcp`` and from there to the
demo's authorization server. Tokens are validated against the demo's
database, off the event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context, MCPServer

from proauth2_wsgi.asgi import BearerTokenMiddleware

from .app import MCP_PATH

if TYPE_CHECKING:
    from proauth2_wsgi import Proauth2


def whoami(ctx: Context) -> str:  # type: ignore[type-arg]
    """Who the access token of this MCP request speaks for: the user id (or the client, for a client's own token)."""
    request: Any = ctx.request_context.request  # the Starlette request of the streamable HTTP transport
    token = request.scope["auth"]  # put there by proauth2's middleware
    return str(token.user_id) if token.user_id is not None else f"client {token.client_id}"


def create_mcp_app(provider: Proauth2, base_url: str, host: str = "127.0.0.1") -> Any:
    """The MCP server's ASGI app behind proauth2's middleware: resource ``{base_url}/mcp``."""
    server = MCPServer(name="proauth2 demo", instructions="A demo MCP server: call whoami to see who you are.")
    server.tool(description="The user id of the access token this request carries.")(whoami)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    return BearerTokenMiddleware(app, provider, resource=f"{base_url}{MCP_PATH}")
