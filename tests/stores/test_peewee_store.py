"""PeeweeDataStore specifics: URLs, the original parameters, outages, threads and forks."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import peewee
import pytest

from proauth2_wsgi import Proauth2, TemporarilyUnavailable
from proauth2_wsgi.stores import SCHEMA, SCHEMA_VERSION, PeeweeDataStore, StorageUnavailable
from proauth2_wsgi.testing.datastore_contract import token_record
from tests.databases import fresh_database

pytestmark = pytest.mark.backends


def test_default_is_a_sqlite_file_created_on_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = PeeweeDataStore()
    assert store.engine == "sqlite" and not (tmp_path / "proauth2.db").exists()  # nothing happens at start-up
    assert store.fetch("clients", client_id="x") is None
    assert (tmp_path / "proauth2.db").exists()
    assert store.schema_version() == SCHEMA_VERSION
    store.dispose()


def test_original_parameters_reach_the_same_database(database_url: str) -> None:
    """``PeeweeDataStore(database, host, port, user, pwd)`` as the original DataStore took them."""
    parts = urlsplit(database_url)
    by_url = PeeweeDataStore(database_url)
    by_url.store("access_tokens", **token_record(7))
    if parts.scheme == "sqlite":
        by_params = PeeweeDataStore(database_url.split(":///", 1)[1])
    else:
        by_params = PeeweeDataStore(
            parts.path.lstrip("/"), parts.hostname, parts.port, parts.username, parts.password, engine=parts.scheme
        )
    try:
        assert by_params.fetch("access_tokens", token_hash=f"{7:064x}") is not None
    finally:
        by_url.remove("access_tokens", token_hash=f"{7:064x}")
        by_url.close()
        by_params.close()


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgresql://postgres:hunter2-secret@127.0.0.1:1/db", id="postgresql"),
        pytest.param("mysql://root:hunter2-secret@127.0.0.1:1/db", id="mysql"),
    ],
)
def test_unreachable_database_is_a_storage_error_naming_the_host_not_the_password(url: str) -> None:
    """Nothing connects at start-up; the first operation fails with the operator's detail, never the password."""
    store = PeeweeDataStore(url, timeout=2)  # a process starts while its database is down
    with pytest.raises(StorageUnavailable) as raised:
        store.fetch("clients", client_id="x")
    error = raised.value
    assert "127.0.0.1:1" in error.detail and error.detail == str(error)
    assert "refused" in error.detail.lower()  # the driver's own words: the operator can tell the cases apart
    assert "hunter2" not in str(error) and "hunter2" not in repr(error)


def test_an_outage_after_start_is_503_not_an_invalid_token(tmp_path: Path) -> None:
    """An outage must never look like a bad token (a 401 would log users out)."""
    provider = Proauth2(PeeweeDataStore(f"sqlite:///{tmp_path}/gone.db"))
    assert provider.get_client("x") is None  # migrated and working
    provider.store._db.execute_sql("DROP TABLE proauth2_access_tokens")
    with pytest.raises(TemporarilyUnavailable) as raised:
        provider.authenticate_token("A" * 43)
    assert raised.value.status_code == 503 and raised.value.headers["Retry-After"] == "5"
    assert "no such table" in (raised.value.detail or "")


def test_the_first_failure_and_the_recovery_are_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = PeeweeDataStore(f"sqlite:///{tmp_path}/flaky.db")
    store.fetch("clients", client_id="x")
    store._db.execute_sql("ALTER TABLE proauth2_clients RENAME TO away")
    with caplog.at_level(logging.WARNING, logger="proauth2.storage"):
        for _ in range(3):
            with pytest.raises(StorageUnavailable):
                store.fetch("clients", client_id="x")
        store._db.execute_sql("ALTER TABLE away RENAME TO proauth2_clients")
        for _ in range(3):
            store.fetch("clients", client_id="x")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert "storage unavailable" in messages[0] and "no such table: proauth2_clients" in messages[0]
    assert "available again" in messages[1]


