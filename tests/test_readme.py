"""The README's Python examples run as written, and do what the README says they do."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.test import Client

from proauth2_wsgi import Proauth2
from proauth2_wsgi.pkce import s256_challenge
from tests.http_server import free_port, serve

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
VERIFIER = "readme-verifier-" + "x" * 40
CALLBACK = "http://127.0.0.1:8000/callback"


def block(marker: str, replace: dict[str, str] | None = None) -> str:
    """The README's Python block containing ``marker``, with ``replace``'s substitutions (paths)."""
    text = next(candidate for candidate in BLOCKS if marker in candidate)
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def run_block(marker: str, name: str = "readme_example", replace: dict[str, str] | None = None) -> dict[str, Any]:
    """Execute the README's Python block containing ``marker`` as a module named ``name``."""
    module = types.ModuleType(name)
    exec(compile(block(marker, replace), f"README.md ({marker})", "exec"), module.__dict__)
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


def test_middleware_example_protects_the_api(tmp_path: Path) -> None:
    example = run_block('public_paths=["/health"]', replace={"/srv/proauth2": str(tmp_path)})
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


def shell_exports() -> dict[str, str]:
    """The ``export NAME=value`` lines of the README's command-line walkthrough."""
    text = README.read_text(encoding="utf-8")
    return {name: value.strip("'") for name, value in re.findall(r"^export (PROAUTH2_\w+)=(.+)$", text, re.M)}


