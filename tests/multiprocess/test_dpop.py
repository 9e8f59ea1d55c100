"""DPoP (RFC 9449) across two server processes: one memory of spent proofs, one family of nonces.

Spent proofs live in the shared database (``dpop_proofs``), so a proof replayed at the other process is
refused (§11.1); nonces are an HMAC of the time under the shared ``dpop_nonce_secret``, so a nonce one
process gives is accepted by the other (§8, §9). Token-endpoint proofs name the deployment's public token
URL (the issuer's), resource proofs the resource's public URL: the same for both processes, as behind a
load balancer.
"""

from __future__ import annotations

import pytest
import requests

from proauth2_wsgi import Proauth2
from proauth2_wsgi.dpop import DPoPKey
from tests.multiprocess.cluster import ISSUER, TOKEN_URL, Cluster, Node
from tests.multiprocess.flows import (
    RACERS,
    REDIRECT_URI,
    Authorized,
    authorize,
    decide,
    device_client,
    dpop_client,
    introspect,
    issued,
    login,
    new_user,
    nonce_from,
    poll_form,
    pushed_request,
    race,
    redeem,
    redirect_query,
    refused,
    resource_server,
    token,
    token_request,
    web_client,
)
from tests.multiprocess.server import RESOURCE

RFC = "9449"
#: the resource's public URL a proof names (its origin is RESOURCE's)
API_URL = RESOURCE + "/me"


def call_with_proof(node: Node, access_token: str, proof: str) -> requests.Response:
    """A DPoP-bound token sent to ``node``'s resource with ``proof`` (RFC 9449 §7.1)."""
    return node.get("/api/me", headers={"Authorization": f"DPoP {access_token}", "DPoP": proof})


def assert_resource_refused(response: requests.Response, error: str) -> None:
    """A resource's refusal: 401 with ``error`` in the DPoP challenge (RFC 9449 §7.1)."""
    assert response.status_code == 401, response.text[:300]
    _, _, dpop_challenge = response.headers["WWW-Authenticate"].partition("DPoP ")
    assert f'error="{error}"' in dpop_challenge, response.headers["WWW-Authenticate"]


@pytest.mark.rfc(RFC, "11.1")
def test_a_proof_spent_at_one_process_is_a_replay_at_the_others_token_endpoint(
    cluster: Cluster, admin: Proauth2
) -> None:
    a, b = cluster.nodes
    client, key = dpop_client(admin), DPoPKey()
    proof = key.proof("POST", TOKEN_URL)
    tokens = issued(token_request(a, client, proof))
    assert tokens["token_type"] == "DPoP"

    refused(token_request(b, client, proof), "invalid_dpop_proof")  # §11.1: spent, whichever process saw it
    refused(token_request(a, client, proof), "invalid_dpop_proof")
    assert issued(token_request(b, client, key.proof("POST", TOKEN_URL)))["token_type"] == "DPoP"  # a fresh one


@pytest.mark.rfc(RFC, "7.1")
@pytest.mark.rfc(RFC, "11.1")
def test_a_proof_accepted_by_one_process_is_a_replay_at_the_others_resource(cluster: Cluster, admin: Proauth2) -> None:
    a, b = cluster.nodes
    client, key = dpop_client(admin), DPoPKey()
    access_token = issued(token_request(b, client, key.proof("POST", TOKEN_URL)))["access_token"]
    proof = key.proof("GET", API_URL, access_token=access_token)
    answer = call_with_proof(a, access_token, proof)
    assert answer.status_code == 200 and answer.json()["client_id"] == client.client_id, answer.text[:300]

    assert_resource_refused(call_with_proof(b, access_token, proof), "invalid_dpop_proof")
    assert call_with_proof(b, access_token, key.proof("GET", API_URL, access_token=access_token)).status_code == 200
    stolen = b.get("/api/me", headers={"Authorization": f"Bearer {access_token}"})  # a bound token as Bearer
    assert stolen.status_code == 401
    assert_resource_refused(
        call_with_proof(a, access_token, DPoPKey().proof("GET", API_URL, access_token)), "invalid_token"
    )


@pytest.mark.rfc(RFC, "11.1")
def test_one_proof_sent_to_both_processes_at_once_buys_one_token(cluster: Cluster, admin: Proauth2) -> None:
    client = dpop_client(admin)
    proof = DPoPKey().proof("POST", TOKEN_URL)
    responses = race(cluster.nodes, lambda node: token_request(node, client, proof))
    assert sorted(response.status_code for response in responses) == [200] + [400] * (RACERS - 1), [
        (r.status_code, r.text[:100]) for r in responses
    ]
    for response in responses:
        if response.status_code == 400:
            refused(response, "invalid_dpop_proof")
    assert len(admin.store.fetch_all("access_tokens", client_id=client.client_id)) == 1


