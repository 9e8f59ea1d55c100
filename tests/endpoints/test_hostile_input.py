"""Hostile input on every endpoint: the right OAuth error as JSON, never a 500 (RFC 6749 §3.1, §5.2).

Each case is sent over real HTTP with raw bytes and raw headers; the form
endpoints (token, revocation, introspection) share one table, registration
has its own.
"""

from __future__ import annotations

import base64
import json
import socket
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from proauth2_wsgi import Proauth2
from proauth2_wsgi.errors import InvalidRequest
from proauth2_wsgi.models import ClientCredentials
from tests.endpoints.conftest import INITIAL_ACCESS_TOKEN
from tests.endpoints.helpers import REDIRECT_URI, Server, assert_oauth_error

FORM = "application/x-www-form-urlencoded"
#: stands for the service client's correct Basic header
VALID_BASIC = "valid-basic"


def _basic(userpass: bytes) -> str:
    return "Basic " + base64.b64encode(userpass).decode()


@dataclass(frozen=True)
class Case:
    """One hostile request: what differs from a valid one, and the answer expected."""

    status: int
    error: str
    method: str = "POST"
    body: bytes | None = None  # None: the endpoint's valid body
    content_type: str | None = FORM
    authorization: str | None = VALID_BASIC


FORM_CASES = [
    pytest.param(Case(405, "invalid_request", method="GET"), id="GET-instead-of-POST"),
    pytest.param(Case(405, "invalid_request", method="PUT"), id="PUT"),
    pytest.param(Case(405, "invalid_request", method="OPTIONS"), id="OPTIONS"),
    pytest.param(Case(400, "invalid_request", content_type="application/json"), id="json-content-type"),
    pytest.param(Case(400, "invalid_request", content_type="text/plain"), id="text-content-type"),
    pytest.param(Case(400, "invalid_request", content_type="multipart/form-data; boundary=x"), id="multipart"),
    pytest.param(Case(400, "invalid_request", content_type=None), id="no-content-type"),
    pytest.param(Case(413, "invalid_request", body=b"pad=" + b"x" * 70_000), id="oversized-body"),
    pytest.param(Case(400, "invalid_request", body=b"token=\xff\xfe&grant_type=\xc3"), id="raw-non-utf8"),
    pytest.param(Case(400, "invalid_request", body=b"token=%ff%fe&grant_type=%c3"), id="encoded-non-utf8"),
    pytest.param(Case(400, "invalid_request", body=b"scope=a&scope=b&token=x&grant_type=x"), id="repeated-param"),
    pytest.param(Case(400, "invalid_request", body=b"&".join(b"f%d=1" % i for i in range(500))), id="too-many-fields"),
    pytest.param(Case(401, "invalid_client", authorization="Basic !!!not-base64!!!"), id="basic-not-base64"),
    pytest.param(Case(401, "invalid_client", authorization="Basic"), id="basic-bare"),
    pytest.param(Case(401, "invalid_client", authorization="Basic "), id="basic-empty"),
    pytest.param(Case(401, "invalid_client", authorization=_basic(b"no-colon")), id="basic-no-colon"),
    pytest.param(Case(401, "invalid_client", authorization=_basic(b"\xff\xfe:\xfd")), id="basic-non-utf8"),
    pytest.param(Case(401, "invalid_client", authorization=_basic(b"%ff:%fe")), id="basic-bad-percent"),
    pytest.param(Case(401, "invalid_client", authorization=_basic(b":")), id="basic-empty-pair"),
    pytest.param(Case(401, "invalid_client", authorization=_basic(b"x" * 3000 + b":" + b"y" * 3000)), id="basic-huge"),
    pytest.param(Case(401, "invalid_client", authorization="Bearer some-token"), id="bearer-instead"),
    pytest.param(Case(401, "invalid_client", authorization='Digest username="x"'), id="digest"),
    pytest.param(Case(401, "invalid_client", authorization=None), id="no-credentials"),
]

