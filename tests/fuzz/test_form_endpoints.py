"""Hostile requests to the other form endpoints: revocation (RFC 7009), introspection (RFC 7662), pushed
authorization requests (RFC 9126) and device authorization (RFC 8628 §3.1).

Every answer is safe (see tests/fuzz/checks.py); introspection never changes
a row; revoking something that is not one of the world's tokens changes none
either (RFC 7009 §2.2: an invalid token is answered 200 all the same).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proauth2_wsgi import ClientCredentials
from tests.fuzz.harness import exercise
from tests.fuzz.pieces import (
    assertion_params,
    client_authorizations,
    client_ids,
    client_secrets,
    dpop_proofs,
    endpoint_url,
)
from tests.fuzz.strategies import Hostile, basic, compact_jws_like, form_requests, hostile_text, redirect_uris
from tests.fuzz.world import API, LOOPBACK, REDIRECT, World

TOKENS = ("access_token", "refresh_token", "jwt_access_token", "id_token")


def _client_params(world: World, path: str) -> dict[str, st.SearchStrategy[str]]:
    return {
        "client_id": client_ids(world),
        "client_secret": client_secrets(world),
        **assertion_params(world, endpoint_url(path)),
    }


def _token_params(world: World, path: str) -> dict[str, st.SearchStrategy[str]]:
    tokens = [world.artifact(name) for name in TOKENS]
    return {
        "token": st.one_of(hostile_text(*tokens), compact_jws_like),
        "token_type_hint": hostile_text("access_token", "refresh_token"),
        **_client_params(world, path),
    }


def _real_tokens(world: World) -> list[str]:
    return [world.artifact(name) for name in TOKENS]


def _valid(world: World, *clients: ClientCredentials) -> st.SearchStrategy[str | None]:
    """The right credentials: each client's Basic header (a public client's ``id:``)."""
    return st.sampled_from([basic(client.client_id, client.client_secret or "") for client in clients])


def _token_request(world: World, data: st.DataObject, path: str) -> tuple[Hostile, list[str]]:
    """A hostile request naming a token (RFC 7009 §2.1, RFC 7662 §2.1), and the real tokens it may name."""
    real = _real_tokens(world)
    hostile: Hostile = data.draw(
        form_requests(
            path,
            _token_params(world, path),
            {"token": real[0]},
            client_authorizations(world),
            valid_authorization=_valid(world, world.confidential, world.service),
        )
    )
    return hostile, real


@pytest.mark.rfc("7009", "2.2.1")
@given(data=st.data())
def test_hostile_revocation_requests_rfc7009_2_2_1(world: World, data: st.DataObject) -> None:
    hostile, real = _token_request(world, data, "/oauth/revoke")
    exercise(world, "revocation", hostile, artifacts=real)


@pytest.mark.rfc("7662", "2.3")
@given(data=st.data())
def test_hostile_introspection_requests_rfc7662_2_3(world: World, data: st.DataObject) -> None:
    hostile, _ = _token_request(world, data, "/oauth/introspect")
    exercise(world, "introspection", hostile, changes_nothing=True)


def authorization_params(world: World) -> dict[str, st.SearchStrategy[str]]:
    """The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2.1), hostile."""
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    return {
        "client_id": client_ids(world),
        "response_type": hostile_text("code", "token", "id_token", "code id_token", "none"),
        "redirect_uri": redirect_uris(REDIRECT, LOOPBACK),
        "scope": hostile_text("openid profile", "profile", "email admin", "offline_access"),
        "state": hostile_text("s1"),
        "code_challenge": hostile_text(challenge),
        "code_challenge_method": hostile_text("S256", "plain", "s256"),
        "nonce": hostile_text("n"),
        "prompt": hostile_text("none", "login", "consent", "select_account", "none login"),
        "max_age": hostile_text("0", "60", "-1", "99999999999999999999"),
        "id_token_hint": st.one_of(compact_jws_like, hostile_text(world.artifact("id_token"))),
        "login_hint": hostile_text("alice"),
        "claims": hostile_text('{"userinfo": {"email": null}}', '{"id_token": {"acr": {"essential": true}}}'),
        "ui_locales": hostile_text("en fr"),
        "acr_values": hostile_text("urn:x"),
        "display": hostile_text("page", "popup"),
        "response_mode": hostile_text("query", "fragment", "form_post"),
        "resource": hostile_text(API, "https://evil.example"),
        "request": compact_jws_like,
        "request_uri": hostile_text(world.artifact("request_uri"), "urn:ietf:params:oauth:request_uri:x"),
        "dpop_jkt": hostile_text("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
    }


@pytest.mark.rfc("9126", "2.3")
@given(data=st.data())
def test_hostile_pushed_authorization_requests_rfc9126_2_3(world: World, data: st.DataObject) -> None:
    path = "/oauth/par"
    required = {
        "client_id": world.confidential.client_id,
        "response_type": "code",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    params = {**authorization_params(world), **_client_params(world, path)}
    hostile: Hostile = data.draw(
        form_requests(
            path,
            params,
            required,
            client_authorizations(world),
            {"DPoP": dpop_proofs(world, endpoint_url(path))},
            valid_authorization=_valid(world, world.confidential),
        )
    )
    answer, error = exercise(world, "pushed authorization (PAR)", hostile)
    if error is None:
        assert answer.status == 201, answer.status


@pytest.mark.rfc("8628", "3.1")
@given(data=st.data())
def test_hostile_device_authorization_requests_rfc8628_3_1(world: World, data: st.DataObject) -> None:
    path = "/oauth/device_authorization"
    params = {
        "scope": hostile_text("profile", "openid profile", "admin"),
        "resource": hostile_text(API),
        **_client_params(world, path),
    }
    hostile: Hostile = data.draw(
        form_requests(
            path,
            params,
            {"client_id": world.public.client_id},
            client_authorizations(world),
            {"DPoP": dpop_proofs(world, endpoint_url(path))},
            valid_authorization=st.none(),
        )
    )
    exercise(world, "device authorization", hostile)
