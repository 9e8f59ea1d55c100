"""PeeweeDataStore passes the reusable DataStore contract on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest

from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.testing import DataStoreContract

pytestmark = pytest.mark.backends


class TestPeeweeDataStoreContract(DataStoreContract):
    """The contract, run through the conftest ``store`` fixture on every backend."""

    @pytest.fixture
    def store(self, store: PeeweeDataStore) -> PeeweeDataStore:
        return store
