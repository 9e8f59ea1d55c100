"""The device authorization endpoint and the device grant over real HTTP (RFC 8628 §3.1-3.5, §4; RFC 9449).

Also ``python -m demo.device_login``, the device flow from a command line,
against a provider served on loopback and approved through the core helper.
"""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from joserfc.jwk import Key
from werkzeug.test import Client

from demo import device_login
from proauth2_wsgi import ClientCredentials, Proauth2, Settings
from proauth2_wsgi.device import DEVICE_CODE_GRANT
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.dpop.proofs import make_proof, new_key
from tests.endpoints.helpers import Server, assert_oauth_error
from tests.http_server import serve

ISSUER = "https://auth.example.com"
DEVICE_ENDPOINT = f"{ISSUER}/oauth/device_authorization"
TOKEN_ENDPOINT = f"{ISSUER}/oauth/token"
API = "https://api.example.com"
WELL_KNOWN = "/.well-known/oauth-authorization-server"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    return Settings(
        issuer=ISSUER,
        scopes={"profile": "Read your profile", "email": "Read your email"},
        default_scope="profile",
        device_verification_uri="/device",
        resources=(API,),
        clock=clock,
    )


@pytest.fixture
def tv(provider: Proauth2) -> ClientCredentials:
    return provider.register_app("TV", grant_types=[DEVICE_CODE_GRANT, "refresh_token"], auth_method="none")


def device_url(server: Server) -> str:
    return server.url + "/oauth/device_authorization"


def start(server: Server, client: ClientCredentials, **form: Any) -> dict[str, Any]:
    """The device authorization response, checked: 200 JSON, never cached (RFC 8628 §3.2)."""
    response = server.post(device_url(server), {"client_id": client.client_id, **form})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()  # type: ignore[no-any-return]


def poll(server: Server, client: ClientCredentials, device_code: str, **kwargs: Any) -> requests.Response:
    form = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code, "client_id": client.client_id}
    return server.post(server.token_url, form, **kwargs)


@pytest.mark.rfc("8628", "4")
def test_the_metadata_names_the_endpoint_and_the_grant(server: Server) -> None:
    document = requests.get(server.url + WELL_KNOWN, timeout=10).json()
    assert document["device_authorization_endpoint"] == DEVICE_ENDPOINT
    assert DEVICE_CODE_GRANT in document["grant_types_supported"]


@pytest.mark.rfc("8628", "3.5")
def test_a_device_signs_in_over_http(
    server: Server, provider: Proauth2, clock: FakeClock, tv: ClientCredentials
) -> None:
    answer = start(server, tv, scope="profile email")
    assert answer["verification_uri"] == f"{ISSUER}/device"
    assert_oauth_error(poll(server, tv, answer["device_code"]), 400, "authorization_pending")
    assert_oauth_error(poll(server, tv, answer["device_code"]), 400, "slow_down")
    provider.approve_device(answer["user_code"], "alice", session="test")
    clock.advance(10)
    response = poll(server, tv, answer["device_code"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "email profile" and "refresh_token" in tokens
    assert_oauth_error(poll(server, tv, answer["device_code"]), 400, "invalid_grant")
    assert not server.introspect(tokens["access_token"], auth=introspector(provider))["active"]  # revoked: a replay


def introspector(provider: Proauth2) -> tuple[str, str]:
    client_id, secret = provider.register_app("Resource server", grant_types=["client_credentials"])
    assert secret is not None
    return client_id, secret


@pytest.mark.rfc("8628", "3.5")
def test_denied_and_expired_over_http(
    server: Server, provider: Proauth2, clock: FakeClock, tv: ClientCredentials
) -> None:
    denied = start(server, tv)
    provider.deny_device(denied["user_code"])
    assert_oauth_error(poll(server, tv, denied["device_code"]), 400, "access_denied")
    expired = start(server, tv)
    clock.advance(600)
    assert_oauth_error(poll(server, tv, expired["device_code"]), 400, "expired_token")


@pytest.mark.rfc("8628", "3.1")
def test_a_confidential_client_authenticates_with_its_method(server: Server, provider: Proauth2) -> None:
    box = provider.register_app("Box", grant_types=[DEVICE_CODE_GRANT])
    assert box.client_secret is not None
    response = server.post(device_url(server), {"scope": "email"}, auth=(box.client_id, box.client_secret))
    assert response.status_code == 200 and response.json()["interval"] == 5
    refused = server.post(device_url(server), "", auth=(box.client_id, "wrong"))
    assert_oauth_error(refused, 401, "invalid_client")
    assert refused.headers["WWW-Authenticate"] == f'Basic realm="{ISSUER}"'
    nameless = server.post(device_url(server), {"client_id": box.client_id})  # its secret is missing
    assert_oauth_error(nameless, 401, "invalid_client")


@pytest.mark.rfc("8628", "3.1")
@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        pytest.param({}, 401, "invalid_client", id="no-client"),
        pytest.param({"client_id": "nobody"}, 401, "invalid_client", id="unknown-client"),
        pytest.param({"scope": "admin"}, 400, "invalid_scope", id="unknown-scope"),
        pytest.param({"scope": ["profile", "email"]}, 400, "invalid_request", id="repeated-scope"),
        pytest.param({"resource": "https://other.example.com"}, 400, "invalid_target", id="unknown-resource"),
    ],
)
def test_bad_device_authorization_requests(
    server: Server, tv: ClientCredentials, form: dict[str, Any], status: int, error: str
) -> None:
    if form and "client_id" not in form:  # a request of the TV's
        form = {"client_id": tv.client_id, **form}
    assert_oauth_error(server.post(device_url(server), form or ""), status, error)


