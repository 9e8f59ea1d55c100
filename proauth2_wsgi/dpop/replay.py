"""Refusing a DPoP proof seen before (RFC 9449 section 11.1).

A proof is for one request: a server remembers each proof it accepted for as
long as the proof would still be accepted (its ``iat`` plus the verifier's
``max_age``), and refuses it when it comes again. What is remembered is
:func:`replay_key`, a hash of the key's thumbprint and the ``jti``: the
``jti`` is unique per key only, and is never stored as the client sent it.

:class:`ProofReplay` is what a replay check needs; :class:`MemoryReplayCache`
is one process's bounded memory, for a resource server without a database.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..forking import call_in_forked_child
from .proofs import DPoPProof

__all__ = ["DEFAULT_REPLAY_CACHE_SIZE", "MemoryReplayCache", "ProofReplay", "replay_key"]

#: proofs a :class:`MemoryReplayCache` remembers at most
DEFAULT_REPLAY_CACHE_SIZE = 100_000


class ProofReplay(Protocol):
    """Where the proofs already used are remembered (RFC 9449 section 11.1)."""

    def first_use(self, key: str, expires_at: int) -> bool:
        """True the first time ``key`` is seen (then remembered until ``expires_at``), False afterwards."""
        ...


def replay_key(proof: DPoPProof) -> str:
    """What is remembered of ``proof``: the hex SHA-256 of its key's thumbprint and its ``jti`` (64 characters)."""
    # surrogatepass: a jti from JSON may hold a lone surrogate; the encoding stays one-to-one.
    return hashlib.sha256(f"{proof.jkt}:{proof.jti}".encode("utf-8", "surrogatepass")).hexdigest()


class MemoryReplayCache:
    """At most ``size`` replay keys in this process's memory, each until its expiry by ``clock``.

    When full, the expired keys go first, then the oldest: under a flood of
    proofs the oldest could be replayed, so give a size well above the proofs
    one process accepts in ``max_age``. Thread-safe; a forked child gets a
    fresh lock. Each process remembers only its own proofs: behind several
    workers, a proof replayed to another one is not seen.
    """

    def __init__(self, size: int = DEFAULT_REPLAY_CACHE_SIZE, clock: Callable[[], float] = time.time) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._clock = clock
        self._expiries: dict[str, int] = {}  # in the order keys were first used: the oldest first
        self._deadlines: list[tuple[int, str]] = []  # a heap of (expires_at, key), some outdated
        self._lock = threading.Lock()
        call_in_forked_child(self._after_fork)

    def _after_fork(self) -> None:
        """A lock another thread of the parent may have held is replaced."""
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<MemoryReplayCache {len(self._expiries)}/{self.size}>"

    def __len__(self) -> int:
        return len(self._expiries)

    def first_use(self, key: str, expires_at: int) -> bool:
        """True the first time ``key`` is seen (then remembered until ``expires_at``), False afterwards."""
        with self._lock:
            self._forget_expired(self._clock())
            if key in self._expiries:
                return False
            while len(self._expiries) >= self.size:
                del self._expiries[next(iter(self._expiries))]
            self._expiries[key] = expires_at
            heapq.heappush(self._deadlines, (expires_at, key))
            if len(self._deadlines) > 2 * self.size:  # outdated deadlines of keys pushed out when full
                self._deadlines = [(expiry, known) for known, expiry in self._expiries.items()]
                heapq.heapify(self._deadlines)
            return True

    def _forget_expired(self, now: float) -> None:
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            expiry, key = heapq.heappop(deadlines)
            if self._expiries.get(key) == expiry:
                del self._expiries[key]
