"""Exactly-once under concurrency, on every backend (RFC 6749 §4.1.2, §10.5; RFC 9700 §4.14.2)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from proauth2_wsgi import ClientCredentials, Proauth2, Proauth2Error
from proauth2_wsgi.stores import PeeweeDataStore
from tests.core.helpers import authorize, exchange, obtain_tokens

pytestmark = pytest.mark.backends

THREADS = 32


def race(attempt: Callable[[], dict[str, Any]], store: PeeweeDataStore) -> tuple[list[dict[str, Any]], list[str]]:
    """Run ``attempt`` in THREADS threads released at once; return the successes and the error codes."""
    barrier = threading.Barrier(THREADS)

    def run(_: int) -> dict[str, Any] | str:
        barrier.wait()
        try:
            return attempt()
        except Proauth2Error as exc:
            return exc.error
        finally:
            store.close()

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    return [r for r in results if isinstance(r, dict)], [r for r in results if isinstance(r, str)]


@pytest.mark.rfc("6749", "4.1.2")
def test_32_threads_exchanging_one_code_get_exactly_one_token(
    provider: Proauth2, store: PeeweeDataStore, confidential: ClientCredentials
) -> None:
    """RFC 6749 §4.1.2: a code is used once; the other 31 requests get invalid_grant."""
    authorized = authorize(provider, confidential)
    wins, errors = race(lambda: exchange(provider, confidential, authorized), store)
    assert len(wins) == 1
    assert errors == ["invalid_grant"] * (THREADS - 1)
    assert len(store.fetch_all("access_tokens", client_id=confidential.client_id)) == 1
    assert len(store.fetch_all("refresh_tokens", client_id=confidential.client_id)) == 1


@pytest.mark.rfc("9700", "4.14.2")
def test_32_threads_rotating_one_refresh_token_get_exactly_one_rotation(
    provider: Proauth2, store: PeeweeDataStore, confidential: ClientCredentials
) -> None:
    """RFC 9700 §4.14.2: one rotation wins; the others are reuse, and the grant is revoked."""
    first = obtain_tokens(provider, confidential)
    client_id, client_secret = confidential
    wins, errors = race(
        lambda: provider.request_access_token(
            "refresh_token", client_id, client_secret, refresh_token=first["refresh_token"]
        ),
        store,
    )
    assert len(wins) == 1
    assert errors == ["invalid_grant"] * (THREADS - 1)
    assert len(store.fetch_all("refresh_tokens", client_id=client_id)) == 2
