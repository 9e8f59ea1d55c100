"""Tokens, codes, refresh tokens, pushed requests and consents shared by two server processes on one database.

Each test issues something at one process and uses it at the other, over real HTTP: the processes hold
nothing the other needs (ARCHITECTURE "Scale"), so the two behave as one server.
"""

from __future__ import annotations

import pytest

from proauth2_wsgi import Proauth2
from tests.multiprocess.cluster import ISSUER, Cluster
from tests.multiprocess.flows import (
    RACERS,
    REDIRECT_URI,
    Authorized,
    authorize,
    call_api,
    introspect,
    issued,
    login,
    new_user,
    pushed_request,
    race,
    redeem,
    redirect_query,
    refresh,
    refused,
    resource_server,
    revoke,
    web_client,
)
from tests.multiprocess.server import CACHE_TTL, NODE_HEADER


@pytest.mark.rfc("7662", "2.2")
@pytest.mark.rfc("7009", "2.1")
def test_a_token_issued_by_one_process_is_validated_introspected_and_revoked_through_the_other(
    cluster: Cluster, admin: Proauth2
) -> None:
    a, b = cluster.nodes
    client, rs, user = web_client(admin), resource_server(admin), new_user()
    tokens = issued(redeem(a, client, authorize(a, client, user)))

    for node in (b, a):  # RFC 6750 §2.1: valid at both
        answer = call_api(node, tokens["access_token"])
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "user_id": user,
            "client_id": client.client_id,
            "scopes": ["profile"],
            "node": node.name,
        }
    described = introspect(b, rs, tokens["access_token"])
    assert described["active"] is True
    assert (described["sub"], described["client_id"], described["iss"]) == (user, client.client_id, ISSUER)
    assert introspect(b, rs, tokens["refresh_token"])["active"] is True

    revoke(b, client, tokens["access_token"])
    for node in (a, b):  # the provider validates against the database: at once, everywhere
        answer = call_api(node, tokens["access_token"])
        assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
        assert introspect(node, rs, tokens["access_token"]) == {"active": False}
    revoke(a, client, tokens["refresh_token"])  # RFC 7009 §2.1: a refresh token takes its grant along
    refused(refresh(b, client, tokens["refresh_token"]), "invalid_grant")
    assert introspect(b, rs, tokens["refresh_token"]) == {"active": False}


@pytest.mark.rfc("8414", "3")
def test_both_processes_publish_one_server_and_answer_userinfo_for_each_others_tokens(
    cluster: Cluster, admin: Proauth2
) -> None:
    """RFC 8414 §3 and OIDC Discovery §4: one document; OIDC Core §5.3: UserInfo for a token of the other."""
    a, b = cluster.nodes
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        documents = [node.get(path) for node in (a, b)]
        assert [document.status_code for document in documents] == [200, 200]
        assert documents[0].json() == documents[1].json() and documents[0].json()["issuer"] == ISSUER
        assert documents[0].headers["ETag"] == documents[1].headers["ETag"]
    client, user = web_client(admin), new_user()
    tokens = issued(redeem(b, client, authorize(b, client, user, scope="openid email")))
    answer = a.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.status_code == 200 and answer.json()["sub"] == user, answer.text[:300]
    revoke(a, client, tokens["access_token"])
    assert b.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401


@pytest.mark.rfc("7009", "2.1")
def test_a_revocation_at_one_process_ends_the_others_token_cache_within_its_ttl(
    pg_cluster: Cluster, admin: Proauth2
) -> None:
    """README "Token cache and revocation lag": a cached token stays accepted ``cache_ttl`` seconds at most."""
    a, b = pg_cluster.nodes
    client = web_client(admin)
    access_token = issued(redeem(b, client, authorize(b, client, new_user())))["access_token"]
    assert call_api(a, access_token, "/cached/me").status_code == 200  # A caches it

    revoke(b, client, access_token)
    assert call_api(a, access_token).status_code == 401  # uncached: at once
    assert call_api(a, access_token, "/cached/me").status_code == 200  # cached: the documented lag
    pg_cluster.shift(CACHE_TTL + 1)
    answer = call_api(a, access_token, "/cached/me")
    assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


@pytest.mark.rfc("6749", "4.1.2")
@pytest.mark.rfc("6749", "10.5")
def test_a_code_issued_by_one_process_is_redeemed_once_at_the_other_and_a_replay_revokes_its_tokens(
    cluster: Cluster, admin: Proauth2
) -> None:
    a, b = cluster.nodes
    client, rs = web_client(admin), resource_server(admin)
    authorized = authorize(a, client, new_user())
    tokens = issued(redeem(b, client, authorized))
    assert call_api(a, tokens["access_token"]).status_code == 200

    refused(redeem(a, client, authorized), "invalid_grant")  # the replay, at the other process
    refused(redeem(b, client, authorized), "invalid_grant")
    for node in (a, b):  # everything the code bought is revoked (RFC 6749 §4.1.2)
        assert call_api(node, tokens["access_token"]).status_code == 401
        assert introspect(node, rs, tokens["refresh_token"]) == {"active": False}


@pytest.mark.rfc("6749", "4.1.2")
def test_a_code_sent_to_both_processes_at_once_is_redeemed_once(cluster: Cluster, admin: Proauth2) -> None:
    a, b = cluster.nodes
    client = web_client(admin)
    authorized = authorize(b, client, new_user())
    responses = race(cluster.nodes, lambda node: redeem(node, client, authorized))

    winners = [response for response in responses if response.status_code == 200]
    assert len(winners) == 1, [(r.status_code, r.text[:100]) for r in responses]
    for response in responses:
        if response is not winners[0]:
            refused(response, "invalid_grant")
    # the replays revoked what the winner got, whichever process answered them (RFC 6749 §4.1.2)
    assert call_api(a, winners[0].json()["access_token"]).status_code == 401
    assert {response.headers[NODE_HEADER] for response in responses} == {"A", "B"}


