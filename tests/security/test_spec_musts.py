"""The MUSTs of docs/SECURITY.md that no other test proved, over real loopback HTTP on a real database.

OAuth 2.1 is draft-ietf-oauth-v2-1 (its sections as the working group's
current text numbers them); RFC 8414 is authorization server metadata.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from proauth2_wsgi import ClientCredentials, Proauth2
from proauth2_wsgi.device import DEVICE_CODE_GRANT
from proauth2_wsgi.endpoints import AuthorizationServer
from tests.endpoints.helpers import REDIRECT_URI, Server, new_verifier, redirect_params, s256

#: what every pushed request's reference starts with (RFC 9126 §2.2); the rest is the secret part
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
#: the randomness every credential the server makes carries: 256 bits, past OAuth 2.1 §7.7's 128 (and its 160)
CREDENTIAL_BYTES = 32


def basic(client: ClientCredentials) -> tuple[str, str]:
    """The client's ``client_secret_basic`` credentials, for ``requests``' ``auth``."""
    assert client.client_secret is not None
    return client.client_id, client.client_secret


def code_grant(code: str, verifier: str) -> dict[str, str]:
    """The body of an authorization code token request."""
    return {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}


@pytest.mark.rfc("draft-ietf-oauth-v2-1", "2.4.1")
def test_client_credentials_in_the_request_uri_authenticate_nobody_oauth21_2_4_1(
    provider: Proauth2, post_client: ClientCredentials
) -> None:
    """OAuth 2.1 §2.4.1: client_id and client_secret "MUST NOT be included in the request URI".

    Sent in the query of the token request, they authenticate nobody (401
    ``invalid_client``, nothing issued), and the code stays usable by the
    client that sends its credentials in the body. This request alone is made
    in-process, through the same endpoint app: over HTTP the secret would land
    in the access logs (which is why the MUST exists) and the suite's log scan
    would, rightly, fail the run.
    """
    verifier = new_verifier()
    code = provider.request_authorization(
        post_client.client_id, "alice", code_challenge=s256(verifier), code_challenge_method="S256"
    )["code"]
    endpoints = Client(AuthorizationServer(provider))
    query = {"client_id": post_client.client_id, "client_secret": post_client.client_secret}
    refused = endpoints.post("/oauth/token", query_string=query, data=code_grant(code, verifier))
    assert (refused.status_code, refused.json) == (
        401,
        {"error": "invalid_client", "error_description": "client authentication failed"},
    )
    assert refused.headers["WWW-Authenticate"].startswith("Basic ")
    accepted = endpoints.post("/oauth/token", data={**code_grant(code, verifier), **query})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json["token_type"] == "Bearer"


@pytest.mark.rfc("draft-ietf-oauth-v2-1", "3.2")
def test_unrecognised_token_request_parameters_are_ignored_oauth21_3_2(
    server: Server, confidential: ClientCredentials
) -> None:
    """OAuth 2.1 §3.1 and §3.2 (RFC 6749 §3.1, §3.2): the servers "MUST ignore unrecognized request parameters".

    Unknown parameters at the authorization request and at the token request
    change nothing: the code is issued and exchanged for the scope asked.
    """
    verifier = new_verifier()
    code = server.code(confidential.client_id, verifier, scope="email", x_vendor_hint="1", display_mode="tv")
    form = {**code_grant(code, verifier), "x_vendor_hint": "2", "audience_of_another_vendor": "https://x.example"}
    response = server.post(server.token_url, form, auth=basic(confidential))
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "email"


@pytest.mark.rfc("8414", "3.2")
def test_metadata_has_no_empty_arrays_and_no_none_algorithm_rfc8414_2_and_3_2(server: Server) -> None:
    """RFC 8414 §3.2: "Claims with zero elements MUST be omitted"; §2: the value ``none`` "MUST NOT be used"

    in any ``*_auth_signing_alg_values_supported`` member, which is present
    for every endpoint that takes ``private_key_jwt``.
    """
    response = server.post(server.url + "/.well-known/oauth-authorization-server", {})
    assert response.status_code == 405  # GET only (RFC 8414 §3.1)
    document = _get_json(server.url + "/.well-known/oauth-authorization-server")
    arrays = {name: value for name, value in document.items() if isinstance(value, list)}
    assert arrays and all(arrays.values()), arrays
    for endpoint in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        assert "private_key_jwt" in document[f"{endpoint}_auth_methods_supported"]
        algorithms = document[f"{endpoint}_auth_signing_alg_values_supported"]
        assert algorithms and "none" not in {alg.lower() for alg in algorithms}


@pytest.mark.rfc("draft-ietf-oauth-v2-1", "7.7")
def test_every_credential_issued_carries_256_random_bits_oauth21_7_7(
    server: Server, provider: Proauth2, confidential: ClientCredentials
) -> None:
    """OAuth 2.1 §7.7 (RFC 6749 §10.10): a generated credential is guessed with probability at most 2^-128.

    Every kind the server hands out over HTTP — client secret (RFC 7591),
    authorization code, access and refresh token, pushed request reference
    (RFC 9126), device code (RFC 8628) — is the base64url of 32 random bytes,
    and two of a kind never repeat.
    """
    issued: dict[str, list[str]] = {}
    tv = provider.register_app("TV", grant_types=[DEVICE_CODE_GRANT], auth_method="none")
    for _ in range(2):
        registered = _post_json(server.register_url, json={"redirect_uris": [REDIRECT_URI]}, status=201)
        verifier = new_verifier()
        code = server.code(confidential.client_id, verifier)
        tokens = _post_json(server.token_url, data=code_grant(code, verifier), auth=basic(confidential))
        pushed = _post_json(
            server.url + "/oauth/par",
            data={
                "client_id": confidential.client_id,
                "response_type": "code",
                "code_challenge": s256(new_verifier()),
                "code_challenge_method": "S256",
            },
            auth=basic(confidential),
            status=201,
        )
        device = _post_json(server.url + "/oauth/device_authorization", data={"client_id": tv.client_id})
        for kind, value in (
            ("client_secret", registered["client_secret"]),
            ("code", code),
            ("access_token", tokens["access_token"]),
            ("refresh_token", tokens["refresh_token"]),
            ("request_uri", pushed["request_uri"].removeprefix(REQUEST_URI_PREFIX)),
            ("device_code", device["device_code"]),
        ):
            issued.setdefault(kind, []).append(value)
    for kind, values in issued.items():
        assert len(set(values)) == 2, kind
        for value in values:
            assert len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) >= CREDENTIAL_BYTES, kind


@pytest.mark.rfc("draft-ietf-oauth-v2-1", "4.1.2")
def test_the_code_challenge_never_leaves_the_server_oauth21_4_1_2(
    server: Server, confidential: ClientCredentials
) -> None:
    """OAuth 2.1 §4.1.2: the server "MUST NOT include the code_challenge value in a response parameter".

    Neither the authorization response, nor the token response, nor an
    introspection answer about the token carries it, in any form.
    """
    verifier = new_verifier()
    challenge = s256(verifier)
    response = server.authorize(
        response_type="code",
        client_id=confidential.client_id,
        code_challenge=challenge,
        code_challenge_method="S256",
        state="af0ifjsldkj",
    )
    assert response.status_code == 303, response.text
    params = redirect_params(response)
    assert set(params) == {"code", "state", "iss"}
    tokens = server.post(server.token_url, code_grant(params["code"], verifier), auth=basic(confidential))
    assert tokens.status_code == 200, tokens.text
    introspected = server.introspect(tokens.json()["access_token"], basic(confidential))
    for text in (response.headers["Location"], tokens.text, str(introspected)):
        assert challenge not in text and "code_challenge" not in text


def _get_json(url: str) -> dict[str, Any]:
    """GET a public JSON document: 200, ``application/json`` (RFC 8414 §3.2)."""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def _post_json(url: str, status: int = 200, **kwargs: Any) -> Any:
    """POST to an endpoint; its JSON answer, checked: the status, and never cached (OAuth 2.1 §3.2.3)."""
    response = requests.post(url, timeout=10, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


@pytest.mark.rfc("draft-ietf-oauth-v2-1", "3.1")
@pytest.mark.parametrize(
    ("option", "value"),
    [
        pytest.param("authorization_endpoint", "https://login.example.com/authorize#top", id="absolute-fragment"),
        pytest.param("authorization_endpoint", "/authorize#top", id="path-fragment"),
        pytest.param("authorization_endpoint", "http://login.example.com/authorize", id="plain-http"),
        pytest.param("end_session_endpoint", "http://login.example.com/logout", id="logout-plain-http"),
        pytest.param("end_session_endpoint", "/logout#x", id="logout-fragment"),
    ],
)
def test_an_advertised_endpoint_with_a_fragment_or_plain_http_stops_start_up_oauth21_3_1(
    provider: Proauth2, option: str, value: str
) -> None:
    """OAuth 2.1 §3.1 (RFC 6749 §3.1): the authorization endpoint URL "MUST NOT include a fragment";

    §1.5: every protocol URL "MUST use the https scheme" (loopback aside). The
    server refuses to start with such a URL to advertise, naming the option.
    """
    with pytest.raises(ValueError, match=option):
        AuthorizationServer(provider, **{option: value})  # type: ignore[arg-type]


def test_advertised_endpoints_that_follow_the_rules_are_served(provider: Proauth2) -> None:
    """The allowed forms reach the metadata as given: a path below the issuer, an https URL, loopback http."""
    for value, advertised in (
        ("/authorize?tenant=1", "https://auth.example.com/authorize?tenant=1"),
        ("https://login.example.com/authorize", "https://login.example.com/authorize"),
        ("http://127.0.0.1:5000/authorize", "http://127.0.0.1:5000/authorize"),
    ):
        server = AuthorizationServer(provider, authorization_endpoint=value)
        document = Client(server).get("/.well-known/oauth-authorization-server").json
        assert document["authorization_endpoint"] == advertised