FORM_ENDPOINTS = {
    "token": ("/oauth/token", b"grant_type=client_credentials"),
    "revocation": ("/oauth/revoke", b"token=" + b"A" * 43),
    "introspection": ("/oauth/introspect", b"token=" + b"A" * 43),
}


def _send(server: Server, path: str, case: Case, valid_body: bytes, service: ClientCredentials) -> requests.Response:
    headers = {}
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    if case.authorization == VALID_BASIC:
        headers["Authorization"] = _basic(f"{service.client_id}:{service.client_secret}".encode())
    elif case.authorization is not None:
        headers["Authorization"] = case.authorization
    body = valid_body if case.body is None else case.body
    return requests.request(case.method, server.url + path, data=body, headers=headers, timeout=10)


@pytest.mark.rfc("6749", "3.1")
@pytest.mark.parametrize("endpoint", list(FORM_ENDPOINTS))
@pytest.mark.parametrize("case", FORM_CASES)
def test_hostile_form_requests_rfc6749_3_1_and_5_2(
    server: Server, service: ClientCredentials, endpoint: str, case: Case
) -> None:
    path, valid_body = FORM_ENDPOINTS[endpoint]
    response = _send(server, path, case, valid_body, service)
    body = assert_oauth_error(response, case.status, case.error)
    assert set(body) <= {"error", "error_description", "error_uri"}
    assert service.client_secret not in response.text
    if case.status == 405:
        assert response.headers["Allow"] == "POST"
    if case.status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


@pytest.mark.rfc("6749", "5.2")
@pytest.mark.parametrize(
    ("endpoint", "body", "error"),
    [
        pytest.param("token", b"scope=profile", "invalid_request", id="token-missing-grant_type"),
        pytest.param("token", b"grant_type=", "invalid_request", id="token-empty-grant_type"),
        pytest.param(
            "token", b"grant_type=password&username=a&password=b", "unsupported_grant_type", id="token-password-grant"
        ),
        pytest.param("token", b"grant_type=implicit", "unsupported_grant_type", id="token-implicit"),
        pytest.param("token", b"grant_type=%00%01", "unsupported_grant_type", id="token-control-chars"),
        pytest.param("token", b"grant_type=" + b"x" * 60_000, "unsupported_grant_type", id="token-huge-grant"),
        pytest.param(
            "token", b"grant_type=client_credentials&scope=%22bad%22", "invalid_scope", id="token-malformed-scope"
        ),
        pytest.param("revocation", b"token_type_hint=access_token", "invalid_request", id="revoke-missing-token"),
        pytest.param("introspection", b"token=", "invalid_request", id="introspect-empty-token"),
    ],
)
def test_hostile_parameters_rfc6749_5_2(
    server: Server, service: ClientCredentials, endpoint: str, body: bytes, error: str
) -> None:
    path, _ = FORM_ENDPOINTS[endpoint]
    response = _send(server, path, Case(400, error, body=body), body, service)
    assert_oauth_error(response, 400, error)


