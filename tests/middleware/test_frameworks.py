"""Framework-agnostic: Flask, Django, Falcon, Bottle and a bare callable, in-process and on real servers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from werkzeug.test import Client

from proauth2_wsgi import Proauth2
from tests.gunicorn import running_gunicorn
from tests.http_server import serve
from tests.middleware.conftest import NO_TOKEN_BODY, Tokens, bearer, with_dpop
from tests.middleware.frameworks import FRAMEWORKS, build

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_framework_reads_user_id_in_process(provider: Proauth2, tokens: Tokens, framework: str) -> None:
    client = Client(build(provider))
    response = client.get(f"/{framework}/whoami", headers=bearer(tokens.for_user("alice")))
    assert (response.status_code, response.text) == (200, "alice")
    refused = client.get(f"/{framework}/whoami")
    assert (refused.status_code, refused.headers["WWW-Authenticate"]) == (401, with_dpop('Bearer realm="api"'))


def check_over_http(base_url: str, token: str) -> None:
    """Every framework answers the user over real HTTP, and refuses a request without a token."""
    with requests.Session() as session:
        for framework in FRAMEWORKS:
            url = f"{base_url}/{framework}/whoami"
            response = session.get(url, headers=bearer(token), timeout=10)
            assert (response.status_code, response.text) == (200, "alice"), framework
            refused = session.get(url, timeout=10)
            assert refused.status_code == 401, framework
            assert refused.json() == NO_TOKEN_BODY
            bad = session.get(url, headers={"Authorization": "Bearer a b"}, timeout=10)
            assert bad.status_code == 400, framework


def test_threaded_server_on_loopback(provider: Proauth2, tokens: Tokens) -> None:
    with serve(build(provider)) as base_url:
        check_over_http(base_url, tokens.for_user("alice"))


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    """gunicorn with 2 forked workers of 4 threads each, :mod:`tests.middleware.server_app` preloaded in the master."""
    environment = {"PROAUTH2_TEST_DB_URL": database_url}
    app = "tests.middleware.server_app:application"
    with running_gunicorn(app, threads=4, ready_path="/bare/whoami", env=environment) as server:
        yield server.base_url


@pytest.fixture
def gunicorn(database_url: str, provider: Proauth2) -> Iterator[str]:
    with serving(database_url) as base_url:
        yield base_url


def test_gunicorn_forked_workers_on_loopback(gunicorn: str, tokens: Tokens) -> None:
    token = tokens.for_user("alice")
    for _ in range(5):  # spread over both workers
        check_over_http(gunicorn, token)


def test_gunicorn_workers_boot_while_the_database_is_missing_and_recover_when_it_is_back(tmp_path: Path) -> None:
    """Nothing connects at start-up: the workers boot, answer 503 meanwhile, and serve once the database exists."""
    database = tmp_path / "not-yet" / "proauth2.db"
    url = f"sqlite:///{database}"
    with serving(url) as base_url:
        down = requests.get(f"{base_url}/bare/whoami", headers=bearer("A" * 43), timeout=10)
        assert (down.status_code, down.headers["Retry-After"], down.json()["error"]) == (
            503,
            "5",
            "temporarily_unavailable",
        )
        database.parent.mkdir()
        provider = Proauth2(url)
        client_id, secret = provider.register_app("svc", grant_types=["client_credentials"])
        token = provider.request_access_token("client_credentials", client_id, secret)["access_token"]
        for _ in range(4):  # both workers recovered by themselves
            back = requests.get(f"{base_url}/bare/whoami", headers=bearer(token), timeout=10)
            assert back.status_code == 200
        provider.store.dispose()
