"""WebSocket handshakes behind the ASGI middleware: a valid token connects, any other is refused before accept.

Under uvicorn the server offers the ``websocket.http.response`` extension, so
the refusal is the HTTP one itself (401 and its challenge); without it, the
handshake is closed with 1008. Needs the ``websockets`` package (uvicorn's
WebSocket protocol and the client here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from proauth2_wsgi import Proauth2
from proauth2_wsgi.asgi import BearerTokenMiddleware
from tests.asgi.conftest import bearer, run_async, serve_asgi
from tests.middleware.conftest import Tokens

pytest.importorskip("websockets", reason="the WebSocket tests need the websockets package (uvicorn[standard])")

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect


async def echo_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(websocket.user.identity)
    await websocket.close()


def protected(provider: Proauth2) -> BearerTokenMiddleware:
    return BearerTokenMiddleware(Starlette(routes=[WebSocketRoute("/ws", echo_socket)]), provider)


@pytest.fixture
def base(provider: Proauth2) -> Iterator[str]:
    app = protected(provider)
    with serve_asgi(app) as url:
        yield url
    app.close()


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/ws"


def test_a_websocket_with_a_valid_token_connects(base: str, tokens: Tokens) -> None:
    with connect(ws_url(base), additional_headers=bearer(tokens.for_user("carol"))) as socket:
        assert socket.recv(timeout=5) == "carol"


@pytest.mark.rfc("6750", "3.1")
@pytest.mark.parametrize(
    ("headers", "error"),
    [pytest.param({}, None, id="no-token"), pytest.param(bearer("z" * 43), "invalid_token", id="invalid-token")],
)
def test_a_websocket_without_a_valid_token_is_refused_before_accept(
    base: str, headers: dict[str, str], error: str | None
) -> None:
    """The server offers ``websocket.http.response``: the handshake gets the HTTP refusal itself."""
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(base), additional_headers=headers, open_timeout=5)
    response = refused.value.response
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert json.loads(response.body).get("error") == error


def call_asgi(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    """Call ``app`` in-process with ``scope``; the messages it sends."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run_async(app(scope, receive, send))
    return sent


def test_without_the_http_response_extension_a_refused_websocket_is_closed_1008(provider: Proauth2) -> None:
    app = protected(provider)
    scope = {"type": "websocket", "path": "/ws", "headers": [(b"authorization", b"Bearer " + b"q" * 43)]}
    assert call_asgi(app, scope) == [{"type": "websocket.close", "code": 1008, "reason": "Unauthorized"}]
    app.close()
