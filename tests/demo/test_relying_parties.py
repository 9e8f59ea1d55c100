"""alice signs in to relying parties we did not write, through Chromium: OpenID Connect against the demo.

Each relying party discovers the demo (OIDC Discovery §4), registers a
client of its own (RFC 7591 with OIDC registration metadata), and validates
every ID token with its own code (OIDC Core §3.1.3.7): signature over the
published JWK set, ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``, and
``auth_time`` against ``max_age``. Our code checks only what they report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.authlib_relying_party import relying_party
from tests.http_server import free_port, serve

from .browser_user import BrowserUser, landing_site, run_node_relying_party
from .conftest import DEMO_USER, DemoServer, json_line

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.rfc("OIDC Core", "3.1")]

#: what the demo releases of alice for ``openid profile email``
ALICE = {
    "sub": DEMO_USER,
    "name": "Alice Liddell",
    "preferred_username": "alice",
    "email": "alice@example.com",
    "email_verified": True,
}


@pytest.fixture
def landing() -> Iterator[str]:
    """The base URL of the relying party's redirect URIs: a real server on loopback."""
    with landing_site() as url:
        yield url


def _of_alice(claims: dict[str, object], demo: DemoServer, client_id: str) -> None:
    assert claims["iss"] == demo.base_url
    assert claims["aud"] in (client_id, [client_id])
    assert claims["sub"] == DEMO_USER
    assert isinstance(claims["auth_time"], int)


@pytest.mark.rfc("RP-Initiated Logout", "3")
def test_oauth4webapi_signs_alice_in_with_es256(node_scripts: Path, demo: DemoServer, page: Page, landing: str) -> None:
    user = BrowserUser(page, demo, landing)
    script = node_scripts / "oidc_oauth4webapi.mjs"
    summary = run_node_relying_party(script, user.follow, demo.base_url, landing, "ES256")
    client_id = summary["client_id"]

    first, again, after_logout = user.visits[0], user.visits[1], user.visits[3]
    assert first.pages == ["login", "consent"]
    assert summary["id_token_header"]["alg"] == "ES256"  # what the client registered
    _of_alice(summary["claims"], demo, client_id)
    assert {claim: summary["userinfo"][claim] for claim in ALICE} == ALICE
    # OIDC Core §11: offline_access with prompt=consent is a refresh token; without, none
    assert "offline_access" in summary["scope"].split() and summary["refresh_token_issued"]
    assert summary["refresh_token_without_prompt_consent"] is False

    # OIDC Core §3.1.2.1 max_age=0: the login form again, and a later auth_time
    assert again.pages == ["login"]  # consent is remembered: nothing new was asked
    assert summary["max_age_zero_claims"]["auth_time"] > summary["claims"]["auth_time"]

    # OIDC Core §12.2: the refreshed ID token is of the same sign-in
    refreshed = summary["refreshed_claims"]
    assert (refreshed["sub"], refreshed["auth_time"]) == (DEMO_USER, summary["claims"]["auth_time"])
    assert summary["refreshed_id_token_header"]["alg"] == "ES256"

    # RP-Initiated Logout §3: a valid id_token_hint and a registered URI: no page, state echoed
    assert user.visits[2].pages == []
    assert summary["signed_out_at"] == f"{landing}/signed-out"
    assert summary["signed_out_state_echoed"] is True
    # OIDC Core §3.1.2.6: signed out, prompt=none answers login_required by redirect, with iss
    assert after_logout.pages == []
    assert summary["prompt_none_after_logout"] == {"error": "login_required", "iss": demo.base_url}


def test_openid_client_signs_alice_in(node_scripts: Path, demo: DemoServer, page: Page, landing: str) -> None:
    user = BrowserUser(page, demo, landing)
    script = node_scripts / "oidc_openid_client.mjs"
    summary = run_node_relying_party(script, user.follow, demo.base_url, landing)
    client_id = summary["client_id"]
    first, silent, forced, logout, after_logout = user.visits

    assert first.pages == ["login", "consent"]
    assert summary["id_token_header"]["alg"] == "RS256"  # OIDC Core §15.1's default
    _of_alice(summary["claims"], demo, client_id)
    # OIDC Core §5.5: without the profile scope, only the profile claims asked for by name
    assert (summary["claims"]["email"], summary["claims"]["preferred_username"]) == ("alice@example.com", "alice")
    assert "name" not in summary["claims"]  # asked for in UserInfo only
    assert {claim: summary["userinfo"][claim] for claim in ALICE} == ALICE
    assert not {"given_name", "family_name", "locale"} & set(summary["userinfo"])  # of the ungranted scope

    # prompt=none while signed in, consent remembered: an ID token with no page, the same sign-in
    assert silent.pages == []
    assert summary["prompt_none_claims"]["auth_time"] == summary["claims"]["auth_time"]
    # prompt=login: the form again, and auth_time moves
    assert forced.pages == ["login"]
    assert summary["prompt_login_claims"]["auth_time"] > summary["claims"]["auth_time"]

    assert summary["refreshed_claims"]["sub"] == DEMO_USER
    assert summary["refresh_token_rotated"] is True
    assert summary["refresh_token_without_prompt_consent"] is False  # OIDC Core §11

    assert logout.pages == [] and summary["signed_out_state_echoed"] is True
    assert summary["signed_out_at"] == f"{landing}/signed-out"
    assert after_logout.pages == []
    assert summary["prompt_none_after_logout"] == {"error": "login_required"}


def _page_json(page: Page) -> dict[str, Any]:
    return json_line(page.inner_text("body"))


def test_authlib_signs_alice_in(demo: DemoServer, page: Page, http: requests.Session) -> None:
    """Authlib's Flask client validates the ID token (at_hash included) and reads UserInfo."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    registration = http.post(
        http.get(demo.url("/.well-known/openid-configuration"), timeout=10).json()["registration_endpoint"],
        json={
            "client_name": "Authlib relying party",
            "redirect_uris": [f"{base}/callback"],
            "post_logout_redirect_uris": [f"{base}/signed-out"],
            "scope": "openid profile email",
        },
        timeout=10,
    )
    assert registration.status_code == 201, registration.text
    client = registration.json()
    app = relying_party(demo.base_url, client["client_id"], client["client_secret"])
    user = BrowserUser(page, demo, base)
    with serve(app, port=port):
        first = user.visit(f"{base}/start")
        signed_in = _page_json(page)
        time.sleep(1.1)  # auth_time is in seconds
        again = user.visit(f"{base}/start?max_age=0")
        forced_login = _page_json(page)
        logout = user.visit(f"{base}/logout")
        signed_out = _page_json(page)
        user.visit(f"{base}/start?prompt=none")
        silent = _page_json(page)

    assert first.pages == ["login", "consent"]
    _of_alice(signed_in["id_token"], demo, client["client_id"])
    assert signed_in["id_token"]["name"] == "Alice Liddell"
    assert {claim: signed_in["userinfo"][claim] for claim in ALICE} == ALICE
    assert again.pages == ["login"]  # max_age=0: signed in again, consent remembered
    assert forced_login["id_token"]["auth_time"] > signed_in["id_token"]["auth_time"]
    assert logout.pages == [] and signed_out == {"signed_out": True}
    assert silent == {"error": "login_required"}
