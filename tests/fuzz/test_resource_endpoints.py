"""Hostile requests to what serves documents and protected data: UserInfo (OIDC Core §5.3), the JWK set
(RFC 7517 §5), the metadata documents (RFC 8414 §3, OIDC Discovery §4, RFC 9728 §3), and an API behind
``BearerTokenMiddleware`` (RFC 6750 §2.1, §3; RFC 9449 §7): the protector's Authorization and DPoP parsing.

None of them may change a row, whatever it is sent (the DPoP replay cache aside).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.checks import RESOURCE_STATUSES, assert_no_leak, assert_resource_answer, assert_unchanged, error_body
from tests.fuzz.harness import exercise
from tests.fuzz.pieces import dpop_proofs
from tests.fuzz.strategies import (
    Hostile,
    authorization_headers,
    compact_jws_like,
    hostile_text,
    query_requests,
)
from tests.fuzz.world import ISSUER, World

DOCUMENTS = {
    "JWKS": "/oauth/jwks",
    "metadata (RFC 8414)": "/.well-known/oauth-authorization-server",
    "metadata (OIDC discovery)": "/.well-known/openid-configuration",
    "metadata (RFC 9728)": "/.well-known/oauth-protected-resource",
}


def token_authorizations(world: World) -> st.SearchStrategy[str | None]:
    """Bearer and DPoP Authorization headers with real, mutated and garbage tokens."""
    tokens = [world.artifact(name) for name in ("access_token", "jwt_access_token", "refresh_token", "id_token")]
    token = st.one_of(hostile_text(*tokens), compact_jws_like)
    scheme = st.sampled_from(["Bearer", "DPoP", "bearer", "Bearer ", "Basic", "Bearer\t", "MAC", ""])
    return st.one_of(
        st.tuples(scheme, token).map(lambda pair: f"{pair[0]} {pair[1]}"),
        st.sampled_from([f"Bearer {value}" for value in tokens]),
        authorization_headers(),
    )


def _headers(world: World, url: str) -> dict[str, st.SearchStrategy[str]]:
    return {
        "DPoP": dpop_proofs(world, url, htm="GET", access_token=world.artifact("access_token")),
        "If-None-Match": hostile_text('"x"', "*", 'W/"x"'),
        "Accept": hostile_text("application/json", "application/jwt", "*/*"),
    }


@pytest.mark.rfc("OIDC Core", "5.3")
@given(data=st.data())
def test_hostile_userinfo_requests_oidc_core_5_3(world: World, data: st.DataObject) -> None:
    path = "/oauth/userinfo"
    params = {"access_token": hostile_text(world.artifact("access_token")), "schema": hostile_text("openid")}
    hostile: Hostile = data.draw(
        query_requests(
            path,
            params,
            token_authorizations(world),
            _headers(world, ISSUER + path),
            valid_authorization=st.just(f"Bearer {world.artifact('access_token')}"),
        )
    )
    before = world.snapshot()
    answer = world.send(hostile, "userinfo")
    assert_no_leak(answer, world.secrets)
    assert "location" not in answer.headers
    if answer.status >= 400:
        error_body(answer, RESOURCE_STATUSES)
    assert_unchanged(before, world.snapshot())


@pytest.mark.rfc("8414", "3")
@pytest.mark.parametrize("document", list(DOCUMENTS))
@given(data=st.data())
def test_hostile_requests_for_documents_rfc8414_3(world: World, document: str, data: st.DataObject) -> None:
    """RFC 8414 §3, OIDC Discovery §4, RFC 9728 §3, RFC 7517 §5: documents are served or refused, never a 500."""
    path = st.one_of(
        st.just(DOCUMENTS[document]),
        st.tuples(st.just(DOCUMENTS[document]), st.sampled_from(["/", "/x", "/..", "%2f", ".json", "\x00"])).map(
            "".join
        ),
    )
    params = {"x": hostile_text(), "callback": hostile_text("alert")}
    hostile: Hostile = data.draw(query_requests(path, params, authorization_headers(), _headers(world, ISSUER)))
    exercise(world, document, hostile, changes_nothing=True)


@pytest.mark.rfc("6750", "3")
@given(data=st.data())
def test_hostile_requests_to_a_protected_api_rfc6750_3(world: World, data: st.DataObject) -> None:
    """RFC 6750 §2.1, §3, RFC 9449 §7.1: the protector parses any Authorization and DPoP header safely."""
    path = st.sampled_from(["/api", "/api/", "/api/x", "/api/../api", "/api%2f..", "/api/\x00"])
    params = {"access_token": hostile_text(world.artifact("access_token"))}
    hostile: Hostile = data.draw(
        query_requests(
            path,
            params,
            token_authorizations(world),
            _headers(world, "https://auth.example.com/api"),
            valid_authorization=st.sampled_from(
                [f"Bearer {world.artifact('access_token')}", f"Bearer {world.artifact('jwt_access_token')}"]
            ),
        )
    )
    before = world.snapshot()
    answer = world.send(hostile, "protected API (BearerTokenMiddleware)")
    assert_resource_answer(answer)
    assert_unchanged(before, world.snapshot())
