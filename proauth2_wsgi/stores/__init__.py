"""Storage: the DataStore contract, its schema, and the Peewee implementation."""

from .base import DataStore as DataStore
from .peewee_store import PeeweeDataStore as PeeweeDataStore
from .schema import SCHEMA as SCHEMA
from .schema import SCHEMA_VERSION as SCHEMA_VERSION
