"""Fixtures that compose: backend -> database_url -> store -> clock -> settings -> provider.

One database and one store per backend serve the whole run; each test gets the
store emptied afterwards. Tests run on SQLite only, unless their module is
marked ``backends`` (``pytestmark = pytest.mark.backends``): the tests that
prove storage behaviour run on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.stores import SCHEMA, PeeweeDataStore
from tests.databases import BACKENDS, fresh_database

# every log record of the run checked for the secrets the run made (tests/log_capture.py)
pytest_plugins = ["tests.log_capture"]


class FakeClock:
    """A clock tests move by hand, so nothing ever sleeps."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``backend`` for the tests that reach storage: every backend where marked ``backends``."""
    if "backend" in metafunc.fixturenames:
        backends = BACKENDS if metafunc.definition.get_closest_marker("backends") else ("sqlite",)
        metafunc.parametrize("backend", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of the test: ``sqlite``, ``postgresql`` or ``mysql``."""
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One freshly created database per backend for the whole run, dropped at the end."""
    with fresh_database(backend, str(tmp_path_factory.mktemp(backend))) as url:
        yield url


@pytest.fixture(scope="session")
def session_store(database_url: str) -> Iterator[PeeweeDataStore]:
    """The one store of a backend for the whole run, migrated once."""
    store = PeeweeDataStore(database_url)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture
def store(session_store: PeeweeDataStore) -> Iterator[PeeweeDataStore]:
    """The backend's store, emptied after each test."""
    yield session_store
    empty(session_store)


def empty(store: PeeweeDataStore) -> None:
    """Delete every row of every proauth2 table."""
    for table in SCHEMA:
        store._run(lambda table=table: store._models[table].delete().execute())
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(clock: FakeClock) -> Settings:
    return Settings(
        issuer="https://auth.example.com",
        scopes={"profile": "Read your profile", "email": "Read your email", "admin": "Administer"},
        default_scope="profile",
        clock=clock,
    )


@pytest.fixture
def provider(store: PeeweeDataStore, settings: Settings) -> Proauth2:
    return Proauth2(store, settings)
