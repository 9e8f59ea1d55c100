"""Peewee models for the schema's tables: the one mapping of field types to columns.

Used by :class:`~proauth2_wsgi.stores.peewee_store.PeeweeDataStore` to build
its queries and by :mod:`~proauth2_wsgi.stores.peewee_migrate` to create
tables and add columns, so a migrated table and the store's view of it agree.
"""

from __future__ import annotations

import json
from typing import Any

import peewee

from .fields import Field, Table

#: prefix of every table name in the database
TABLE_PREFIX = "proauth2_"
#: MariaDB's binary collation without trailing-space padding: "alice " is not "alice"
MARIADB_EXACT_COLLATION = "utf8mb4_nopad_bin"
#: MySQL 8's binary collation, NO PAD too
MYSQL_EXACT_COLLATION = "utf8mb4_0900_bin"


def table_name(name: str) -> str:
    """The database name of the schema table ``name``."""
    return TABLE_PREFIX + name


def column(spec: Field, name: str, *, is_key: bool = False) -> peewee.Field:
    """The peewee column for one field."""
    options: dict[str, Any] = {"null": spec.nullable, "index": spec.indexed and not is_key, "column_name": name}
    if is_key:
        options["primary_key"] = True
    if spec.default is not None:  # the value existing rows get when a migration adds the column
        options["default"] = json.dumps(spec.default) if spec.type in (list, dict) else spec.default
    if spec.type is bool:
        return peewee.BooleanField(**options)
    if spec.type is int:
        return peewee.BigIntegerField(**options)
    if spec.type in (list, dict) or spec.max_length > 255:
        return peewee.TextField(**options)
    return peewee.CharField(max_length=spec.max_length, **options)


def exact_collation(database: peewee.Database) -> str:
    """The MySQL/MariaDB collation under which text compares byte for byte, trailing spaces included."""
    version = str(database.execute_sql("SELECT VERSION()").fetchone()[0])
    return MARIADB_EXACT_COLLATION if "mariadb" in version.lower() else MYSQL_EXACT_COLLATION


def build_model(database: peewee.Database, name: str, table: Table, *, ddl: bool = False) -> type[peewee.Model]:
    """A model for the schema table ``name`` on ``database``; ``ddl`` for one that creates the table."""
    attrs: dict[str, Any] = {
        field_name: column(spec, field_name, is_key=field_name == table.key)
        for field_name, spec in table.fields.items()
    }
    meta: dict[str, Any] = {"database": database, "table_name": table_name(name)}
    if isinstance(database, peewee.SqliteDatabase):
        # A text-keyed table stored by its key (WITHOUT ROWID): one B-tree search per lookup.
        meta["without_rowid"] = True
    elif ddl and isinstance(database, peewee.MySQLDatabase):
        meta["table_settings"] = ["DEFAULT CHARSET=utf8mb4", f"COLLATE={exact_collation(database)}"]
    attrs["Meta"] = type("Meta", (), meta)
    return type(f"Proauth2_{name}", (peewee.Model,), attrs)


def build_version_model(database: peewee.Database) -> Any:
    """The ``proauth2_schema_version`` table: one row per applied migration."""
    meta = type("Meta", (), {"database": database, "table_name": table_name("schema_version")})
    return type("Proauth2SchemaVersion", (peewee.Model,), {"version": peewee.IntegerField(), "Meta": meta})
