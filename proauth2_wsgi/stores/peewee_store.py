"""PeeweeDataStore: the DataStore contract on SQLite, PostgreSQL and MySQL/MariaDB.

- Built from a URL (``sqlite:///proauth2.db``, ``sqlite:///:memory:``,
  ``postgresql://user@host:5432/db``, ``mysql://user@host:3306/db``) or from
  the original ``(database, host, port, user, pwd)`` parameters. A SQLite URL
  takes one option, ``?synchronous=full`` (every commit synced; the default
  ``normal`` in WAL may lose the last commits on power loss, never corrupts);
  a PostgreSQL URL passes its query to libpq (``?sslmode=verify-full``); an
  option nothing reads is refused, never silently dropped.
- Lazy: nothing connects until the first operation, so a process whose
  database is down at start-up still starts, and answers 503 until the
  database is back. The first operation checks the schema version once and,
  with ``auto_migrate`` (the default), applies the missing migrations
  (:mod:`.peewee_migrate`); without it, or on a database newer than this code,
  it refuses with :class:`~proauth2_wsgi.stores.errors.SchemaVersionMismatch`.
- SQLite keeps one connection per thread, open for the thread's life (WAL
  journal, busy timeout, ``BEGIN IMMEDIATE`` transactions so writers queue
  instead of failing); ``:memory:`` shares one connection behind a lock, since
  each connection would otherwise see its own empty database. PostgreSQL and
  MySQL use a connection pool and hand a connection back after every
  operation, so any number of threads share a bounded number of connections.
- After ``fork()`` a child never touches its parent's connections: it drops
  them (without closing the parent's sockets) and opens its own.
- Driver errors are translated once, here: a duplicate key to
  :class:`~proauth2_wsgi.stores.errors.DuplicateKey`, everything else to
  :class:`~proauth2_wsgi.stores.errors.StorageUnavailable` whose ``detail``
  names the database and quotes the driver, the password removed. The first
  failure after a success, and the recovery, are logged once at WARNING on
  the ``proauth2.storage`` logger.
"""

from __future__ import annotations

import functools
import json
import logging
import operator
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import peewee
from playhouse import pool

from ..forking import call_in_forked_child
from .base import DataStore, Record
from .errors import DuplicateKey, SchemaVersionMismatch, StorageUnavailable
from .fields import Field
from .peewee_migrate import applied_version
from .peewee_migrate import migrate as run_migrations
from .peewee_models import build_model, table_name
from .schema import SCHEMA, SCHEMA_VERSION

T = TypeVar("T")

#: KiB of page cache per SQLite connection: keeps the token index's inner pages in memory
SQLITE_CACHE_KIB = 32 * 1024
#: bytes of a SQLite file mapped into memory (reads skip a copy through the page cache)
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
#: default URL: a SQLite file in the working directory
DEFAULT_URL = "sqlite:///proauth2.db"
#: most pooled connections per process (PostgreSQL, MySQL)
DEFAULT_MAX_CONNECTIONS = 20
#: seconds an idle pooled connection is kept
DEFAULT_STALE_TIMEOUT = 300
#: seconds to wait for a free pooled connection, a lock, or a server to answer
DEFAULT_TIMEOUT = 10

#: SQLite ``synchronous`` settings a store accepts: ``off`` could corrupt the file on power loss
SQLITE_SYNCHRONOUS = ("normal", "full", "extra")

