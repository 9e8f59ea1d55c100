"""Storage: the DataStore contract, its schema and migrations, its errors, and the Peewee implementation.

``PeeweeDataStore`` is imported on first use, so the contract and the errors
load without peewee; peewee then loads without the drivers of databases the
process does not open (:mod:`.peewee_drivers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import DataStore as DataStore
from .errors import DuplicateKey as DuplicateKey
from .errors import SchemaVersionMismatch as SchemaVersionMismatch
from .errors import SchemaViolation as SchemaViolation
from .errors import StorageError as StorageError
from .errors import StorageUnavailable as StorageUnavailable
from .peewee_drivers import hold_back_drivers
from .schema import SCHEMA as SCHEMA
from .schema import SCHEMA_VERSION as SCHEMA_VERSION

hold_back_drivers()

if TYPE_CHECKING:
    from .peewee_store import PeeweeDataStore as PeeweeDataStore


def __getattr__(name: str) -> Any:
    if name == "PeeweeDataStore":
        from .peewee_store import PeeweeDataStore

        return PeeweeDataStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
