"""Two processes whose clocks differ by a few seconds still behave as one server, within the leeway the specs allow.

Process B's clock runs :data:`SKEW` seconds ahead of A's, or behind it; the clients' clocks are A's. What
crosses from one to the other carries A's times: codes and tokens (stored with their expiry: no leeway, so
each expires by the clock of the process that checks it, and one expired by more than the skew is expired
everywhere), DPoP proofs (``iat`` up to :data:`~proauth2_wsgi.dpop.DEFAULT_LEEWAY` seconds ahead, at most
:data:`~proauth2_wsgi.dpop.DEFAULT_MAX_AGE` old: RFC 9449 §4.3, §11.1), DPoP nonces (the current and the
previous window, and the next one within the proofs' leeway: §8), client assertions (``iat``, ``nbf`` and
``exp`` within :data:`~proauth2_wsgi.client_auth.private_key_jwt.LEEWAY`: RFC 7523 §3), ID tokens (an
``id_token_hint`` of ours, expired or not: OIDC Core §3.1.2.1) and JWT access tokens checked elsewhere
(``JWTValidator``'s 30 s leeway: RFC 7519 §4.1.4). Every margin below is at least 10 seconds away from a
limit, so a slow machine cannot move a request across one.
"""

from __future__ import annotations

import pytest
import requests

from proauth2_wsgi import Proauth2
from proauth2_wsgi.client_auth.private_key_jwt import LEEWAY as ASSERTION_LEEWAY
from proauth2_wsgi.dpop import DEFAULT_LEEWAY, DEFAULT_MAX_AGE, DEFAULT_NONCE_WINDOW, DPoPKey
from proauth2_wsgi.errors import InvalidToken
from proauth2_wsgi.settings import DEFAULT_ACCESS_TOKEN_LIFETIME, DEFAULT_CODE_LIFETIME, DEFAULT_PAR_LIFETIME
from proauth2_wsgi.validators import JWTValidator
from tests.dpop.proofs import make_proof, new_key
from tests.multiprocess.cluster import ISSUER, TOKEN_URL, Cluster
from tests.multiprocess.flows import (
    assertion_client,
    authorize,
    call_api,
    dpop_client,
    introspect,
    issued,
    login,
    new_user,
    nonce_from,
    pushed_request,
    redeem,
    redirect_query,
    refused,
    resource_server,
    token_request,
    web_client,
)
from tests.multiprocess.server import RESOURCE

#: seconds B's clock is off from A's: "a few seconds" between machines kept by NTP
SKEW = 5
#: seconds kept between any time checked and the limit it is checked against
MARGIN = 10

skews = pytest.mark.parametrize("skew", [pytest.param(SKEW, id="B-ahead"), pytest.param(-SKEW, id="B-behind")])


def move_a_to(cluster: Cluster, when: float) -> None:
    """Both clocks move so that A's reads ``when`` now (B keeps its skew)."""
    cluster.shift(when - cluster.a.now())


@skews
@pytest.mark.rfc("6749", "4.1.2")
def test_codes_cross_within_their_lifetime_and_an_expired_one_stays_expired(
    pg_cluster: Cluster, admin: Proauth2, skew: int
) -> None:
    a, b = pg_cluster.nodes
    b.set_skew(skew)
    client, user = web_client(admin), new_user()
    issued(redeem(b, client, authorize(a, client, user)))  # at once: B ahead or behind

    fresh, issued_at = authorize(a, client, user), a.now()
    move_a_to(pg_cluster, issued_at + DEFAULT_CODE_LIFETIME - SKEW - MARGIN)
    issued(redeem(b, client, fresh))

    stale, issued_at = authorize(a, client, user), a.now()
    move_a_to(pg_cluster, issued_at + DEFAULT_CODE_LIFETIME + SKEW + MARGIN)
    refused(redeem(b, client, stale), "invalid_grant")
    refused(redeem(a, client, stale), "invalid_grant")


