"""The Flask extension's authorization endpoint over real HTTP: no CORS, no 307 (OAuth 2.1 §3.1, RFC 9700 §2.6, §4.12).

The app is the one tests/flask drives (its ``/authorize`` view is made of the
extension's helpers), served by a threaded werkzeug server on loopback.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import requests

from proauth2_wsgi import ClientCredentials
from proauth2_wsgi.pkce import s256_challenge
from tests.flask.conftest import REDIRECT, MakeApp, make_app  # noqa: F401 - make_app is a fixture
from tests.http_server import serve

#: a site other than the server's, trying to read its answers from a browser
ORIGIN = "https://evil.example"


@pytest.fixture
def flask_server(request: pytest.FixtureRequest, database_url: str) -> Iterator[tuple[str, ClientCredentials]]:
    """The test app with consent on (no auto-approval) over loopback HTTP, and a registered client.

    ``database_url`` is named so that the backend is chosen statically (``make_app`` needs it).
    """
    make: MakeApp = request.getfixturevalue("make_app")
    app = make()
    client = app.extensions["proauth2"].provider.register_app("Test Client", [REDIRECT])
    with serve(app) as url:
        yield url, client


def _query(client: ClientCredentials, **overrides: str) -> dict[str, str]:
    challenge = s256_challenge(secrets.token_urlsafe(48))
    query = {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT, "state": "s1"}
    return {**query, "code_challenge": challenge, "code_challenge_method": "S256", **overrides}


@pytest.mark.rfc("draft-ietf-oauth-v2-1", "3.1")
def test_the_authorization_endpoint_answers_no_cross_origin_request_oauth21_3_1_rfc9700_2_6(
    flask_server: tuple[str, ClientCredentials],
) -> None:
    """OAuth 2.1 §3.1, RFC 9700 §2.6: "CORS MUST NOT be supported at the Authorization Endpoint".

    Whatever another origin sends — a preflight, the consent page, the posted
    approval, a request for an unknown client — no answer carries an
    ``Access-Control-Allow-*`` header, so no script of another site reads it.
    """
    url, client = flask_server
    authorize = url + "/authorize"
    origin = {"Origin": ORIGIN}
    answers = [
        requests.options(
            authorize,
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
            timeout=10,
        ),
        requests.get(authorize, params=_query(client), headers=origin, timeout=10),
        requests.post(
            authorize,
            params=_query(client),
            data={"decision": "approve"},
            headers=origin,
            allow_redirects=False,
            timeout=10,
        ),
        requests.get(authorize, params=_query(client, client_id="nobody"), headers=origin, timeout=10),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 303, 400]
    assert "asks for" in answers[1].text and answers[2].headers["Location"].startswith(REDIRECT + "?code=")
    for answer in answers:
        assert not [name for name in answer.headers if name.lower().startswith("access-control-")], answer.headers


@pytest.mark.rfc("9700", "4.12")
def test_authorization_redirects_are_303_never_307_rfc9700_4_12(flask_server: tuple[str, ClientCredentials]) -> None:
    """RFC 9700 §4.12, OAuth 2.1 §7.5.3: a redirect after a posted form "MUST NOT use the HTTP 307 status code".

    The approval, the denial and an error sent back to the client are all
    ``303 See Other``: the browser follows them with a GET and the posted form
    (a consent, perhaps a password on the same page) never reaches the client.
    """
    url, client = flask_server
    authorize = url + "/authorize"
    approve = requests.post(
        authorize, params=_query(client), data={"decision": "approve"}, allow_redirects=False, timeout=10
    )
    deny = requests.post(authorize, params=_query(client), data={"decision": "deny"}, allow_redirects=False, timeout=10)
    error = requests.post(
        authorize,
        params=_query(client, scope="not-a-scope"),
        data={"decision": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert [answer.status_code for answer in (approve, deny, error)] == [303, 303, 303]
    assert "code=" in approve.headers["Location"]
    assert "error=access_denied" in deny.headers["Location"]
    assert "error=invalid_scope" in error.headers["Location"]
