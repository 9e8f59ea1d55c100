"""Fixtures of the multi-process tests: a cluster of two server processes per backend, started once per run.

``cluster`` runs a test on PostgreSQL and on MariaDB; ``pg_cluster`` on PostgreSQL only (the behaviour it
proves does not depend on the database). Each backend gets a fresh database (dropped afterwards) and one
pair of processes for the whole run; every test registers its own clients and users, and leaves both
clocks right. ``admin`` is a provider in the test process on the same database with the same settings:
the operator registering clients. With ``PROAUTH2_MULTIPROCESS_STATS=<file>`` each cluster appends, at the
end of the run, a JSON line of the requests each of its processes answered.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.stores import PeeweeDataStore
from tests.databases import fresh_database
from tests.multiprocess.cluster import Cluster, running_cluster


class Clusters:
    """The clusters of this run, started on first use, one per backend."""

    def __init__(self, stack: ExitStack, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._stack = stack
        self._tmp = tmp_path_factory
        self._clusters: dict[str, tuple[Cluster, Proauth2]] = {}

    def get(self, backend: str) -> tuple[Cluster, Proauth2]:
        """The backend's cluster and the operator's provider on its database."""
        if backend not in self._clusters:
            directory = self._tmp.mktemp(f"cluster-{backend}")
            url = self._stack.enter_context(fresh_database(backend, str(directory)))
            store = PeeweeDataStore(url)
            store.migrate()  # before the processes start: they find the schema ready
            self._stack.callback(store.dispose)
            cluster = self._stack.enter_context(running_cluster(backend, url, directory))
            self._stack.callback(record_requests, cluster)
            self._clusters[backend] = (cluster, Proauth2(store, Settings.from_mapping(cluster.environ)))
        return self._clusters[backend]


def record_requests(cluster: Cluster) -> None:
    """Append the requests each node of ``cluster`` answered to ``$PROAUTH2_MULTIPROCESS_STATS``, if set."""
    target = os.environ.get("PROAUTH2_MULTIPROCESS_STATS")
    if target:
        line = {"backend": cluster.backend, **{node.name: node.requests for node in cluster.nodes}}
        with Path(target).open("a") as stats:
            stats.write(json.dumps(line) + "\n")


@pytest.fixture(scope="session")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clusters]:
    with ExitStack() as stack:
        yield Clusters(stack, tmp_path_factory)


@pytest.fixture(params=["postgresql", "mysql"])
def cluster(request: pytest.FixtureRequest, clusters: Clusters) -> Iterator[Cluster]:
    """Two server processes on one PostgreSQL (or MariaDB) database; their clocks right after the test."""
    started, _ = clusters.get(request.param)
    yield started
    started.reset_clocks()


@pytest.fixture
def pg_cluster(clusters: Clusters) -> Iterator[Cluster]:
    """Two server processes on one PostgreSQL database; their clocks right after the test."""
    started, _ = clusters.get("postgresql")
    yield started
    started.reset_clocks()


@pytest.fixture
def admin(request: pytest.FixtureRequest, clusters: Clusters) -> Proauth2:
    """The operator's provider on the database of the test's cluster (``cluster`` or ``pg_cluster``)."""
    name = "cluster" if "cluster" in request.fixturenames else "pg_cluster"
    started: Cluster = request.getfixturevalue(name)
    return clusters.get(started.backend)[1]
