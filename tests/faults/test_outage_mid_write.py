"""A write failing halfway changes nothing: the one-time credential a 503 answered still works.

Deterministic companions of the fault tests: a trigger makes the database
itself fail one statement in the middle of an operation (a driver error, as an
outage gives, on every backend), so the 503 comes exactly where a killed
connection could make it come at random:

- a code exchange whose refresh token cannot be stored, after the code was
  marked used and the access token stored (RFC 6749 §4.1.2: a code is used
  once, and a 503 is not a use);
- a refresh whose new refresh token cannot be stored (RFC 9700 §4.14.2: the
  old one is rotated away only with its successor);
- a device approval whose consent cannot be remembered (RFC 8628 §3.3: the
  user's retry approves the code; it used to find it decided already and
  answer ``invalid_grant``).

And two around them: first approvals racing in their transactions all
succeed (the duplicate consent INSERT has its own savepoint), and the one case
the server cannot tell apart — a redemption committed whose answer is lost —
leaves nothing usable, as the load's ``lost_answer`` check expects.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from proauth2_wsgi import Proauth2, TemporarilyUnavailable
from proauth2_wsgi.device import DEVICE_CODE_GRANT
from proauth2_wsgi.errors import InvalidGrant, InvalidToken
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.tokens import hash_secret
from tests.databases import query, run_script
from tests.faults.app import USER, settings
from tests.faults.audit import lost_answer
from tests.faults.load import REDIRECT_URI

pytestmark = pytest.mark.backends

_CREATE = {
    # an unknown function is resolved when the INSERT is prepared: "no such function", an OperationalError
    "sqlite": "CREATE TRIGGER proauth2_fault BEFORE INSERT ON {table} BEGIN SELECT proauth2_injected_outage(); END",
    # SQLSTATE 57P01 (admin_shutdown): what a terminated backend reports
    "postgresql": (
        "CREATE FUNCTION proauth2_fault() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'injected outage' USING ERRCODE = '57P01'; END $$; "
        "CREATE TRIGGER proauth2_fault BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION proauth2_fault()"
    ),
    "mysql": (
        "CREATE TRIGGER proauth2_fault BEFORE INSERT ON {table} FOR EACH ROW "
        "SIGNAL SQLSTATE 'HY000' SET MESSAGE_TEXT = 'injected outage'"
    ),
}
_DROP = {
    "sqlite": "DROP TRIGGER proauth2_fault",
    "postgresql": "DROP TRIGGER proauth2_fault ON {table}; DROP FUNCTION proauth2_fault()",
    "mysql": "DROP TRIGGER proauth2_fault",
}


@contextmanager
def inserts_failing(backend: str, database_url: str, table: str) -> Iterator[None]:
    """Every INSERT into ``table`` fails in the database, until the block ends."""
    name = f"proauth2_{table}"
    run_script(database_url, _CREATE[backend].format(table=name))
    try:
        yield
    finally:
        run_script(database_url, _DROP[backend].format(table=name))


@pytest.fixture
def server(store: PeeweeDataStore) -> Proauth2:
    """A provider with the device flow on, on the backend's store."""
    return Proauth2(store, settings("https://auth.example.com"))


