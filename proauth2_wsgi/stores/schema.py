"""The storage schema: the only tables and fields a DataStore ever sees.

:data:`SCHEMA` is what the numbered migrations (:mod:`.migrations`) build, so
it always matches the database a migrated store runs on. Every table and field
name that reaches a store comes from here, never from a request, and every
value is checked against its field's type and size before any store runs a
query (:class:`~proauth2_wsgi.stores.errors.SchemaViolation` otherwise).
Credentials are stored as SHA-256 digests (``*_hash`` fields).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .errors import SchemaViolation
from .fields import Field as Field
from .fields import Table as Table
from .fields import check_value
from .migrations import MIGRATIONS, schema_at

#: the schema version this code needs: the newest migration's
SCHEMA_VERSION: int = MIGRATIONS[-1].version

#: table name -> table, as every migration leaves them
SCHEMA: Mapping[str, Table] = schema_at(SCHEMA_VERSION)


def table_of(name: object) -> Table:
    """The table called ``name``, or :class:`SchemaViolation` for any other name."""
    table = SCHEMA.get(name) if isinstance(name, str) else None
    if table is None:
        raise SchemaViolation(f"unknown table {name!r}")
    return table


def check_fields(table_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check field names and values of a partial record (a where clause or an update)."""
    fields = table_of(table_name).fields
    checked = {}
    for name, value in values.items():
        spec = fields.get(name)
        if spec is None:
            raise SchemaViolation(f"unknown field {table_name}.{name}")
        checked[name] = check_value(name, spec, value)
    return checked


def check_record(table_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a whole record for :meth:`DataStore.store`: a field left out is its default, or None.

    A non-nullable field without a default must be given.
    """
    checked = check_fields(table_name, values)
    for name, spec in table_of(table_name).fields.items():
        if name not in checked:
            checked[name] = check_value(name, spec, copy.deepcopy(spec.default))
    return checked
