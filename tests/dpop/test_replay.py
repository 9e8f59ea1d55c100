"""Refusing a DPoP proof used before (RFC 9449 section 11.1): the replay key, and one process's bounded memory."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from proauth2_wsgi.dpop import DEFAULT_REPLAY_CACHE_SIZE, DPoPProof, MemoryReplayCache, ProofReplay, replay_key
from tests.conftest import FakeClock

RFC = "9449"
NOW = 1_800_000_000


def proof(jti: str = "jti-1", jkt: str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I") -> DPoPProof:
    return DPoPProof(jkt=jkt, jti=jti, htm="POST", htu="https://as.example.com/token", iat=NOW, nonce=None, ath=None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.mark.rfc(RFC, "11.1")
def test_the_replay_key_hashes_the_thumbprint_and_the_jti() -> None:
    key = replay_key(proof())
    assert len(key) == 64 and int(key, 16) >= 0
    assert "jti-1" not in key
    assert replay_key(proof()) == key
    assert replay_key(proof(jti="jti-2")) != key
    assert replay_key(proof(jkt="another-key")) != key  # a jti is unique per key only
    assert len(replay_key(proof(jti="\ud800"))) == 64  # a lone surrogate (JSON allows one) does not break it


@pytest.mark.rfc(RFC, "11.1")
def test_a_key_is_new_once_then_refused_until_it_expires(clock: FakeClock) -> None:
    cache: ProofReplay = MemoryReplayCache(clock=clock)
    assert cache.first_use("a", NOW + 120) is True
    assert cache.first_use("a", NOW + 120) is False
    assert cache.first_use("b", NOW + 120) is True
    clock.advance(119.9)
    assert cache.first_use("a", NOW + 240) is False
    clock.advance(0.1)
    assert cache.first_use("a", NOW + 240) is True
    assert cache.first_use("a", NOW + 240) is False


def test_the_cache_is_bounded_expired_keys_going_first_then_the_oldest(clock: FakeClock) -> None:
    cache = MemoryReplayCache(size=3, clock=clock)
    assert cache.first_use("long", NOW + 100)
    assert cache.first_use("short", NOW + 10)
    assert cache.first_use("middle", NOW + 50)
    clock.advance(10)
    assert cache.first_use("new", NOW + 100)  # "short" expired: it goes, the others stay
    assert len(cache) == 3
    assert not cache.first_use("long", NOW + 100) and not cache.first_use("middle", NOW + 50)
    assert cache.first_use("newer", NOW + 100)  # none expired: the oldest, "long", goes
    assert len(cache) == 3
    assert cache.first_use("long", NOW + 100)
    assert not cache.first_use("newer", NOW + 100)


def test_a_flood_keeps_memory_bounded(clock: FakeClock) -> None:
    cache = MemoryReplayCache(size=10, clock=clock)
    for number in range(1000):
        assert cache.first_use(f"k{number}", NOW + 120)
    assert len(cache) == 10 and len(cache._deadlines) <= 20
    assert not cache.first_use("k999", NOW + 120) and cache.first_use("k0", NOW + 120)
    clock.advance(120)
    assert cache.first_use("after", NOW + 240) and len(cache) == 1
    assert repr(cache) == "<MemoryReplayCache 1/10>"


def test_the_size_is_checked() -> None:
    assert MemoryReplayCache().size == DEFAULT_REPLAY_CACHE_SIZE
    with pytest.raises(ValueError):
        MemoryReplayCache(size=0)


@pytest.mark.rfc(RFC, "11.1")
def test_threads_racing_with_one_proof_let_exactly_one_through(clock: FakeClock) -> None:
    cache = MemoryReplayCache(clock=clock)
    start = threading.Barrier(16)
    results: list[bool] = []

    def use() -> None:
        start.wait(5)
        results.append(cache.first_use("raced", NOW + 120))

    threads = [threading.Thread(target=use) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert sorted(results) == [False] * 15 + [True]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_gets_a_fresh_lock(clock: FakeClock) -> None:
    """A fork while another thread holds the cache's lock leaves the child a working cache."""
    cache = MemoryReplayCache(clock=clock)
    assert cache.first_use("before", NOW + 120)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with cache._lock:
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert holding.wait(5)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        try:
            signal.alarm(5)  # a deadlock ends the child instead of the test run
            ok = cache.first_use("child", NOW + 120) and not cache.first_use("before", NOW + 120)
            os._exit(0 if ok else 1)
        except BaseException:  # noqa: BLE001 - the child must never return into pytest
            os._exit(2)
    release.set()
    holder.join(5)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
