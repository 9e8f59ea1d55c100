"""``python -m demo.resource_server``: the demo's API in a second process, with no database (RFC 9068, 7662, 9728).

The resource server runs as its own subprocess with peewee and every database
driver made unimportable: it can only know tokens through the demo's JWK set
(JWT access tokens, offline) and its introspection endpoint (opaque ones).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.http_server import free_port

from .conftest import REPO_ROOT, DemoServer, call_api, demo_env, http_session, register_service, service_token

pytestmark = pytest.mark.rfc("9068", "4")

#: run the resource server where no store could ever be opened
_NO_DATABASE = (
    "import sys\n"
    "for name in ('peewee', 'psycopg2', 'pymysql', 'sqlite3'):\n"
    "    sys.modules[name] = None\n"
    "from demo.resource_server import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.fixture(scope="module")
def resource_server(demo: DemoServer) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _NO_DATABASE, "--issuer", demo.base_url, "--port", str(port)],
        cwd=REPO_ROOT,
        env=demo_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with http_session() as session:
                    session.get(f"{base}/.well-known/oauth-protected-resource/api", timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the resource server did not start:\n{process.communicate()[0]}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        output = process.communicate(timeout=15)[0]
        assert process.returncode == 0, output
        assert "demo resource server stopped." in output and "Traceback" not in output, output


@pytest.fixture
def service(demo: DemoServer, http: requests.Session) -> dict[str, Any]:
    """A client of the demo for the client credentials grant."""
    return register_service(http, demo)


def _token(http: requests.Session, demo: DemoServer, service: dict[str, Any], **params: str) -> requests.Response:
    return service_token(http, demo, service, scope="profile", **params)


def test_jwt_access_tokens_are_checked_offline_and_revocation_waits_for_expiry(
    http: requests.Session, demo: DemoServer, resource_server: str, service: dict[str, Any]
) -> None:
    answer = _token(http, demo, service, resource=demo.url("/api"))
    assert answer.status_code == 200, answer.text
    jwt = answer.json()["access_token"]
    assert jwt.count(".") == 2 and answer.json()["expires_in"] == 600
    me = call_api(http, resource_server, jwt)
    assert me.status_code == 200, me.text
    assert me.json() == {
        "user_id": None,
        "client_id": service["client_id"],
        "scope": "profile",
        "audience": [demo.url("/api")],
        "checked": "offline, JWT signature",
    }
    revoked = http.post(
        demo.url("/oauth/revoke"),
        data={"token": jwt},
        auth=(service["client_id"], service["client_secret"]),
        timeout=10,
    )
    assert revoked.status_code == 200
    # the demo validates online: refused at once; the offline resource server until the token expires
    assert call_api(http, demo.base_url, jwt).status_code == 401
    assert call_api(http, resource_server, jwt).status_code == 200


@pytest.mark.rfc("7662", "2.2")
def test_opaque_tokens_are_introspected_and_revocation_counts_at_once(
    http: requests.Session, demo: DemoServer, resource_server: str, service: dict[str, Any]
) -> None:
    opaque = _token(http, demo, service).json()["access_token"]  # no resource: an opaque token, as before
    assert opaque.count(".") == 0
    me = call_api(http, resource_server, opaque)
    assert me.status_code == 200, me.text
    assert me.json()["checked"] == "introspection" and me.json()["audience"] == []
    http.post(demo.url("/oauth/revoke"), data={"token": opaque}, auth=(service["client_id"], service["client_secret"]))
    refused = call_api(http, resource_server, opaque)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"


@pytest.mark.rfc("9728", "3")
def test_the_resource_server_describes_itself_and_points_clients_to_it(
    http: requests.Session, demo: DemoServer, resource_server: str
) -> None:
    document = http.get(f"{resource_server}/.well-known/oauth-protected-resource/api", timeout=10).json()
    assert document == {
        "resource": demo.url("/api"),
        "authorization_servers": [demo.base_url],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["profile"],
        "dpop_signing_alg_values_supported": ["ES256", "EdDSA", "PS256", "RS256"],
    }
    refused = http.get(f"{resource_server}/api/me", timeout=10)
    assert refused.status_code == 401
    metadata = demo.url("/.well-known/oauth-protected-resource/api")
    assert f'resource_metadata="{metadata}"' in refused.headers["WWW-Authenticate"]


@pytest.mark.rfc("9068", "4")
@pytest.mark.parametrize(
    "token",
    [
        pytest.param("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.", id="alg-none"),
        pytest.param("a.b.c", id="garbage-jws"),
        pytest.param("x" * 9000, id="oversized"),
    ],
)
def test_hostile_tokens_are_invalid_token_at_the_second_process(
    http: requests.Session, resource_server: str, token: str
) -> None:
    refused = call_api(http, resource_server, token)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
