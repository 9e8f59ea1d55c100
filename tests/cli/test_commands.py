"""The operator's commands: stable output, secrets shown once and never read from argv, clear refusals."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.cli import Console, build_parser, run
from proauth2_wsgi.cli.__init__ import provider_from
from proauth2_wsgi.stores import SCHEMA_VERSION
from tests.cli.conftest import EVERY_WAY, SCRIPT, Cli
from tests.conftest import FakeClock
from tests.flask.conftest import issue_token
from tests.http_server import free_port

REDIRECT = "https://client.example.com/callback"


@pytest.fixture
def confidential(provider: Proauth2) -> ClientCredentials:
    return provider.register_app("Test Client", [REDIRECT])


def test_init_db_and_migrate_are_idempotent(cli: Cli) -> None:
    for _ in range(2):
        assert f"schema version {SCHEMA_VERSION} ready" in cli("init-db").stdout
    assert cli("migrate").stdout.startswith("migrations applied: none needed")
    check = cli("migrate", "--check")
    assert (check.exit_code, check.stdout.strip()) == (0, f"schema version {SCHEMA_VERSION} is current")


@EVERY_WAY
def test_create_client_prints_the_secret_once(cli: Cli, provider: Proauth2) -> None:
    result = cli("create-client", "Billing app", "--redirect-uri", REDIRECT, "--scope", "profile")
    assert result.exit_code == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    client_id, secret = lines["client_id"].strip(), lines["client_secret"].strip()
    assert "cannot be shown again" in result.stderr
    client = provider.authenticate_client(client_id, secret)
    assert (client.name, client.scopes, client.redirect_uris) == ("Billing app", {"profile"}, (REDIRECT,))
    listed = cli("list-clients")
    assert client_id in listed.stdout and secret not in listed.stdout
    assert secret not in cli("show-client", client_id).stdout


def test_create_client_json_public_and_grant_types(cli: Cli, provider: Proauth2) -> None:
    body = json.loads(
        cli("create-client", "Mobile", "--public", "--redirect-uri", "com.example.app:/cb", "--json").stdout
    )
    assert body["token_endpoint_auth_method"] == "none" and "client_secret" not in body
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
    assert (
        provider.authenticate_client(service["client_id"], service["client_secret"]).auth_method == "client_secret_post"
    )


def test_a_client_limited_to_resources_from_the_command_line(cli: Cli, provider: Proauth2) -> None:
    """RFC 8707: ``--resource`` limits the client to the resources named (the server must know them)."""
    refused = cli("create-client", "Svc", "--grant-type", "client_credentials", "--resource", "https://nope.example")
    assert refused.exit_code == 1 and "resources" in refused.stderr
    assert provider.list_clients() == []
    api = "https://api.example.com"
    knowing = Proauth2(provider.store, dataclasses.replace(provider.settings, resources=[api]))
    out = io.StringIO()
    args = ("create-client", "Svc", "--grant-type", "client_credentials", "--resource", api, "--json")
    assert run(args, lambda _: knowing, console=Console(out, io.StringIO(), io.StringIO())) == 0
    client_id = json.loads(out.getvalue())["client_id"]
    assert knowing.get_client(client_id).metadata == {"resources": [api]}  # type: ignore[union-attr]


def test_create_and_update_a_relying_party(cli: Cli, provider: Proauth2) -> None:
    """The OpenID Connect client metadata from the command line (OIDC Registration §2)."""
    logout = "https://client.example.com/signed-out"
    args = ["RP", "--redirect-uri", REDIRECT, "--post-logout-redirect-uri", logout, "--id-token-alg", "ES256"]
    body = json.loads(cli("create-client", *args, "--json").stdout)
    assert (body["post_logout_redirect_uris"], body["id_token_signed_response_alg"]) == ([logout], "ES256")
    updated = cli("update-client", body["client_id"], "--id-token-alg", "RS256", "--json")
    assert updated.exit_code == 0, updated.stderr
    client = provider.get_client(body["client_id"])
    assert client is not None
    assert client.metadata == {"post_logout_redirect_uris": [logout], "id_token_signed_response_alg": "RS256"}


def test_client_flags_for_par_and_dpop_from_the_command_line(cli: Cli, provider: Proauth2) -> None:
    """RFC 9126 §6 ``require_pushed_authorization_requests``, RFC 9449 §5.2 and §8 per client: set, then unset."""
    flags = ["--require-par", "--dpop-bound-access-tokens", "--dpop-nonce-required"]
    body = json.loads(cli("create-client", "Strict", "--redirect-uri", REDIRECT, *flags, "--json").stdout)
    expected = {"require_pushed_authorization_requests": True, "dpop_bound_access_tokens": True}
    client = provider.get_client(body["client_id"])
    assert client is not None
    assert client.metadata == {**expected, "dpop_nonce_required": True}
    updated = cli("update-client", body["client_id"], "--no-dpop-nonce-required", "--json")
    assert updated.exit_code == 0, updated.stderr
    client = provider.get_client(body["client_id"])
    assert client is not None
    assert client.metadata == {**expected, "dpop_nonce_required": False}


@EVERY_WAY
@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        pytest.param(["Bad", "--redirect-uri", "http://evil.example.com/cb"], 1, "loopback", id="http-redirect"),
        pytest.param(
            ["Bad", "--redirect-uri", REDIRECT, "--scope", "root"], 1, "root (offered: admin email", id="scope"
        ),
        pytest.param(["Bad"], 1, "redirect_uri", id="code-grant-without-redirect"),
        pytest.param(["Bad", "--public", "--auth-method", "client_secret_basic"], 1, "--public", id="public-conflict"),
        pytest.param(["Bad", "--grant-type", "password"], 1, "unsupported grant type 'password'", id="password"),
        pytest.param([], 2, "name", id="missing-name"),
        pytest.param(["Bad", "--redirect-uri", REDIRECT, "--id-token-alg", "HS256"], 1, "RS256", id="id-token-alg"),
        pytest.param(
            ["Bad", "--redirect-uri", REDIRECT, "--post-logout-redirect-uri", "http://evil.example.com/out"],
            1,
            "post_logout_redirect_uris",
            id="post-logout-uri",
        ),
    ],
)
def test_create_client_refusals_exit_nonzero_with_a_message_on_stderr(
    cli: Cli, provider: Proauth2, args: list[str], exit_code: int, message: str
) -> None:
    result = cli("create-client", *args)
    assert (result.exit_code, result.stdout) == (exit_code, "")
    assert message in result.stderr and "Traceback" not in result.stderr
    assert provider.list_clients() == []


def test_list_clients_is_a_table_with_a_header_and_says_when_empty(cli: Cli, provider: Proauth2) -> None:
    assert cli("list-clients").stdout == "no clients are registered\n"
    assert json.loads(cli("list-clients", "--json").stdout) == []
    first = provider.register_app("Name with spaces", [REDIRECT])
    second = provider.register_app("Svc", grant_types=["client_credentials"])
    header, *rows = cli("list-clients").stdout.splitlines()
    assert header.split() == ["CLIENT_ID", "NAME", "AUTH_METHOD", "GRANT_TYPES", "SCOPE", "REDIRECT_URIS"]
    assert len(rows) == 2
    columns = [header.index(name) for name in ("NAME", "AUTH_METHOD")]
    names = {row[columns[0] : columns[1]].strip() for row in rows}
    assert names == {"Name with spaces", "Svc"}
    assert {row.split()[0] for row in rows} == {first.client_id, second.client_id}


def test_list_clients_json_never_shows_secrets(cli: Cli, confidential: ClientCredentials) -> None:
    result = cli("list-clients", "--json")
    [client] = json.loads(result.stdout)
    assert (client["client_id"], client["client_name"]) == (confidential.client_id, "Test Client")
    assert confidential.client_secret not in result.stdout
    assert not any("secret" in key for key in client)


def test_show_client(cli: Cli, confidential: ClientCredentials) -> None:
    lines = dict(line.split(":", 1) for line in cli("show-client", confidential.client_id).stdout.splitlines())
    assert lines["client_name"].strip() == "Test Client"
    assert lines["redirect_uris"].strip() == REDIRECT
    assert (
        json.loads(cli("show-client", confidential.client_id, "--json").stdout)["client_id"] == confidential.client_id
    )
    missing = cli("show-client", "nobody")
    assert (missing.exit_code, missing.stderr) == (1, "Error: no client 'nobody'\n")


def test_update_client_changes_metadata_and_keeps_the_secret(
    cli: Cli, provider: Proauth2, confidential: ClientCredentials
) -> None:
    other = "https://client.example.com/other"
    result = cli(
        "update-client",
        confidential.client_id,
        "--name",
        "Renamed",
        "--redirect-uri",
        REDIRECT,
        "--redirect-uri",
        other,
        "--scope",
        "profile email",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["client_name"], body["redirect_uris"], body["scope"]) == (
        "Renamed",
        [REDIRECT, other],
        "email profile",
    )
    assert provider.authenticate_client(confidential.client_id, confidential.client_secret).name == "Renamed"
    nothing = cli("update-client", confidential.client_id)
    assert nothing.exit_code == 1 and "nothing to change" in nothing.stderr
    bad = cli("update-client", confidential.client_id, "--scope", "root")
    assert bad.exit_code == 1 and "root" in bad.stderr


@EVERY_WAY
def test_rotate_secret_shows_a_new_one_once_and_the_old_one_stops_working(
    cli: Cli, provider: Proauth2, confidential: ClientCredentials
) -> None:
    result = cli("rotate-secret", confidential.client_id, "--json")
    assert result.exit_code == 0, result.stderr
    secret = json.loads(result.stdout)["client_secret"]
    assert secret != confidential.client_secret
    assert provider.authenticate_client(confidential.client_id, secret).client_id == confidential.client_id
    with pytest.raises(Exception, match="invalid_client"):
        provider.authenticate_client(confidential.client_id, confidential.client_secret)
    public = provider.register_app("Native", ["http://127.0.0.1/cb"], auth_method="none")
    refused = cli("rotate-secret", public.client_id)
    assert refused.exit_code == 1 and "no secret" in refused.stderr


@EVERY_WAY
def test_delete_client_asks_or_needs_yes(cli: Cli, provider: Proauth2, confidential: ClientCredentials) -> None:
    token = issue_token(provider, confidential)
    unasked = cli("delete-client", confidential.client_id)  # standard input is no terminal: no one to ask
    assert unasked.exit_code == 1 and "--yes" in unasked.stderr
    assert provider.get_client(confidential.client_id) is not None
    result = cli("delete-client", confidential.client_id, "--yes")
    assert result.exit_code == 0, result.stderr
    assert provider.get_client(confidential.client_id) is None
    assert provider.introspect_token(token) == {"active": False}
    again = cli("delete-client", confidential.client_id, "--yes")
    assert again.exit_code == 1 and "no client" in again.stderr


def test_delete_client_asks_at_a_terminal(provider: Proauth2, confidential: ClientCredentials) -> None:
    class Terminal:
        def __init__(self, answer: str) -> None:
            self.answer = answer

        def isatty(self) -> bool:
            return True

        def readline(self) -> str:
            return self.answer

    import io

    for answer, deleted in (("n\n", False), ("\n", False), ("yes\n", True)):
        err = io.StringIO()
        status = run(
            ["delete-client", confidential.client_id],
            lambda _: provider,
            console=Console(io.StringIO(), err, Terminal(answer)),  # type: ignore[arg-type]
        )
        assert "[y/N]" in err.getvalue()
        assert (status == 0, provider.get_client(confidential.client_id) is None) == (deleted, deleted)


@EVERY_WAY
def test_revoke_reads_the_token_from_standard_input_never_argv(
    cli: Cli, provider: Proauth2, confidential: ClientCredentials
) -> None:
    token, other = issue_token(provider, confidential), issue_token(provider, confidential)
    on_argv = cli("revoke", f"--token={token}")  # one word: a token may begin with "-"
    assert on_argv.exit_code == 1 and "ps and shell history" in on_argv.stderr
    assert token not in on_argv.stderr + on_argv.stdout
    assert provider.introspect_token(token)["active"] is True
    result = cli("revoke", "--token", "-", stdin=token + "\n")
    assert result.exit_code == 0, result.stderr
    assert provider.introspect_token(token) == {"active": False}
    assert provider.introspect_token(other)["active"] is True
    again = cli("revoke", "--token", "-", stdin=token)
    assert again.exit_code == 1 and "no active token" in again.stderr
    empty = cli("revoke", "--token", "-", stdin="")
    assert empty.exit_code == 1 and "nothing was read" in empty.stderr


def test_revoke_every_token_of_a_user_or_a_client(
    cli: Cli, provider: Proauth2, confidential: ClientCredentials
) -> None:
    alice = issue_token(provider, confidential, user_id="alice")
    bob = issue_token(provider, confidential, user_id="bob")
    result = cli("revoke", "--user", "alice")
    assert "revoked 2 token(s)" in result.stdout  # her access and refresh tokens
    assert provider.introspect_token(alice) == {"active": False} and provider.introspect_token(bob)["active"]
    assert cli("revoke", "--client", confidential.client_id).exit_code == 0
    assert provider.introspect_token(bob) == {"active": False}
    missing = cli("revoke", "--client", "no-such-client")
    assert missing.exit_code == 1 and "no client" in missing.stderr


@pytest.mark.parametrize("args", [[], ["--user", "a", "--client", "b"]], ids=["none", "two"])
def test_revoke_needs_exactly_one_target(cli: Cli, args: list[str]) -> None:
    result = cli("revoke", *args)
    assert result.exit_code == 2
    assert "--token" in result.stderr


def test_purge_expired_deletes_what_expired(cli: Cli, provider: Proauth2, confidential: ClientCredentials) -> None:
    past = Proauth2(provider.store, dataclasses.replace(provider.settings, clock=FakeClock(1_000_000_000)))
    expired = issue_token(past, confidential)
    current = issue_token(provider, confidential)
    assert "purged 3 expired row(s)" in cli("purge-expired").stdout  # the old code, access and refresh tokens
    assert past.introspect_token(expired) == {"active": False}
    assert provider.introspect_token(current)["active"] is True


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("postgresql://proauth2:s3cret-pw@127.0.0.1:{port}/nodb", "Connection refused", id="pg-refused"),
        pytest.param("mysql://proauth2:s3cret-pw@127.0.0.1:{port}/nodb", "Can't connect", id="mysql-refused"),
        pytest.param("postgresql://nobody:s3cret-pw@127.0.0.1:5432/nodb", 'role "nobody" does not', id="pg-bad-user"),
        pytest.param("sqlite:///{tmp}/missing-dir/proauth2.db", "unable to open", id="sqlite-no-dir"),
    ],
)
def test_a_database_failure_says_why_in_one_line(tmp_path: Path, url: str, reason: str) -> None:
    """Exit 1, the database's location and the driver's reason on stderr, no password, no traceback."""
    import subprocess

    done = subprocess.run(
        [str(SCRIPT), "--database-url", url.format(port=free_port(), tmp=tmp_path), "list-clients"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("Error: the ") and done.stderr.count("\n") == 1, done.stderr
    assert reason.lower() in done.stderr.lower()
    assert "s3cret" not in done.stderr and "Traceback" not in done.stderr


def test_settings_come_from_a_toml_file_under_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "proauth2.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path}/from-file.db"\nissuer = "https://auth.example.com"\n'
        '[scopes]\nprofile = "Read your profile"\nemail = "Read your email"\n',
        encoding="utf-8",
    )
    args = build_parser("proauth2", standalone=True).parse_args(["--config", str(config), "list-clients"])
    provider = provider_from(args, environ={"PROAUTH2_ISSUER": "https://override.example.com"})
    assert provider.store.location == f"{tmp_path}/from-file.db"
    assert sorted(provider.settings.scopes) == ["email", "profile"]
    assert provider.settings.issuer == "https://override.example.com"
    provider.store.dispose()


def test_a_bad_setting_is_one_line_naming_its_key(tmp_path: Path) -> None:
    import subprocess

    env = {"PROAUTH2_CODE_LIFETIME": "forever", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [str(SCRIPT), "--database-url", f"sqlite:///{tmp_path}/x.db", "list-clients"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("Error: PROAUTH2_CODE_LIFETIME: ") and done.stderr.count("\n") == 1, done.stderr


def test_python_dash_m_is_the_same_command() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "proauth2_wsgi", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "create-client" in done.stdout and "rotate-secret" in done.stdout
