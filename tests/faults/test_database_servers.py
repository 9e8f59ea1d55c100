"""PostgreSQL and MariaDB fail under load: connections killed, the server stopped and restarted.

Each test runs :func:`tests.faults.harness.run_fault` against a private
server (:mod:`tests.faults.servers`), never the shared ones. During the
fault every answer is the step's success or 503 with ``Retry-After`` and
``temporarily_unavailable`` (RFC 6749 §4.1.2.1 and §5.2; RFC 6750 §3.1 has no
answer for it, so no challenge either); a code (RFC 6749 §4.1.2) or refresh
token (RFC 9700 §4.14.2) answered 503 still works when sent again; the service
recovers without a worker restart; the audit finds no half-issued grant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.faults.harness import check, run_fault
from tests.faults.servers import PrivateServer

#: seconds connections are killed for, again and again
KILLING_SECONDS = 2.5
#: seconds between two rounds of killing
KILL_EVERY = 0.25
#: seconds the server stays down
DOWN_SECONDS = 2.5
#: the private server fixture of each engine, and how its connections are killed
SERVERS = {"postgresql": ("private_postgres", "pg_terminate_backend"), "mysql": ("private_mariadb", "KILL")}


def killing_connections(server: PrivateServer, database: str) -> Callable[[], int]:
    """The fault: every connection to ``database`` killed, round after round; how many were killed."""

    def inject() -> int:
        killed = 0
        end = time.monotonic() + KILLING_SECONDS
        while time.monotonic() < end:
            killed += server.kill_connections(database)
            time.sleep(KILL_EVERY)
        return killed

    return inject


def stopped_and_restarted(server: PrivateServer) -> Callable[[], int]:
    """The fault: the server stopped, left down, started again; one fault."""

    def inject() -> int:
        server.stop()
        time.sleep(DOWN_SECONDS)
        server.start()
        return 1

    return inject


@pytest.fixture(params=sorted(SERVERS))
def engine(request: pytest.FixtureRequest) -> str:
    """``postgresql`` or ``mysql`` (MariaDB)."""
    return str(request.param)


@pytest.fixture
def server(engine: str, request: pytest.FixtureRequest) -> PrivateServer:
    """The engine's private server."""
    server: PrivateServer = request.getfixturevalue(SERVERS[engine][0])
    return server


@pytest.mark.rfc("6749", "4.1.2.1")
def test_connections_killed_under_load(engine: str, server: PrivateServer, tmp_path: Path) -> None:
    """pg_terminate_backend / KILL of the server's connections, again and again, while the load runs."""
    url = server.create_database()
    database = urlsplit(url).path.lstrip("/")
    check(run_fault(engine, SERVERS[engine][1], url, killing_connections(server, database), tmp_path))


@pytest.mark.rfc("6749", "4.1.2.1")
def test_server_stopped_and_restarted_under_load(engine: str, server: PrivateServer, tmp_path: Path) -> None:
    """The database server stopped and started again while the load runs."""
    url = server.create_database()
    check(run_fault(engine, "stop and restart", url, stopped_and_restarted(server), tmp_path))
