"""Hostile token requests, every grant and every client authentication (RFC 6749 §3.2, §5.2; RFC 7523; RFC 8628;
RFC 9449): never a 500, the right JSON error, nothing consumed or issued when refused.

A refused request with the world's real code, refresh token or device code
must leave it usable: a hostile ``scope`` or ``redirect_uri`` next to a
valid refresh token must not rotate it (RFC 6749 §6, RFC 9700 §4.14).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.harness import POLLING_ERRORS, exercise
from tests.fuzz.pieces import (
    assertion_params,
    client_authorizations,
    client_ids,
    client_secrets,
    dpop_proofs,
    endpoint_url,
)
from tests.fuzz.strategies import Hostile, basic, form_requests, hostile_text, redirect_uris
from tests.fuzz.world import API, DEVICE_GRANT, LOOPBACK, REDIRECT, World

PATH = "/oauth/token"
GRANTS = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    DEVICE_GRANT,
    "password",
    "implicit",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
)


def token_requests(world: World, grant_type: st.SearchStrategy[str]) -> st.SearchStrategy[Hostile]:
    """Token requests of the drawn grant: hostile, or tame (the right client, the real code, token or device code)."""
    url = endpoint_url(PATH)
    params = {
        "grant_type": st.one_of(st.sampled_from(GRANTS), hostile_text(*GRANTS)),
        "code": hostile_text(world.artifact("code")),
        "code_verifier": hostile_text(world.artifact("verifier")),
        "redirect_uri": redirect_uris(REDIRECT, LOOPBACK),
        "refresh_token": hostile_text(world.artifact("refresh_token")),
        "device_code": hostile_text(world.artifact("device_code")),
        "scope": hostile_text("profile", "openid profile", "email admin", "offline_access", "profile email"),
        "resource": hostile_text(API, "https://evil.example", "urn:x"),
        "client_id": client_ids(world),
        "client_secret": client_secrets(world),
        "audience": hostile_text(API),
        **assertion_params(world, url),
    }
    confidential = basic(world.confidential.client_id, world.confidential.client_secret or "")
    valid: dict[str, tuple[dict[str, str], str | None]] = {
        "authorization_code": (
            {"code": world.artifact("code"), "code_verifier": world.artifact("verifier"), "redirect_uri": REDIRECT},
            confidential,
        ),
        "refresh_token": ({"refresh_token": world.artifact("refresh_token")}, confidential),
        "client_credentials": ({}, basic(world.service.client_id, world.service.client_secret or "")),
        DEVICE_GRANT: ({"device_code": world.artifact("device_code"), "client_id": world.public.client_id}, None),
    }

    def request(grant: str) -> st.SearchStrategy[Hostile]:
        required, authorization = valid.get(grant, ({}, confidential))
        return form_requests(
            PATH,
            params,
            {"grant_type": grant, **required},
            client_authorizations(world),
            {"DPoP": dpop_proofs(world, url)},
            valid_authorization=st.just(authorization),
        )

    return grant_type.flatmap(request)


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token", "client_credentials", DEVICE_GRANT, "other"])
@given(data=st.data())
def test_hostile_token_requests_rfc6749_5_2(world: World, grant: str, data: st.DataObject) -> None:
    """RFC 6749 §5.2, RFC 8628 §3.5, RFC 9449 §5: hostile token requests of each grant are refused safely."""
    grant_type = st.sampled_from(GRANTS) if grant == "other" else st.just(grant)
    hostile = data.draw(token_requests(world, grant_type))
    exercise(world, f"token ({grant})", hostile, volatile_by_error=POLLING_ERRORS)
