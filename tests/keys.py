"""Real RSA and EC signing keys for the tests, made once per run and handed out in turn.

A 2048-bit RSA key takes about 0.1 s to make and the tests make many, so a
conftest that imports these fixtures gets keys from a pool instead (each
test's database starts empty, so no two stored keys share a kid).
"""

from __future__ import annotations

from typing import Any

import pytest

_POOL_SIZE = 8


@pytest.fixture(scope="session")
def _key_pool() -> dict[str, list[Any]]:
    """Real RSA and EC keys, made once: a 2048-bit RSA key takes ~0.1 s to make, and tests make many."""
    from proauth2_wsgi import keyset

    return {alg: [make() for _ in range(_POOL_SIZE)] for alg, make in keyset._KEY_MAKERS.items()}


@pytest.fixture(autouse=True)
def _pooled_keys(_key_pool: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys come from the pool in turn (each test's database starts empty, so no two stored keys share a kid)."""
    from itertools import cycle

    from proauth2_wsgi import keyset

    turns = {alg: cycle(keys) for alg, keys in _key_pool.items()}
    monkeypatch.setattr(keyset, "_KEY_MAKERS", {alg: (lambda alg=alg: next(turns[alg])) for alg in turns})