def test_the_query_log_records_the_cached_statements_while_it_is_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The hot paths skip peewee's query building, not its query log: the ``peewee`` logger at DEBUG."""
    store = PeeweeDataStore(f"sqlite:///{tmp_path}/logged.db")
    store.fetch("clients", client_id="x")  # migrated before the log is read
    key = token_record(1)["token_hash"]
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        store.store("access_tokens", **token_record(1))
        store.fetch_by_key("access_tokens", key)
        store.update("access_tokens", {"token_hash": key, "revoked": False}, {"revoked": True})
    logged = [record.msg for record in caplog.records if record.name == "peewee"]
    assert [sql.split(None, 1)[0] for sql, _ in logged] == ["INSERT", "SELECT", "UPDATE"]
    assert logged[1][1] == [key, 1]
    caplog.clear()
    store.fetch_by_key("access_tokens", key)  # the log off again: nothing recorded
    assert not [record for record in caplog.records if record.name == "peewee"]
    store.dispose()


def test_a_password_in_the_url_never_reaches_the_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A driver that quotes its connection string still shows no password (nor its URL-encoded form)."""
    store = PeeweeDataStore("postgresql://app:p%40ss%2Fword@127.0.0.1:1/db", timeout=1)

    def quoting(*_: object, **__: object) -> None:
        raise peewee.OperationalError('could not connect with dsn "user=app password=p@ss/word" (p%40ss%2Fword)')

    monkeypatch.setattr(store._db, "_connect", quoting)
    with pytest.raises(StorageUnavailable) as raised:
        store.fetch("clients", client_id="x")
    assert "p@ss/word" not in raised.value.detail and "p%40ss%2Fword" not in raised.value.detail
    assert "***" in raised.value.detail


def test_in_memory_sqlite_is_one_database_for_every_thread() -> None:
    store = PeeweeDataStore("sqlite:///:memory:")
    store.store("access_tokens", **token_record(1))

    def read(_: int) -> bool:
        return store.fetch("access_tokens", token_hash=f"{1:064x}") is not None

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(read, range(32)))


def test_every_lookup_key_is_indexed(store: PeeweeDataStore) -> None:
    for table_name, table in SCHEMA.items():
        model = store._models[table_name]
        indexed = {f.column_name for f in model._meta.sorted_fields if f.index or f.unique or f.primary_key}
        wanted = {name for name, field in table.fields.items() if field.indexed} | {table.key}
        assert wanted <= indexed, table_name
        columns = {i.columns[0] for i in store._db.get_indexes(model._meta.table_name)}
        assert {n for n, f in table.fields.items() if f.indexed} <= columns, table_name


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_opens_its_own_connections(store: PeeweeDataStore) -> None:
    """Forking servers: the child never reuses the parent's connection; both keep working."""
    store.store("access_tokens", **token_record(1))
    assert store.fetch("access_tokens", token_hash=f"{1:064x}") is not None  # parent has a connection now
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        try:
            ok = store.fetch("access_tokens", token_hash=f"{1:064x}") is not None
            store.store("access_tokens", **token_record(2))
            os._exit(0 if ok else 1)
        except BaseException:  # noqa: BLE001 - the child must never return into pytest
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.fetch("access_tokens", token_hash=f"{2:064x}") is not None
    errors = []

    def use(_: int) -> None:
        try:
            store.fetch("access_tokens", token_hash=f"{1:064x}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=use, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_unsupported_url_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL scheme"):
        PeeweeDataStore("oracle://scott:tiger@host/db")


def _pragma_synchronous(store: PeeweeDataStore) -> int:
    store.migrate()
    return int(store._db.execute_sql("PRAGMA synchronous").fetchone()[0])


