"""What the ``private_key_jwt`` tests share: client keys made once, a real HTTPS ``jwks_uri`` server, settings.

The key sets live at ``https://client.test:<port>/...`` on the HTTPS document
server of the metadata-document tests (tests/cimd/conftest.py), trusted
through the test CA of :func:`~proauth2_wsgi.testing.certificates.make_certificates`
and reached through the injected resolver, with the test-only settings
``cimd_allow_loopback``, ``cimd_ca_file`` and ``cimd_resolver``. A test
module imports the fixtures it uses (``# noqa: F401``) and overrides
``settings`` with :func:`jwks_settings`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import Headers

from proauth2_wsgi import Settings
from proauth2_wsgi.request import EndpointRequest, Parameters
from proauth2_wsgi.testing.certificates import Certificates, make_certificates
from proauth2_wsgi.testing.client_assertions import AssertionKey
from tests.cimd.conftest import HOST, Answer, DocumentServer, FakeResolver, serving_documents
from tests.conftest import FakeClock

__all__ = ["HOST", "Answer", "DocumentServer", "FakeResolver"]

ISSUER = "https://auth.example.com"
TOKEN_URL = ISSUER + "/oauth/token"
#: the RFC every test here proves a section of
RFC = "7523"
#: what every refused authentication says, whatever the reason
FAILED = "client authentication failed"
ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")


@functools.cache
def client_key(alg: str = "ES256", number: int = 0) -> AssertionKey:
    """A client's key pair, made once per run (a 2048-bit RSA key takes a tenth of a second)."""
    return AssertionKey(alg, kid=f"{alg.lower()}-{number}")


def jwks_settings(clock: FakeClock, certificates: Certificates, resolver: FakeResolver, **changes: Any) -> Settings:
    """The suite's settings, with ``jwks_uri`` fetches allowed from the loopback test server."""
    options: dict[str, Any] = {
        "issuer": ISSUER,
        "scopes": {"profile": "Read your profile", "email": "Read your email"},
        "default_scope": "profile",
        "clock": clock,
        "cimd_allow_loopback": True,
        "cimd_ca_file": certificates.ca,
        "cimd_resolver": resolver,
        "cimd_timeout": 2.0,
    }
    return Settings(**{**options, **changes})


def serve_jwks(server: DocumentServer, path: str, jwks: dict[str, Any], **headers: str) -> str:
    """Serve ``jwks`` on ``path`` as ``application/json`` (or ``content_type``); its URL."""
    content_type = headers.pop("content_type", "application/json")
    answer = Answer(json.dumps(jwks).encode(), headers=[("Content-Type", content_type), *headers.items()])
    return server.answer(path, answer)


def endpoint_request(params: dict[str, str], url: str = TOKEN_URL, **headers: str) -> EndpointRequest:
    """A POST to ``url`` with ``params`` as its body, as an endpoint hands it to the provider."""
    return EndpointRequest("POST", url, Headers(headers), Parameters.of(params))


@pytest.fixture(scope="session")
def jwks_certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(Path(tmp_path_factory.mktemp("jwks-tls")), (HOST, "other.test", "localhost"))


@pytest.fixture(scope="session")
def _jwks_server(jwks_certificates: Certificates) -> Iterator[DocumentServer]:
    with serving_documents(jwks_certificates) as app:
        yield app


@pytest.fixture
def jwks_server(_jwks_server: DocumentServer) -> Iterator[DocumentServer]:
    """The HTTPS server of the clients' key sets: nothing served, no request counted."""
    _jwks_server.reset()
    yield _jwks_server
    _jwks_server.reset()


@pytest.fixture
def jwks_resolver() -> FakeResolver:
    """``client.test`` and ``other.test`` are 127.0.0.1; anything else does not resolve."""
    fake = FakeResolver()
    fake.reset()
    return fake