@pytest.mark.rfc("8628", "3.1")
def test_a_client_not_registered_for_the_grant_is_unauthorized_client(server: Server, provider: Proauth2) -> None:
    native = provider.register_app("Native", ["http://127.0.0.1/callback"], auth_method="none")
    assert_oauth_error(server.post(device_url(server), {"client_id": native.client_id}), 400, "unauthorized_client")


@pytest.mark.rfc("8628", "3.1")
def test_only_post_with_a_form(server: Server, tv: ClientCredentials) -> None:
    got = requests.get(device_url(server), params={"client_id": tv.client_id}, timeout=10)
    assert_oauth_error(got, 405, "invalid_request")
    assert got.headers["Allow"] == "POST"
    as_json = requests.post(device_url(server), json={"client_id": tv.client_id}, timeout=10)
    assert_oauth_error(as_json, 400, "invalid_request")


@pytest.mark.rfc("8707", "2")
def test_resources_may_repeat_and_name_the_audience(server: Server, provider: Proauth2, tv: ClientCredentials) -> None:
    answer = start(server, tv, resource=[API, API])
    provider.approve_device(answer["user_code"], "alice")
    tokens = poll(server, tv, answer["device_code"]).json()
    assert provider.validate_token(tokens["access_token"]).audience == (API,)


@pytest.mark.rfc("7591", "2")
def test_a_device_client_registers_itself(server: Server, provider: Proauth2) -> None:
    """RFC 7591 registration takes the device grant for a public client with no redirect URI."""
    metadata = {"client_name": "TV", "grant_types": [DEVICE_CODE_GRANT], "token_endpoint_auth_method": "none"}
    registered = requests.post(server.register_url, json=metadata, timeout=10)
    assert registered.status_code == 201, registered.text
    client = ClientCredentials(registered.json()["client_id"], None)
    assert start(server, client)["interval"] == 5


def test_the_endpoint_is_not_mounted_without_the_device_flow(store: PeeweeDataStore, clock: FakeClock) -> None:
    provider = Proauth2(store, issuer=ISSUER, clock=clock)
    http = Client(AuthorizationServer(provider))
    assert http.post("/oauth/device_authorization", data={"client_id": "x"}).status_code == 404
    document = http.get(WELL_KNOWN).json
    assert document is not None and "device_authorization_endpoint" not in document
    assert DEVICE_CODE_GRANT not in document["grant_types_supported"]


def test_unregistering_the_grant_unmounts_the_endpoint(provider: Proauth2) -> None:
    provider.grants.unregister(DEVICE_CODE_GRANT)
    http = Client(AuthorizationServer(provider))
    assert http.post("/oauth/device_authorization", data={"client_id": "x"}).status_code == 404


# -- DPoP (RFC 9449) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> tuple[Key, Key]:
    return new_key("ES256"), new_key("ES256")


@pytest.mark.rfc("9449", "5")
def test_dpop_bound_device_tokens(
    server: Server, provider: Proauth2, clock: FakeClock, tv: ClientCredentials, keys: tuple[Key, Key]
) -> None:
    """A proof at the token request binds the tokens, as for every grant; a public client's refresh token too."""
    device, _ = keys
    answer = start(server, tv)
    provider.approve_device(answer["user_code"], "alice")
    proof = make_proof(device, htu=TOKEN_ENDPOINT, iat=clock.now)
    tokens = poll(server, tv, answer["device_code"], headers={"DPoP": proof}).json()
    assert tokens["token_type"] == "DPoP"
    assert provider.validate_token(tokens["access_token"]).jkt is not None
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": tv.client_id}
    assert_oauth_error(server.post(server.token_url, refresh), 400, "invalid_grant")  # only with the key
    again = make_proof(device, htu=TOKEN_ENDPOINT, iat=clock.now)
    assert server.post(server.token_url, refresh, headers={"DPoP": again}).json()["token_type"] == "DPoP"