@pytest.mark.rfc("6749", "4.1.3")
def test_authorization_code_without_code_is_invalid_request_rfc6749_4_1_3(
    server: Server, confidential: ClientCredentials
) -> None:
    response = server.post(
        server.token_url,
        {"grant_type": "authorization_code"},
        auth=(confidential.client_id, confidential.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.rfc("7591", "3")
@pytest.mark.parametrize(
    ("method", "content_type", "body", "status"),
    [
        pytest.param("GET", "application/json", b"{}", 405, id="GET-instead-of-POST"),
        pytest.param("POST", FORM, b"redirect_uris=x", 400, id="form-content-type"),
        pytest.param("POST", None, b"{}", 400, id="no-content-type"),
        pytest.param("POST", "application/json", b"{not json", 400, id="broken-json"),
        pytest.param("POST", "application/json", b"", 400, id="empty-body"),
        pytest.param("POST", "application/json", b'{"client_name": "\xff"}', 400, id="non-utf8"),
        pytest.param("POST", "application/json", b"[1, 2]", 400, id="array-not-object"),
        pytest.param("POST", "application/json", b'{"a": 1, "a": 2}', 400, id="repeated-member"),
        pytest.param("POST", "application/json", b"[" * 30_000 + b"]" * 30_000, 400, id="deeply-nested"),
        pytest.param("POST", "application/json", b'{"pad": "' + b"x" * 70_000 + b'"}', 413, id="oversized"),
    ],
)
def test_hostile_registration_requests_rfc7591_3(
    server: Server, method: str, content_type: str | None, body: bytes, status: int
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = requests.request(method, server.register_url, data=body, headers=headers, timeout=10)
    assert_oauth_error(response, status, "invalid_request")


@pytest.mark.rfc("7591", "3")
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer", id="bare-bearer"),
        pytest.param("Bearer " + "x" * 8000, id="huge-token"),
        pytest.param("Bearer a b c", id="spaces"),
        pytest.param('Bearer realm="x", token="y"', id="params"),
        pytest.param(_basic(INITIAL_ACCESS_TOKEN.encode() + b":"), id="basic"),
    ],
)
def test_hostile_initial_access_tokens_rfc7591_3(protected_server: Server, authorization: str) -> None:
    response = requests.post(
        protected_server.register_url,
        json={"redirect_uris": [REDIRECT_URI]},
        headers={"Authorization": authorization},
        timeout=10,
    )
    assert_oauth_error(response, 401, "invalid_token")


@pytest.mark.rfc("6749", "2.3.1")
@pytest.mark.parametrize("endpoint", list(FORM_ENDPOINTS))
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Basic \xff\xfe", id="basic-latin1"),
        pytest.param("Basic é:ü", id="basic-unencoded-latin1"),
        pytest.param("basic \xa0", id="basic-nbsp"),
    ],
)
def test_non_ascii_basic_header_is_invalid_client_rfc6749_2_3_1(
    server: Server, service: ClientCredentials, endpoint: str, authorization: str
) -> None:
    """RFC 6749 §2.3.1, §5.2: a Basic header that is not base64 (here not even ASCII) is 401, not 500."""
    path, body = FORM_ENDPOINTS[endpoint]
    response = _send(server, path, Case(401, "invalid_client", authorization=authorization), body, service)
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


@pytest.mark.rfc("7591", "3")
def test_non_ascii_basic_header_on_protected_registration_rfc7591_3(protected_server: Server) -> None:
    """RFC 7591 §3: a garbage Authorization header is a missing initial access token (401), not a 500."""
    response = requests.post(
        protected_server.register_url,
        json={"redirect_uris": [REDIRECT_URI]},
        headers={"Authorization": "Basic \xff"},
        timeout=10,
    )
    assert_oauth_error(response, 401, "invalid_token")


