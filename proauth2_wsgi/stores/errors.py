"""The errors of the storage layer: what a DataStore raises, and nothing HTTP.

- :class:`SchemaViolation` — a table, field or value outside the schema. It
  means a bug in the caller (the provider validates everything that comes
  from a request first), so it is a ``ValueError``, never an OAuth error.
- :class:`DuplicateKey` — an insert whose key exists.
- :class:`StorageUnavailable` — the database cannot be reached or failed;
  ``detail`` says where and why, for the operator.
- :class:`SchemaVersionMismatch` — the database's schema is older (with
  auto-migration off) or newer than this code; the message names the command
  to run.

The provider translates them once, at its boundary (:mod:`proauth2_wsgi.records`):
an outage becomes :class:`~proauth2_wsgi.errors.TemporarilyUnavailable` (503).
"""

from __future__ import annotations

__all__ = ["DuplicateKey", "SchemaVersionMismatch", "SchemaViolation", "StorageError", "StorageUnavailable"]


class StorageError(Exception):
    """Base of every error a DataStore raises."""


class SchemaViolation(StorageError, ValueError):
    """A table, field or value the schema does not allow (a programming error)."""


class DuplicateKey(StorageError):
    """A record with this key already exists."""


class StorageUnavailable(StorageError):
    """The database cannot be reached or failed.

    ``detail`` (also ``str(error)``) names the database's location and the
    driver's reason, with any password removed: it is for logs and the
    operator, never for HTTP clients.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class SchemaVersionMismatch(StorageUnavailable):
    """The database's schema version is not the one this code needs.

    ``found`` is the database's version (0 for an empty database), ``needed``
    this code's. Older with auto-migration off: run ``proauth2 migrate``;
    newer: this code is older than the database, upgrade it.
    """

    def __init__(self, found: int, needed: int) -> None:
        if found < needed:
            detail = (
                f"the database schema is at version {found}, this proauth2 needs version {needed}: "
                "run `proauth2 migrate` (or `flask proauth2 migrate`), or open the store with auto-migration on"
            )
        else:
            detail = (
                f"the database schema is at version {found}, newer than this proauth2 knows ({needed}): "
                "upgrade proauth2 on this machine"
            )
        super().__init__(detail)
        self.found = found
        self.needed = needed