@skews
@pytest.mark.rfc("9126", "2.2")
def test_pushed_requests_cross_within_their_lifetime_and_an_expired_one_stays_expired(
    pg_cluster: Cluster, admin: Proauth2, skew: int
) -> None:
    a, b = pg_cluster.nodes
    b.set_skew(skew)
    client, user = web_client(admin), new_user()

    def answer_at_b(request_uri: str) -> requests.Response:
        query = {"client_id": client.client_id, "request_uri": request_uri}
        return b.get("/authorize", params=query, headers=login(user, "approve"))

    request_uri, pushed_at = pushed_request(a, client)[0], a.now()
    move_a_to(pg_cluster, pushed_at + DEFAULT_PAR_LIFETIME - SKEW - MARGIN)
    assert "code" in redirect_query(answer_at_b(request_uri))

    request_uri, pushed_at = pushed_request(a, client)[0], a.now()
    move_a_to(pg_cluster, pushed_at + DEFAULT_PAR_LIFETIME + SKEW + MARGIN)
    expired = answer_at_b(request_uri)
    assert expired.status_code == 400 and "invalid_request_uri" in expired.text and "Location" not in expired.headers


@skews
@pytest.mark.rfc("6750", "3.1")
def test_access_tokens_cross_until_they_expire_and_an_expired_one_stays_expired(
    pg_cluster: Cluster, admin: Proauth2, skew: int
) -> None:
    a, b = pg_cluster.nodes
    b.set_skew(skew)
    client, rs = web_client(admin), resource_server(admin)
    tokens, issued_at = issued(redeem(a, client, authorize(a, client, new_user()))), a.now()
    assert call_api(b, tokens["access_token"]).status_code == 200  # no "not yet valid" at a clock behind

    move_a_to(pg_cluster, issued_at + DEFAULT_ACCESS_TOKEN_LIFETIME - SKEW - MARGIN)
    assert call_api(b, tokens["access_token"]).status_code == 200
    assert introspect(b, rs, tokens["access_token"])["active"] is True

    move_a_to(pg_cluster, issued_at + DEFAULT_ACCESS_TOKEN_LIFETIME + SKEW + MARGIN)
    for node in (a, b):
        answer = call_api(node, tokens["access_token"])
        assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
        assert introspect(node, rs, tokens["access_token"]) == {"active": False}


@skews
@pytest.mark.rfc("9449", "4.3")
def test_dpop_proofs_made_by_a_clients_clock_are_accepted_within_the_leeway_and_refused_beyond(
    pg_cluster: Cluster, admin: Proauth2, skew: int
) -> None:
    a, b = pg_cluster.nodes
    b.set_skew(skew)
    client, key = dpop_client(admin), new_key()

    def at_b(iat: float) -> requests.Response:
        return token_request(b, client, make_proof(key, htu=TOKEN_URL, iat=int(iat)))

    for iat in (a.now(), a.now() + DEFAULT_LEEWAY - SKEW - MARGIN, a.now() - DEFAULT_MAX_AGE + SKEW + MARGIN):
        assert issued(at_b(iat))["token_type"] == "DPoP"  # A's "now" is 5 s in the future of a B behind
    for iat in (a.now() + DEFAULT_LEEWAY + SKEW + MARGIN, a.now() - DEFAULT_MAX_AGE - SKEW - MARGIN):
        refused(at_b(iat), "invalid_dpop_proof")


