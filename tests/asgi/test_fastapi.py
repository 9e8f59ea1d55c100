"""FastAPI under uvicorn: the ASGI middleware in one line, ``Depends(require_token(...))`` per route."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import pytest
import requests
from fastapi import Depends, FastAPI, Request, Response

from proauth2_wsgi import Proauth2
from proauth2_wsgi.asgi import BearerTokenMiddleware
from proauth2_wsgi.fastapi import require_token
from proauth2_wsgi.models import AccessToken
from tests.asgi.conftest import SlowValidator, bearer, run_async, serve_asgi, wait_for
from tests.middleware.conftest import NO_TOKEN_BODY, Tokens, with_dpop

RESOURCE = "https://api.example.com"
Profile = Annotated[AccessToken, Depends(require_token("profile"))]
Admin = Annotated[AccessToken, Depends(require_token("admin"))]
Maybe = Annotated["AccessToken | None", Depends(require_token(optional=True))]


def routes(app: FastAPI) -> FastAPI:
    @app.get("/me")
    async def me(token: Profile, request: Request) -> dict[str, Any]:
        return {"user": token.user_id, "request_user": request.user.identity, "scopes": sorted(token.scopes)}

    @app.get("/admin")
    async def admin(token: Admin) -> dict[str, Any]:
        return {"user": token.user_id}

    @app.get("/maybe")
    async def maybe(token: Maybe) -> dict[str, Any]:
        return {"user": token.user_id if token else None}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
def behind_middleware(provider: Proauth2) -> Iterator[str]:
    """A FastAPI app with the middleware added in one line; no ``app.state`` validator needed."""
    app = routes(FastAPI())
    app.add_middleware(BearerTokenMiddleware, validator=provider, public_paths=["/health"])
    with serve_asgi(app) as url:
        yield url


@pytest.fixture
def dependency_only(provider: Proauth2) -> Iterator[str]:
    """A FastAPI app with no middleware: the dependencies validate with ``app.state.token_validator``."""
    app = routes(FastAPI())
    app.state.token_validator = provider
    with serve_asgi(app) as url:
        yield url


def test_the_middleware_in_one_line_and_the_dependency_checks_the_scope(behind_middleware: str, tokens: Tokens) -> None:
    token = bearer(tokens.for_user("alice", "profile"))
    me = requests.get(f"{behind_middleware}/me", headers=token, timeout=10)
    assert me.status_code == 200
    assert me.json() == {"user": "alice", "request_user": "alice", "scopes": ["profile"]}
    assert me.headers["Vary"] == "Authorization"
    assert requests.get(f"{behind_middleware}/health", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{behind_middleware}/me", timeout=10).status_code == 401  # the middleware refuses


@pytest.mark.rfc("6750", "3.1")
def test_a_missing_scope_behind_the_middleware_is_403_from_the_dependency(
    behind_middleware: str, tokens: Tokens
) -> None:
    response = requests.get(f"{behind_middleware}/admin", headers=bearer(tokens.for_user()), timeout=10)
    assert response.status_code == 403
    assert response.json() == {
        "detail": {"error": "insufficient_scope", "error_description": "the access token lacks a required scope"}
    }
    assert 'error="insufficient_scope", error_description=' in response.headers["WWW-Authenticate"]
    assert 'scope="admin", DPoP realm="api"' in response.headers["WWW-Authenticate"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.rfc("6750", "3.1")
def test_the_dependency_alone_validates_with_the_apps_validator(dependency_only: str, tokens: Tokens) -> None:
    missing = requests.get(f"{dependency_only}/me", timeout=10)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == with_dpop('Bearer realm="api"')
    assert missing.json()["detail"] == NO_TOKEN_BODY
    invalid = requests.get(f"{dependency_only}/me", headers=bearer("n" * 43), timeout=10)
    assert invalid.status_code == 401
    assert invalid.json()["detail"]["error"] == "invalid_token"
    valid = requests.get(f"{dependency_only}/me", headers=bearer(tokens.for_user("bob")), timeout=10)
    assert valid.json() == {"user": "bob", "request_user": "bob", "scopes": ["profile"]}
    assert valid.headers["Vary"] == "Authorization"
    admin = requests.get(f"{dependency_only}/admin", headers=bearer(tokens.for_user("bob")), timeout=10)
    assert admin.status_code == 403


def test_an_optional_dependency_is_none_without_a_token_and_still_checks_one(
    dependency_only: str, tokens: Tokens
) -> None:
    base = dependency_only
    assert requests.get(f"{base}/maybe", timeout=10).json() == {"user": None}
    assert requests.get(f"{base}/maybe", headers=bearer("m" * 43), timeout=10).status_code == 401
    assert requests.get(f"{base}/maybe", headers=bearer(tokens.for_user()), timeout=10).json() == {"user": "alice"}


@pytest.mark.rfc("9728", "5.1")
def test_a_dependency_with_its_own_validator_and_resource(provider: Proauth2, tokens: Tokens) -> None:
    """``validator=`` instead of app.state; a slow one runs off the event loop; ``resource`` names the metadata."""
    slow = SlowValidator(provider, 0.3)
    guard = require_token("profile", validator=slow, resource=RESOURCE)
    app = FastAPI()

    @app.get("/slow")
    async def slow_route(token: AccessToken = Depends(guard)) -> dict[str, Any]:  # noqa: B008 - FastAPI's way
        return {"user": token.user_id}

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    with serve_asgi(app) as base:
        refused = requests.get(f"{base}/slow", timeout=10)
        assert refused.status_code == 401
        metadata = f"{RESOURCE}/.well-known/oauth-protected-resource"
        assert refused.headers["WWW-Authenticate"] == with_dpop(
            f'Bearer realm="api", resource_metadata="{metadata}"', resource_metadata=metadata
        )
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(requests.get, f"{base}/slow", headers=bearer(tokens.for_user()), timeout=10)
            wait_for(lambda: slow.active > 0)
            assert requests.get(f"{base}/ping", timeout=0.25).json() == "pong"  # the loop is free meanwhile
            assert slow.active == 1
            assert pending.result().json() == {"user": "alice"}
    assert slow.threads and all(name.startswith("proauth2-validation") for name in slow.threads)


def test_no_validator_anywhere_is_a_clear_error() -> None:
    dependency = require_token("profile")
    request = Request({"type": "http", "app": FastAPI(), "headers": [], "path": "/", "method": "GET"})
    with pytest.raises(RuntimeError, match=r"validator=\.\.\., or set app\.state\.token_validator"):
        run_async(dependency(request, Response()))
