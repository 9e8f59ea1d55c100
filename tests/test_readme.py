"""The README's Python examples run as written, and do what the README says they do."""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import Client

from proauth2_wsgi import Proauth2
from proauth2_wsgi.pkce import s256_challenge

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
VERIFIER = "readme-verifier-" + "x" * 40
CALLBACK = "http://127.0.0.1:8000/callback"


def run_block(marker: str, name: str = "readme_example") -> dict[str, Any]:
    """Execute the README's Python block containing ``marker`` as a module named ``name``."""
    block = next(block for block in BLOCKS if marker in block)
    module = types.ModuleType(name)
    exec(compile(block, f"README.md ({marker})", "exec"), module.__dict__)
    return module.__dict__


def authorize_query(client_id: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "profile",
        "state": "readme",
        "code_challenge": s256_challenge(VERIFIER),
        "code_challenge_method": "S256",
    }


def exchange(client: Client, location: str, client_id: str, secret: str) -> dict[str, Any]:
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["readme"] and query["iss"] == ["http://127.0.0.1:5000"]
    form = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": CALLBACK}
    response = client.post("/oauth/token", data={**form, "code_verifier": VERIFIER}, auth=(client_id, secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def test_quick_start_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    run_block("request_authorization")
    assert capsys.readouterr().out.splitlines() == ["Bearer 3600 profile", "invalid_token 401"]


def test_wsgi_authorization_example_completes_a_flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    example = run_block("parse_authorization_request")
    provider: Proauth2 = example["provider"]
    client_id, secret = provider.register_app("README client", [CALLBACK])
    assert secret is not None
    client = Client(example["app"])
    page = client.get("/authorize", query_string=authorize_query(client_id))
    assert page.status_code == 200 and "README client wants profile" in page.get_data(as_text=True)
    answer = client.post("/authorize", query_string=authorize_query(client_id), data={"ok": "1"})
    assert answer.status_code == 303
    assert exchange(client, answer.headers["Location"], client_id, secret)["scope"] == "profile"
    assert client.get("/authorize", query_string={"client_id": "nobody"}).status_code == 400


def test_middleware_example_protects_the_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    example = run_block("BearerTokenMiddleware(api")
    provider: Proauth2 = example["provider"]
    client_id, secret = provider.register_app("svc", grant_types=["client_credentials"])
    token = provider.request_access_token("client_credentials", client_id, secret)["access_token"]
    client = Client(example["app"])
    assert client.get("/health").get_data() == b"hello anonymous"  # public: no token looked at
    assert client.get("/other", headers={"Authorization": f"Bearer {token}"}).get_data() == b"hello None"
    assert client.get("/api/x", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert client.get("/other").status_code == 401


def test_flask_provider_in_30_lines_works_when_pasted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    example = run_block("flask_proauth2 import Proauth2", name="provider")
    block = next(block for block in BLOCKS if "flask_proauth2 import Proauth2" in block)
    assert len([line for line in block.splitlines() if line.strip()]) <= 35
    app = example["app"]
    with app.app_context():
        client_id, secret = example["oauth"].provider.register_app("Pasted", [CALLBACK])
    client = app.test_client()
    page = client.get("/authorize", query_string=authorize_query(client_id))
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf is not None
    forged = client.post("/authorize", query_string=authorize_query(client_id), data={"allow": "yes"})
    assert forged.status_code == 403
    page = client.get("/authorize", query_string=authorize_query(client_id))
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf is not None
    answer = client.post(
        "/authorize", query_string=authorize_query(client_id), data={"allow": "yes", "csrf": csrf.group(1)}
    )
    assert answer.status_code == 303
    tokens = exchange(client, answer.headers["Location"], client_id, secret)  # type: ignore[arg-type]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.get_json() == {"user": "alice", "scope": "profile"}


def test_toy_grant_is_one_class_and_one_registration(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's extension grant works as printed; the rest of its story is tests/core/test_registries.py."""
    example = run_block("class MagicWordGrant")
    assert capsys.readouterr().out.splitlines() == ["Bearer"]
    provider: Proauth2 = example["provider"]
    assert example["MagicWordGrant"].name in provider.grants
