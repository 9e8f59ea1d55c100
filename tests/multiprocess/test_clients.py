"""Clients changed by the operator are seen by both processes at once: no process keeps a client of its own.

Each process reads a client's record from the shared database at every authentication (its ``private_key_jwt``
keys are imported once, again when the registered set changes), so a rotated secret, replaced keys or a deleted
client take effect everywhere with the next request (RFC 6749 §2.3, RFC 7523 §3), and a client assertion's
``jti`` is spent for both.
"""

from __future__ import annotations

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.testing.client_assertions import AssertionKey
from tests.multiprocess.cluster import TOKEN_URL, Cluster, Node
from tests.multiprocess.flows import (
    assertion_client,
    issued,
    refused,
    token,
)

GRANT = {"grant_type": "client_credentials"}


def with_assertion(node: Node, client: ClientCredentials, key: AssertionKey) -> int:
    """The status of a client_credentials request at ``node`` authenticated by a fresh assertion of ``key``."""
    return node.post("/oauth/token", data={**GRANT, **key.form(client.client_id, TOKEN_URL)}).status_code


@pytest.mark.rfc("7523", "3")
def test_a_client_assertion_used_at_one_process_is_refused_at_the_other(cluster: Cluster, admin: Proauth2) -> None:
    """RFC 7523 §3: the ``jti`` is spent in the shared database, whichever process saw it."""
    a, b = cluster.nodes
    client, key = assertion_client(admin)
    form = {**GRANT, **key.form(client.client_id, TOKEN_URL)}
    issued(a.post("/oauth/token", data=form))
    refused(b.post("/oauth/token", data=form), "invalid_client", 401)
    refused(a.post("/oauth/token", data=form), "invalid_client", 401)


@pytest.mark.rfc("7523", "3")
def test_keys_replaced_by_the_operator_count_at_both_processes_at_once(cluster: Cluster, admin: Proauth2) -> None:
    client, old = assertion_client(admin)
    for node in cluster.nodes:  # both import the registered key
        assert with_assertion(node, client, old) == 200
    new = AssertionKey("ES256")
    admin.update_client(client.client_id, metadata={"jwks": new.jwks})
    for node in cluster.nodes:
        assert with_assertion(node, client, new) == 200
        assert with_assertion(node, client, old) == 401


@pytest.mark.rfc("6749", "2.3.1")
def test_a_rotated_secret_and_a_deleted_client_count_at_both_processes_at_once(
    cluster: Cluster, admin: Proauth2
) -> None:
    old = admin.register_app("service", grant_types=["client_credentials"])
    for node in cluster.nodes:
        issued(token(node, old, GRANT))
    new = admin.rotate_client_secret(old.client_id)
    for node in cluster.nodes:
        refused(token(node, old, GRANT), "invalid_client", 401)
        issued(token(node, new, GRANT))
    assert admin.delete_client(old.client_id)
    for node in cluster.nodes:
        refused(token(node, new, GRANT), "invalid_client", 401)
