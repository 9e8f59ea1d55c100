"""Caching documents within bounds (draft §4.4): max-age clamped, no-store honoured, failures never kept.

Requests are counted at the real HTTPS document server; time is the
suite's FakeClock, so nothing sleeps.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading

import pytest

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.cimd import DocumentCache, cache_lifetime
from proauth2_wsgi.errors import InvalidClient, InvalidGrant
from proauth2_wsgi.models import Client
from proauth2_wsgi.stores import PeeweeDataStore
from tests.cimd.conftest import Answer, DocumentServer
from tests.cimd.helpers import DRAFT, assert_refused, authorization_query
from tests.conftest import FakeClock


@pytest.mark.rfc(DRAFT, "4.4")
def test_a_document_is_fetched_at_most_once_per_cache_period(
    provider: Proauth2, documents: DocumentServer, clock: FakeClock
) -> None:
    """Authorization requests, lookups and token requests within max-age cost one fetch."""
    url = documents.document("/app.json", headers=[("Cache-Control", "public, max-age=120")])
    for _ in range(5):
        provider.parse_authorization_request(authorization_query(url))
        assert provider.get_client(url) is not None
    with pytest.raises(InvalidGrant):
        provider.request_access_token("authorization_code", url, code="unknown", code_verifier="v" * 43)
    assert documents.hits["/app.json"] == 1
    clock.advance(119)
    provider.parse_authorization_request(authorization_query(url))
    assert documents.hits["/app.json"] == 1
    clock.advance(2)
    provider.parse_authorization_request(authorization_query(url))
    assert documents.hits["/app.json"] == 2


@pytest.mark.rfc(DRAFT, "4.4")
@pytest.mark.parametrize(
    ("cache_control", "kept"),
    [
        pytest.param(None, 300, id="default"),
        pytest.param("max-age=120", 120, id="max-age"),
        pytest.param("max-age=5", 60, id="below-minimum"),
        pytest.param("max-age=0", 60, id="zero-is-minimum"),
        pytest.param("max-age=999999999", 86400, id="above-maximum"),
        pytest.param('public, MAX-AGE="600"', 600, id="quoted-any-case"),
        pytest.param("max-age=soon", 300, id="malformed"),
    ],
)
def test_max_age_is_honoured_within_bounds(
    provider: Proauth2, documents: DocumentServer, clock: FakeClock, cache_control: str | None, kept: int
) -> None:
    headers = [] if cache_control is None else [("Cache-Control", cache_control)]
    url = documents.document("/app.json", headers=headers)
    assert provider.get_client(url) is not None
    clock.advance(kept - 1)
    assert provider.get_client(url) is not None
    assert documents.hits["/app.json"] == 1
    clock.advance(1)
    assert provider.get_client(url) is not None
    assert documents.hits["/app.json"] == 2


@pytest.mark.rfc(DRAFT, "4.4")
@pytest.mark.parametrize("cache_control", ["no-store", "no-cache", "private, no-store, max-age=600"])
def test_no_store_and_no_cache_are_not_kept(provider: Proauth2, documents: DocumentServer, cache_control: str) -> None:
    url = documents.document("/app.json", headers=[("Cache-Control", cache_control)])
    assert provider.get_client(url) is not None
    assert provider.get_client(url) is not None
    assert documents.hits["/app.json"] == 2
    assert provider.client_documents is not None and len(provider.client_documents.cache) == 0


@pytest.mark.rfc(DRAFT, "4.4")
def test_failures_are_not_cached(provider: Proauth2, documents: DocumentServer) -> None:
    """A failed fetch, then a bad document, then a good one: three fetches, the good one kept."""
    url = documents.url("/app.json")
    assert_refused(provider, url, "HTTP 404")
    documents.answer("/app.json", Answer(b'{"client_id": "https://elsewhere.example/app.json"}'))
    assert_refused(provider, url, "its client_id member is not exactly the URL")
    documents.document("/app.json")
    assert provider.get_client(url) is not None
    assert provider.get_client(url) is not None
    assert documents.hits["/app.json"] == 3


def test_concurrent_requests_for_one_client_fetch_once(provider: Proauth2, documents: DocumentServer) -> None:
    """Eight threads ask at once while the fetch takes 0.2 s: one fetch, and all get the client."""
    url = documents.document("/app.json", delay=0.2)
    barrier = threading.Barrier(8)
    found: list[Client | None] = []
    errors: list[BaseException] = []

    def ask() -> None:
        barrier.wait()
        try:
            found.append(provider.get_client(url))
        except InvalidClient as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert errors == [] and len(found) == 8 and all(client is not None for client in found)
    assert documents.hits["/app.json"] == 1


def test_the_cache_holds_a_bounded_number_of_documents(
    store: PeeweeDataStore, settings: Settings, documents: DocumentServer
) -> None:
    """Beyond cimd_cache_size the oldest document goes first."""
    provider = Proauth2(store, dataclasses.replace(settings, cimd_cache_size=2))
    first, second, third = (documents.document(f"/{name}.json") for name in ("a", "b", "c"))
    for url in (first, second, third):
        provider.get_client(url)
    assert provider.client_documents is not None and len(provider.client_documents.cache) == 2
    provider.get_client(third)
    provider.get_client(second)
    assert (documents.hits["/a.json"], documents.hits["/b.json"], documents.hits["/c.json"]) == (1, 1, 1)
    provider.get_client(first)
    assert documents.hits["/a.json"] == 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(None, 300, id="none"),
        pytest.param("", 300, id="empty"),
        pytest.param("max-age=100", 100, id="max-age"),
        pytest.param("max-age=1", 60, id="clamped-up"),
        pytest.param("max-age=100000", 86400, id="clamped-down"),
        pytest.param("max-age=-5", 300, id="negative"),
        pytest.param("max-age=²", 300, id="non-ascii-digit"),
        pytest.param("s-maxage=10", 300, id="s-maxage-ignored"),
        pytest.param("no-store", None, id="no-store"),
        pytest.param("No-Cache", None, id="no-cache"),
        pytest.param("max-age=100, no-store", None, id="no-store-wins"),
    ],
)
def test_cache_lifetime(header: str | None, expected: int | None) -> None:
    assert cache_lifetime(header, 300, 60, 86400) == expected


def test_document_cache_expires_evicts_and_loads_once(clock: FakeClock) -> None:
    cache: DocumentCache[str] = DocumentCache(2, clock)
    loads: list[str] = []

    def loader(value: str, ttl: float | None) -> tuple[str, float | None]:
        loads.append(value)
        return value, ttl

    assert cache.load("a", lambda: loader("A", 10)) == "A"
    assert cache.load("a", lambda: loader("A2", 10)) == "A"
    clock.advance(10)
    assert "a" not in cache and cache.get("a") is None
    assert cache.load("a", lambda: loader("A3", None)) == "A3"  # not kept
    assert "a" not in cache
    with pytest.raises(ZeroDivisionError):
        cache.load("b", lambda: (str(1 / 0), 10))
    assert "b" not in cache
    for key in ("x", "y", "z"):
        cache.put(key, key, 10)
    assert len(cache) == 2 and "x" not in cache and "z" in cache
    cache.clear()
    assert len(cache) == 0
    assert loads == ["A", "A3"]
    with pytest.raises(ValueError):
        DocumentCache(0, clock)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_gets_fresh_locks(clock: FakeClock) -> None:
    """A fork while another thread holds the cache's lock (or fetches) leaves the child a working cache."""
    cache: DocumentCache[str] = DocumentCache(10, clock)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with cache._flight("a"), cache._lock:  # a fetch of "a" under way, and the lock held
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert holding.wait(5)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        try:
            signal.alarm(5)  # a deadlock ends the child instead of the test run
            cache.put("b", "B", 10)
            ok = cache.load("a", lambda: ("A", 10)) == "A" and cache.get("b") == "B"
            os._exit(0 if ok else 1)
        except BaseException:  # noqa: BLE001 - the child must never return into pytest
            os._exit(2)
    release.set()
    holder.join(5)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
