"""A smaller share of the hostile requests over real loopback HTTP, on SQLite, PostgreSQL and MariaDB.

The same strategies and properties as in-process (tests/fuzz/checks.py),
through werkzeug's threaded server and ``http.client``: what the HTTP layer
adds (framing, header folding, method and path handling) is in the way too,
and the rows are read back from each real database. Header values lose CR and
LF here (a client cannot send them inside one header); the in-process tests
send them.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.serving import WSGIRequestHandler

from tests.databases import fresh_database
from tests.fuzz.checks import assert_endpoint_answer, assert_no_leak, assert_registered_location, assert_unchanged
from tests.fuzz.strategies import Hostile, json_bytes, query_requests
from tests.fuzz.test_form_endpoints import authorization_params
from tests.fuzz.test_registration import metadata_documents
from tests.fuzz.test_token_endpoint import GRANTS, token_requests
from tests.fuzz.world import LOOPBACK, REDIRECT, Answer, World
from tests.http_server import serve

pytestmark = pytest.mark.backends

#: what the HTTP server itself refuses before the app sees anything (RFC 9110 §15.5.15, RFC 6585 §5)
SERVER_REFUSALS = (414, 431)
#: a tenth of the in-process examples (each is a real HTTP exchange and several real queries)
EXAMPLES = max(4, settings().max_examples // 10)


@pytest.fixture(scope="module")
def served(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str]]:
    """A world on a fresh database of ``backend``, served on loopback: (world, host:port).

    The test server's access log is off meanwhile: it is werkzeug's, not the
    library's, and it would write every fuzzed request line — JWS lookalikes in
    query strings included — where tests/log_capture.py rightly calls them leaks.
    """
    with (
        pytest.MonkeyPatch.context() as patch,
        fresh_database(backend, str(tmp_path_factory.mktemp(f"fuzz-{backend}"))) as url,
    ):
        patch.setattr(WSGIRequestHandler, "log_request", lambda self, code="-", size="-": None)
        world = World(url)
        try:
            with serve(world.app) as base_url:
                yield world, base_url.removeprefix("http://")
        finally:
            world.close()


def endpoint_answer(world: World, answer: Answer) -> dict[str, Any] | None:
    """:func:`assert_endpoint_answer`, or the HTTP server's own refusal (an HTML 400, 414 or 431): a refusal too."""
    if answer.status in SERVER_REFUSALS or (answer.status == 400 and "html" in answer.headers.get("content-type", "")):
        assert_no_leak(answer, world.secrets)
        return {}
    return assert_endpoint_answer(answer, world.secrets)


def over_http(world: World, address: str, hostile: Hostile, target: str) -> Answer:
    """Send ``hostile`` with ``http.client`` (CR/LF dropped from header values, the path percent-encoded)."""
    connection = http.client.HTTPConnection(address, timeout=30)
    path = quote(hostile.path.encode("utf-8", "surrogatepass"), safe="/%")
    if hostile.query:
        path += "?" + quote(hostile.query, safe="&=%+")
    try:
        connection.putrequest(hostile.method.upper(), path, skip_accept_encoding=True)
        headers = {name: value.replace("\r", "").replace("\n", "") for name, value in hostile.headers.items()}
        if hostile.content_type is not None:
            headers["Content-Type"] = hostile.content_type.replace("\r", "").replace("\n", "")
        headers["Content-Length"] = str(len(hostile.body))
        for name, value in headers.items():
            connection.putheader(name, value.encode("latin-1"))
        try:
            connection.endheaders(hostile.body)
        except ConnectionError:  # the server answered (414, 431) and closed before the whole request was sent
            pass
        try:
            response = connection.getresponse()
            body = response.read()
        except ConnectionError:
            return world.answer(target, 431, [], b"", hostile.method.upper())  # closed without an answer: refused
        return world.answer(target, response.status, response.getheaders(), body, hostile.method.upper())
    finally:
        connection.close()


@pytest.mark.rfc("6749", "5.2")
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_hostile_token_requests_over_loopback_rfc6749_5_2(served: tuple[World, str], data: st.DataObject) -> None:
    world, address = served
    hostile = data.draw(token_requests(world, st.sampled_from(GRANTS)))
    before = world.snapshot()
    with world.errors_logged() as errors:
        answer = over_http(world, address, hostile, "loopback: token")
    assert not [record for record in errors if record.name.startswith("proauth2")]  # werkzeug's server logs its 4xx
    if endpoint_answer(world, answer) is None:
        world.spent()
    else:
        assert_unchanged(before, world.snapshot(), volatile={"device_codes": ("last_polled_at", "interval")})


@pytest.mark.rfc("7591", "3.2.2")
@settings(max_examples=EXAMPLES)
@given(body=json_bytes(metadata_documents), content_type=st.sampled_from(["application/json", "text/plain", "x"]))
def test_hostile_registration_over_loopback_rfc7591_3_2_2(
    served: tuple[World, str], body: bytes, content_type: str
) -> None:
    world, address = served
    before = world.snapshot()
    hostile = Hostile("POST", "/oauth/register", b"", content_type, body)
    answer = over_http(world, address, hostile, "loopback: registration")
    if endpoint_answer(world, answer) is None:
        world.spent()
    else:
        assert_unchanged(before, world.snapshot())


@pytest.mark.rfc("6749", "4.1.2.1")
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_hostile_authorization_requests_over_loopback_rfc6749_4_1_2_1(
    served: tuple[World, str], data: st.DataObject
) -> None:
    world, address = served
    valid = {"client_id": world.confidential.client_id, "response_type": "code", "redirect_uri": REDIRECT}
    hostile = data.draw(
        query_requests(
            "/authorize", authorization_params(world), st.none(), required=valid, valid_authorization=st.none()
        )
    )
    hostile.method = "GET"
    before = world.snapshot()
    answer = over_http(world, address, hostile, "loopback: authorization helpers")
    assert_no_leak(answer, world.secrets)
    location = answer.headers.get("location")
    if location is None:
        assert 400 <= answer.status < 500 or answer.status in SERVER_REFUSALS
        assert_unchanged(before, world.snapshot())
    else:
        assert_registered_location(location, (REDIRECT, LOOPBACK))
        world.spent()