def cli_client(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Register a client with the README's ``proauth2 create-client`` command, in a subprocess."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("proauth2")), "create-client", *args, "--json"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_the_command_line_walkthrough_gets_a_token_and_calls_the_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone, following the README: the CLI registers a client, the app serves a token and the API."""
    exports = shell_exports()
    assert exports["PROAUTH2_DATABASE_URL"].startswith("sqlite:////")  # an absolute path, as the text asks
    env = {**exports, "PROAUTH2_DATABASE_URL": f"sqlite:///{tmp_path}/quickstart.db"}
    client = cli_client(env, "My service", "--grant-type", "client_credentials", "--scope", "profile")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    example = run_block("# app.py\n", name="app")
    with serve(example["app"]) as base_url:  # any free port: the issuer is not checked by this grant
        token = requests.post(
            f"{base_url}/oauth/token",
            data={"grant_type": "client_credentials", "scope": "profile"},
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        ).json()["access_token"]
        hello = requests.get(f"{base_url}/api/hello", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        refused = requests.get(f"{base_url}/api/hello", timeout=10)
    assert hello.text == f"hello {client['client_id']}, you may ['profile']"
    assert refused.status_code == 401
    example["provider"].store.dispose()


def test_the_django_wiring_serves_request_meta_under_gunicorn(tmp_path: Path) -> None:
    """``mysite/wsgi.py`` and ``myapp/views.py`` as the README shows them, in a project gunicorn serves."""
    for package in ("mysite", "myapp"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "mysite" / "settings.py").write_text(
        'SECRET_KEY = "readme-test"\nDEBUG = False\nALLOWED_HOSTS = ["*"]\nROOT_URLCONF = "mysite.urls"\n'
        "INSTALLED_APPS = []\nMIDDLEWARE = []\nUSE_TZ = True\n"
    )
    (tmp_path / "mysite" / "urls.py").write_text(
        "from django.urls import path\nfrom myapp import views\nurlpatterns = [path('me', views.me)]\n"
    )
    database = f"sqlite:///{tmp_path}/proauth2.db"
    (tmp_path / "mysite" / "wsgi.py").write_text(
        block("# mysite/wsgi.py", {"sqlite:////srv/proauth2/proauth2.db": database})
    )
    (tmp_path / "myapp" / "views.py").write_text(block("# myapp/views.py"))
    client = cli_client({"PROAUTH2_DATABASE_URL": database}, "Django API client", "--grant-type", "client_credentials")
    provider = Proauth2(database)
    token = provider.request_access_token("client_credentials", client["client_id"], client["client_secret"])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "mysite.wsgi"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        me = _get_when_up(f"http://127.0.0.1:{port}/me", {"Authorization": f"Bearer {token['access_token']}"})
        assert me.json() == {"client": client["client_id"], "user": None}
        assert requests.get(f"http://127.0.0.1:{port}/me", timeout=10).status_code == 401
    finally:
        server.terminate()
        server.communicate(timeout=30)
        provider.store.dispose()


def _get_when_up(url: str, headers: dict[str, str]) -> requests.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return requests.get(url, headers=headers, timeout=10)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_falcon_and_bottle_wiring_read_the_environ(tmp_path: Path) -> None:
    example = run_block("# app.py (Falcon and Bottle)", replace={"/srv/proauth2": str(tmp_path)})
    provider: Proauth2 = example["provider"]
    client_id, secret = provider.register_app("Svc", grant_types=["client_credentials"])
    token = provider.request_access_token("client_credentials", client_id, secret)["access_token"]
    for app in (example["falcon_app"], example["bottle_app"]):
        response = Client(app).get("/me", headers={"Authorization": f"Bearer {token}"})
        assert response.json == {"client": client_id, "user": None}
        assert Client(app).get("/me").status_code == 401


def _form_post(session: requests.Session, page: requests.Response, **fields: str) -> requests.Response:
    """Submit the page's one form (to its own URL) with its CSRF token and ``fields``."""
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None, page.text
    return session.post(page.url, data={"csrf": csrf.group(1), **fields}, timeout=10)


@pytest.mark.rfc("openid-connect-core", "3.1")
def test_the_openid_provider_example_signs_alice_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's OpenID Provider, pasted and served; Authlib's Flask client signs alice in and out."""
    from tests.authlib_relying_party import relying_party

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECRET_KEY", "readme-" + "s" * 32)
    monkeypatch.setenv("PROAUTH2_KEY_SECRET", "readme-" + "k" * 32)
    lines = [line for line in block("PROAUTH2_OPENID=True").splitlines() if line.strip()]
    assert len(lines) <= 60
    port, rp_port = free_port(), free_port()
    issuer, rp = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{rp_port}"
    example = run_block("PROAUTH2_OPENID=True", name="provider", replace={"http://127.0.0.1:5000": issuer})
    with example["app"].app_context():
        client = example["oauth"].provider.register_app(
            "Authlib RP", [f"{rp}/callback"], metadata={"post_logout_redirect_uris": [f"{rp}/signed-out"]}
        )
    assert client.client_secret is not None
    browser = requests.Session()
    browser.trust_env = False
    with serve(example["app"], port=port), serve(relying_party(issuer, *client), port=rp_port):
        login_page = browser.get(f"{rp}/start", timeout=10)
        assert urlsplit(login_page.url).path == "/login"
        refused = _form_post(browser, login_page, user="alice", pwd="not-the-password")
        assert urlsplit(refused.url).path == "/login" and "csrf" in refused.text
        consent_page = _form_post(browser, refused, user="alice", pwd="wonderland")
        assert (
            "Authlib RP asks to: See your email address, Sign you in with your account, See your name"
            in consent_page.text
        )
        assert consent_page.headers["X-Frame-Options"] == "DENY"
        signed_in = _form_post(browser, consent_page, allow="yes").json()
        silent = browser.get(f"{rp}/start?prompt=none", timeout=10).json()  # consent remembered
        signed_out = browser.get(f"{rp}/logout", timeout=10).json()
        after = browser.get(f"{rp}/start?prompt=none", timeout=10).json()
        stranger = browser.get(f"{issuer}/logout?post_logout_redirect_uri=https://evil.example/", timeout=10)
        _form_post(browser, browser.get(f"{rp}/start", timeout=10), user="alice", pwd="wonderland")
        forged = browser.post(f"{issuer}/logout", data={"csrf": "guess"}, timeout=10)
        still_in = browser.get(f"{rp}/start?prompt=none", timeout=10).json()

    claims = signed_in["id_token"]  # verified by Authlib: signature over the JWK set, iss, aud, nonce, at_hash
    assert (claims["iss"], claims["sub"], claims["name"], claims["email"]) == (
        issuer,
        "alice",
        "Alice Liddell",
        "alice@example.com",
    )
    assert isinstance(claims["auth_time"], int)
    assert signed_in["userinfo"] == {
        "sub": "alice",
        "name": "Alice Liddell",
        "email": "alice@example.com",
        "email_verified": True,
    }
    assert silent["id_token"]["auth_time"] == claims["auth_time"]
    assert signed_out == {"signed_out": True}  # a verified id_token_hint: no page, state checked by Authlib
    assert after == {"error": "login_required"}
    assert stranger.status_code == 400 and "post_logout_redirect_uri" in stranger.text
    assert forged.status_code == 200 and "Sign out" in forged.text  # a forged form is only asked again
    assert "id_token" in still_in  # and signed nobody out


def test_the_resources_examples_build_as_written(tmp_path: Path) -> None:
    """The README's resource-server blocks, run one after the other as a reader would paste them."""
    namespace: dict[str, Any] = {
        "KEY_SECRET": "readme-" + "k" * 32,
        "RS_CLIENT_ID": "rs-client",
        "RS_SECRET": "rs-secret",
        "api": lambda environ, start_response: [b""],
    }
    exec(block('"token_format": "jwt"', {"/srv/proauth2": str(tmp_path)}), namespace)
    exec(block("ByFormat(jwt=offline"), namespace)
    provider: Proauth2 = namespace["provider"]
    service = provider.register_app("svc", grant_types=["client_credentials"])
    orders = namespace["ORDERS"]
    token = provider.request_access_token("client_credentials", *service, resource=orders, scope="orders:read")
    assert token["access_token"].count(".") == 2 and token["expires_in"] == 300
    assert provider.validate_token(token["access_token"]).audience == (orders,)
    assert namespace["app"].protector.resource.identifier == orders
    provider.store.dispose()


@pytest.mark.rfc("9126", "4")
def test_the_pushed_authorization_example_signs_in_through_the_wsgi_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client side of PAR, against the plain-WSGI example server over real HTTP: the host view unchanged."""
    monkeypatch.chdir(tmp_path)
    example = run_block("parse_authorization_request")
    provider: Proauth2 = example["provider"]
    client_id, secret = provider.register_app("README client", [CALLBACK])
    assert secret is not None
    with serve(example["app"]) as base_url:
        client = run_block(
            "/oauth/par",
            replace={
                '"https://auth.example.com"': repr(base_url),
                '"my-client-id", "my-client-secret"': f"{client_id!r}, {secret!r}",
            },
        )
        login_url = client["login_url"]
        page = requests.get(login_url, timeout=10)
        assert page.status_code == 200 and "README client wants profile" in page.text
        answer = requests.post(login_url, data={"ok": "1"}, allow_redirects=False, timeout=10)
        again = requests.get(login_url, timeout=10)
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.status_code == 303 and query["state"] == [client["state"]] and "code" in query
    assert again.status_code == 400 and "invalid_request_uri" in again.text  # one-time
    provider.store.dispose()


@pytest.mark.rfc("7523", "2.2")
def test_the_private_key_jwt_example_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """A client with no secret gets a token with its signed assertion, once."""
    example = run_block("AssertionKey(")
    assert capsys.readouterr().out.splitlines() == ["None", "Bearer", "invalid_client"]
    example["provider"].store.dispose()


@pytest.mark.rfc("8628", "3.3")
def test_the_device_verification_page_example_signs_a_device_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's verification page, pasted: a device gets its codes, alice approves over the page, tokens follow."""
    monkeypatch.chdir(tmp_path)
    example = run_block("PROAUTH2_DEVICE_VERIFICATION_URI", name="provider")
    app = example["app"]
    with app.app_context():
        tv = example["oauth"].provider.register_app(
            "Living-room TV", grant_types=["urn:ietf:params:oauth:grant-type:device_code"], auth_method="none"
        )
    device, browser = app.test_client(), app.test_client()
    codes = device.post("/oauth/device_authorization", data={"client_id": tv.client_id}).get_json()
    assert codes["verification_uri"] == "http://127.0.0.1:5000/device"
    form = browser.get("/device").get_data(as_text=True)
    assert "Enter the code your device shows." in form
    wrong = browser.post("/device", data={"user_code": "ZZZZ-ZZZZ"}).get_data(as_text=True)
    assert "this code is not valid" in wrong
    page = browser.get("/device", query_string={"user_code": codes["user_code"]}).get_data(as_text=True)  # the link
    assert f"Living-room TV asks to: Read your profile. Is {codes['user_code']} the code" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    forged = browser.post("/device", data={"user_code": codes["user_code"], "decision": "allow", "csrf": "guess"})
    assert "asks to" in forged.get_data(as_text=True)  # shown again, nothing decided
    done = browser.post("/device", data={"user_code": codes["user_code"], "decision": "allow", "csrf": csrf.group(1)})
    assert done.get_data(as_text=True) == "Living-room TV is signed in."
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": tv.client_id}
    tokens = device.post("/oauth/token", data={**poll, "device_code": codes["device_code"]}).get_json()
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "profile"
    app.extensions["proauth2"].provider.store.dispose()
