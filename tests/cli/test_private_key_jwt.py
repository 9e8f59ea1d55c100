"""``private_key_jwt`` clients from the command line: ``--auth-method private_key_jwt --jwks FILE | --jwks-uri URL``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proauth2_wsgi import Proauth2
from proauth2_wsgi.client_auth.private_key_jwt import ASSERTION_TYPE
from proauth2_wsgi.request import EndpointRequest, Parameters
from proauth2_wsgi.testing.client_assertions import AssertionKey
from tests.cli.conftest import EVERY_WAY, Cli

ISSUER = "https://auth.example.com"


@pytest.fixture(scope="module")
def key() -> AssertionKey:
    return AssertionKey("ES256", kid="cli-key")


def authenticates(provider: Proauth2, client_id: str, key: AssertionKey) -> bool:
    assertion = key.assertion(client_id, ISSUER, now=provider.settings.clock())
    params = Parameters.of({"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})
    request = EndpointRequest("POST", ISSUER + "/oauth/token", {}, params)  # type: ignore[arg-type]
    return provider.authenticate_client_request(request).client_id == client_id


@EVERY_WAY
@pytest.mark.rfc("7523", "2.2")
def test_create_a_private_key_jwt_client_from_a_jwks_file(
    cli: Cli, provider: Proauth2, key: AssertionKey, tmp_path: Path
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(key.jwks), encoding="utf-8")
    args = ("create-client", "Service", "--grant-type", "client_credentials", "--auth-method", "private_key_jwt")
    result = cli(*args, "--jwks", str(jwks), "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["token_endpoint_auth_method"] == "private_key_jwt" and body["jwks"] == key.jwks
    assert "client_secret" not in body and "cannot be shown again" not in result.stderr
    assert authenticates(provider, body["client_id"], key)
    shown = cli("show-client", body["client_id"]).stdout
    assert '"kid":"cli-key"' in shown and "{'" not in shown  # the JWK set as JSON


def test_a_jwks_uri_client_and_changing_its_keys(
    cli: Cli, provider: Proauth2, key: AssertionKey, tmp_path: Path
) -> None:
    uri = "https://client.example.com/jwks.json"
    args = ("create-client", "Service", "--grant-type", "client_credentials", "--auth-method", "private_key_jwt")
    body = json.loads(cli(*args, "--jwks-uri", uri, "--json").stdout)
    assert body["jwks_uri"] == uri
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(key.jwks), encoding="utf-8")
    changed = cli("update-client", body["client_id"], "--jwks", str(jwks), "--json")
    assert changed.exit_code == 0, changed.stderr
    client = provider.get_client(body["client_id"])
    assert client is not None and client.metadata == {"jwks": key.jwks}
    assert authenticates(provider, body["client_id"], key)
    refused = cli("rotate-secret", body["client_id"])
    assert refused.exit_code == 1 and "no secret to rotate" in refused.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--auth-method", "private_key_jwt"], "--jwks FILE or --jwks-uri URL", id="no-keys"),
        pytest.param(["--jwks-uri", "https://client.example.com/k"], "add --auth-method private_key_jwt", id="basic"),
        pytest.param(
            ["--auth-method", "private_key_jwt", "--jwks-uri", "http://client.example.com/k"], "https", id="http"
        ),
        pytest.param(["--auth-method", "private_key_jwt", "--jwks", "/nonexistent.json"], "not a readable", id="file"),
        pytest.param(["--auth-method", "client_secret_jwt"], "client_secret_jwt is not offered", id="secret-jwt"),
        pytest.param(
            ["--auth-method", "private_key_jwt", "--jwks", "x", "--jwks-uri", "https://a.example/k"],
            "not allowed with argument",
            id="both",
        ),
    ],
)
def test_refusals(cli: Cli, provider: Proauth2, args: list[str], message: str) -> None:
    result = cli("create-client", "Service", "--grant-type", "client_credentials", *args)
    assert result.exit_code in (1, 2) and message in result.stderr, result.stderr
    assert provider.list_clients() == []


def test_private_keys_in_the_file_are_refused(cli: Cli, provider: Proauth2, key: AssertionKey, tmp_path: Path) -> None:
    jwks = tmp_path / "private.json"
    jwks.write_text(json.dumps({"keys": [key.key.as_dict(private=True)]}), encoding="utf-8")
    args = ("create-client", "Service", "--grant-type", "client_credentials", "--auth-method", "private_key_jwt")
    result = cli(*args, "--jwks", str(jwks))
    assert result.exit_code == 1 and "private or symmetric key material" in result.stderr
    assert provider.list_clients() == []
