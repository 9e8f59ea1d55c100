"""Client ID Metadata Documents: an authorization request of a CIMD client, and how often its document is fetched.

A client whose ``client_id`` is the https URL of its metadata document,
served on loopback with ``Cache-Control: max-age=300`` (the test-only
``cimd_allow_loopback`` and ``cimd_ca_file`` settings, and a throwaway CA),
against a registered client: the provider's validation of one authorization
request each, in rounds taking turns. Budget: every request of the run falls
within one cache period, so the document is fetched once in all.
"""

from __future__ import annotations

import json
import ssl
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.resource_cases import serve_http
from benchmarks.timing import call_times, overhead
from proauth2_wsgi import Proauth2
from proauth2_wsgi.pkce import s256_challenge
from proauth2_wsgi.testing.certificates import make_certificates

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CALLBACK = "http://127.0.0.1:8000/callback"
DOCUMENT_PATH = "/client.json"
CHALLENGE = s256_challenge("bench-verifier-" + "x" * 40)
#: budget: fetches of one client's document within one cache period
FETCH_BUDGET = 1


class DocumentHost:
    """A WSGI app serving one client metadata document, counting the requests for it."""

    def __init__(self) -> None:
        self.body = b""
        self.fetches = 0
        self._lock = threading.Lock()

    def publish(self, client_id: str) -> None:
        document = {"client_id": client_id, "client_name": "Bench app", "redirect_uris": [CALLBACK]}
        self.body = json.dumps({**document, "token_endpoint_auth_method": "none"}).encode()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            self.fetches += 1
        headers = [("Content-Type", "application/json"), ("Cache-Control", "max-age=300")]
        start_response("200 OK", [*headers, ("Content-Length", str(len(self.body)))])
        return [self.body]


def cimd_rows(database_url: str, iterations: int) -> tuple[list[tuple[str, str, str]], float, int]:
    """Rows of the CIMD table, the µs a CIMD client's request costs over a registered one's, the fetch count."""
    host = DocumentHost()
    with tempfile.TemporaryDirectory() as folder:
        certificates = make_certificates(Path(folder))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificates.cert, certificates.key)
        with serve_http(host, context) as base:
            client_id = f"{base}{DOCUMENT_PATH}"
            host.publish(client_id)
            provider = Proauth2(
                database_url,
                client_id_metadata_documents=True,
                cimd_allow_loopback=True,
                cimd_ca_file=certificates.ca,
            )
            registered = provider.register_app("Bench app", [CALLBACK], auth_method="none").client_id

            def authorize(of: str) -> object:
                return provider.validate_authorization_request(of, "code", CALLBACK, None, "s", CHALLENGE, "S256")

            timings = call_times([lambda _: authorize(registered), lambda _: authorize(client_id)], iterations)
            provider.store.close()
    extra = overhead(timings[0], timings[1])
    requests = len(timings[1].rounds) * iterations
    rows = [
        ("authorization request", "registered client", str(timings[0])),
        ("authorization request", "CIMD client, document cached", f"{timings[1]}  (+{extra:.1f})"),
        ("document fetches", f"{requests} requests in one cache period", f"{host.fetches:8d}"),
    ]
    return rows, extra, host.fetches


def cimd_budget_lines(fetches: int) -> list[tuple[str, bool]]:
    """The budget line of this part: (text, within budget)."""
    return [(f"CIMD document fetches in one cache period {fetches:3d} <= {FETCH_BUDGET}", fetches <= FETCH_BUDGET)]
