"""The demo with a client that is not Python: Node and oauth4webapi (``node/flow.mjs``).

The script discovers the provider (RFC 8414), registers its own client
(RFC 7591), and builds an authorization URL with PKCE S256 (RFC 7636). This
test plays the user with ``requests`` (login and consent, CSRF token included)
and hands the script the redirect it would have received; the script checks
``state`` and ``iss`` (RFC 9207), exchanges the code with client_secret_basic
(RFC 6749 §2.3.1, §4.1.3), calls ``/api/me`` (RFC 6750), refreshes (RFC 6749
§6), revokes (RFC 7009) and reports what the provider answered.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from .browser_user import run_node_relying_party
from .conftest import DEMO_USER, DemoServer, consent, sign_in


def test_oauth4webapi_full_flow(node_scripts: Path, demo: DemoServer, http: requests.Session) -> None:
    sent: dict[str, str] = {}

    def user(authorization_url: str) -> str:
        assert authorization_url.startswith(demo.url("/authorize?"))
        sent.update({key: values[0] for key, values in parse_qs(urlsplit(authorization_url).query).items()})
        assert sign_in(http, demo).status_code == 303
        callback = consent(http, authorization_url).headers["Location"]
        assert callback.startswith(sent["redirect_uri"] + "?")  # not followed: nothing listens there
        return callback

    summary = run_node_relying_party(node_scripts / "flow.mjs", user, demo.base_url)
    client_id = summary["client_id"]
    assert client_id != demo.demo_client["client_id"]  # a client of its own, registered over RFC 7591
    assert sent["code_challenge_method"] == "S256"
    assert len(sent["code_challenge"]) == 43
    assert sent["client_id"] == client_id

    assert summary["issuer"] == demo.base_url
    assert summary["code_challenge_methods_supported"] == ["S256"]
    assert summary["callback_iss"] == demo.base_url
    assert summary["token_type"].lower() == "bearer"
    assert summary["scope"] == "profile"
    assert summary["expires_in"] > 0
    assert summary["me"] == {"status": 200, "body": {"user_id": DEMO_USER, "client_id": client_id, "scope": "profile"}}

    assert summary["refreshed_token_differs"] is True
    assert summary["refresh_token_rotated"] is True
    assert summary["me_after_refresh"]["status"] == 200
    assert summary["me_after_refresh"]["body"]["client_id"] == client_id

    # RFC 7009 §2.2 / RFC 6750 §3.1: the revoked access token is refused with invalid_token
    assert summary["revoked_access_token"] == {"refused": True, "status": 401, "error": "invalid_token"}
    # RFC 6749 §5.2: a rotated-out refresh token is an invalid_grant
    assert summary["old_refresh_token_reused"] == {"refused": True, "status": 400, "error": "invalid_grant"}
