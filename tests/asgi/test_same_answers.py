"""The ASGI and the WSGI middleware answer alike: one table of RFC 6750 cases, both over real HTTP.

The WSGI middleware runs on werkzeug's threaded server, the ASGI one under
uvicorn, both over the same provider and options; every refusal must be the
same status, headers and bytes, and the RFC 9728 document the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from proauth2_wsgi import BearerTokenMiddleware as WSGIMiddleware
from proauth2_wsgi import Proauth2
from proauth2_wsgi.asgi import BearerTokenMiddleware
from tests.asgi.conftest import serve_asgi
from tests.http_server import serve
from tests.middleware.conftest import Tokens, echo_app
from tests.protector.cases import CASES, REQUIRED

RESOURCE = "https://api.example.com/v1"
#: headers each server sets on its own, not the middleware's
SERVER_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding"}


def asgi_echo(request: Request) -> JSONResponse:
    """The ASGI twin of the WSGI echo app: what the middleware put into the scope."""
    token = request.auth
    scopes, path = sorted(token.scopes), request.url.path
    return JSONResponse({"user_id": token.user_id, "client_id": token.client_id, "scopes": scopes, "path": path})


def options() -> dict[str, Any]:
    return {"rules": [("/admin", REQUIRED)], "resource": RESOURCE}


@pytest.fixture
def servers(provider: Proauth2) -> Iterator[tuple[str, str]]:
    """The same options behind both middlewares: (WSGI base URL, ASGI base URL)."""
    starlette = Starlette(routes=[Route("/{path:path}", asgi_echo, methods=["GET", "POST"])])
    asgi = BearerTokenMiddleware(starlette, provider, **options())
    with serve(WSGIMiddleware(echo_app, provider, **options())) as wsgi_url, serve_asgi(asgi) as asgi_url:
        yield wsgi_url, asgi_url
    asgi.close()


def middleware_headers(response: requests.Response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items() if name.lower() not in SERVER_HEADERS}


@pytest.mark.rfc("6750", "3")
@pytest.mark.parametrize("case", CASES)
def test_the_wsgi_and_the_asgi_middleware_answer_alike(
    servers: tuple[str, str], tokens: Tokens, case: dict[str, Any]
) -> None:
    """Same status, ``WWW-Authenticate``, ``Cache-Control``, ``Vary``, body bytes for every case."""
    request = dict(case)
    headers = dict(request.get("headers", {}))
    if "token" in request:
        headers["Authorization"] = f"Bearer {tokens.for_user('alice', request['token'])}"
    answers = [
        requests.get(f"{base}/admin", headers=headers, params=request.get("query_string"), timeout=10)
        for base in servers
    ]
    by_wsgi, by_asgi = answers
    assert by_wsgi.status_code == by_asgi.status_code
    if by_wsgi.status_code == 200:
        assert by_wsgi.json() == by_asgi.json()
        assert by_asgi.json()["user_id"] == "alice"
        assert by_wsgi.headers["Vary"] == by_asgi.headers["Vary"] == "Authorization"
        return
    assert by_wsgi.content == by_asgi.content
    assert middleware_headers(by_wsgi) == middleware_headers(by_asgi)
    assert "resource_metadata=" in by_asgi.headers.get("WWW-Authenticate", "resource_metadata=")


@pytest.mark.rfc("6750", "2.3")
def test_a_percent_encoded_query_token_is_refused_alike(servers: tuple[str, str]) -> None:
    by_wsgi, by_asgi = (requests.get(f"{base}/admin?access%5Ftoken=abc", timeout=10) for base in servers)
    assert (by_wsgi.status_code, by_wsgi.content) == (by_asgi.status_code, by_asgi.content) == (400, by_wsgi.content)
    assert middleware_headers(by_wsgi) == middleware_headers(by_asgi)


@pytest.mark.rfc("9728", "3")
@pytest.mark.parametrize(
    ("method", "headers"),
    [
        pytest.param("GET", {}, id="get"),
        pytest.param("HEAD", {}, id="head"),
        pytest.param("POST", {}, id="post-405"),
        pytest.param("GET", {"If-None-Match": "ETAG"}, id="if-none-match-304"),
    ],
)
def test_the_protected_resource_document_is_the_wsgi_endpoints_answer(
    servers: tuple[str, str], method: str, headers: dict[str, str]
) -> None:
    path = "/.well-known/oauth-protected-resource/v1"
    etag = requests.get(servers[0] + path, timeout=10).headers["ETag"]
    sent = {name: value.replace("ETAG", etag) for name, value in headers.items()}
    by_wsgi, by_asgi = (requests.request(method, base + path, headers=sent, timeout=10) for base in servers)
    assert by_wsgi.status_code == by_asgi.status_code
    assert by_wsgi.content == by_asgi.content
    assert middleware_headers(by_wsgi) == middleware_headers(by_asgi)
    if method == "GET" and not headers:
        assert by_asgi.json()["resource"] == RESOURCE
        assert by_asgi.headers["Access-Control-Allow-Origin"] == "*"
        assert by_asgi.headers["Cache-Control"].startswith("public")
