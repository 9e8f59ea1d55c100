"""Test support for people extending proauth2.

``DataStoreContract`` is the test suite any DataStore implementation runs to
prove itself correct: subclass it in a test module and provide a ``store``
fixture that yields a fresh, empty store::

    import pytest
    from proauth2_wsgi.testing import DataStoreContract

    class TestMyStore(DataStoreContract):
        @pytest.fixture
        def store(self):
            store = MyStore(...)
            yield store
            store.drop_everything()
"""

from .datastore_contract import DataStoreContract as DataStoreContract
