"""The DataStore contract.

It keeps the original proauth2 interface — ``__init__(database, host, port,
user, pwd)``, ``fetch(table, **kw)``, ``store(table, **kw)``,
``remove(table, **kw)`` — and adds what exactly-once semantics need:

- ``update(table, where, values)`` is an atomic compare-and-set returning the
  number of rows it changed, so "consume this code if unused" is one statement;
- ``remove`` returns the number of rows removed;
- ``atomic()`` is a transaction, so issuing tokens is all-or-nothing;
- ``migrate()`` applies the numbered migrations (:mod:`.migrations`) once,
  however many processes start at the same moment.

The public methods check every table, field and value against
:mod:`~proauth2_wsgi.stores.schema` and then call the ``_``-prefixed
methods an implementation provides; no name from outside reaches SQL, and
bad values raise :class:`~proauth2_wsgi.stores.errors.SchemaViolation` before
any query runs. An implementation translates its driver's errors: a duplicate
key to :class:`~proauth2_wsgi.stores.errors.DuplicateKey`, anything else to
:class:`~proauth2_wsgi.stores.errors.StorageUnavailable`. Text compares
exactly (``ALICE`` never finds ``alice``) on every backend.

``proauth2_wsgi.testing.DataStoreContract`` is the test suite that proves
an implementation right.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from .errors import SchemaViolation
from .fields import check_text
from .schema import check_fields, check_record, table_of

Record = dict[str, Any]


class DataStore(abc.ABC):
    """Storage for clients, codes and tokens: subclass and implement the ``_`` methods.

    By convention a store connects in ``__init__(database, host, port, user,
    pwd)``, the original proauth2 signature.
    """

    @property
    def reads_inline(self) -> bool:
        """True when a read answers without network I/O or lock waits: an event loop may call it directly.

        False by default. A local store says so (SQLite in WAL mode, where
        readers never wait for writers), and the ASGI middleware then
        validates tokens on the loop instead of paying a thread hand-off.
        """
        return False

    # -- the contract, checked ------------------------------------------------

    def fetch(self, table: str, **where: Any) -> Record | None:
        """The one record whose fields equal ``where``, or None."""
        return self._fetch(table, self._where(table, where, allow_empty=False))

    def fetch_by_key(self, table: str, key: str) -> Record | None:
        """The record of ``table`` whose key is ``key``, or None: a lookup whose names the caller chose.

        :meth:`fetch` checks every field name, since a caller may take them
        from outside; this one names the table's own key field, so only
        ``table`` and the text of ``key`` are checked. The library's lookups
        by a digest it computed come here (every bearer token validation).
        """
        layout = table_of(table)
        check_text(layout.key, key, layout.fields[layout.key].max_length)
        return self._fetch_by_key(table, key)

    def fetch_all(self, table: str, **where: Any) -> list[Record]:
        """Every record whose fields equal ``where`` (every record when empty), ordered by key."""
        return self._fetch_all(table, self._where(table, where, allow_empty=True))

    def store(self, table: str, **values: Any) -> None:
        """Insert a whole record; raises :class:`DuplicateKey` when its key exists."""
        self._store(table, check_record(table, values))

    def update(self, table: str, where: Mapping[str, Any], values: Mapping[str, Any]) -> int:
        """Atomically set ``values`` on the records matching ``where``; returns rows changed.

        ``where`` should name the old value of what ``values`` changes (for
        example ``used=False`` when setting ``used=True``): two concurrent
        calls then change the row once between them.
        """
        where = self._where(table, where, allow_empty=False)
        values = check_fields(table, values)
        if not values:
            raise SchemaViolation("nothing to update")
        if table_of(table).key in values:
            raise SchemaViolation("a key cannot be updated")
        return self._update(table, where, values)

    def remove(self, table: str, **where: Any) -> int:
        """Delete the records whose fields equal ``where``; returns rows removed."""
        return self._remove(table, self._where(table, where, allow_empty=False))

    def remove_expired(self, table: str, before: int, limit: int) -> int:
        """Delete at most ``limit`` records whose ``expires_at`` is before ``before``."""
        if "expires_at" not in table_of(table).fields:
            raise SchemaViolation(f"table {table!r} has no expiry")
        check_fields(table, {"expires_at": before})
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise SchemaViolation("limit must be a positive integer")
        return self._remove_expired(table, before, limit)

    def create_schema(self) -> None:
        """Bring the database to the newest schema (idempotent): :meth:`migrate`."""
        self.migrate()

    @staticmethod
    def _where(table: str, where: Mapping[str, Any], *, allow_empty: bool) -> Record:
        checked = check_fields(table, where)
        if not checked and not allow_empty:
            raise SchemaViolation("a condition is required")
        return checked

    # -- what an implementation provides ------------------------------------

    @abc.abstractmethod
    def atomic(self) -> AbstractContextManager[Any]:
        """A transaction: everything inside commits together or not at all. May nest."""

    @abc.abstractmethod
    def migrate(self) -> list[int]:
        """Apply the migrations the database lacks, under a cross-process lock; the versions applied.

        Raises :class:`~proauth2_wsgi.stores.errors.SchemaVersionMismatch`
        when the database is newer than this code.
        """

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The schema version recorded in the database; 0 before any migration."""

    @abc.abstractmethod
    def close(self) -> None:
        """Hand the calling thread's connection back; called at the end of every request.

        Must stay cheap and keep connections open for the next request.
        """

    def dispose(self) -> None:
        """Close every connection the store holds (process shutdown); by default :meth:`close`."""
        self.close()

    @abc.abstractmethod
    def _fetch(self, table: str, where: Record) -> Record | None: ...

    def _fetch_by_key(self, table: str, key: str) -> Record | None:
        """:meth:`fetch_by_key`, checked: by default :meth:`_fetch` on the key field; a store may do it faster."""
        return self._fetch(table, {table_of(table).key: key})

    @abc.abstractmethod
    def _fetch_all(self, table: str, where: Record) -> list[Record]: ...

    @abc.abstractmethod
    def _store(self, table: str, record: Record) -> None: ...

    @abc.abstractmethod
    def _update(self, table: str, where: Record, values: Record) -> int: ...

    @abc.abstractmethod
    def _remove(self, table: str, where: Record) -> int: ...

    @abc.abstractmethod
    def _remove_expired(self, table: str, before: int, limit: int) -> int: ...
