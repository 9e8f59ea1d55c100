"""PeeweeDataStore: the DataStore contract on SQLite, PostgreSQL and MySQL/MariaDB.

- Built from a URL (``sqlite:///proauth2.db``, ``sqlite:///:memory:``,
  ``postgresql://user@host:5432/db``, ``mysql://user@host:3306/db``) or from
  the original ``(database, host, port, user, pwd)`` parameters.
- SQLite keeps one connection per thread (WAL journal, busy timeout, and
  ``BEGIN IMMEDIATE`` transactions so writers queue instead of failing);
  ``:memory:`` shares one connection behind a lock, since each connection
  would otherwise see its own empty database. PostgreSQL and MySQL use a
  connection pool and hand a connection back after every operation, so any
  number of threads share a bounded number of connections.
- After ``fork()`` a child never touches its parent's connections: it drops
  them (without closing the parent's sockets) and opens its own.
- Driver errors are translated once, here: a duplicate key to
  :class:`~proauth2_wsgi.errors.DuplicateKey`, everything else to
  :class:`~proauth2_wsgi.errors.StorageUnavailable` naming the host, never
  the password.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import peewee
from playhouse import pool

from ..errors import DuplicateKey, StorageUnavailable
from .base import DataStore, Record
from .schema import SCHEMA, SCHEMA_VERSION, Field

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

_ENGINES = ("sqlite", "postgresql", "mysql")
_SCHEME_ALIASES = {"sqlite": "sqlite", "postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}


# How each column's database value becomes a record value, per table (None: as it is).
@functools.lru_cache(maxsize=4096)
def _decode_list(text: str) -> tuple[str, ...]:
    # A few distinct scope lists cover nearly every row: decode each once.
    return tuple(json.loads(text))


def _list_from_db(text: str) -> list[str]:
    return list(_decode_list(text))


_CONVERTERS: dict[type, Callable[[Any], Any]] = {list: _list_from_db, bool: bool, int: int}
_FROM_DB = {
    name: {column: _CONVERTERS.get(field.type) for column, field in table.fields.items()}
    for name, table in SCHEMA.items()
}
# peewee's own query log
_QUERY_LOG = logging.getLogger("peewee")
# peewee's translation of any driver's exceptions into its own classes
_DRIVER_ERRORS_AS_PEEWEE = peewee.__exception_wrapper__  # type: ignore[attr-defined]
#: column names of each table, in the order ``SELECT *`` returns them
_COLUMNS = {name: tuple(table.fields) for name, table in SCHEMA.items()}
# An operation on a SQLite file needs no hold: each thread has its own connection.
_NO_HOLD = nullcontext()

# Connections dropped by a forked child: kept referenced so that garbage
# collection never closes a socket the parent still uses.
_ABANDONED: list[Any] = []


def _column(field: Field, name: str, is_key: bool) -> peewee.Field:
    options: dict[str, Any] = {"null": field.nullable, "index": field.indexed and not is_key, "column_name": name}
    if is_key:
        options["primary_key"] = True
    if field.type is bool:
        return peewee.BooleanField(**options)
    if field.type is int:
        return peewee.BigIntegerField(**options)
    if field.type is list or field.max_length > 255:
        return peewee.TextField(**options)
    return peewee.CharField(max_length=field.max_length, **options)


def _build_models(database: peewee.Database) -> dict[str, type[peewee.Model]]:
    models: dict[str, type[peewee.Model]] = {}
    for table_name, table in SCHEMA.items():
        attrs: dict[str, Any] = {name: _column(field, name, name == table.key) for name, field in table.fields.items()}
        # On SQLite a text-keyed table is stored by its key (WITHOUT ROWID): one B-tree
        # search per lookup instead of the key's index and then the rowid table.
        meta = {"database": database, "table_name": f"proauth2_{table_name}"}
        meta["without_rowid"] = isinstance(database, peewee.SqliteDatabase)
        attrs["Meta"] = type("Meta", (), meta)
        models[table_name] = type(f"Proauth2_{table_name}", (peewee.Model,), attrs)
    version_meta = type("Meta", (), {"database": database, "table_name": "proauth2_schema_version"})
    models["_version"] = type(
        "Proauth2SchemaVersion", (peewee.Model,), {"version": peewee.IntegerField(), "Meta": version_meta}
    )
    return models


class PeeweeDataStore(DataStore):
    """The DataStore contract on SQLite (default), PostgreSQL and MySQL/MariaDB, through peewee.

    ``PeeweeDataStore("postgresql://postgres@127.0.0.1:5432/proauth2")``, or
    the original form ``PeeweeDataStore("proauth2", "127.0.0.1", 5432,
    "postgres", "secret", engine="postgresql")``; with no host the database is
    a SQLite file. Tables are created on first use unless ``create=False``.
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
        create: bool = True,
    ) -> None:
        database = database or DEFAULT_URL
        if "://" in database:
            engine, database, host, port, user, pwd = _parse_url(database)
        engine = engine or ("sqlite" if host is None else "postgresql")
        if engine not in _ENGINES:
            raise ValueError(f"engine must be one of {', '.join(_ENGINES)}")
        self.engine = engine
        self.location = database if engine == "sqlite" else f"{host or 'localhost'}:{port or 'default port'}/{database}"
        self._memory = engine == "sqlite" and database in (":memory:", "")
        self._lock: threading.RLock | None = threading.RLock() if self._memory else None
        # Any: the fork hook reaches into peewee's (untyped) connection state and pool.
        self._db: Any = _open_database(engine, database, host, port, user, pwd, max_connections, timeout, self._memory)
        self._pooled = isinstance(self._db, pool.PooledDatabase)
        self._models: dict[str, Any] = _build_models(self._db)
        self._fetch_sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._insert_sql: dict[str, str] = {}
        self._pid = os.getpid()
        if hasattr(os, "register_at_fork"):
            ref = weakref.WeakMethod(self._after_fork)
            os.register_at_fork(after_in_child=lambda: (method := ref()) and method())
        if create:
            self.create_schema()

    def __repr__(self) -> str:
        return f"<PeeweeDataStore {self.engine} {self.location}>"

    # -- connections and transactions ----------------------------------------

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
        self._pid = os.getpid()

    def _connection(self) -> AbstractContextManager[Any]:
        """Hold a connection for one operation (a plain object, no generator: every query comes here)."""
        if self._lock is not None:
            return self._lock
        if self._pooled:
            return self._db.connection_context()
        return _NO_HOLD

    def _run(self, operation: Callable[[], T]) -> T:
        """Run one operation on a connection, translating driver errors."""
        try:
            with self._connection():
                return operation()
        except peewee.IntegrityError:
            raise DuplicateKey("a record with this key already exists") from None
        except (peewee.PeeweeException, pool.MaxConnectionsExceeded, OSError) as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: BaseException) -> StorageUnavailable:
        # The driver's message may quote connection parameters; name only the location.
        return StorageUnavailable(f"the {self.engine} database at {self.location} failed ({type(exc).__name__})")

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction on the calling thread's connection; nested blocks become savepoints."""
        lock_args = ("IMMEDIATE",) if self.engine == "sqlite" else ()
        try:
            with self._connection(), self._db.atomic(*lock_args):
                yield
        except peewee.IntegrityError:
            raise DuplicateKey("a record with this key already exists") from None
        except (peewee.PeeweeException, pool.MaxConnectionsExceeded, OSError) as exc:
            raise self._unavailable(exc) from None

    def create_schema(self) -> None:
        """Create missing tables and indexes, and record :data:`SCHEMA_VERSION` once."""

        def create() -> None:
            with self._db.atomic():
                self._db.create_tables(list(self._models.values()), safe=True)
                version = self._models["_version"]
                if not version.select().exists():
                    version.create(version=SCHEMA_VERSION)

        self._run(create)

    def schema_version(self) -> int | None:
        """The schema version recorded in the database."""

        def read() -> int | None:
            version = self._models["_version"]
            if not version.table_exists():
                return None
            row = version.select(peewee.fn.MAX(version.version)).scalar()
            return int(row) if row is not None else None

        return self._run(read)

    def drop_schema(self) -> None:
        """Drop every proauth2 table (tests and uninstall only)."""
        self._run(lambda: self._db.drop_tables(list(self._models.values()), safe=True))

    def close(self) -> None:
        """Release the calling thread's connection: back to the pool, or closed (SQLite file).

        Cheap enough for the end of every request: pooled connections stay
        open for the next one (:meth:`dispose` closes them).
        """
        try:
            if self._lock is None and not self._db.is_closed():
                self._db.close()
        except peewee.PeeweeException:
            pass

    def dispose(self) -> None:
        """Close the calling thread's connection and every idle pooled one (shutdown, tests)."""
        self.close()
        if self._pooled:
            try:
                self._db.close_idle()
            except peewee.PeeweeException:
                pass

    # -- the contract ---------------------------------------------------------

    def _fetch(self, table: str, where: Record) -> Record | None:
        # The hot path (every bearer token validation): a cached statement run
        # straight on the driver's cursor, peewee only translating errors.
        fields = tuple(where)
        sql = self._fetch_sql.get((table, fields))
        if sql is None:
            sql = self._select(table, where).limit(1).sql()[0]
            self._fetch_sql[(table, fields)] = sql
        params = [_to_db(SCHEMA[table].fields[name], value) for name, value in where.items()]
        params.append(1)  # the LIMIT
        columns = _COLUMNS[table]

        def fetch() -> Record | None:
            row = self._execute(sql, params, fetch=True)
            return None if row is None else self._from_db(table, dict(zip(columns, row, strict=True)))

        return self._run(fetch)

    def _execute(self, sql: str, params: list[Any], *, fetch: bool = False) -> Any:
        """Run a cached statement straight on the driver's cursor; peewee only translates errors.

        The hot paths (token lookup, token issue) skip peewee's query building.
        """
        _QUERY_LOG.debug((sql, params))  # the query log stays complete, as execute_sql keeps it
        with _DRIVER_ERRORS_AS_PEEWEE:
            cursor = self._db.connection().cursor()
            try:
                cursor.execute(sql, params)
                return cursor.fetchone() if fetch else None
            finally:
                cursor.close()

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
            sql = f"INSERT INTO {open_quote}proauth2_{table}{close_quote} ({columns}) VALUES ({placeholders})"  # noqa: S608
            self._insert_sql[table] = sql
        fields = SCHEMA[table].fields
        params = [_to_db(fields[name], record[name]) for name in _COLUMNS[table]]
        self._run(lambda: self._execute(sql, params))

    def _update(self, table: str, where: Record, values: Record) -> int:
        model = self._models[table]
        fields = SCHEMA[table].fields
        new = {getattr(model, name): _to_db(fields[name], value) for name, value in values.items()}
        query = model.update(new).where(*self._conditions(table, where))
        return self._run(lambda: int(query.execute()))

    def _remove(self, table: str, where: Record) -> int:
        model = self._models[table]
        query = model.delete().where(*self._conditions(table, where))
        return self._run(lambda: int(query.execute()))

    def _remove_expired(self, table: str, before: int, limit: int) -> int:
        model = self._models[table]
        key = getattr(model, SCHEMA[table].key)
        if self.engine == "mysql":  # MySQL refuses LIMIT inside IN (...) but has DELETE ... LIMIT
            # the table name comes from SCHEMA, never from outside
            sql = f"DELETE FROM {model._meta.table_name} WHERE expires_at < %s LIMIT %s"  # noqa: S608
            return self._run(lambda: int(self._db.execute_sql(sql, (before, limit)).rowcount))
        batch = model.select(key).where(model.expires_at < before).limit(limit)
        query = model.delete().where(key.in_(batch))
        return self._run(lambda: int(query.execute()))

    # -- helpers ----------------------------------------------------------------

    def _conditions(self, table: str, where: Record) -> list[peewee.Expression]:
        model = self._models[table]
        fields = SCHEMA[table].fields
        return [getattr(model, name) == _to_db(fields[name], value) for name, value in where.items()]

    def _select(self, table: str, where: Record) -> peewee.ModelSelect:
        query = self._models[table].select()
        conditions = self._conditions(table, where)
        return query.where(*conditions) if conditions else query

    @staticmethod
    def _from_db(table: str, row: dict[str, Any]) -> Record:
        converters = _FROM_DB[table]
        return {
            name: value if value is None or (convert := converters[name]) is None else convert(value)
            for name, value in row.items()
        }


