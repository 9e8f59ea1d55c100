"""Migrations: a database made by schema version 1 upgrades in place with nothing lost, on every backend.

``schema_v1/`` holds dumps of databases created by proauth2 before migrations
existed (schema version 1: ``pg_dump``, ``mysqldump``, ``sqlite3 .dump``),
with clients, an unused code, access and refresh tokens, a revoked token, and
the plain secrets of them all in ``<backend>.json``. Each test loads one into
a fresh database and opens it with today's code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from proauth2_wsgi import Proauth2, Settings, TemporarilyUnavailable
from proauth2_wsgi.stores import SCHEMA, SCHEMA_VERSION, PeeweeDataStore, SchemaVersionMismatch
from proauth2_wsgi.stores.migrations import MIGRATIONS, schema_at
from tests.conftest import FakeClock
from tests.databases import fresh_database, query, run_script

pytestmark = pytest.mark.backends

FIXTURES = Path(__file__).resolve().parent / "schema_v1"
ROOT = Path(__file__).resolve().parents[2]
#: what version 1 had, table by table (the dumps' columns)
V1 = schema_at(1)
#: processes that start on one database at the same moment
WORKERS = 8


class V1Database:
    """A database as schema version 1 left it, and the plain secrets of what it holds."""

    def __init__(self, url: str, secrets: dict[str, Any]) -> None:
        self.url = url
        self.secrets = secrets
        self.rows = {table: self.table_rows(table, list(V1[table].fields)) for table in V1}

    def table_rows(self, table: str, columns: list[str]) -> list[tuple[object, ...]]:
        """Every row of ``table`` (only ``columns``), raw, in key order."""
        key = V1[table].key
        return query(self.url, f"SELECT {', '.join(columns)} FROM proauth2_{table} ORDER BY {key}")

    def provider(self, **options: Any) -> Proauth2:
        settings = Settings(
            issuer="https://auth.example.com",
            scopes={"profile": "p", "email": "e"},
            default_scope="profile",
            clock=FakeClock(self.secrets["now"] + 30),  # the pending code lives 60 s
        )
        return Proauth2(PeeweeDataStore(self.url, **options), settings)


@pytest.fixture
def v1(backend: str, tmp_path: Path) -> Iterator[V1Database]:
    with fresh_database(backend, str(tmp_path)) as url:
        run_script(url, (FIXTURES / f"{backend}.sql").read_text(encoding="utf-8"))
        secrets = json.loads((FIXTURES / f"{backend}.json").read_text(encoding="utf-8"))
        yield V1Database(url, secrets)


def test_versions_count_from_one_without_gaps_and_build_the_schema() -> None:
    assert [migration.version for migration in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert SCHEMA_VERSION == MIGRATIONS[-1].version
    assert schema_at(SCHEMA_VERSION) == dict(SCHEMA)


def test_a_version_1_database_upgrades_with_every_row_intact(v1: V1Database) -> None:
    provider = v1.provider()
    assert provider.get_client(v1.secrets["clients"]["web"][0]) is not None  # the first use migrates
    assert provider.store.schema_version() == SCHEMA_VERSION
    for table, rows in v1.rows.items():
        assert rows, table
        assert v1.table_rows(table, list(V1[table].fields)) == rows, table
    assert {row[0] for row in v1.table_rows("clients", ["metadata"])} == {"{}"}
    versions = [row[0] for row in query(v1.url, "SELECT version FROM proauth2_schema_version ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))  # 1 from the old code, each later one once
    provider.store.dispose()


def test_every_credential_of_a_version_1_database_still_works(v1: V1Database) -> None:
    provider = v1.provider()
    secrets = v1.secrets
    web_id, web_secret = secrets["clients"]["web"]
    service_id, service_secret = secrets["clients"]["service"]
    native_id, _ = secrets["clients"]["native"]
    web = provider.authenticate_token(secrets["web_tokens"]["access_token"], "profile email")
    assert (web.client_id, web.user_id) == (web_id, "alice")
    assert provider.authenticate_token(secrets["native_tokens"]["access_token"]).user_id == "bob"
    assert provider.authenticate_token(secrets["service_token"]).client_id == service_id
    assert provider.introspect_token(secrets["revoked_token"]) == {"active": False}
    assert provider.authenticate_client(web_id, web_secret).client_id == web_id
    assert provider.authenticate_client(service_id, service_secret).client_id == service_id
    refreshed = provider.request_access_token(
        "refresh_token", web_id, web_secret, refresh_token=secrets["web_tokens"]["refresh_token"]
    )
    assert refreshed["scope"] == "email profile" and refreshed["refresh_token"]
    exchanged = provider.request_access_token(
        "authorization_code",
        web_id,
        web_secret,
        code=secrets["pending_code"],
        redirect_uri="https://client.example.com/callback",
        code_verifier=secrets["verifier"],
    )
    assert provider.authenticate_token(exchanged["access_token"]).user_id == "carol"
    native = provider.request_access_token(
        "refresh_token", native_id, refresh_token=secrets["native_tokens"]["refresh_token"], auth_method="none"
    )
    assert provider.authenticate_token(native["access_token"]).user_id == "bob"
    provider.store.dispose()


def test_identifiers_compare_exactly_after_the_upgrade(v1: V1Database, backend: str) -> None:
    """Version 1 on MySQL/MariaDB folded case; migration 2 makes ``ALICE`` and a swap-cased id find nothing."""
    web_id = v1.secrets["clients"]["web"][0]
    swapped = web_id.swapcase()
    folded_before = query(v1.url, "SELECT COUNT(*) FROM proauth2_clients WHERE client_id = %s", (swapped,))[0][0]
    assert folded_before == (1 if backend == "mysql" else 0)
    provider = v1.provider()
    assert provider.get_client(swapped) is None
    assert provider.get_client(web_id) is not None
    assert provider.revoke_user_tokens("ALICE") == 0
    assert provider.authenticate_token(v1.secrets["web_tokens"]["access_token"]).user_id == "alice"
    if backend == "mysql":
        collations = query(
            v1.url,
            "SELECT DISTINCT collation_name FROM information_schema.columns"
            " WHERE table_schema = DATABASE() AND table_name LIKE 'proauth2%%' AND collation_name IS NOT NULL",
        )
        assert collations == [("utf8mb4_nopad_bin",)]
    provider.store.dispose()


def test_without_auto_migration_an_old_schema_is_refused_naming_the_command(v1: V1Database) -> None:
    provider = v1.provider(auto_migrate=False)
    with pytest.raises(TemporarilyUnavailable) as raised:
        provider.authenticate_token(v1.secrets["service_token"])
    assert "version 1" in (raised.value.detail or "") and "proauth2 migrate" in (raised.value.detail or "")
    with pytest.raises(SchemaVersionMismatch):
        provider.store.fetch("clients", client_id="x")
    assert v1.table_rows("clients", ["client_id"]) == [(row[0],) for row in v1.rows["clients"]]  # nothing changed
    assert provider.store.migrate() == list(range(2, SCHEMA_VERSION + 1))
    assert provider.authenticate_token(v1.secrets["service_token"]).user_id is None
    provider.store.dispose()


def test_a_schema_newer_than_the_code_is_refused(v1: V1Database) -> None:
    first = v1.provider()
    first.store.migrate()
    first.store.dispose()
    run_script(v1.url, f"INSERT INTO proauth2_schema_version (version) VALUES ({SCHEMA_VERSION + 1});")
    later = v1.provider()
    with pytest.raises(SchemaVersionMismatch, match="upgrade proauth2"):
        later.store.fetch("clients", client_id="x")
    with pytest.raises(SchemaVersionMismatch, match="newer than this proauth2"):
        later.store.migrate()
    later.store.dispose()


_MIGRATE_AT_ONCE = """
import json, sys, time
from proauth2_wsgi.stores import PeeweeDataStore
store = PeeweeDataStore(sys.argv[1])
while time.time() < float(sys.argv[2]):
    time.sleep(0.001)
print(json.dumps(store.migrate()))
"""


def test_processes_starting_at_once_migrate_exactly_once(backend: str, tmp_path: Path) -> None:
    """Eight workers start on one empty database in the same millisecond: each migration runs once."""
    with fresh_database(backend, str(tmp_path)) as url:
        start = time.time() + 1.2  # every worker has imported proauth2 by then
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", _MIGRATE_AT_ONCE, url, str(start)],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(WORKERS)
        ]
        outputs = [worker.communicate(timeout=120) for worker in workers]
        assert [worker.returncode for worker in workers] == [0] * WORKERS, [err for _, err in outputs]
        applied = [version for out, _ in outputs for version in json.loads(out)]
        assert sorted(applied) == list(range(1, SCHEMA_VERSION + 1))  # one process applied each, none twice
        versions = [row[0] for row in query(url, "SELECT version FROM proauth2_schema_version ORDER BY version")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