def test_sqlite_syncs_at_checkpoints_by_default_and_every_commit_when_asked(tmp_path: Path) -> None:
    """WAL with synchronous=NORMAL (1) unless the URL or the keyword asks for FULL (2) or EXTRA (3)."""
    assert _pragma_synchronous(PeeweeDataStore(f"sqlite:///{tmp_path}/normal.db")) == 1
    assert _pragma_synchronous(PeeweeDataStore(f"sqlite:///{tmp_path}/full.db?synchronous=full")) == 2
    assert _pragma_synchronous(PeeweeDataStore(f"sqlite:///{tmp_path}/extra.db", synchronous="EXTRA")) == 3
    assert sorted(path.name for path in tmp_path.glob("*.db")) == ["extra.db", "full.db", "normal.db"]


@pytest.mark.parametrize(
    ("url", "keywords", "message"),
    [
        ("sqlite:///{tmp}/a.db?sync=full", {}, "unsupported sqlite URL option 'sync'"),
        ("sqlite:///{tmp}/a.db?synchronous=off", {}, "synchronous must be one of normal, full, extra"),
        ("sqlite:///{tmp}/a.db?synchronous=full", {"synchronous": "normal"}, "contradicts the URL"),
        ("postgresql://app@127.0.0.1/app?sslmod=require", {}, "unsupported postgresql URL option 'sslmod'"),
        ("postgresql://app@127.0.0.1/app", {"synchronous": "full"}, "SQLite only"),
        ("mysql://root@127.0.0.1/app?ssl=true", {}, "unsupported mysql URL option 'ssl'"),
    ],
)
def test_a_url_option_nothing_reads_is_refused_not_dropped(
    tmp_path: Path, url: str, keywords: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PeeweeDataStore(url.format(tmp=tmp_path), **keywords)
    assert not list(tmp_path.iterdir())


def test_a_postgresql_url_passes_its_libpq_options(tmp_path: Path) -> None:
    """``?application_name=...&sslmode=disable`` reaches the server's session (libpq connection parameters)."""
    with fresh_database("postgresql", str(tmp_path)) as url:
        store = PeeweeDataStore(f"{url}?application_name=proauth2-url-options&sslmode=disable")
        try:
            store.migrate()
            assert store._db.execute_sql("SHOW application_name").fetchone()[0] == "proauth2-url-options"
        finally:
            store.dispose()


def test_close_keeps_a_sqlite_threads_connection_open(tmp_path: Path) -> None:
    """close() at the end of a request never closes the SQLite connection: no reconnect, no PRAGMAs, no checkpoint."""
    store = PeeweeDataStore(f"sqlite:///{tmp_path}/kept.db")
    store.fetch("clients", client_id="x")
    connection = store._db.connection()
    for _ in range(5):
        store.close()
        store.fetch("clients", client_id="x")
    assert store._db.connection() is connection
    store.dispose()
    assert store._db.is_closed()


def test_close_keeps_pooled_connections_for_the_next_request(database_url: str) -> None:
    """Per-request close() hands the connection back; only dispose() closes the pool's idle ones."""
    store = PeeweeDataStore(database_url)
    if store.engine == "sqlite":
        pytest.skip("SQLite files keep one connection per thread, no pool (the test above)")
    try:
        for _ in range(20):
            store.fetch("access_tokens", token_hash="0" * 64)
            store.close()
        assert len(store._db._connections) == 1  # one connection served all 20 "requests"
        assert store._db.is_closed()  # and this thread holds none between them
    finally:
        store.dispose()
    assert store._db._connections == []


def test_a_relative_sqlite_path_is_resolved_once_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Each process resolves a relative path against its own working directory: say so, and pin it."""
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING, logger="proauth2.storage"):
        store = PeeweeDataStore("sqlite:///relative.db")
    assert store.location == str(tmp_path / "relative.db")
    [record] = caplog.records
    assert "relative" in record.getMessage() and str(tmp_path / "relative.db") in record.getMessage()
    monkeypatch.chdir("/")  # a later chdir (a daemonising server) changes nothing
    store.fetch("clients", client_id="x")
    assert (tmp_path / "relative.db").exists()
    store.dispose()
