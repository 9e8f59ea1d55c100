"""``flask proauth2 ...``: every command through Flask's CLI runner and as a real ``flask`` subprocess."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from flask_proauth2 import Proauth2
from proauth2_wsgi import ClientCredentials
from proauth2_wsgi import Proauth2 as Provider
from tests.conftest import FakeClock
from tests.flask.apps import SCOPES
from tests.flask.conftest import REDIRECT, MakeApp, issue_token

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")


@dataclasses.dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


Cli = Callable[..., Result]


#: run a test both in-process and as a real ``flask --app`` command
BOTH_WAYS = pytest.mark.parametrize("cli", ["runner", "subprocess"], indirect=True)


@pytest.fixture
def cli(request: pytest.FixtureRequest, app: Flask, database_url: str) -> Cli:
    """Run ``flask proauth2 <args>`` in-process (test_cli_runner), or as ``flask --app`` in a subprocess."""
    if getattr(request, "param", "runner") == "runner":
        runner = app.test_cli_runner()

        def run_in_process(*args: str) -> Result:
            result = runner.invoke(args=["proauth2", *args])
            return Result(result.exit_code, result.stdout, result.stderr)

        return run_in_process

    env = {
        **os.environ,
        "FLASK_PROAUTH2_DATABASE_URL": database_url,
        "FLASK_PROAUTH2_SCOPES": json.dumps(SCOPES),
    }

    def run_flask(*args: str) -> Result:
        done = subprocess.run(
            [str(FLASK), "--app", "tests/flask/cli_app.py", "proauth2", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run_flask


def test_init_db_creates_the_schema_idempotently(cli: Cli) -> None:
    for _ in range(2):
        result = cli("init-db")
        assert result.exit_code == 0, result.stderr
        assert "schema version" in result.stdout


@BOTH_WAYS
def test_create_client_prints_the_secret_once(cli: Cli, provider: Provider) -> None:
    result = cli("create-client", "Billing", "--redirect-uri", REDIRECT, "--scope", "profile")
    assert result.exit_code == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    client_id, secret = lines["client_id"].strip(), lines["client_secret"].strip()
    assert "cannot be shown again" in result.stderr
    client = provider.authenticate_client(client_id, secret)
    assert client.name == "Billing"
    assert client.scopes == {"profile"}
    assert client.redirect_uris == (REDIRECT,)
    listed = cli("list-clients")
    assert client_id in listed.stdout
    assert secret not in listed.stdout


def test_create_client_json_public_and_grant_types(cli: Cli, provider: Provider) -> None:
    result = cli("create-client", "Mobile", "--public", "--redirect-uri", "com.example.app:/cb", "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in body
    service = json.loads(
        cli(
            "create-client",
            "Service",
            "--grant-type",
            "client_credentials",
            "--auth-method",
            "client_secret_post",
            "--json",
        ).stdout
    )
    assert service["grant_types"] == ["client_credentials"]
    assert provider.authenticate_client(service["client_id"], service["client_secret"]).auth_method == (
        "client_secret_post"
    )


@BOTH_WAYS
@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        pytest.param(["Bad", "--redirect-uri", "http://evil.example.com/cb"], 1, "loopback", id="http-redirect"),
        pytest.param(["Bad", "--redirect-uri", REDIRECT, "--scope", "root"], 1, "scope", id="unknown-scope"),
        pytest.param(["Bad"], 1, "redirect_uri", id="code-grant-without-redirect"),
        pytest.param(["Bad", "--public", "--auth-method", "client_secret_basic"], 2, "--public", id="public-conflict"),
        pytest.param(["Bad", "--grant-type", "password"], 1, "unsupported grant type 'password'", id="password-grant"),
        pytest.param([], 2, "NAME", id="missing-name"),
    ],
)
def test_create_client_refusals_exit_nonzero_with_a_message_on_stderr(
    cli: Cli, provider: Provider, args: list[str], exit_code: int, message: str
) -> None:
    result = cli("create-client", *args)
    assert result.exit_code == exit_code
    assert message in result.stderr
    assert result.stdout == ""
    assert provider.list_clients() == []


def test_list_clients_json_never_shows_secrets(cli: Cli, confidential: ClientCredentials) -> None:
    result = cli("list-clients", "--json")
    assert result.exit_code == 0, result.stderr
    [client] = json.loads(result.stdout)
    assert client["client_id"] == confidential.client_id
    assert client["client_name"] == "Test Client"
    assert confidential.client_secret not in result.stdout
    assert not any("secret" in key for key in client)


def test_delete_client_then_not_found(cli: Cli, provider: Provider, confidential: ClientCredentials) -> None:
    token = issue_token(provider, confidential)
    result = cli("delete-client", confidential.client_id)
    assert result.exit_code == 0, result.stderr
    assert provider.get_client(confidential.client_id) is None
    assert provider.introspect_token(token) == {"active": False}
    again = cli("delete-client", confidential.client_id)
    assert again.exit_code == 1
    assert "no client" in again.stderr


def test_revoke_one_token(cli: Cli, provider: Provider, confidential: ClientCredentials) -> None:
    token, other = issue_token(provider, confidential), issue_token(provider, confidential)
    result = cli("revoke", "--token", token)
    assert result.exit_code == 0, result.stderr
    assert provider.introspect_token(token) == {"active": False}
    assert provider.introspect_token(other)["active"] is True
    again = cli("revoke", "--token", token)
    assert again.exit_code == 1
    assert "no active token" in again.stderr


@BOTH_WAYS
def test_revoke_every_token_of_a_user_or_a_client(
    cli: Cli, provider: Provider, confidential: ClientCredentials
) -> None:
    alice, bob = (
        issue_token(provider, confidential, user_id="alice"),
        issue_token(provider, confidential, user_id="bob"),
    )
    result = cli("revoke", "--user", "alice")
    assert result.exit_code == 0, result.stderr
    assert "revoked 2 token(s)" in result.stdout  # her access and refresh tokens
    assert provider.introspect_token(alice) == {"active": False}
    assert provider.introspect_token(bob)["active"] is True
    result = cli("revoke", "--client", confidential.client_id)
    assert result.exit_code == 0, result.stderr
    assert provider.introspect_token(bob) == {"active": False}
    missing = cli("revoke", "--client", "no-such-client")
    assert missing.exit_code == 1
    assert "no client" in missing.stderr


@pytest.mark.parametrize("args", [[], ["--user", "a", "--client", "b"]], ids=["none", "two"])
def test_revoke_needs_exactly_one_target(cli: Cli, args: list[str]) -> None:
    result = cli("revoke", *args)
    assert result.exit_code == 2
    assert "exactly one" in result.stderr


def test_purge_expired_deletes_what_expired(
    cli: Cli, provider: Provider, confidential: ClientCredentials, make_app: MakeApp
) -> None:
    # Tokens issued in 2001 have expired for every clock, the subprocess's real one included.
    past = Provider(provider.store, dataclasses.replace(provider.settings, clock=FakeClock(1_000_000_000)))
    expired = issue_token(past, confidential)
    current = issue_token(provider, confidential)
    result = cli("purge-expired")
    assert result.exit_code == 0, result.stderr
    assert "purged 3 expired row(s)" in result.stdout  # the old code, access and refresh tokens
    assert past.introspect_token(expired) == {"active": False}
    assert provider.introspect_token(current)["active"] is True


def test_a_database_outage_names_the_database_for_the_operator(tmp_path: Path) -> None:
    """Exit 1 with the failed database's location on stderr (not just "temporarily unavailable")."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(
        PROAUTH2_DATABASE_URL=f"postgresql://proauth2:s3cret-password@127.0.0.1:{port}/nodb",
        PROAUTH2_AUTO_MIGRATE=False,
    )
    Proauth2(app)
    result = app.test_cli_runner().invoke(args=["proauth2", "list-clients"])
    assert result.exit_code == 1
    assert f"127.0.0.1:{port}/nodb" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout
