"""Caching metadata documents within bounds (draft-ietf-oauth-client-id-metadata-document-01 §4.4).

A document is kept, per client identifier, for as long as its
``Cache-Control: max-age`` says, clamped to the operator's bounds: the
minimum stops a client from making the server fetch its document on every
request, the maximum bounds how long a changed document goes unseen.
``no-store`` and ``no-cache`` keep it out of the cache; failures are never
cached, so a client that fixes its document is seen at once.

The cache holds a bounded number of entries (the oldest go first), is
thread-safe, and lets one thread per identifier fetch while the others wait
for its result: a document is fetched at most once per cache period however
many requests name it at once. A forked child gets fresh locks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from ..forking import call_in_forked_child

__all__ = ["DocumentCache", "cache_lifetime"]

V = TypeVar("V")


def cache_lifetime(cache_control: str | None, default: int, minimum: int, maximum: int) -> int | None:
    """Seconds to keep a document served with ``cache_control``; None when it must not be kept.

    ``max-age`` (else ``default``) is clamped to ``[minimum, maximum]``;
    ``no-store`` or ``no-cache`` mean None.
    """
    directives: dict[str, str | None] = {}
    for directive in (cache_control or "").split(","):
        name, _, value = directive.strip().partition("=")
        directives.setdefault(name.strip().lower(), value.strip().strip('"') or None)
    if "no-store" in directives or "no-cache" in directives:
        return None
    max_age = directives.get("max-age")
    seconds = int(max_age) if max_age is not None and max_age.isascii() and max_age.isdigit() else default
    return min(max(seconds, minimum), maximum)


class _Flight:
    """The one fetch of an identifier under way, and how many threads are in it or waiting for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


class DocumentCache(Generic[V]):
    """At most ``size`` values by identifier, each until its own expiry by ``clock`` (seconds)."""

    def __init__(self, size: int, clock: Callable[[], float]) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._clock = clock
        self._entries: dict[str, tuple[V, float]] = {}
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        call_in_forked_child(self._after_fork)

    def _after_fork(self) -> None:
        """Locks another thread of the parent may have held are replaced; its fetches are not ours."""
        self._lock = threading.Lock()
        self._flights = {}

    def __repr__(self) -> str:
        return f"<DocumentCache {len(self._entries)}/{self.size}>"

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def get(self, key: str) -> V | None:
        """The fresh value of ``key``, or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] > self._clock():
            return entry[0]
        with self._lock:
            if self._entries.get(key) is entry:
                del self._entries[key]
        return None

    def put(self, key: str, value: V, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds, the oldest entries going beyond ``size``."""
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (value, self._clock() + ttl)
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]

    def load(self, key: str, loader: Callable[[], tuple[V, float | None]]) -> V:
        """The fresh value of ``key``, else ``loader()``'s, kept for the seconds it returns (None: not kept).

        One thread per key runs ``loader`` at a time; the others wait and
        take what it cached. An exception is not cached: the next caller
        loads again.
        """
        cached = self.get(key)
        if cached is not None:
            return cached
        with self._flight(key):
            cached = self.get(key)
            if cached is not None:
                return cached
            value, ttl = loader()
            if ttl:
                self.put(key, value, ttl)
            return value

    def refresh(self, key: str, stale: V, loader: Callable[[], tuple[V, float | None]]) -> V:
        """Load ``key`` again in place of ``stale`` (a value found wanting), unless another thread did already.

        Under the same one-thread-per-key rule as :meth:`load`: of any number
        of threads refreshing one stale value at once, one runs ``loader``
        and the others take its result. An exception is not cached and
        leaves ``stale`` where it was.
        """
        with self._flight(key):
            cached = self.get(key)
            if cached is not None and cached is not stale:
                return cached
            value, ttl = loader()
            if ttl:
                self.put(key, value, ttl)
            return value

    def discard(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    @contextmanager
    def _flight(self, key: str) -> Iterator[None]:
        with self._lock:
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = _Flight()
            flight.users += 1
        try:
            with flight.lock:
                yield
        finally:
            with self._lock:
                flight.users -= 1
                if not flight.users and self._flights.get(key) is flight:
                    del self._flights[key]
