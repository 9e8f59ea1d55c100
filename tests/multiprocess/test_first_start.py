"""Two processes started at once on an empty database: one schema, and one key set both publish before either signs.

Neither process finds tables or keys: each migrates on its first request (under the store's cross-process
lock, README "Migrations") and makes the first signing keys on its first use of them. Both may make keys
at the same moment; every key either holds as ``current`` or ``next`` must then be in both JWK sets before
anything it signs leaves (RFC 7517 §5: a relying party fetches the set from whichever process its load
balancer picks).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.stores import SCHEMA_VERSION, PeeweeDataStore
from tests.databases import fresh_database
from tests.multiprocess.cluster import Cluster, running_cluster
from tests.multiprocess.flows import (
    kid_of,
    new_user,
    published,
    race,
    sign_in,
    web_client,
)


@pytest.fixture
def new_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A cluster on a new, empty PostgreSQL database (not even migrated)."""
    with fresh_database("postgresql", str(tmp_path)) as url, running_cluster("postgresql", url, tmp_path) as cluster:
        yield cluster


@pytest.mark.rfc("7517", "5")
def test_processes_starting_together_migrate_once_and_publish_every_first_key_before_signing(
    new_cluster: Cluster,
) -> None:
    answers = race(new_cluster.nodes, lambda node: node.get("/oauth/jwks"))  # the first requests, at once
    assert [answer.status_code for answer in answers] == [200] * len(answers), [a.text[:200] for a in answers]

    store = PeeweeDataStore(new_cluster.database_url, auto_migrate=False)  # refuses a schema not up to date
    try:
        assert store.schema_version() == SCHEMA_VERSION
        admin = Proauth2(store, Settings.from_mapping(new_cluster.environ))
        made = {record["kid"] for record in store.fetch_all("keys") if record["state"] in ("current", "next")}
        for node in new_cluster.nodes:  # whoever made them, and however many were made
            assert made <= published(node), f"{node.name} does not publish every first key"
        client, user = web_client(admin), new_user()
        for signer in new_cluster.nodes:
            kid = kid_of(sign_in(signer, client, user)["id_token"])
            assert kid in made and all(kid in published(node) for node in new_cluster.nodes)
    finally:
        store.dispose()