@pytest.mark.rfc("9700", "4.14.2")
def test_a_refresh_token_rotated_at_one_process_and_reused_at_the_other_revokes_the_grant(
    cluster: Cluster, admin: Proauth2
) -> None:
    a, b = cluster.nodes
    client, rs = web_client(admin), resource_server(admin)
    first = issued(redeem(a, client, authorize(a, client, new_user())))
    second = issued(refresh(a, client, first["refresh_token"]))  # rotated at A
    assert second["refresh_token"] != first["refresh_token"]
    third = issued(refresh(b, client, second["refresh_token"]))  # the new one works at B: rotated again

    refused(refresh(b, client, first["refresh_token"]), "invalid_grant")  # reuse detected at B
    for node in (a, b):  # the whole grant is revoked: every token of the chain (RFC 9700 §4.14.2)
        refused(refresh(node, client, third["refresh_token"]), "invalid_grant")
        for tokens in (first, second, third):
            assert call_api(node, tokens["access_token"]).status_code == 401
            assert introspect(node, rs, tokens["refresh_token"]) == {"active": False}


@pytest.mark.rfc("9700", "4.14.2")
def test_a_refresh_token_sent_to_both_processes_at_once_is_rotated_once(cluster: Cluster, admin: Proauth2) -> None:
    a, b = cluster.nodes
    client = web_client(admin)
    first = issued(redeem(a, client, authorize(a, client, new_user())))
    responses = race(cluster.nodes, lambda node: refresh(node, client, first["refresh_token"]))

    assert sorted(response.status_code for response in responses) == [200] + [400] * (RACERS - 1), [
        (r.status_code, r.text[:100]) for r in responses
    ]
    (winner,) = (response.json() for response in responses if response.status_code == 200)
    # the reuses revoked the grant, the winner's new tokens with it
    refused(refresh(b, client, winner["refresh_token"]), "invalid_grant")
    assert call_api(a, winner["access_token"]).status_code == 401


@pytest.mark.rfc("9126", "2.2")
@pytest.mark.rfc("9126", "4")
def test_a_request_uri_pushed_at_one_process_is_used_once_at_the_others_authorization_endpoint(
    cluster: Cluster, admin: Proauth2
) -> None:
    a, b = cluster.nodes
    client, user = web_client(admin), new_user()
    request_uri, verifier, state = pushed_request(a, client)
    query = {"client_id": client.client_id, "request_uri": request_uri}
    shown = b.get("/authorize", params=query, headers=login(user))  # validating uses nothing up (§4)
    assert shown.status_code == 200 and shown.json()["step"] == "consent", shown.text[:300]

    answer = redirect_query(b.get("/authorize", params=query, headers=login(user, "approve")))
    assert answer["state"] == state
    issued(redeem(a, client, Authorized(answer["code"], verifier, state)))
    for node in (a, b):  # used up: RFC 9101 §7 invalid_request_uri, shown, never redirected
        again = node.get("/authorize", params=query, headers=login(user, "approve"))
        assert again.status_code == 400 and "invalid_request_uri" in again.text
        assert "Location" not in again.headers


@pytest.mark.rfc("9126", "4")
def test_a_request_uri_approved_at_both_processes_at_once_issues_one_code(cluster: Cluster, admin: Proauth2) -> None:
    b = cluster.b
    client, user = web_client(admin), new_user()
    request_uri, _, _ = pushed_request(b, client)
    query = {"client_id": client.client_id, "request_uri": request_uri}
    responses = race(cluster.nodes, lambda node: node.get("/authorize", params=query, headers=login(user, "approve")))
    assert sorted(response.status_code for response in responses) == [303] + [400] * (RACERS - 1), [
        (r.status_code, r.text[:100]) for r in responses
    ]
    for response in responses:
        if response.status_code == 400:
            assert "invalid_request_uri" in response.text


@pytest.mark.rfc("6749", "4.1.1")
def test_a_consent_given_through_one_process_is_remembered_by_the_other_and_withdrawn_for_both(
    cluster: Cluster, admin: Proauth2
) -> None:
    """OpenID Connect Core §3.1.2.4 and §3.1.2.6: remembered consent, ``prompt=none``."""
    a, b = cluster.nodes
    client, user = web_client(admin), new_user()
    query = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",  # RFC 7636 Appendix B's
        "code_challenge_method": "S256",
    }
    assert a.get("/authorize", params=query, headers=login(user)).json()["step"] == "consent"
    tokens = issued(redeem(b, client, authorize(a, client, user, scope="openid email")))  # approved at A

    assert b.get("/ops/consents", params={"user": user}).json() == {client.client_id: ["email", "openid"]}
    answer = redirect_query(b.get("/authorize", params={**query, "prompt": "none"}, headers=login(user)))
    assert "code" in answer  # B knows the consent: no page, even with prompt=none
    asks_more = b.get("/authorize", params={**query, "scope": "openid email profile"}, headers=login(user))
    assert asks_more.json()["step"] == "consent"  # a new scope still needs the user

    assert admin.withdraw_consent(client.client_id, user) >= 1  # the operator withdraws it: the token goes too
    for node in (a, b):
        assert call_api(node, tokens["access_token"]).status_code == 401
        assert node.get("/ops/consents", params={"user": user}).json() == {}
        denied = redirect_query(node.get("/authorize", params={**query, "prompt": "none"}, headers=login(user)))
        assert denied["error"] == "consent_required"
