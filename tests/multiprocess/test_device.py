"""The device flow (RFC 8628) across two processes: authorized at one, approved through the other, polled at either.

Device codes, decisions and ``slow_down`` intervals live in the shared database; each process remembers
only the previous poll it answered itself (README "Speed and workers"). Polls are spaced by moving both
clocks, never by sleeping.
"""

from __future__ import annotations

import pytest

from proauth2_wsgi import Proauth2
from tests.multiprocess.cluster import Cluster
from tests.multiprocess.flows import (
    RACERS,
    call_api,
    decide,
    device_authorization,
    device_client,
    issued,
    new_user,
    poll,
    race,
    refused,
)
from tests.multiprocess.server import NODE_HEADER

RFC = "8628"


@pytest.mark.rfc(RFC, "3.4")
@pytest.mark.rfc(RFC, "3.5")
def test_a_device_authorized_at_one_process_and_approved_through_the_other_gets_its_tokens_once(
    cluster: Cluster, admin: Proauth2
) -> None:
    a, b = cluster.nodes
    client, user = device_client(admin), new_user()
    codes = device_authorization(a, client)
    refused(poll(a, client, codes), "authorization_pending")

    shown = decide(b, user, codes["user_code"], None)
    assert shown.json() == {"client_id": client.client_id, "scopes": ["profile"]}, shown.text[:300]
    assert decide(b, user, codes["user_code"], "allow").status_code == 200
    cluster.shift(codes["interval"])
    tokens = issued(poll(a, client, codes))
    assert call_api(b, tokens["access_token"]).json()["user_id"] == user

    cluster.shift(codes["interval"])
    refused(poll(b, client, codes), "invalid_grant")  # redeemed once, whichever process is asked again
    assert call_api(a, tokens["access_token"]).status_code == 401  # and what the first redemption got is revoked
    assert decide(a, user, codes["user_code"], "allow").status_code == 400  # decided: no second approval


@pytest.mark.rfc(RFC, "3.5")
def test_slow_down_at_one_process_is_enforced_by_the_other_and_a_denial_reaches_both(
    cluster: Cluster, admin: Proauth2
) -> None:
    a, b = cluster.nodes
    client, user = device_client(admin), new_user()
    codes = device_authorization(b, client)
    interval = codes["interval"]
    refused(poll(a, client, codes), "authorization_pending")
    refused(poll(a, client, codes), "slow_down")  # too soon: the interval is now interval + 5, in the database

    cluster.shift(interval + 1)  # on time for the old interval, too soon for the new one
    refused(poll(b, client, codes), "slow_down")  # B never saw a poll: it knows A's slow_down from the database
    cluster.shift(interval + 5 + 5 + 1)  # the interval grew again, to interval + 10
    refused(poll(a, client, codes), "authorization_pending")

    assert decide(a, user, codes["user_code"], "deny").status_code == 200
    cluster.shift(interval + 10 + 1)
    refused(poll(b, client, codes), "access_denied")
    cluster.shift(interval + 10 + 1)
    refused(poll(a, client, codes), "access_denied")


@pytest.mark.rfc(RFC, "3.3")
def test_one_user_code_approved_through_both_processes_at_once_is_decided_once(
    cluster: Cluster, admin: Proauth2
) -> None:
    a, b = cluster.nodes
    client = device_client(admin)
    codes = device_authorization(a, client)
    users = {node.name: new_user() for node in cluster.nodes}
    answers = race(cluster.nodes, lambda node: decide(node, users[node.name], codes["user_code"], "allow"))

    assert sorted(answer.status_code for answer in answers) == [200] + [400] * (RACERS - 1), [
        (answer.status_code, answer.text[:100]) for answer in answers
    ]
    (winner,) = (answer.headers[NODE_HEADER] for answer in answers if answer.status_code == 200)
    tokens = issued(poll(b, client, codes))  # the first poll: nothing to slow down
    assert call_api(a, tokens["access_token"]).json()["user_id"] == users[winner]
