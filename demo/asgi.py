"""The demo on one port: the Flask provider (WSGI) and the MCP server (ASGI) under one ASGI app.

``python -m demo`` serves :func:`create_server` with uvicorn. Paths under
``/mcp`` and the MCP resource's RFC 9728 document go to the MCP app; lifespan
events too (its session manager runs there); everything else goes to the
Flask app through a2wsgi's WSGI bridge. :class:`RedactedAccessLog` prints
one line per request without its query string: callback URLs carry codes.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from a2wsgi import WSGIMiddleware

from .app import MCP_PATH
from .mcp_server import create_mcp_app

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    from flask import Flask

    Scope = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
    Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
    ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: the RFC 9728 document of the MCP resource
MCP_METADATA_PATH = "/.well-known/oauth-protected-resource" + MCP_PATH


class OnePort:
    """ASGI: ``/mcp`` (and its metadata, and lifespan) to the MCP app, every other request to the Flask app."""

    def __init__(self, flask_app: Flask, mcp_app: ASGIApp) -> None:
        self.flask = WSGIMiddleware(flask_app, workers=16)  # type: ignore[arg-type]
        self.mcp = mcp_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "lifespan" or path in (MCP_PATH, MCP_METADATA_PATH) or path.startswith(MCP_PATH + "/"):
            await self.mcp(scope, receive, send)
        else:
            await self.flask(scope, receive, send)  # type: ignore[arg-type]


class RedactedAccessLog:
    """ASGI: one access-log line per HTTP request, the query string replaced by ``?…`` (RFC 9700 §4.2)."""

    def __init__(self, app: ASGIApp, out: TextIO = sys.stderr) -> None:
        self.app = app
        self.out = out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def logged_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, logged_send)
        finally:
            client = (scope.get("client") or ("-", 0))[0]
            query = "?…" if scope.get("query_string") else ""
            when = time.strftime("%d/%b/%Y %H:%M:%S")
            version = scope.get("http_version", "1.1")
            line = f'{client} - - [{when}] "{scope["method"]} {scope["path"]}{query} HTTP/{version}"'
            print(f"{line} {status[0] if status else '-'} -", file=self.out, flush=True)


def create_server(flask_app: Flask, host: str = "127.0.0.1") -> ASGIApp:
    """The whole demo as one ASGI app: the Flask provider and its MCP server, with the redacted access log."""
    provider = flask_app.extensions["proauth2"].provider
    base_url = str(flask_app.config["PROAUTH2_ISSUER"])
    return RedactedAccessLog(OnePort(flask_app, create_mcp_app(provider, base_url, host)))