@pytest.mark.parametrize(
    ("skew", "a_into_window"),
    [
        pytest.param(-SKEW, 2, id="B-behind-still-in-the-previous-window"),
        pytest.param(SKEW, -2, id="B-ahead-already-in-the-next-window"),
    ],
)
@pytest.mark.rfc("9449", "8")
def test_a_nonce_given_at_a_window_edge_is_accepted_by_a_process_whose_clock_is_on_the_other_side(
    pg_cluster: Cluster, admin: Proauth2, skew: int, a_into_window: int
) -> None:
    """Nonces name a window of time: across the edge of one, a skewed process must still take the other's."""
    a, b = pg_cluster.nodes
    b.set_skew(skew)
    edge = (a.now() // DEFAULT_NONCE_WINDOW + 2) * DEFAULT_NONCE_WINDOW
    move_a_to(pg_cluster, edge + a_into_window)
    assert (a.now() // DEFAULT_NONCE_WINDOW) != (b.now() // DEFAULT_NONCE_WINDOW)  # on either side of the edge
    client, key = dpop_client(admin, dpop_nonce_required=True), DPoPKey(clock=a.now)

    from_a = nonce_from(a, client, key)
    assert issued(token_request(b, client, key.proof("POST", TOKEN_URL, nonce=from_a)))["token_type"] == "DPoP"
    from_b = nonce_from(b, client, key)
    assert issued(token_request(a, client, key.proof("POST", TOKEN_URL, nonce=from_b)))["token_type"] == "DPoP"

    pg_cluster.shift(3 * DEFAULT_NONCE_WINDOW)  # three windows later, neither nonce is any good anywhere
    for node in (a, b):
        for nonce in (from_a, from_b):
            refused(token_request(node, client, key.proof("POST", TOKEN_URL, nonce=nonce)), "use_dpop_nonce")


@skews
@pytest.mark.rfc("7523", "3")
def test_client_assertions_are_accepted_within_the_leeway_and_refused_beyond(
    pg_cluster: Cluster, admin: Proauth2, skew: int
) -> None:
    a, b = pg_cluster.nodes
    b.set_skew(skew)
    client, key = assertion_client(admin)

    def at_b(**claims: float) -> int:
        made = {name: int(value) for name, value in claims.items()}
        form = {"grant_type": "client_credentials", **key.form(client.client_id, TOKEN_URL, now=a.now(), **made)}
        return b.post("/oauth/token", data=form).status_code

    assert at_b() == 200  # made now by A's clock: iat 5 s in the future of a B behind
    assert at_b(iat=a.now() + ASSERTION_LEEWAY - SKEW - MARGIN) == 200
    assert at_b(nbf=a.now() + ASSERTION_LEEWAY - SKEW - MARGIN) == 200
    assert at_b(iat=a.now() - 100, exp=a.now() - ASSERTION_LEEWAY + SKEW + MARGIN) == 200  # passed, within the skew
    assert at_b(iat=a.now() + ASSERTION_LEEWAY + SKEW + MARGIN) == 401
    assert at_b(nbf=a.now() + ASSERTION_LEEWAY + SKEW + MARGIN) == 401
    assert at_b(iat=a.now() - 100, exp=a.now() - ASSERTION_LEEWAY - SKEW - MARGIN) == 401


@skews
@pytest.mark.rfc("9068", "4")
def test_id_tokens_and_jwt_access_tokens_of_one_process_are_accepted_by_the_other_within_the_leeway(
    pg_cluster: Cluster, admin: Proauth2, skew: int
) -> None:
    """OIDC Core §3.1.2.1 ``id_token_hint`` (expired or not), and RFC 9068 tokens checked with B's key set."""
    a, b = pg_cluster.nodes
    b.set_skew(skew)
    client, user = web_client(admin), new_user()
    tokens = issued(redeem(a, client, authorize(a, client, user, scope="openid profile", resource=RESOURCE)))
    hint = {"id_token_hint": tokens["id_token"], "client_id": client.client_id}
    assert b.post("/logout", data=hint).json() == {"verified": True, "subject": user}

    def validator(offset: float) -> JWTValidator:
        """A resource server on B's clock (and ``offset`` seconds more), with B's JWK set."""
        return JWTValidator(
            issuer=ISSUER, audience=RESOURCE, jwks_uri=b.url + "/oauth/jwks", clock=lambda: b.now() + offset
        )

    lifetime = tokens["expires_in"]
    assert validator(0).validate_token(tokens["access_token"]).user_id == user
    assert validator(lifetime - SKEW - MARGIN).validate_token(tokens["access_token"]).user_id == user
    with pytest.raises(InvalidToken):
        validator(lifetime + 30 + SKEW + MARGIN).validate_token(tokens["access_token"])
    assert call_api(b, tokens["access_token"]).status_code == 200

    move_a_to(pg_cluster, a.now() + 2 * 3600)  # long expired: still a hint of ours (OIDC RP-Initiated Logout §2)
    assert b.post("/logout", data=hint).json() == {"verified": True, "subject": user}
    assert call_api(b, tokens["access_token"]).status_code == 401