_ENGINES = ("sqlite", "postgresql", "mysql")
# The query options a URL may carry per engine: SQLite's durability, libpq's TLS and session parameters.
_URL_OPTIONS: dict[str, frozenset[str]] = {
    "sqlite": frozenset({"synchronous"}),
    "postgresql": frozenset(
        {"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "application_name", "target_session_attrs", "options"}
    ),
    "mysql": frozenset(),
}
_SCHEME_ALIASES = {"sqlite": "sqlite", "postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}
_LOG = logging.getLogger("proauth2.storage")


# How a column's database value becomes a record value: lists and objects are JSON text, booleans 0 or 1.
@functools.lru_cache(maxsize=4096)
def _decode_list(text: str) -> tuple[str, ...]:
    # A few distinct scope lists cover nearly every row: decode each once.
    return tuple(json.loads(text))


def _list_from_db(text: str) -> list[str]:
    return list(_decode_list(text))


def _dict_from_db(text: str) -> dict[str, Any]:
    # Most objects stored are empty (the claims request of nearly every token): those need no decoding.
    return {} if text == "{}" else dict(json.loads(text))


# Text and integers need none (every driver answers a BIGINT column with an int); SQLite and MySQL answer 0 or 1
# for a boolean.
_CONVERTERS: dict[type, Callable[[Any], Any]] = {list: _list_from_db, dict: _dict_from_db, bool: bool}
# Per table, the columns whose database value is not the record's, each with its converter.
_FROM_DB = {
    name: tuple((column, _CONVERTERS[spec.type]) for column, spec in table.fields.items() if spec.type in _CONVERTERS)
    for name, table in SCHEMA.items()
}
# peewee's own query log
_QUERY_LOG = logging.getLogger("peewee")
# What a cached statement answers (:meth:`PeeweeDataStore._execute`): its first row, or the rows it changed.
_FIRST_ROW: Callable[[Any], Any] = operator.methodcaller("fetchone")
_ROW_COUNT: Callable[[Any], int] = operator.attrgetter("rowcount")
# peewee's translation of any driver's exceptions into its own classes
_DRIVER_ERRORS_AS_PEEWEE = peewee.__exception_wrapper__  # type: ignore[attr-defined]
#: column names of each table, in schema order
_COLUMNS = {name: tuple(table.fields) for name, table in SCHEMA.items()}
# An operation on a SQLite file needs no hold: each thread has its own connection.
_NO_HOLD = nullcontext()
_WHITESPACE = re.compile(r"\s+")
# seconds between two tries of a new SQLite file's switch to WAL
_WAL_RETRY_SECONDS = 0.01

# Connections dropped by a forked child: kept referenced so that garbage
# collection never closes a socket the parent still uses.
_ABANDONED: list[Any] = []


class PeeweeDataStore(DataStore):
    """The DataStore contract on SQLite (default), PostgreSQL and MySQL/MariaDB, through peewee.

    ``PeeweeDataStore("postgresql://postgres@127.0.0.1:5432/proauth2")``, or
    the original form ``PeeweeDataStore("proauth2", "127.0.0.1", 5432,
    "postgres", "secret", engine="postgresql")``; with no host the database is
    a SQLite file. With ``auto_migrate=False`` the store never changes the
    schema itself: run ``proauth2 migrate`` (or :meth:`migrate`) at deploy time.
    ``log_outages=False`` leaves the first failure and the recovery unlogged
    (a command line that prints the error itself). ``synchronous="full"`` (or
    ``sqlite:///path.db?synchronous=full``) syncs every SQLite commit to disk;
    the default ``"normal"`` in WAL syncs at checkpoints only, so a power loss
    may lose the last commits, never the file's integrity.
    """

    def __init__(
        self,
        database: str | None = None,
        host: str | None = None,
        port: int | None = None,
        user: str | None = None,
        pwd: str | None = None,
        *,
        engine: str | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        timeout: int = DEFAULT_TIMEOUT,
        auto_migrate: bool = True,
        log_outages: bool = True,
        synchronous: str | None = None,
    ) -> None:
        database = database or DEFAULT_URL
        options: dict[str, str] = {}
        if "://" in database:
            engine, database, host, port, user, pwd, options = _parse_url(database)
        engine = engine or ("sqlite" if host is None else "postgresql")
        if engine not in _ENGINES:
            raise ValueError(f"engine must be one of {', '.join(_ENGINES)}")
        synchronous = _sqlite_synchronous(engine, synchronous, options.pop("synchronous", None))
        if engine == "sqlite" and database not in (":memory:", "") and not os.path.isabs(database):
            resolved = os.path.abspath(database)
            _LOG.warning(
                "the SQLite path %r is relative: it resolves to %s from the working directory; "
                "give an absolute path (sqlite:////path/proauth2.db) so every process opens the same file",
                database,
                resolved,
            )
            database = resolved
        self.engine = engine
        self.auto_migrate = auto_migrate
        self.location = database if engine == "sqlite" else f"{host or 'localhost'}:{port or 'default port'}/{database}"
        self._secrets = tuple({pwd, quote(pwd, safe="")} - {""}) if pwd else ()
        self._memory = engine == "sqlite" and database in (":memory:", "")
        self._lock: threading.RLock | None = threading.RLock() if self._memory else None
        # Any: the fork hook reaches into peewee's (untyped) connection state and pool.
        self._db: Any = _open_database(
            engine, database, host, port, user, pwd, max_connections, timeout, self._memory, synchronous, options
        )
        self._pooled = isinstance(self._db, pool.PooledDatabase)
        # Whether an operation holds something (the lock of :memory:, a pooled connection) or runs as it is.
        self._holds_connection = self._lock is not None or self._pooled
        self._models: dict[str, Any] = {name: build_model(self._db, name, table) for name, table in SCHEMA.items()}
        self._fetch_sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._key_sql: dict[str, str] = {}
        self._insert_sql: dict[str, str] = {}
        self._update_sql: dict[tuple[str, tuple[str, ...], tuple[tuple[str, bool], ...]], str] = {}
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._failing = False
        self._log_outages = log_outages
        self._pid = os.getpid()
        call_in_forked_child(self._after_fork)

    def __repr__(self) -> str:
        return f"<PeeweeDataStore {self.engine} {self.location}>"

    @property
    def reads_inline(self) -> bool:
        """A SQLite file in WAL mode, once its schema is checked: reads wait for no writer and no network.

        Before the first operation (which may migrate, under a lock) and on
        ``:memory:`` (one connection behind a lock) this is False, as it is
        for PostgreSQL and MySQL.
        """
        return self.engine == "sqlite" and not self._memory and self._schema_ready

    # -- connections, errors and transactions -----------------------------------

    def _after_fork(self) -> None:
        """In a forked child: forget the parent's connections without closing them."""
        db = self._db
        _ABANDONED.append(db._state)
        db._state = type(db._state)()
        if self._pooled:
            _ABANDONED.append((db._connections, db._in_use))
            db._connections, db._in_use = [], {}
            db._pool_lock = threading.RLock()
            db._pool_available = threading.Condition(db._pool_lock)
        if self._lock is not None:
            self._lock = threading.RLock()
        self._schema_lock = threading.Lock()
        self._pid = os.getpid()

    def _connection(self) -> AbstractContextManager[Any]:
        """Hold a connection for one operation (a plain object, no generator: every query comes here)."""
        if self._lock is not None:
            return self._lock
        if self._pooled:
            return self._db.connection_context()
        return _NO_HOLD

    def _run(self, operation: Callable[..., T], *args: Any) -> T:
        """Run one operation, ``operation(*args)``, on a connection, translating driver errors."""
        try:
            if not self._schema_ready:
                self._prepare_schema()
            if self._holds_connection:
                with self._connection():
                    result = operation(*args)
            else:  # a SQLite file: each thread has its own connection, nothing to hold
                result = operation(*args)
        except peewee.IntegrityError:
            raise DuplicateKey("a record with this key already exists") from None
        except (peewee.PeeweeException, pool.MaxConnectionsExceeded, OSError) as exc:
            raise self._unavailable(exc) from None
        if self._failing:
            self._recovered()
        return result

    def _unavailable(self, exc: BaseException) -> StorageUnavailable:
        """The outage, described for the operator: where, and the driver's own words without the password."""
        reason = _WHITESPACE.sub(" ", str(exc)).strip() or type(exc).__name__
        for secret in self._secrets:
            reason = reason.replace(secret, "***")
        error = StorageUnavailable(f"the {self.engine} database at {self.location} failed: {reason}")
        if not self._failing:
            self._failing = True
            if self._log_outages:
                _LOG.warning("storage unavailable: %s", error.detail)
        return error

    def _recovered(self) -> None:
        self._failing = False
        if self._log_outages:
            _LOG.warning("storage available again: the %s database at %s", self.engine, self.location)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction on the calling thread's connection; nested blocks become savepoints."""
        lock_args = ("IMMEDIATE",) if self.engine == "sqlite" else ()
        try:
            if not self._schema_ready:
                self._prepare_schema()
            with self._connection(), self._db.atomic(*lock_args):
                yield
        except peewee.IntegrityError:
            raise DuplicateKey("a record with this key already exists") from None
        except (peewee.PeeweeException, pool.MaxConnectionsExceeded, OSError) as exc:
            first = _first_failure(exc)
            if isinstance(first, StorageUnavailable):
                raise first from None
            raise self._unavailable(first) from None

    # -- schema -----------------------------------------------------------------

    def _prepare_schema(self) -> None:
        """Once per store: check the schema version, migrating when allowed."""
        with self._schema_lock, self._connection():
            if self._schema_ready:
                return
            found = applied_version(self._db)
            if found < SCHEMA_VERSION and self.auto_migrate:
                run_migrations(self._db)
            elif found != SCHEMA_VERSION:
                raise SchemaVersionMismatch(found, SCHEMA_VERSION)
            self._schema_ready = True

    def migrate(self) -> list[int]:
        """Apply the migrations the database lacks (under a cross-process lock); the versions applied."""
        try:
            with self._connection():
                applied = run_migrations(self._db)
        except (peewee.PeeweeException, pool.MaxConnectionsExceeded, OSError) as exc:
            raise self._unavailable(exc) from None
        self._schema_ready = True
        return applied

    def schema_version(self) -> int:
        """The newest migration recorded in the database; 0 for an empty database."""
        try:
            with self._connection():
                return applied_version(self._db)
        except (peewee.PeeweeException, pool.MaxConnectionsExceeded, OSError) as exc:
            raise self._unavailable(exc) from None

    def close(self) -> None:
        """Hand a pooled connection back to the pool; a SQLite thread keeps its connection open.

        Cheap enough for the end of every request: nothing is closed, so the
        next request reconnects to nothing (:meth:`dispose` closes).
        """
        if self._pooled and not self._db.is_closed() and not self._db.in_transaction():
            try:
                self._db.close()
            except peewee.PeeweeException:
                pass

    def dispose(self) -> None:
        """Close the calling thread's connection and every idle pooled one (shutdown, tests)."""
        try:
            if self._lock is None and not self._db.is_closed():
                self._db.close()
            if self._pooled:
                self._db.close_idle()
        except peewee.PeeweeException:
            pass

    # -- the contract ---------------------------------------------------------

    def _fetch(self, table: str, where: Record) -> Record | None:
        fields = tuple(where)
        sql = self._fetch_sql.get((table, fields))
        if sql is None:
            sql = self._fetch_sql[(table, fields)] = self._select(table, where).limit(1).sql()[0]
        specs = SCHEMA[table].fields
        params = [_to_db(specs[name], value) for name, value in where.items()]
        params.append(1)  # the LIMIT
        return self._fetch_first(table, sql, params)

    def _fetch_by_key(self, table: str, key: str) -> Record | None:
        # The hot path (every bearer token validation): the table's cached SELECT by key, the key bound as it is.
        sql = self._key_sql.get(table)
        if sql is None:
            sql = self._key_sql[table] = self._select(table, {SCHEMA[table].key: key}).limit(1).sql()[0]
        return self._fetch_first(table, sql, [key, 1])

    def _fetch_first(self, table: str, sql: str, params: list[Any]) -> Record | None:
        """The record of the first row a cached SELECT finds, run on the driver's cursor, decoded after."""
        row = self._run(self._execute, sql, params, _FIRST_ROW)
        # not strict: the statement selects exactly these columns
        return None if row is None else self._from_db(table, dict(zip(_COLUMNS[table], row, strict=False)))

    def _execute(self, sql: str, params: list[Any], answer: Callable[[Any], Any] | None = None) -> Any:
        """Run a cached statement straight on the driver's cursor; ``answer(cursor)``, or None without ``answer``.

        The hot paths (token lookup, token issue) skip peewee's query building;
        peewee only translates the driver's errors.
        The query log (the ``peewee`` logger at DEBUG) records them as
        ``execute_sql`` would, and costs one level check while it is off.
        """
        if _QUERY_LOG.isEnabledFor(logging.DEBUG):
            _QUERY_LOG.debug((sql, params))
        try:
            cursor = self._db.connection().cursor()
            try:
                cursor.execute(sql, params)
                return None if answer is None else answer(cursor)
            finally:
                cursor.close()
        except Exception:
            with _DRIVER_ERRORS_AS_PEEWEE:  # the driver's error raised again as peewee's, paid on failure only
                raise

    def _fetch_all(self, table: str, where: Record) -> list[Record]:
        model = self._models[table]
        query = self._select(table, where).order_by(getattr(model, SCHEMA[table].key))

        def fetch_all() -> list[Record]:
            rows: list[dict[str, Any]] = list(query.dicts())  # type: ignore[arg-type]
            return [self._from_db(table, row) for row in rows]

        return self._run(fetch_all)

    def _store(self, table: str, record: Record) -> None:
        # Every record is whole (the contract fills in nullable fields), so one
        # cached INSERT per table serves every call, run like _fetch's SELECT.
        sql = self._insert_sql.get(table)
        if sql is None:  # every name here comes from SCHEMA, never from outside
            open_quote, close_quote = self._db.quote
            columns = ", ".join(f"{open_quote}{name}{close_quote}" for name in _COLUMNS[table])
            placeholders = ", ".join([self._db.param] * len(_COLUMNS[table]))
            sql = f"INSERT INTO {open_quote}{table_name(table)}{close_quote} ({columns}) VALUES ({placeholders})"  # noqa: S608 - SCHEMA's names
            self._insert_sql[table] = sql
        specs = SCHEMA[table].fields
        params = [_to_db(specs[name], record[name]) for name in _COLUMNS[table]]
        self._run(self._execute, sql, params)

    def _update(self, table: str, where: Record, values: Record) -> int:
        # Every compare-and-set (a code, a refresh token, a device poll) comes here: one cached
        # statement per shape, run like _fetch's SELECT (peewee's query building cost more than the UPDATE).
        shape = (table, tuple(values), tuple((name, value is None) for name, value in where.items()))
        sql = self._update_sql.get(shape)
        if sql is None:  # every name here comes from SCHEMA, never from outside
            open_quote, close_quote = self._db.quote
            param = self._db.param
            sets = ", ".join(f"{open_quote}{name}{close_quote} = {param}" for name in values)
            conditions = " AND ".join(
                f"{open_quote}{name}{close_quote} " + ("IS NULL" if value is None else f"= {param}")
                for name, value in where.items()
            )
            sql = f"UPDATE {open_quote}{table_name(table)}{close_quote} SET {sets} WHERE {conditions}"  # noqa: S608 - SCHEMA's names
            self._update_sql[shape] = sql
        specs = SCHEMA[table].fields
        params = [_to_db(specs[name], value) for name, value in values.items()]
        params += [_to_db(specs[name], value) for name, value in where.items() if value is not None]
        return int(self._run(self._execute, sql, params, _ROW_COUNT))

    def _remove(self, table: str, where: Record) -> int:
        model = self._models[table]
        query = model.delete().where(*self._conditions(table, where))
        return self._run(lambda: int(query.execute()))

    def _remove_expired(self, table: str, before: int, limit: int) -> int:
        model = self._models[table]
        key = getattr(model, SCHEMA[table].key)
        if self.engine == "mysql":  # MySQL refuses LIMIT inside IN (...) but has DELETE ... LIMIT
            # the table name comes from SCHEMA, never from outside
            sql = f"DELETE FROM {model._meta.table_name} WHERE expires_at < %s LIMIT %s"  # noqa: S608 - SCHEMA's names
            return self._run(lambda: int(self._db.execute_sql(sql, (before, limit)).rowcount))
        batch = model.select(key).where(model.expires_at < before).limit(limit)
        query = model.delete().where(key.in_(batch))
        return self._run(lambda: int(query.execute()))

    # -- helpers ----------------------------------------------------------------

    def _conditions(self, table: str, where: Record) -> list[peewee.Expression]:
        model = self._models[table]
        specs = SCHEMA[table].fields
        return [getattr(model, name) == _to_db(specs[name], value) for name, value in where.items()]

    def _select(self, table: str, where: Record) -> peewee.ModelSelect:
        query = self._models[table].select()
        conditions = self._conditions(table, where)
        return query.where(*conditions) if conditions else query

    @staticmethod
    def _from_db(table: str, row: dict[str, Any]) -> Record:
        """``row`` (a table's columns by name, as the driver gave them) made a record, in place."""
        for name, convert in _FROM_DB[table]:
            value = row[name]
            if value is not None:
                row[name] = convert(value)
        return row


def _first_failure(exc: BaseException) -> BaseException:
    """What failed first, of the storage errors that led to ``exc``: the news for the operator.

    A ROLLBACK refused after a failed COMMIT or statement (SQLite rolls a
    transaction back by itself on a full disk, so its ROLLBACK finds "no
    transaction is active") raises while the first error is handled: that one
    is in the exception's context, behind the driver's own error (at most two
    hops per failure).
    """
    first, earlier = exc, exc.__context__
    for _ in range(4):
        if earlier is None:
            break
        if isinstance(earlier, (peewee.PeeweeException, StorageUnavailable)):
            first = earlier
        earlier = earlier.__context__
    return first


def _to_db(spec: Field, value: Any) -> Any:
    if value is not None and spec.type in (list, dict):
        return json.dumps(list(value) if spec.type is list else value, separators=(",", ":"), ensure_ascii=False)
    return value


def _parse_url(url: str) -> tuple[str, str, str | None, int | None, str | None, str | None, dict[str, str]]:
    """Split a database URL into (engine, database, host, port, user, password, options)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    engine = _SCHEME_ALIASES.get(scheme)
    if engine is None:
        raise ValueError(f"unsupported database URL scheme {parts.scheme!r}; use sqlite, postgresql or mysql")
    options = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
    unknown = sorted(set(options) - _URL_OPTIONS[engine])
    if unknown:
        known = ", ".join(sorted(_URL_OPTIONS[engine])) or "none"
        raise ValueError(f"unsupported {engine} URL option {unknown[0]!r} (supported: {known})")
    if engine == "sqlite":
        path = url.split("://", 1)[1].split("?", 1)[0]
        path = path[1:] if path.startswith("/") else path
        return engine, path or ":memory:", None, None, None, None, options
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the database URL has an invalid port") from None
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return engine, parts.path.lstrip("/"), parts.hostname, port, user, password, options


def _sqlite_synchronous(engine: str, given: str | None, in_url: str | None) -> str:
    """The ``synchronous`` setting of a SQLite store, from the keyword or the URL (``normal`` by default)."""
    if given is not None and in_url is not None and given.lower() != in_url.lower():
        raise ValueError(f"synchronous={given!r} contradicts the URL's synchronous={in_url!r}")
    chosen = (given if given is not None else in_url or "normal").lower()
    if engine != "sqlite" and given is not None:
        raise ValueError("synchronous applies to SQLite only: PostgreSQL and MySQL sync every commit")
    if chosen not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}, not {chosen!r}")
    return chosen


def _open_database(
    engine: str,
    database: str,
    host: str | None,
    port: int | None,
    user: str | None,
    pwd: str | None,
    max_connections: int,
    timeout: int,
    memory: bool,
    synchronous: str,
    options: dict[str, str],
) -> peewee.Database:
    if engine == "sqlite":
        if memory:
            return peewee.SqliteDatabase(
                ":memory:", thread_safe=False, check_same_thread=False, pragmas={"foreign_keys": 0}
            )
        return _SqliteFile(
            database,
            timeout=timeout,
            pragmas={
                "journal_mode": "wal",
                "synchronous": synchronous,
                "busy_timeout": timeout * 1000,
                "cache_size": -SQLITE_CACHE_KIB,
                "mmap_size": SQLITE_MMAP_BYTES,
            },
        )
    params: dict[str, Any] = {"host": host, "port": port, "user": user}
    if pwd is not None:
        params["password"] = pwd
    params = {k: v for k, v in params.items() if v is not None} | options
    common = {"max_connections": max_connections, "stale_timeout": DEFAULT_STALE_TIMEOUT, "timeout": timeout}
    if engine == "postgresql":
        return _PooledPostgresql(database, connect_timeout=timeout, **common, **params)
    return _PooledMySQL(database, connect_timeout=timeout, charset="utf8mb4", **common, **params)


class _SqliteFile(peewee.SqliteDatabase):
    """A SQLite file whose connections wait for the WAL switch instead of failing.

    Switching a new file to WAL takes an exclusive lock, and SQLite answers
    "database is locked" at once (no busy handler) to the other connections
    that try at the same moment: several workers starting together on a new
    file. The switch is retried until the connection's timeout.
    """

    def _set_pragmas(self, conn: Any) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                super()._set_pragmas(conn)  # type: ignore[misc]
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(_WAL_RETRY_SECONDS)


class _PooledPostgresql(pool.PooledPostgresqlDatabase):
    """A pool that checks a connection's local state on check-out, not with a round trip.

    peewee pings every connection it hands out, doubling the cost of a
    one-query operation. A connection the server dropped is instead found by
    its first query, which fails (503) and marks it closed, so the pool
    discards it; idle connections are retired after ``DEFAULT_STALE_TIMEOUT``.
    """

    def _is_closed(self, conn: Any) -> bool:
        return bool(conn.closed)


class _PooledMySQL(pool.PooledMySQLDatabase):
    """As :class:`_PooledPostgresql`: no ping per check-out, the driver's own state instead."""

    def _is_closed(self, conn: Any) -> bool:
        return not conn.open
