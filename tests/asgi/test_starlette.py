"""The ASGI middleware in front of real Starlette apps under uvicorn: request.user, request.auth, request.state.

Policies (public paths, rules, optional), the RFC 9728 document and its
challenges, mounted apps (``root_path``), form tokens replayed to the app,
and lifespan events passed through (WebSockets: test_websockets.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import requests
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from proauth2_wsgi import Proauth2
from proauth2_wsgi.asgi import ANONYMOUS, BearerTokenMiddleware, TokenUser
from proauth2_wsgi.middleware import MAX_FORM_BODY, TOKEN
from tests.asgi.conftest import bearer, listening, serve_asgi, uvicorn_on
from tests.middleware.conftest import NO_TOKEN_BODY, Tokens, with_dpop

RESOURCE = "https://api.example.com"
METADATA = f"{RESOURCE}/.well-known/oauth-protected-resource"


async def me(request: Request) -> JSONResponse:
    """Who the middleware says is calling, through each of Starlette's views of it."""
    token = request.auth
    return JSONResponse(
        {
            "authenticated": request.user.is_authenticated,
            "identity": request.user.identity,
            "display_name": request.user.display_name,
            "user_id": token.user_id if token else None,
            "scopes": sorted(token.scopes) if token else None,
            "state_user_id": getattr(getattr(request.state, TOKEN), "user_id", None),
            "lifespan_state": getattr(request.state, "started", None),
        }
    )


@requires("email")
async def email(request: Request) -> PlainTextResponse:
    """Starlette's own scope check reads ``request.auth.scopes``: the token's."""
    return PlainTextResponse(request.user.display_name)


async def health(request: Request) -> Response:
    return Response("ok", headers={"Vary": "Accept-Encoding"})


async def form(request: Request) -> JSONResponse:
    """The body the middleware read for a form token, replayed whole."""
    body = await request.body()
    return JSONResponse({"length": len(body), "fields": sorted((await request.form()).keys())})


ROUTES = [
    Route("/me", me),
    Route("/admin/me", me),
    Route("/email", email),
    Route("/health", health),
    Route("/form", form, methods=["POST"]),
]


def protected(provider: Proauth2, **options: Any) -> BearerTokenMiddleware:
    return BearerTokenMiddleware(
        Starlette(routes=ROUTES), provider, public_paths=["/health"], rules=[("/admin", "admin")], **options
    )


@pytest.fixture
def serve(provider: Proauth2) -> Iterator[Any]:
    """``serve(**options)``: the Starlette app behind the middleware under uvicorn; its base URL."""
    opened: list[Any] = []

    def start(**options: Any) -> str:
        app = protected(provider, **options)
        context = serve_asgi(app)
        opened.append((context, app))
        return context.__enter__()

    yield start
    for context, app in reversed(opened):
        context.__exit__(None, None, None)
        app.close()


@pytest.mark.rfc("6750", "2.1")
def test_request_user_auth_and_state_carry_the_token(serve: Any, tokens: Tokens) -> None:
    base = serve()
    response = requests.get(f"{base}/me", headers=bearer(tokens.for_user("alice", "profile email")), timeout=10)
    assert response.status_code == 200
    assert response.json() == {
        "authenticated": True,
        "identity": "alice",
        "display_name": "alice",
        "user_id": "alice",
        "scopes": ["email", "profile"],
        "state_user_id": "alice",
        "lifespan_state": None,
    }
    assert response.headers["Vary"] == "Authorization"


def test_a_client_credentials_token_is_the_clients_identity(serve: Any, tokens: Tokens) -> None:
    body = requests.get(f"{serve()}/me", headers=bearer(tokens.for_client()), timeout=10).json()
    assert body["user_id"] is None
    assert body["identity"] == tokens._service[0]  # type: ignore[index]


def test_starlettes_requires_reads_the_tokens_scopes(serve: Any, tokens: Tokens) -> None:
    base = serve()
    with_email, without = bearer(tokens.for_user("bob", "email")), bearer(tokens.for_user("bob", "profile"))
    assert requests.get(f"{base}/email", headers=with_email, timeout=10).text == "bob"
    assert requests.get(f"{base}/email", headers=without, timeout=10).status_code == 403


