"""Hostile authorization and logout requests through the host app's views and the helpers they call
(README "The authorization request"; RFC 6749 §4.1.2.1, §10.6; RFC 9700 §4.1, §4.11; OIDC RP-Initiated Logout §2-§3).

The views (tests/endpoints/helpers.AuthorizeView, tests/fuzz/world.LogoutView)
are what the README tells a host app to write: ``parse_authorization_request``,
then ``authorization_redirect`` / ``error_redirect`` or ``error_page``;
``validate_logout_request``, then a redirect to ``redirect_url()`` or the page.
Properties: a redirect goes only to a URI the client registered (a code only
with the client's ``state``); a refusal shown as a page changes no row; a
refusal redirected changes none but using up a pushed request (RFC 9126 §4).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.checks import assert_no_leak, assert_registered_location, assert_unchanged
from tests.fuzz.strategies import Hostile, hostile_text, query_requests, redirect_uris
from tests.fuzz.test_form_endpoints import authorization_params
from tests.fuzz.world import LOGOUT_REDIRECT, LOOPBACK, REDIRECT, World


def _registered(world: World) -> tuple[str, ...]:
    return (REDIRECT, LOOPBACK)


def _assert_page(answer_status: int, headers: dict[str, str]) -> None:
    """A refusal shown to the user: a 4xx page, never a redirect (RFC 6749 §4.1.2.1)."""
    assert 400 <= answer_status < 500, answer_status
    assert "location" not in headers, headers


@pytest.mark.rfc("6749", "4.1.2.1")
@given(data=st.data())
def test_hostile_authorization_requests_never_redirect_elsewhere_rfc6749_4_1_2_1(
    world: World, data: st.DataObject
) -> None:
    params = authorization_params(world)
    client = data.draw(st.sampled_from(world.clients))
    valid = {
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": (REDIRECT if client is not world.public else LOOPBACK),
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "state": "s1",
    }
    hostile: Hostile = data.draw(
        query_requests("/authorize", params, st.none(), required=valid, valid_authorization=st.none())
    )
    hostile.method = "GET"
    before = world.snapshot()
    answer = world.send(hostile, "authorization helpers (authorize view)")
    assert_no_leak(answer, world.secrets)
    location = answer.headers.get("location")
    if location is None:
        _assert_page(answer.status, answer.headers)
        assert_unchanged(before, world.snapshot())
        return
    assert answer.status == 303, answer.status
    query = assert_registered_location(location, _registered(world))
    assert set(query) >= {"iss"}, query
    if "code" in query:
        assert "error" not in query, query
        world.spent()
    else:
        assert "error" in query, query
        assert_unchanged(before, world.snapshot(), volatile={"pushed_requests": ("used",)})


@pytest.mark.rfc("OIDC RP-Initiated Logout", "3")
@given(data=st.data())
def test_hostile_logout_requests_never_redirect_elsewhere_oidc_logout_3(world: World, data: st.DataObject) -> None:
    """OIDC RP-Initiated Logout §2, §3: only a registered post_logout_redirect_uri is followed; nothing changes."""
    params = {
        "id_token_hint": hostile_text(world.artifact("id_token")),
        "post_logout_redirect_uri": redirect_uris(LOGOUT_REDIRECT),
        "client_id": hostile_text(world.confidential.client_id, world.public.client_id),
        "state": hostile_text("s"),
        "ui_locales": hostile_text("en"),
        "logout_hint": hostile_text("alice"),
    }
    hostile: Hostile = data.draw(query_requests("/logout", params, st.none()))
    hostile.method = "GET"
    before = world.snapshot()
    answer = world.send(hostile, "end_session (logout view)")
    assert_no_leak(answer, world.secrets)
    location = answer.headers.get("location")
    if location is None:
        _assert_page(answer.status, answer.headers)
    else:
        assert answer.status == 303
        if location != "/" and not urlsplit(location).path == "/":
            assert_registered_location(location, (LOGOUT_REDIRECT,))
        else:
            assert not urlsplit(location).netloc or urlsplit(location).netloc == "auth.example.com", location
    assert_unchanged(before, world.snapshot())