def _to_db(field: Field, value: Any) -> Any:
    if field.type is list and value is not None:
        return json.dumps(list(value), separators=(",", ":"))
    return value


def _parse_url(url: str) -> tuple[str, str, str | None, int | None, str | None, str | None]:
    """Split a database URL into (engine, database, host, port, user, password)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    engine = _SCHEME_ALIASES.get(scheme)
    if engine is None:
        raise ValueError(f"unsupported database URL scheme {parts.scheme!r}; use sqlite, postgresql or mysql")
    if engine == "sqlite":
        path = url.split("://", 1)[1]
        path = path[1:] if path.startswith("/") else path
        return engine, path or ":memory:", None, None, None, None
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the database URL has an invalid port") from None
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return engine, parts.path.lstrip("/"), parts.hostname, port, user, password


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
) -> peewee.Database:
    if engine == "sqlite":
        if memory:
            return peewee.SqliteDatabase(
                ":memory:", thread_safe=False, check_same_thread=False, pragmas={"foreign_keys": 0}
            )
        return peewee.SqliteDatabase(
            database,
            timeout=timeout,
            pragmas={
                "journal_mode": "wal",
                "synchronous": "normal",
                "busy_timeout": timeout * 1000,
                "cache_size": -SQLITE_CACHE_KIB,
                "mmap_size": SQLITE_MMAP_BYTES,
            },
        )
    params: dict[str, Any] = {"host": host, "port": port, "user": user}
    if pwd is not None:
        params["password"] = pwd
    params = {k: v for k, v in params.items() if v is not None}
    common = {"max_connections": max_connections, "stale_timeout": DEFAULT_STALE_TIMEOUT, "timeout": timeout}
    if engine == "postgresql":
        return _PooledPostgresql(database, connect_timeout=timeout, **common, **params)
    return _PooledMySQL(database, connect_timeout=timeout, charset="utf8mb4", **common, **params)


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