@pytest.mark.rfc("9449", "10")
def test_a_proof_at_the_device_authorization_binds_the_device_code(
    server: Server, provider: Proauth2, clock: FakeClock, tv: ClientCredentials, keys: tuple[Key, Key]
) -> None:
    device, thief = keys
    bound = server.post(
        device_url(server),
        {"client_id": tv.client_id},
        headers={"DPoP": make_proof(device, htu=DEVICE_ENDPOINT, iat=clock.now)},
    )
    assert bound.status_code == 200, bound.text
    answer = bound.json()
    provider.approve_device(answer["user_code"], "alice")
    assert_oauth_error(poll(server, tv, answer["device_code"]), 400, "invalid_grant")  # no proof
    stolen = make_proof(thief, htu=TOKEN_ENDPOINT, iat=clock.now)
    assert_oauth_error(poll(server, tv, answer["device_code"], headers={"DPoP": stolen}), 400, "invalid_grant")
    proof = make_proof(device, htu=TOKEN_ENDPOINT, iat=clock.now)
    assert poll(server, tv, answer["device_code"], headers={"DPoP": proof}).json()["token_type"] == "DPoP"
    wrong_url = make_proof(device, htu=TOKEN_ENDPOINT, iat=clock.now)  # a proof for another endpoint
    refused = server.post(device_url(server), {"client_id": tv.client_id}, headers={"DPoP": wrong_url})
    assert_oauth_error(refused, 400, "invalid_dpop_proof")


# -- python -m demo.device_login ---------------------------------------------------------------


@contextmanager
def live_provider(store: PeeweeDataStore, interval: int) -> Iterator[tuple[str, Proauth2, ClientCredentials]]:
    """A provider on the real clock (the script sleeps for real), served on loopback; its issuer is that URL."""

    class Late:
        """The app, built once the server's URL (the issuer) is known."""

        app: Any = None

        def __call__(self, environ: Any, start_response: Any) -> Any:
            return self.app(environ, start_response)

    late = Late()
    with serve(late) as base_url:
        provider = Proauth2(
            store,
            issuer=base_url,
            scopes={"profile": "Read your profile"},
            default_scope="profile",
            device_verification_uri="/device",
            device_poll_interval=interval,
        )
        late.app = AuthorizationServer(provider)
        client = provider.register_app("CLI", grant_types=[DEVICE_CODE_GRANT], auth_method="none")
        yield base_url, provider, client


def approve_when_shown(stream: Any, provider: Proauth2, shown: list[str]) -> threading.Thread:
    """Read the script's output until it shows the code, then approve it through the core helper, as a page would."""

    def run() -> None:
        for line in stream:
            shown.append(line)
            if line.startswith("and enter the code "):
                provider.approve_device(line.split()[-1], "alice", session="cli-test")
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.rfc("8628", "3.3")
def test_the_command_line_device_login_signs_in(store: PeeweeDataStore) -> None:
    """``python -m demo.device_login`` in a subprocess: discovery, the code shown, polling, the members printed."""
    with live_provider(store, interval=1) as (issuer, provider, client):
        script = subprocess.Popen(
            [sys.executable, "-m", "demo.device_login", "--issuer", issuer, "--client-id", client.client_id],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert script.stdout is not None
        shown: list[str] = []
        approver = approve_when_shown(script.stdout, provider, shown)
        approver.join(timeout=30)
        rest, err = script.communicate(timeout=30)
    out = "".join(shown) + rest
    assert script.returncode == 0, err
    assert "token_type: Bearer" in out and "scope: profile" in out and "expires_in: 3600" in out
    assert "access_token: (received, 43 characters)" in out
    assert re.search(r"[A-Za-z0-9_-]{43}", out) is None  # no token, no device code
    access = store.fetch_all("access_tokens", client_id=client.client_id)
    assert len(access) == 1 and access[0]["user_id"] == "alice"


@pytest.mark.rfc("8628", "3.5")
def test_the_device_login_slows_down_and_reports_a_denial(
    store: PeeweeDataStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process with a sleep that does not wait: polling too fast gets slow_down, and the interval grows by 5."""
    waits: list[float] = []
    out = io.StringIO()
    with live_provider(store, interval=30) as (issuer, provider, client):

        def no_sleep(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 3:
                code = next(line for line in out.getvalue().splitlines() if line.startswith("and enter"))
                provider.deny_device(code.split()[-1])

        status = device_login.main(["--issuer", issuer, "--client-id", client.client_id], sleep=no_sleep, out=out)
    assert status == 1
    assert "the sign-in was denied" in capsys.readouterr().err
    assert waits == [30, 30, 35]  # pending, then slow_down (polled at once): 5 more seconds
    assert "(asked to slow down: polling every 35 s)" in out.getvalue()


def test_the_device_login_refuses_a_server_without_the_device_flow(
    store: PeeweeDataStore, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(lambda environ, start_response: [b""]) as base_url:  # no metadata at all
        assert device_login.main(["--issuer", base_url, "--client-id", "x"]) == 1
    assert "no metadata at" in capsys.readouterr().err
    assert device_login.main(["--issuer", "http://auth.example.com", "--client-id", "x"]) == 1
    assert "https" in capsys.readouterr().err
    assert device_login.metadata_url("https://auth.example.com/tenant/") == (
        "https://auth.example.com/.well-known/oauth-authorization-server/tenant"
    )
    assert device_login.describe({"access_token": "secret", "expires_in": 5}) == [
        "access_token: (received, 6 characters)",
        "expires_in: 5",
    ]


def test_settings_replace_keeps_the_device_flow(settings: Settings) -> None:
    assert dataclasses.replace(settings, issuer="https://other.example.com").device_verification_url == (
        "https://other.example.com/device"
    )