@pytest.mark.rfc(RFC, "8")
@pytest.mark.rfc(RFC, "9")
def test_a_nonce_one_process_gives_is_accepted_by_the_other(cluster: Cluster, admin: Proauth2) -> None:
    a, b = cluster.nodes
    client, key = dpop_client(admin, dpop_nonce_required=True), DPoPKey()
    from_a = nonce_from(a, client, key)
    assert issued(token_request(b, client, key.proof("POST", TOKEN_URL, nonce=from_a)))["token_type"] == "DPoP"
    from_b = nonce_from(b, client, key)
    assert issued(token_request(a, client, key.proof("POST", TOKEN_URL, nonce=from_b)))["token_type"] == "DPoP"
    answer = token_request(a, client, key.proof("POST", TOKEN_URL, nonce="not-a-nonce-of-ours"))
    refused(answer, "use_dpop_nonce")
    retried = key.proof("POST", TOKEN_URL, nonce=answer.headers["DPoP-Nonce"])
    assert issued(token_request(b, client, retried))["token_type"] == "DPoP"  # the client retries, at either


@pytest.mark.rfc(RFC, "5")
def test_a_public_clients_refresh_token_bound_at_one_process_needs_the_same_key_at_the_other(
    cluster: Cluster, admin: Proauth2
) -> None:
    """RFC 9449 §5: a public client's refresh token is bound to the key of the proof it was issued with."""
    a, b = cluster.nodes
    client, key = admin.register_app("single-page app", [REDIRECT_URI], auth_method="none"), DPoPKey()
    first = issued(redeem(a, client, authorize(a, client, new_user()), DPoP=key.proof("POST", TOKEN_URL)))
    assert first["token_type"] == "DPoP"
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}

    refused(token(b, client, form, DPoP=DPoPKey().proof("POST", TOKEN_URL)), "invalid_grant")  # a thief's key
    second = issued(token(b, client, form, DPoP=key.proof("POST", TOKEN_URL)))  # the thief spoiled nothing
    assert second["token_type"] == "DPoP"
    answer = call_with_proof(a, second["access_token"], key.proof("GET", API_URL, access_token=second["access_token"]))
    assert answer.status_code == 200, answer.text[:300]


@pytest.mark.rfc(RFC, "9")
def test_a_resources_nonce_from_one_process_is_accepted_by_the_other(cluster: Cluster, admin: Proauth2) -> None:
    a, b = cluster.nodes
    client, key = dpop_client(admin), DPoPKey()
    access_token = issued(token_request(a, client, key.proof("POST", TOKEN_URL)))["access_token"]
    url = RESOURCE.rsplit("/", 1)[0] + "/nonced/me"

    def nonced(node: Node, proof: str) -> requests.Response:
        return node.get("/nonced/me", headers={"Authorization": f"DPoP {access_token}", "DPoP": proof})

    asked = nonced(b, key.proof("GET", url, access_token=access_token))
    assert_resource_refused(asked, "use_dpop_nonce")  # §9: 401 with the nonce to use
    proof = key.proof("GET", url, access_token=access_token, nonce=asked.headers["DPoP-Nonce"])
    answer = nonced(a, proof)
    assert answer.status_code == 200 and answer.json()["node"] == "A", answer.text[:300]
    assert_resource_refused(nonced(b, proof), "invalid_dpop_proof")  # spent at A, refused at B (§11.1)


@pytest.mark.rfc(RFC, "10.1")
def test_a_code_bound_at_one_processs_par_endpoint_is_redeemed_at_the_other_by_that_key_only(
    cluster: Cluster, admin: Proauth2
) -> None:
    """RFC 9449 §10.1: a proof at the PAR endpoint binds the code; RFC 7662 §2.2 ``cnf`` (RFC 7800) says to what."""
    a, b = cluster.nodes
    client, rs, user, key = web_client(admin), resource_server(admin), new_user(), DPoPKey()
    request_uri, verifier, state = pushed_request(a, client, headers={"DPoP": key.proof("POST", ISSUER + "/oauth/par")})
    query = {"client_id": client.client_id, "request_uri": request_uri}
    code = redirect_query(b.get("/authorize", params=query, headers=login(user, "approve")))["code"]
    authorized = Authorized(code, verifier, state)

    refused(redeem(a, client, authorized, DPoP=DPoPKey().proof("POST", TOKEN_URL)), "invalid_grant")
    tokens = issued(redeem(a, client, authorized, DPoP=key.proof("POST", TOKEN_URL)))
    assert tokens["token_type"] == "DPoP"
    described = introspect(b, rs, tokens["access_token"])
    assert described["active"] is True and described["cnf"] == {"jkt": key.thumbprint}


@pytest.mark.rfc("8628", "3.4")
def test_a_device_code_bound_at_one_process_polls_at_the_other_with_that_key_only(
    cluster: Cluster, admin: Proauth2
) -> None:
    """RFC 9449 §5 for the device grant: the device authorization request's proof binds the device code."""
    a, b = cluster.nodes
    client, key = device_client(admin), DPoPKey()
    response = a.post(
        "/oauth/device_authorization",
        data={"client_id": client.client_id},
        headers={"DPoP": key.proof("POST", ISSUER + "/oauth/device_authorization")},
    )
    assert response.status_code == 200, response.text[:300]
    codes = response.json()
    assert decide(b, new_user(), codes["user_code"], "allow").status_code == 200

    refused(token(b, client, poll_form(codes), DPoP=DPoPKey().proof("POST", TOKEN_URL)), "invalid_grant")
    tokens = issued(token(b, client, poll_form(codes), DPoP=key.proof("POST", TOKEN_URL)))
    assert tokens["token_type"] == "DPoP"
