"""The README's ASGI examples run as written under uvicorn: the MCP server in 10 lines, the FastAPI app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from proauth2_wsgi import Proauth2
from proauth2_wsgi.pkce import s256_challenge
from tests.asgi.conftest import bearer, run_async, serve_asgi
from tests.asgi.test_mcp import INITIALIZE, MCP_HEADERS, session_whoami
from tests.middleware.conftest import REDIRECT_URI, VERIFIER, with_dpop
from tests.test_readme import run_block

README_DATABASE = "sqlite:////srv/proauth2/proauth2.db"


def _example(marker: str, tmp_path: Path) -> dict[str, Any]:
    return run_block(marker, replace={README_DATABASE: f"sqlite:///{tmp_path / 'readme.db'}"})


def _user_token(provider: Proauth2, scope: str | None = "profile", **parameters: str) -> str:
    """alice's access token from a real authorization code flow (RFC 6749 §4.1, PKCE)."""
    client_id, secret = provider.register_app("readme app", [REDIRECT_URI])
    code = provider.request_authorization(
        client_id,
        "alice",
        redirect_uri=REDIRECT_URI,
        scope=scope,
        code_challenge=s256_challenge(VERIFIER),
        code_challenge_method="S256",
        **parameters,
    )["code"]
    answer = provider.request_access_token(
        "authorization_code", client_id, secret, code=code, redirect_uri=REDIRECT_URI, code_verifier=VERIFIER
    )
    return str(answer["access_token"])


@pytest.mark.rfc("9728", "5.1")
def test_the_mcp_server_in_10_lines(tmp_path: Path) -> None:
    example = _example("streamable_http_app", tmp_path)
    provider: Proauth2 = example["provider"]
    mcp_url = example["MCP_URL"]
    with serve_asgi(example["app"]) as base:
        refused = requests.post(f"{base}/mcp", json=INITIALIZE, headers=MCP_HEADERS, timeout=10)
        assert refused.status_code == 401
        metadata = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        assert refused.headers["WWW-Authenticate"] == with_dpop(
            f'Bearer realm="api", resource_metadata="{metadata}"', resource_metadata=metadata
        )
        document = requests.get(f"{base}/.well-known/oauth-protected-resource/mcp", timeout=10).json()
        assert document["resource"] == mcp_url and document["authorization_servers"] == ["https://auth.example.com"]
        token = _user_token(provider, scope=None, resource=mcp_url)  # RFC 8707: a token for this MCP server
        assert provider.authenticate_token(token).audience == (mcp_url,)
        names, user = run_async(session_whoami(f"{base}/mcp", token))
    assert names == ["whoami"] and user == "alice"
    example["app"].close()


@pytest.mark.rfc("8707", "2")
def test_the_mcp_server_refuses_a_token_for_another_resource(tmp_path: Path) -> None:
    example = _example("streamable_http_app", tmp_path)
    provider: Proauth2 = example["provider"]
    other = "https://other.example.com/api"
    provider = Proauth2(provider.store, issuer="https://auth.example.com", resources=[example["MCP_URL"], other])
    token = _user_token(provider, scope=None, resource=other)
    with serve_asgi(example["app"]) as base:
        refused = requests.post(f"{base}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **bearer(token)}, timeout=10)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    example["app"].close()


@pytest.mark.rfc("6750", "3.1")
def test_the_fastapi_app(tmp_path: Path) -> None:
    example = _example("require_token", tmp_path)
    provider: Proauth2 = example["provider"]
    with serve_asgi(example["app"]) as base:
        assert requests.get(f"{base}/health", timeout=10).json() == {"ok": True}
        refused = requests.get(f"{base}/me", timeout=10)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == with_dpop('Bearer realm="api"')
        narrow = _user_token(provider, scope="email")
        forbidden = requests.get(f"{base}/me", headers=bearer(narrow), timeout=10)
        assert forbidden.status_code == 403 and 'error="insufficient_scope"' in forbidden.headers["WWW-Authenticate"]
        answer = requests.get(f"{base}/me", headers=bearer(_user_token(provider)), timeout=10)
    assert answer.status_code == 200 and answer.json()["user"] == "alice"
    assert answer.headers["Vary"] == "Authorization"
