"""A DPoP proof is spent once across processes (RFC 9449 section 11.1), on every backend.

The provider remembers spent proofs in its database (``dpop_proofs``), so a
proof replayed to another gunicorn worker, or by threads racing at the token
endpoint, is accepted once; :meth:`~proauth2_wsgi.Proauth2.purge_expired`
forgets a proof only once its ``iat`` refuses it anyway.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from werkzeug.test import Client, TestResponse

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.dpop import access_token_hash, replay_key
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.errors import InvalidDPoPProof
from proauth2_wsgi.stores import PeeweeDataStore
from tests.conftest import FakeClock
from tests.dpop.gunicorn_app import SCOPES, WORKER_PID
from tests.dpop.proofs import HTU, make_proof, new_key
from tests.gunicorn import running_gunicorn

pytestmark = pytest.mark.backends

RFC = "9449"
ROOT = Path(__file__).resolve().parents[2]
#: requests sent at once with one proof
BURST = 16
#: bursts tried until both workers answered within one
ATTEMPTS = 5
#: the token endpoint of the conftest provider, whose issuer is https://auth.example.com
TOKEN_ENDPOINT = "https://auth.example.com/oauth/token"

T = TypeVar("T")


def at_once(send: Callable[[], T], cleanup: Callable[[], None] = lambda: None) -> list[T]:
    """``send`` run by BURST threads released together; ``cleanup`` after each."""
    barrier = threading.Barrier(BURST)

    def run(_: int) -> T:
        barrier.wait(10)
        try:
            return send()
        finally:
            cleanup()

    with ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(run, range(BURST)))


@pytest.fixture
def gunicorn(database_url: str, store: PeeweeDataStore) -> Iterator[str]:
    """The base URL of gunicorn on the backend's database (migrated by ``store``, emptied after)."""
    with running_gunicorn(
        f"tests.dpop.gunicorn_app:build({database_url!r})", threads=4, ready_path="/whoami"
    ) as server:
        yield server.base_url


def service(provider: Proauth2) -> tuple[str, str]:
    """A new client_credentials client's id and secret."""
    client_id, secret = provider.register_app("service", grant_types=["client_credentials"])
    assert client_id is not None and secret is not None
    return client_id, secret


def body(response: TestResponse) -> dict[str, Any]:
    """The JSON object a token endpoint answered with."""
    return dict(json.loads(response.get_data(as_text=True)))


def assert_replay_refused(response: requests.Response) -> None:
    """A resource's answer to a replayed proof: 401 with ``invalid_dpop_proof`` in the DPoP challenge (§7.1)."""
    assert response.status_code == 401, response.text
    _, _, dpop_challenge = response.headers["WWW-Authenticate"].partition("DPoP ")
    assert 'error="invalid_dpop_proof"' in dpop_challenge
    assert response.json()["error"] == "invalid_dpop_proof"


@pytest.mark.rfc(RFC, "11.1")
def test_the_same_proof_sent_to_both_gunicorn_workers_at_once_is_accepted_once(
    gunicorn: str, store: PeeweeDataStore
) -> None:
    client_id, secret = service(Proauth2(store, Settings(scopes=SCOPES, default_scope=frozenset({"profile"}))))
    key = new_key()
    token_url = f"{gunicorn}/oauth/token"
    issued = requests.post(
        token_url,
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        headers={"DPoP": make_proof(key, htu=token_url)},
        timeout=10,
    )
    assert issued.status_code == 200, issued.text
    assert issued.json()["token_type"] == "DPoP"
    token = issued.json()["access_token"]

    url = f"{gunicorn}/whoami"
    workers: set[str] = set()
    for _ in range(ATTEMPTS):
        headers = {
            "Authorization": f"DPoP {token}",
            "DPoP": make_proof(key, htm="GET", htu=url, ath=access_token_hash(token)),  # one jti per burst
            "Connection": "close",
        }

        def resource(headers: dict[str, str] = headers) -> requests.Response:
            # requests.get opens a connection of its own: the workers' accept() loops share the burst
            return requests.get(url, headers=headers, timeout=10)

        responses = at_once(resource)
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [401] * (BURST - 1), [(r.status_code, r.text) for r in responses]
        (accepted,) = (response for response in responses if response.status_code == 200)
        assert accepted.json() == {"client_id": client_id, "pid": int(accepted.headers[WORKER_PID])}
        for response in responses:
            if response is not accepted:
                assert_replay_refused(response)
        workers = {response.headers[WORKER_PID] for response in responses}
        if len(workers) == 2:  # both workers had the proof at once, and only one accepted it
            break
    assert len(workers) == 2, f"one worker answered all {BURST} requests of each of {ATTEMPTS} bursts"


@pytest.mark.rfc(RFC, "11.1")
def test_16_threads_replaying_one_proof_at_the_token_endpoint_get_one_token(
    provider: Proauth2, store: PeeweeDataStore, clock: FakeClock
) -> None:
    client_id, secret = service(provider)
    server = AuthorizationServer(provider)
    proof = make_proof(new_key(), htu=TOKEN_ENDPOINT, iat=int(clock.now))

    def request_token() -> TestResponse:
        return Client(server).post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), headers={"DPoP": proof}
        )

    responses = at_once(request_token, store.close)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [400] * (BURST - 1), [(r.status_code, r.text) for r in responses]
    (issued,) = (body(response) for response in responses if response.status_code == 200)
    assert issued["token_type"] == "DPoP"
    for response in responses:
        if response.status_code == 400:
            assert body(response)["error"] == "invalid_dpop_proof"
    assert len(store.fetch_all("access_tokens", client_id=client_id)) == 1
    introspected = provider.introspect_token(issued["access_token"])
    assert introspected["active"] is True and introspected["token_type"] == "DPoP"
    assert len(store.fetch_all("dpop_proofs")) == 1


@pytest.mark.rfc(RFC, "11.1")
def test_purging_forgets_spent_proofs_past_their_expiry_and_keeps_fresh_ones(
    provider: Proauth2, store: PeeweeDataStore, clock: FakeClock
) -> None:
    checker, key = provider.dpop, new_key()

    def spend(proof: str) -> str:
        verified = checker.verify(proof, method="POST", urls=(HTU,))
        checker.remember(verified)
        return replay_key(verified)

    old = make_proof(key, iat=int(clock.now))
    old_hash = spend(old)
    clock.advance(60)
    fresh = make_proof(key, iat=int(clock.now))
    fresh_hash = spend(fresh)
    expiries = {row["proof_hash"]: row["expires_at"] for row in store.fetch_all("dpop_proofs")}
    assert set(expiries) == {old_hash, fresh_hash}
    assert expiries[old_hash] > clock.now - 60 + checker.verifier.max_age  # remembered while its iat is accepted

    clock.now = expiries[old_hash] - 1
    assert provider.purge_expired() == 0
    clock.now = expiries[old_hash]  # expired once expires_at <= now, as everywhere
    assert provider.purge_expired() == 1
    assert [row["proof_hash"] for row in store.fetch_all("dpop_proofs")] == [fresh_hash]

    with pytest.raises(InvalidDPoPProof, match="used before"):
        spend(fresh)  # still remembered, still refused
    with pytest.raises(InvalidDPoPProof):
        spend(old)  # forgotten, and too old to be accepted anyway
    assert provider.purge_expired(batch_size=1) == 0