def _raw_exchange(server: Server, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, half-close, and read the whole answer: (status, headers, body)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.rfc("6749", "3.2")
@pytest.mark.parametrize("endpoint", [*FORM_ENDPOINTS, "registration"])
@pytest.mark.parametrize(
    ("framing", "payload"),
    [
        pytest.param(b"Content-Length: 1000\r\n", b"grant_type=client_credentials&token=x", id="shorter-than-length"),
        pytest.param(b"Content-Length: 50\r\n", b"", id="no-body-at-all"),
        pytest.param(b"Transfer-Encoding: chunked\r\n", b"5\r\ngrant\r\nZZ\r\n", id="broken-chunk-size"),
        pytest.param(b"Transfer-Encoding: chunked\r\n", b"ff\r\nshort", id="chunk-cut-short"),
    ],
)
def test_truncated_or_broken_body_is_invalid_request_rfc6749_3_2(
    server: Server, service: ClientCredentials, endpoint: str, framing: bytes, payload: bytes
) -> None:
    """RFC 6749 §3.2 / RFC 9110 §8.6: a body that ends before its framing says is 400, never a 500.

    It is never taken for the whole body either (a cut-off form would be a different request).
    """
    path = "/oauth/register" if endpoint == "registration" else FORM_ENDPOINTS[endpoint][0]
    content_type = b"application/json" if endpoint == "registration" else FORM.encode()
    basic = base64.b64encode(f"{service.client_id}:{service.client_secret}".encode())
    request = (
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        b"Content-Type: " + content_type + b"\r\nAuthorization: Basic " + basic + b"\r\n" + framing + b"\r\n" + payload
    )
    status, headers, body = _raw_exchange(server, request)
    assert status == 400, body
    assert headers["Content-Type"] == "application/json" and headers["Cache-Control"] == "no-store"
    assert json.loads(body)["error"] == "invalid_request"


LONG_URI = "https://client.example.com/" + "p" * 1970


@pytest.mark.rfc("7591", "3.2.2")
@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        pytest.param(
            {"redirect_uris": [f"https://c.example.com/{i}" for i in range(21)]}, "invalid_redirect_uri", id="21-uris"
        ),
        pytest.param({"redirect_uris": [f"{LONG_URI}{i}" for i in range(9)]}, "invalid_redirect_uri", id="9-long-uris"),
        pytest.param({"redirect_uris": [LONG_URI * 2]}, "invalid_redirect_uri", id="4k-uri"),
        pytest.param({"client_name": "x" * 256}, "invalid_client_metadata", id="long-name"),
        pytest.param({"client_uri": "javascript:alert(1)"}, "invalid_client_metadata", id="script-client-uri"),
        pytest.param({"logo_uri": "http://evil.example.com/logo.png"}, "invalid_client_metadata", id="http-logo"),
        pytest.param({"tos_uri": 42}, "invalid_client_metadata", id="number-tos"),
        pytest.param({"contacts": ["a@example.com"] * 11}, "invalid_client_metadata", id="11-contacts"),
        pytest.param({"contacts": "a@example.com"}, "invalid_client_metadata", id="contacts-not-array"),
        pytest.param({"software_id": "\udcff"}, "invalid_client_metadata", id="surrogate"),
        pytest.param({"software_version": "1\x00"}, "invalid_client_metadata", id="nul"),
    ],
)
def test_metadata_past_what_storage_holds_is_refused_not_a_500(
    server: Server, provider: Proauth2, metadata: dict[str, Any], error: str
) -> None:
    """Every value that could not be stored is a clear RFC 7591 error, and nothing is registered."""
    body = {"redirect_uris": ["https://client.example.com/cb"], **metadata}
    response = requests.post(server.register_url, json=body, timeout=10)
    assert_oauth_error(response, 400, error)
    assert provider.list_clients() == []


def test_descriptive_metadata_is_kept_and_shown_back(server: Server, provider: Proauth2) -> None:
    """RFC 7591 §2 human-facing metadata survives registration (the clients.metadata JSON column)."""
    body = {
        "redirect_uris": ["https://client.example.com/cb"],
        "client_uri": "https://client.example.com/",
        "logo_uri": "https://client.example.com/logo.png",
        "contacts": ["ops@client.example.com"],
        "software_id": "4NRB1-0XZABZI9E6-5SM3R",
        "software_version": "2.1",
        "unknown_field": "ignored",
    }
    registered = requests.post(server.register_url, json=body, timeout=10).json()
    for name in ("client_uri", "logo_uri", "contacts", "software_id", "software_version"):
        assert registered[name] == body[name], name
    assert "unknown_field" not in registered
    client = provider.get_client(registered["client_id"])
    assert client is not None and client.metadata["contacts"] == ["ops@client.example.com"]


@pytest.mark.parametrize("user_id", ["x" * 256, "", "a\x00b", "\udcff", "line\nbreak"])
def test_a_user_id_storage_could_not_hold_is_refused(provider: Proauth2, user_id: str) -> None:
    client = provider.register_app("App", ["https://client.example.com/cb"], auth_method="none")
    request = provider.validate_authorization_request(
        client.client_id,
        "code",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
    )
    with pytest.raises(InvalidRequest, match="user_id"):
        provider.issue_code(request, user_id)