def authorization_code(provider: Proauth2, client_id: str) -> tuple[str, str]:
    """A code the user approved, and its PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    request = provider.parse_authorization_request(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "code_challenge": s256_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return provider.authorization_response(request, USER)["code"], verifier


def used(database_url: str, table: str, key: str, value: str) -> bool:
    """Whether the one-time record of ``table`` under ``key`` = ``value`` is marked used."""
    (row,) = query(database_url, f"SELECT used FROM proauth2_{table} WHERE {key} = %s", (value,))
    return bool(row[0])


@pytest.mark.rfc("6749", "4.1.2")
def test_a_code_exchange_failing_halfway_leaves_the_code_usable(
    server: Proauth2, backend: str, database_url: str
) -> None:
    client = server.register_app("web", [REDIRECT_URI])
    code, verifier = authorization_code(server, client.client_id)
    exchange = {"code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    with inserts_failing(backend, database_url, "refresh_tokens"), pytest.raises(TemporarilyUnavailable):
        server.request_access_token("authorization_code", client.client_id, client.client_secret, **exchange)
    assert not used(database_url, "codes", "code_hash", hash_secret(code))
    assert query(database_url, "SELECT count(*) FROM proauth2_access_tokens") == [(0,)]
    tokens = server.request_access_token("authorization_code", client.client_id, client.client_secret, **exchange)
    assert server.authenticate_token(tokens["access_token"]).user_id == USER


@pytest.mark.rfc("9700", "4.14.2")
def test_a_refresh_failing_halfway_leaves_the_refresh_token_usable(
    server: Proauth2, backend: str, database_url: str
) -> None:
    client = server.register_app("web", [REDIRECT_URI])
    code, verifier = authorization_code(server, client.client_id)
    first = server.request_access_token(
        "authorization_code",
        client.client_id,
        client.client_secret,
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    refresh = first["refresh_token"]
    with inserts_failing(backend, database_url, "refresh_tokens"), pytest.raises(TemporarilyUnavailable):
        server.request_access_token("refresh_token", client.client_id, client.client_secret, refresh_token=refresh)
    assert not used(database_url, "refresh_tokens", "token_hash", hash_secret(refresh))
    rotated = server.request_access_token(
        "refresh_token", client.client_id, client.client_secret, refresh_token=refresh
    )
    assert rotated["refresh_token"] != refresh
    assert server.authenticate_token(first["access_token"]).user_id == USER  # nothing revoked: no replay was seen


@pytest.mark.rfc("8628", "3.3")
def test_a_device_approval_failing_halfway_leaves_the_code_to_approve(
    server: Proauth2, backend: str, database_url: str
) -> None:
    client = server.register_app("tv", grant_types=[DEVICE_CODE_GRANT], auth_method="none")
    started = server.request_device_authorization(client.client_id)
    with inserts_failing(backend, database_url, "consents"), pytest.raises(TemporarilyUnavailable):
        server.approve_device(started["user_code"], USER, session=USER)
    (status,) = query(
        database_url,
        "SELECT status FROM proauth2_device_codes WHERE device_code_hash = %s",
        (hash_secret(started["device_code"]),),
    )
    assert status == ("pending",)
    assert server.consented_scopes(client.client_id, USER) == frozenset()
    server.approve_device(started["user_code"], USER, session=USER)  # the user's retry
    tokens = server.request_access_token(DEVICE_CODE_GRANT, client.client_id, device_code=started["device_code"])
    assert server.authenticate_token(tokens["access_token"]).user_id == USER


#: device codes of one client approved at once by one user, for the first consent of the pair
RACERS = 8


@pytest.mark.rfc("8628", "3.3")
def test_first_approvals_racing_in_their_transactions_all_succeed(server: Proauth2) -> None:
    """Approvals now run in a transaction: the loser of the race to store the first consent still succeeds.

    Its INSERT is a duplicate; inside a transaction that aborts the whole
    transaction on PostgreSQL, unless the INSERT had a savepoint of its own
    (:meth:`proauth2_wsgi.records.Records.remember_consent`).
    """
    for _ in range(3):
        client = server.register_app("tv", grant_types=[DEVICE_CODE_GRANT], auth_method="none")
        user_codes = [server.request_device_authorization(client.client_id)["user_code"] for _ in range(RACERS)]
        barrier = threading.Barrier(RACERS)

        def approve(user_code: str, barrier: threading.Barrier = barrier) -> str:
            barrier.wait(10)
            return server.approve_device(user_code, USER, session=f"{USER}-{user_code}").client.client_id

        with ThreadPoolExecutor(RACERS) as pool:
            approved = list(pool.map(approve, user_codes))
        assert approved == [client.client_id] * RACERS
        assert server.consented_scopes(client.client_id, USER) == frozenset({"profile"})


@pytest.mark.rfc("6749", "4.1.2")
def test_a_code_redeemed_behind_a_lost_answer_leaves_nothing_usable(server: Proauth2, database_url: str) -> None:
    """The case the server cannot tell apart, as the load checks it (:func:`tests.faults.audit.lost_answer`).

    The exchange commits but its answer never reaches the client; the client's
    retry is a replay: ``invalid_grant``, and the tokens it never received are
    revoked with their grant.
    """
    client = server.register_app("web", [REDIRECT_URI])
    code, verifier = authorization_code(server, client.client_id)
    exchange = {"code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    check = lost_answer(database_url)
    assert not check("code exchange", code)  # not spent yet
    lost = server.request_access_token("authorization_code", client.client_id, client.client_secret, **exchange)
    assert not check("code exchange", code)  # spent, its tokens usable: not what a refused retry leaves
    with pytest.raises(InvalidGrant):
        server.request_access_token("authorization_code", client.client_id, client.client_secret, **exchange)
    assert check("code exchange", code)
    with pytest.raises(InvalidToken):
        server.authenticate_token(lost["access_token"])
