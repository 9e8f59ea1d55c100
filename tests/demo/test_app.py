"""The demo app in-process: its pages share one layout, errors explain themselves, one demo client per database."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from demo import create_app
from demo.client_views import DEMO_CLIENT_NAME, PENDING, demo_client
from proauth2_wsgi import Proauth2
from tests.http_server import free_port, serve
from tests.middleware.conftest import with_dpop

from .conftest import REPO_ROOT, demo_env

BASE = "http://127.0.0.1:5000"


def demo(tmp_path: Path, database: str = "demo.db", instance: str = "instance") -> Flask:
    return create_app(f"sqlite:///{tmp_path / database}", BASE, instance_path=str(tmp_path / instance))


def demo_clients(app: Flask) -> list[str]:
    with app.app_context():
        provider: Proauth2 = app.extensions["proauth2"].provider
        return [client.client_id for client in provider.list_clients() if client.name == DEMO_CLIENT_NAME]


def test_the_demo_client_is_registered_once_per_database(tmp_path: Path) -> None:
    first = demo(tmp_path)
    with first.app_context():
        registered = demo_client()
    assert registered.new_secret and demo_clients(first) == [registered.client_id]
    again = demo(tmp_path)  # a restart
    with again.app_context():
        restarted = demo_client()
    assert (restarted.client_id, restarted.client_secret, restarted.new_secret) == (
        registered.client_id,
        registered.client_secret,
        False,
    )
    elsewhere = demo(tmp_path, instance="other-instance")  # the same database from another instance folder
    with elsewhere.app_context():
        moved = demo_client()
    assert moved.client_id == registered.client_id and moved.new_secret  # its secret rotated, no second client
    assert demo_clients(elsewhere) == [registered.client_id]
    other_database = demo(tmp_path, database="other.db")
    with other_database.app_context():
        assert demo_client().client_id != registered.client_id
    assert len(demo_clients(other_database)) == 1 and demo_clients(first) == [registered.client_id]


def test_a_read_only_command_registers_nothing(tmp_path: Path) -> None:
    """``flask --app demo proauth2 list-clients`` on a new database: no demo client appears."""
    env = demo_env({"FLASK_PROAUTH2_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"})
    done = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "demo", "proauth2", "list-clients"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "no clients are registered\n"), done.stderr


def test_every_page_shares_the_layout(tmp_path: Path) -> None:
    client = demo(tmp_path).test_client()
    pages = {
        "/": 200,
        "/login": 200,
        "/client/": 200,
        "/authorize?client_id=nobody": 400,  # the authorization error page
        "/no/such/page": 404,
    }
    for path, status in pages.items():
        response = client.get(path)
        assert response.status_code == status, path
        assert '<nav><a href="/">Home</a>' in response.text, path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_the_authorization_error_page_explains_and_leads_back(tmp_path: Path) -> None:
    page = demo(tmp_path).test_client().get("/authorize", query_string={"client_id": "<nobody>"})
    assert page.status_code == 400
    assert '<code id="error">invalid_client</code>' in page.text and "unknown client_id" in page.text
    assert "&lt;nobody&gt;" not in page.text and "<nobody>" not in page.text
    assert 'href="/"' in page.text


def test_the_login_form_keeps_the_user_name(tmp_path: Path) -> None:
    client = demo(tmp_path).test_client()
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    page = client.post("/login", data={"csrf": csrf, "username": "alice", "password": "wrong"}).text
    assert "Unknown user name or wrong password." in page
    assert 'name="username" autocomplete="username" value="alice"' in page


@pytest.mark.rfc("6750", "3.1")
def test_api_errors_are_rfc6750_json_with_words(tmp_path: Path) -> None:
    client = demo(tmp_path).test_client()
    missing = client.get("/api/me")
    metadata = "http://127.0.0.1:5000/.well-known/oauth-protected-resource/api"  # RFC 9728 §5.1
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == with_dpop(
        f'Bearer realm="api", resource_metadata="{metadata}"', resource_metadata=metadata
    )
    assert "access token" in missing.json["error_description"]
    invalid = client.get("/api/me", headers={"Authorization": "Bearer " + "x" * 43})
    assert (invalid.status_code, invalid.json["error"]) == (401, "invalid_token")
    assert invalid.json["error_description"]
    unknown = client.get("/api/nothing")
    assert (unknown.status_code, unknown.json["error"]) == (404, "not_found")


def test_a_refused_code_exchange_is_explained_in_words(tmp_path: Path) -> None:
    """The demo client passes the token endpoint's error_description through, and says what it means."""
    port = free_port()  # the demo client calls the token endpoint over HTTP
    app = create_app(f"sqlite:///{tmp_path}/demo.db", f"http://127.0.0.1:{port}", instance_path=str(tmp_path / "i"))
    with serve(app, port=port):
        with app.app_context():
            client = demo_client()
        flow = PENDING.start()
        response = app.test_client().get(
            "/client/callback", query_string={"state": flow.state, "code": "garbage-" + "x" * 40, "iss": client.issuer}
        )
    assert response.status_code == 502
    assert '<code id="error">invalid_grant</code>' in response.text
    assert "the authorization code is invalid, expired or already used" in response.text  # the provider's words
    assert "a code lives 60 seconds" in response.text  # and the client's own


def test_the_demo_starts_without_a_database_call_in_create_app(tmp_path: Path) -> None:
    """``create_app`` touches no database: it works while the database is down."""
    app = create_app("postgresql://nobody@127.0.0.1:1/none", BASE, instance_path=str(tmp_path))
    assert json.loads(app.test_client().get("/.well-known/oauth-authorization-server").text)["issuer"] == BASE
