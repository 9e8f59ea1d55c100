"""Independent clients of the demo's API as a protected resource: oauth4webapi (Node) and Authlib.

oauth4webapi reads the RFC 9728 document, obtains a token for the API with
the client credentials grant and ``resource`` (RFC 8707), and validates it
with ``validateJwtAccessToken`` (RFC 9068) as a resource server would.
Authlib obtains audience-bound tokens over HTTP, through the code flow and
client credentials.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from .browser_user import run_node_relying_party
from .conftest import DemoServer

pytestmark = pytest.mark.rfc("9068", "4")


def test_oauth4webapi_discovers_the_api_and_validates_its_jwt_access_tokens(
    node_scripts: Path, demo: DemoServer
) -> None:
    def nobody(url: str) -> str:  # the script needs no browser
        raise AssertionError(f"unexpected browse to {url}")

    summary = run_node_relying_party(node_scripts / "resource_oauth4webapi.mjs", nobody, demo.url("/api"))
    assert summary["resource_metadata"]["resource"] == demo.url("/api")
    assert summary["resource_metadata"]["authorization_servers"] == [demo.base_url]
    assert summary["issuer"] == demo.base_url
    claims = summary["claims"]  # validated by oauth4webapi: signature, typ at+jwt, iss, aud, exp, iat
    assert claims["aud"] == demo.url("/api") and claims["iss"] == demo.base_url
    assert claims["client_id"] == claims["sub"] == summary["client_id"] and claims["scope"] == "profile"
    assert summary["wrong_audience_refused"] and summary["opaque_token_refused"]
    assert summary["unknown_target_refused"]
    assert summary["me"] == {
        "status": 200,
        "body": {
            "user_id": None,
            "client_id": summary["client_id"],
            "scope": "profile",
            "audience": [demo.url("/api")],
        },
    }


@pytest.mark.rfc("8707", "2")
def test_authlib_obtains_audience_bound_tokens(demo: DemoServer, http: requests.Session) -> None:
    registered = http.post(
        demo.url("/oauth/register"),
        json={"client_name": "Authlib service", "grant_types": ["client_credentials"], "scope": "profile email"},
        timeout=10,
    ).json()
    session = OAuth2Session(registered["client_id"], registered["client_secret"], scope="profile")
    session.trust_env = False
    token = session.fetch_token(demo.url("/oauth/token"), grant_type="client_credentials", resource=demo.url("/api"))
    assert token["access_token"].count(".") == 2 and token["expires_in"] == 600
    me = session.get(demo.url("/api/me"), timeout=10)
    assert me.status_code == 200 and me.json()["audience"] == [demo.url("/api")]
    introspected = http.post(
        demo.url("/oauth/introspect"),
        data={"token": token["access_token"]},
        auth=(registered["client_id"], registered["client_secret"]),
        timeout=10,
    ).json()
    assert introspected["aud"] == demo.url("/api") and introspected["active"] is True
    # RFC 8707 §2: invalid_target, which Authlib raises as an OAuth error
    with pytest.raises(Exception, match="invalid_target"):
        session.fetch_token(
            demo.url("/oauth/token"), grant_type="client_credentials", resource="https://elsewhere.example.com"
        )
