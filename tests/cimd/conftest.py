"""Fixtures for client metadata documents: a CA, a real HTTPS document server on 127.0.0.1, a resolver.

The documents live at ``https://client.test:<port>/...``: ``client.test``
never resolves through the system (RFC 6761 ``.test``), so a fetch that
works proves it connected to the address the injected resolver gave and
validated. The server's certificate is issued for ``client.test`` by a CA
made here and trusted through ``cimd_ca_file``; loopback is allowed with
``cimd_allow_loopback`` (test-only settings). Builds on tests/conftest.py
(``settings -> store -> provider``), on SQLite.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.serving import make_server

from proauth2_wsgi import Settings
from proauth2_wsgi.testing.certificates import Certificates, make_certificates
from tests.conftest import FakeClock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: the host documents are served from (resolved by the test resolver only)
HOST = "client.test"
#: where the test clients' users come back to
CALLBACK = "https://app.example.com/callback"


@dataclass
class Answer:
    """What the document server answers on one path."""

    body: bytes
    status: str = "200 OK"
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", "application/json")])
    #: seconds to wait before answering (the test's end cuts it short)
    delay: float = 0.0
    #: send the body a byte at a time, this many seconds apart
    drip: float | None = None


class DocumentServer:
    """A WSGI app serving :class:`Answer` s by path over HTTPS, counting the requests on each path."""

    def __init__(self) -> None:
        self.port = 0
        self.answers: dict[str, Answer] = {}
        self.hits: Counter[str] = Counter()
        self.hosts: list[str] = []
        self.release = threading.Event()
        self._lock = threading.Lock()

    def url(self, path: str, host: str = HOST) -> str:
        return f"https://{host}:{self.port}{path}"

    def answer(self, path: str, answer: Answer, host: str = HOST) -> str:
        """Serve ``answer`` on ``path``; its URL."""
        self.answers[path] = answer
        return self.url(path, host)

    def document(
        self,
        path: str,
        host: str = HOST,
        headers: Iterable[tuple[str, str]] = (),
        delay: float = 0.0,
        **members: Any,
    ) -> str:
        """Serve a valid client metadata document on ``path`` (``members`` added or replacing); its URL."""
        url = self.url(path, host)
        document = {"client_id": url, "client_name": "Test app", "redirect_uris": [CALLBACK], **members}
        body = json.dumps({name: value for name, value in document.items() if value is not None}).encode()
        return self.answer(
            path, Answer(body, headers=[("Content-Type", "application/json"), *headers], delay=delay), host
        )

    def reset(self) -> None:
        self.release.set()
        self.answers.clear()
        self.hits.clear()
        self.hosts.clear()
        self.release = threading.Event()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        with self._lock:
            self.hits[path] += 1
            self.hosts.append(environ.get("HTTP_HOST", ""))
        answer = self.answers.get(path)
        if answer is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if answer.delay:
            self.release.wait(answer.delay)
        start_response(answer.status, answer.headers)
        if answer.drip is None:
            return [answer.body]
        return self._drip(answer.body, answer.drip, self.release)

    @staticmethod
    def _drip(body: bytes, pause: float, release: threading.Event) -> Iterator[bytes]:
        for index in range(len(body)):
            if release.wait(pause):
                return
            yield body[index : index + 1]


class FakeResolver:
    """Names to addresses, by a table; every call recorded. ``client.test`` is 127.0.0.1 by default."""

    def __init__(self) -> None:
        self.table: dict[str, list[list[str]]] = {}
        self.calls: list[tuple[str, int]] = []

    def set(self, host: str, *answers: list[str]) -> None:
        """``host`` resolves to ``answers[0]`` first, then ``answers[1]``..., the last one thereafter."""
        self.table[host] = list(answers)

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answers = self.table.get(host)
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def reset(self) -> None:
        self.calls.clear()
        self.table = {HOST: [["127.0.0.1"]], "other.test": [["127.0.0.1"]]}


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("cimd-tls"), (HOST, "other.test", "rebind.test", "localhost"))


@contextmanager
def serving_documents(certificates: Certificates) -> Iterator[DocumentServer]:
    """A :class:`DocumentServer` on 127.0.0.1 over HTTPS: werkzeug's threaded server with the test certificate."""
    app = DocumentServer()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert, certificates.key)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    app.port = server.server_port
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="cimd-document-server", daemon=True
    )
    thread.start()
    try:
        yield app
    finally:
        app.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def _document_server(certificates: Certificates) -> Iterator[DocumentServer]:
    """One HTTPS document server for the session."""
    with serving_documents(certificates) as app:
        yield app


@pytest.fixture
def documents(_document_server: DocumentServer) -> Iterator[DocumentServer]:
    """The HTTPS document server, with no documents and no requests counted."""
    _document_server.reset()
    yield _document_server
    _document_server.reset()


@pytest.fixture
def resolver() -> FakeResolver:
    fake = FakeResolver()
    fake.reset()
    return fake


@pytest.fixture
def settings(clock: FakeClock, certificates: Certificates, resolver: FakeResolver) -> Settings:
    """The suite's settings, with metadata documents on, served over loopback by the test server."""
    return Settings(
        issuer="https://auth.example.com",
        scopes={"profile": "Read your profile", "email": "Read your email", "admin": "Administer"},
        default_scope="profile",
        clock=clock,
        client_id_metadata_documents=True,
        cimd_allow_loopback=True,
        cimd_ca_file=certificates.ca,
        cimd_resolver=resolver,
        cimd_timeout=2.0,
    )


def elapsed_since(start: float) -> float:
    return time.monotonic() - start
