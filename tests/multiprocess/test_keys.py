"""Signing keys rotated through one process are published and verified by the other (RFC 7517 §5, OIDC Core §10.1.1).

A rotation promotes the key every JWK set already published as ``next``, so what the rotating process signs
next verifies at once everywhere, and what the old key signed keeps verifying while it is retired
(README "Signing keys"). Each process re-reads the keys within ``KEY_CACHE_SECONDS``, or at once for a
token naming a key it does not hold: two rotations in a row (a new key signing that the other process
never cached) are verified too, and a third by ``proauth2 keys rotate``, of which neither process hears.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.validators import JWTValidator
from tests.multiprocess.cluster import ISSUER, Cluster, process_environment
from tests.multiprocess.flows import (
    kid_of,
    new_user,
    published,
    sign_in,
    web_client,
)
from tests.multiprocess.server import RESOURCE


def verified_everywhere(cluster: Cluster, client: ClientCredentials, user: str, tokens: dict[str, Any]) -> None:
    """Both processes take the ID token as theirs; a resource server with either one's key set takes the JWT."""
    for node in cluster.nodes:
        hint = {"id_token_hint": tokens["id_token"], "client_id": client.client_id}
        assert node.post("/logout", data=hint).json() == {"verified": True, "subject": user}
        remote = JWTValidator(issuer=ISSUER, audience=RESOURCE, jwks_uri=node.url + "/oauth/jwks")
        assert remote.validate_token(tokens["access_token"]).user_id == user


@pytest.mark.rfc("7517", "5")
def test_keys_rotated_through_one_process_or_the_command_line_sign_at_once_and_verify_at_the_other(
    pg_cluster: Cluster, admin: Proauth2
) -> None:
    a, b = pg_cluster.nodes
    client, user = web_client(admin), new_user()
    before = sign_in(a, client, user)
    old_kid = kid_of(before["id_token"])
    seen_by_b = published(b)
    assert old_kid in seen_by_b and kid_of(before["access_token"]) in seen_by_b

    rotated = {key["state"]: key["kid"] for key in a.post("/ops/rotate-keys").json() if key["alg"] == "RS256"}
    assert rotated["retired"] == old_kid
    assert rotated["current"] in seen_by_b  # published before it signs: every cached JWK set has it
    after = sign_in(a, client, user)
    assert kid_of(after["id_token"]) == kid_of(after["access_token"]) == rotated["current"]
    for tokens in (after, before):  # the new key's tokens, and the old one's during its grace period
        verified_everywhere(pg_cluster, client, user, tokens)
    assert {old_kid, rotated["current"]} <= published(b)
    assert {old_kid, rotated["current"], rotated["next"]} <= published(a)

    again = {key["state"]: key["kid"] for key in a.post("/ops/rotate-keys").json() if key["alg"] == "RS256"}
    assert again["current"] == rotated["next"]
    latest = sign_in(a, client, user)  # signed by a key B may never have read: it reads the keys again
    assert kid_of(latest["id_token"]) == again["current"]
    for tokens in (latest, after, before):
        verified_everywhere(pg_cluster, client, user, tokens)
    assert {old_kid, rotated["current"], again["current"]} <= published(b)
    b_signs = sign_in(b, client, user)  # B signs with a key A publishes, whichever B holds as current
    assert kid_of(b_signs["id_token"]) in published(a)
    verified_everywhere(pg_cluster, client, user, b_signs)
    rotated_from_the_command_line(pg_cluster, client, user)  # a third rotation, by the operator this time


def operator(cluster: Cluster, *argv: str) -> list[dict[str, Any]]:
    """``proauth2 ARGV --json`` run by the operator: a process of its own, with the deployment's environment."""
    done = subprocess.run(
        [sys.executable, "-m", "proauth2_wsgi", *argv, "--json"],
        env=process_environment(cluster.environ),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return list(json.loads(done.stdout))


def rotated_from_the_command_line(cluster: Cluster, client: ClientCredentials, user: str) -> None:
    """``proauth2 keys rotate`` changes the database only; each process reads it within ``KEY_CACHE_SECONDS``,
    signing meanwhile with a key that stays published, so every token of either verifies at both."""
    before = {node.name: sign_in(node, client, user) for node in cluster.nodes}
    rotated = {key["kid"]: key["state"] for key in operator(cluster, "keys", "rotate")}
    for tokens in before.values():
        assert rotated[kid_of(tokens["id_token"])] == "retired"  # what signed before is retired, still published
    for node in cluster.nodes:
        after = sign_in(node, client, user)
        assert rotated[kid_of(after["id_token"])] in ("current", "retired")
        for tokens in (after, *before.values()):
            verified_everywhere(cluster, client, user, tokens)
    assert {kid for kid, state in rotated.items() if state == "current"} <= published(cluster.a)
