"""Running the numbered migrations on a peewee database, exactly once across processes.

Every migration not yet recorded in ``proauth2_schema_version`` is applied in
version order, each in a transaction where the backend allows, and recorded;
the whole run holds a cross-process lock, so any number of workers starting
at once on one database migrate it once:

- PostgreSQL: a session advisory lock (``pg_advisory_lock``), each migration
  in its own transaction (PostgreSQL's DDL is transactional);
- MySQL/MariaDB: a named lock (``GET_LOCK``); DDL commits implicitly there,
  so each step is idempotent and each migration is recorded as it ends;
- SQLite: one ``BEGIN IMMEDIATE`` transaction around the whole run (SQLite's
  DDL is transactional, and the write lock queues other writers).

Steps go through :mod:`playhouse.migrate` (``add_column``) or the models of
:mod:`.peewee_models` (``create_table``); binary collation on MySQL is
explicit DDL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import peewee

from .errors import SchemaVersionMismatch, StorageUnavailable
from .fields import Table
from .migrations import MIGRATIONS, AddField, CreateTable, ExactTextComparison, Migration, Step, schema_at, with_step
from .peewee_models import build_model, build_version_model, column, exact_collation, table_name

__all__ = ["LOCK_TIMEOUT", "applied_version", "migrate"]

#: seconds a process waits for another one's migration to finish
LOCK_TIMEOUT = 60
# pg_advisory_lock key: "proauth2" in ASCII
_PG_LOCK_KEY = 0x70726F6175746832

_LOG = logging.getLogger("proauth2.migrations")


def applied_version(database: peewee.Database) -> int:
    """The newest migration recorded in the database; 0 for a database without proauth2 tables."""
    version = build_version_model(database)
    if not version.table_exists():
        return 0
    value = version.select(peewee.fn.MAX(version.version)).scalar()
    return int(value) if value is not None else 0


def migrate(database: peewee.Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the migrations the database lacks; return the versions applied (none when up to date).

    The caller holds the connection (the store's ``_connection()``).
    """
    with _migration_lock(database):
        version_model = build_version_model(database)
        version_model.create_table(safe=True)
        current = applied_version(database)
        newest = migrations[-1].version
        if current > newest:
            raise SchemaVersionMismatch(current, newest)
        applied = []
        for migration in migrations:
            if migration.version <= current:
                continue
            before = schema_at(migration.version - 1, migrations)
            with _transaction(database):
                for step in migration.steps:
                    _apply(database, step, before)
                    before = with_step(before, step)
                version_model.create(version=migration.version)
            _LOG.info("applied migration %d: %s", migration.version, migration.description)
            applied.append(migration.version)
        return applied


@contextmanager
def _migration_lock(database: peewee.Database) -> Iterator[None]:
    if isinstance(database, peewee.SqliteDatabase):
        with database.atomic("IMMEDIATE"):
            yield
        return
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_lock(%s)", (_PG_LOCK_KEY,))
        try:
            yield
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (_PG_LOCK_KEY,))
        return
    name = f"proauth2:{database.database}"[:64]
    taken = database.execute_sql("SELECT GET_LOCK(%s, %s)", (name, LOCK_TIMEOUT)).fetchone()[0]
    if taken != 1:
        raise StorageUnavailable(f"another process held the migration lock {name!r} for over {LOCK_TIMEOUT} s")
    try:
        yield
    finally:
        database.execute_sql("SELECT RELEASE_LOCK(%s)", (name,))


def _transaction(database: peewee.Database) -> AbstractContextManager[Any]:
    # MySQL commits DDL implicitly: a transaction there would only pretend.
    return nullcontext() if isinstance(database, peewee.MySQLDatabase) else database.atomic()


def _apply(database: peewee.Database, step: Step, tables: dict[str, Table]) -> None:
    if isinstance(step, CreateTable):
        build_model(database, step.name, step.table, ddl=True).create_table(safe=True)
    elif isinstance(step, AddField):
        existing = {col.name for col in database.get_columns(table_name(step.table))}
        if step.name in existing:  # MySQL: a step half-done before a crash
            return
        # Loaded only to add a column: it imports playhouse's PostgreSQL extensions, and psycopg2 with them.
        from playhouse import migrate as playhouse_migrate

        migrator = playhouse_migrate.SchemaMigrator.from_database(database)
        playhouse_migrate.migrate(migrator.add_column(table_name(step.table), step.name, column(step.field, step.name)))
    elif isinstance(step, ExactTextComparison):
        if isinstance(database, peewee.MySQLDatabase):
            collation = exact_collation(database)
            for name in tables:
                database.execute_sql(
                    f"ALTER TABLE `{table_name(name)}` CONVERT TO CHARACTER SET utf8mb4 COLLATE {collation}"
                )
    else:  # pragma: no cover - Step is a closed union
        raise TypeError(f"unknown migration step {step!r}")
