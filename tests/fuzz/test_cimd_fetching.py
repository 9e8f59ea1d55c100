"""Hostile documents behind the URLs the server fetches: client metadata documents (the CIMD draft §3-§4,
§6) and a private_key_jwt client's ``jwks_uri`` (RFC 7523 §3, RFC 7591 §2).

Each example serves one hostile answer — status, content type, caching
headers, and a body that is a document with hostile members, any JSON, or not
JSON — from the HTTPS loopback document server of tests/cimd (its CA, its
resolver), at a fresh path so that no cache hides it. An authorization
request naming the document is answered by a page (never a redirect) unless
the document was acceptable, and then only to a redirect URI it lists; a
token request whose key set is hostile is 401 ``invalid_client``. No row
changes unless a code or a token was issued.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proauth2_wsgi.testing.certificates import Certificates
from tests.cimd.conftest import (  # noqa: F401 - fixtures: the test CA and the HTTPS document server
    CALLBACK,
    Answer,
    DocumentServer,
    FakeResolver,
    _document_server,
    certificates,
)
from tests.fuzz.checks import assert_no_leak, assert_registered_location, assert_unchanged
from tests.fuzz.harness import exercise
from tests.fuzz.pieces import DPOP_KEY
from tests.fuzz.strategies import (
    Hostile,
    basic,
    encode_form,
    hostile_text,
    json_bytes,
    json_values,
    redirect_uris,
)
from tests.fuzz.world import ISSUER, World

_PATHS = itertools.count()
STATUSES = ("200 OK", "200 OK", "200 OK", "201 Created", "204 No Content", "302 Found", "404 Not Found", "500 Oops")
CONTENT_TYPES = (
    "application/json",
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/jwk-set+json",
    "text/html",
    "application/jsonp",
    "",
)
CACHING = ("max-age=60", "no-store", "max-age=-1", "max-age=99999999999999999999", "private, max-age=abc", "\x00")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[World]:
    """The fuzzed server with metadata documents on, fetching from the loopback HTTPS document server."""
    made: Certificates = request.getfixturevalue("certificates")
    resolver = FakeResolver()
    resolver.reset()
    built = World(
        f"sqlite:///{tmp_path_factory.mktemp('fuzz-cimd')}/proauth2.db",
        client_id_metadata_documents=True,
        cimd_allow_loopback=True,
        cimd_ca_file=made.ca,
        cimd_resolver=resolver,
        cimd_timeout=2.0,
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def documents(request: pytest.FixtureRequest) -> DocumentServer:
    """The session's HTTPS document server (tests/cimd/conftest.py)."""
    return request.getfixturevalue("_document_server")


@st.composite
def hostile_answers(draw: st.DrawFn, document: dict) -> Answer:
    """A document server's answer: mostly ``document`` with hostile members, sometimes anything at all."""
    base = st.dictionaries(st.sampled_from([*sorted(document), "jwks", "token_endpoint_auth_method"]), json_values)
    members = st.one_of(base, st.fixed_dictionaries({"redirect_uris": st.lists(redirect_uris(CALLBACK), max_size=2)}))
    body = draw(st.one_of(members.map(lambda changes: json.dumps({**document, **changes}).encode()), json_bytes()))
    headers = [("Content-Type", draw(st.sampled_from(CONTENT_TYPES)))]
    if draw(st.booleans()):
        headers.append(("Cache-Control", draw(st.sampled_from(CACHING))))
    if draw(st.integers(0, 5)) == 0:
        headers.append(("Location", "https://evil.example/"))
    return Answer(body, status=draw(st.sampled_from(STATUSES)), headers=headers)


@pytest.mark.rfc("draft-ietf-oauth-client-id-metadata-document", "4")
@given(data=st.data())
def test_hostile_client_metadata_documents_are_refused_or_used_safely(
    world: World,
    documents: DocumentServer,
    data: st.DataObject,
) -> None:
    url = documents.url(f"/fuzz/client-{next(_PATHS)}.json")
    document = {"client_id": url, "client_name": "Fuzzed", "redirect_uris": [CALLBACK]}
    answer_served = data.draw(hostile_answers(document))
    documents.answers[url.split(str(documents.port), 1)[1]] = answer_served
    query = {
        "client_id": url,
        "response_type": "code",
        "redirect_uri": data.draw(st.one_of(st.just(CALLBACK), redirect_uris(CALLBACK))),
        "state": "s",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "scope": data.draw(hostile_text("profile")),
    }
    before = world.snapshot()
    answer = world.send(
        Hostile("GET", "/authorize", encode_form(list(query.items())), None), "CIMD document fetch (authorize)"
    )
    assert_no_leak(answer, world.secrets)
    location = answer.headers.get("location")
    if location is None:
        assert 400 <= answer.status < 500, answer.status
        assert_unchanged(before, world.snapshot())
        return
    served = json.loads(answer_served.body)
    assert answer_served.status.startswith("200") and isinstance(served, dict), "a redirect for a refused document"
    assert_registered_location(location, served["redirect_uris"])
    world.spent()


@pytest.mark.rfc("7523", "3")
@given(data=st.data())
def test_hostile_jwks_uri_documents_fail_client_authentication_rfc7523_3(
    world: World,
    documents: DocumentServer,
    data: st.DataObject,
) -> None:
    path = f"/fuzz/jwks-{next(_PATHS)}.json"
    client = world.provider.register_app(
        "Keys by URL",
        grant_types=["client_credentials"],
        auth_method="private_key_jwt",
        metadata={"jwks_uri": documents.url(path)},
    )
    keys = st.lists(st.sampled_from([world.assertion_key.public_jwk, DPOP_KEY.as_dict(private=False)]), max_size=2)
    document = {"keys": data.draw(keys)}
    documents.answers[path] = data.draw(hostile_answers(document))
    assertion = world.assertion_key.assertion(client.client_id, ISSUER + "/oauth/token", now=world.clock.now)
    body = encode_form(
        [
            ("grant_type", "client_credentials"),
            ("client_id", client.client_id),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ]
    )
    headers = {"Authorization": basic(client.client_id, "")} if data.draw(st.integers(0, 9)) == 0 else {}
    _, error = exercise(
        world,
        "jwks_uri fetch (token, private_key_jwt)",
        Hostile("POST", "/oauth/token", b"", body=body, headers=headers),
    )
    if error is not None:
        assert error.get("error") in ("invalid_client", "invalid_request"), error
