"""Fixtures that compose: database_url -> store -> clock -> settings -> provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.stores import SCHEMA, PeeweeDataStore
from tests.databases import BACKENDS, fresh_database


class FakeClock:
    """A clock tests move by hand, so nothing ever sleeps."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One freshly created database per backend for the whole run, dropped at the end."""
    with fresh_database(request.param, str(tmp_path_factory.mktemp(request.param))) as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[PeeweeDataStore]:
    """A PeeweeDataStore on the backend's database, emptied after each test."""
    store = PeeweeDataStore(database_url)
    yield store
    for table in SCHEMA:
        store._run(lambda table=table: store._models[table].delete().execute())
    store.dispose()


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