@pytest.mark.rfc("6750", "3.1")
def test_no_token_is_401_with_a_bare_challenge(serve: Any) -> None:
    response = requests.get(f"{serve()}/me", timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == with_dpop('Bearer realm="api"')
    assert response.json() == NO_TOKEN_BODY
    assert response.headers["Cache-Control"] == "no-store"


def test_a_public_path_is_served_untouched_and_its_vary_kept(serve: Any) -> None:
    response = requests.get(f"{serve()}/health", timeout=10)
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["Vary"] == "Accept-Encoding"


def test_vary_is_merged_into_the_apps_own(provider: Proauth2, tokens: Tokens) -> None:
    app = BearerTokenMiddleware(Starlette(routes=ROUTES), provider)
    with serve_asgi(app) as base:
        response = requests.get(f"{base}/health", headers=bearer(tokens.for_user()), timeout=10)
    app.close()
    assert response.headers["Vary"] == "Accept-Encoding, Authorization"


@pytest.mark.rfc("6750", "3.1")
def test_a_missing_scope_is_403_insufficient_scope_with_the_scope(serve: Any, tokens: Tokens) -> None:
    response = requests.get(f"{serve()}/admin/me", headers=bearer(tokens.for_user("alice", "profile")), timeout=10)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert 'scope="admin"' in response.headers["WWW-Authenticate"]


def test_optional_lets_anonymous_requests_through_and_still_checks_tokens(serve: Any, tokens: Tokens) -> None:
    base = serve(optional=True)
    anonymous = requests.get(f"{base}/me", timeout=10)
    assert anonymous.status_code == 200
    assert anonymous.json()["authenticated"] is False
    assert anonymous.json()["identity"] == ""
    assert anonymous.headers["Vary"] == "Authorization"
    assert requests.get(f"{base}/me", headers=bearer("y" * 43), timeout=10).status_code == 401
    assert requests.get(f"{base}/me", headers=bearer(tokens.for_user()), timeout=10).json()["user_id"] == "alice"


def test_options_preflight_passes_without_a_token(serve: Any) -> None:
    assert requests.options(f"{serve()}/me", timeout=10).status_code != 401


@pytest.mark.rfc("9728", "5.1")
def test_with_resource_the_document_is_served_and_named_in_every_challenge(serve: Any, tokens: Tokens) -> None:
    base = serve(resource=RESOURCE)
    document = requests.get(f"{base}/.well-known/oauth-protected-resource", timeout=10)
    assert document.status_code == 200
    assert document.json() == {
        "resource": RESOURCE,
        "authorization_servers": ["https://auth.example.com"],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["admin"],
        "dpop_signing_alg_values_supported": ["ES256", "EdDSA", "PS256", "RS256"],
    }
    again = requests.get(
        f"{base}/.well-known/oauth-protected-resource", headers={"If-None-Match": document.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304
    refused = requests.get(f"{base}/me", timeout=10)
    assert refused.headers["WWW-Authenticate"] == with_dpop(
        f'Bearer realm="api", resource_metadata="{METADATA}"', resource_metadata=METADATA
    )
    lacking = requests.get(f"{base}/admin/me", headers=bearer(tokens.for_user()), timeout=10)
    assert lacking.status_code == 403
    assert f'resource_metadata="{METADATA}"' in lacking.headers["WWW-Authenticate"]
    assert requests.post(f"{base}/.well-known/oauth-protected-resource", timeout=10).status_code == 405


def test_a_mounted_app_is_protected_relative_to_its_mount_point(provider: Proauth2, tokens: Tokens) -> None:
    """Rules match the path the mounted app routes (``path`` less ``root_path``), as Starlette does."""
    inner = protected(provider)
    outer = Starlette(routes=[Mount("/api", app=inner), Route("/me", me)])
    token = bearer(tokens.for_user("alice", "profile"))
    with serve_asgi(outer) as base:
        assert requests.get(f"{base}/api/me", headers=token, timeout=10).json()["user_id"] == "alice"
        assert requests.get(f"{base}/api/admin/me", headers=token, timeout=10).status_code == 403  # rule "/admin"
        assert requests.get(f"{base}/api/health", timeout=10).text == "ok"  # public path "/health"
        assert requests.get(f"{base}/api/me", timeout=10).status_code == 401
    inner.close()


@pytest.mark.rfc("6750", "2.2")
def test_a_form_token_is_read_and_the_body_replayed_to_the_app(serve: Any, tokens: Tokens) -> None:
    base = serve(allow_form_token=True)
    token = tokens.for_user()
    accepted = requests.post(f"{base}/form", data={"access_token": token, "note": "x" * 1000}, timeout=10)
    assert accepted.status_code == 200
    assert accepted.json()["fields"] == ["access_token", "note"]
    assert accepted.json()["length"] == len(f"access_token={token}&note=" + "x" * 1000)
    assert requests.post(f"{base}/form", data={"access_token": "x" * 43}, timeout=10).status_code == 401
    too_large = requests.post(f"{base}/form", data={"access_token": token, "pad": "p" * MAX_FORM_BODY}, timeout=10)
    assert too_large.status_code == 400
    assert too_large.json()["error"] == "invalid_request"
    both = requests.post(f"{base}/form", data={"access_token": token}, headers=bearer(token), timeout=10)
    assert both.status_code == 400  # RFC 6750 §2: one method at a time


def test_a_json_body_is_not_read_for_a_form_token(serve: Any, tokens: Tokens) -> None:
    base = serve(allow_form_token=True)
    response = requests.post(f"{base}/form", json={"access_token": tokens.for_user()}, timeout=10)
    assert response.status_code == 401


# -- lifespan ---------------------------------------------------------------------------------


def test_lifespan_passes_through_startup_and_shutdown_run(provider: Proauth2, tokens: Tokens) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        events.append("startup")
        yield {"started": "yes"}
        events.append("shutdown")

    app = BearerTokenMiddleware(Starlette(routes=ROUTES, lifespan=lifespan), provider)
    with listening() as (sock, base), uvicorn_on(app, sock):
        assert events == ["startup"]
        body = requests.get(f"{base}/me", headers=bearer(tokens.for_user()), timeout=10).json()
        assert body["lifespan_state"] == "yes"  # the lifespan's state and the token share request.state
        assert body["state_user_id"] == "alice"
    app.close()
    assert events == ["startup", "shutdown"]


def test_the_user_objects_follow_starlettes_conventions(tokens: Tokens) -> None:
    access = tokens.provider.validate_token(tokens.for_user("dave"))
    user = TokenUser(access)
    assert (user.is_authenticated, user.identity, user.display_name, user.scopes) == (
        True,
        "dave",
        "dave",
        frozenset({"profile"}),
    )
    assert (ANONYMOUS.is_authenticated, ANONYMOUS.identity, ANONYMOUS.display_name) == (False, "", "")
    assert "dave" in repr(user) and access.client_id not in repr(ANONYMOUS)
