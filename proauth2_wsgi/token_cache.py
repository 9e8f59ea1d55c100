"""An in-process cache of validated access tokens, with a short bounded TTL.

Off by default. With it on, a token validated once is accepted again without
asking the validator (a database query, an introspection call) for at most
``ttl`` seconds (never past its own expiry), so a revoked token stays usable
in a process that cached it for up to ``ttl`` seconds: that is the revocation
lag the cache trades for speed (RFC 6819 §5.1.6 accepts short-lived caching
at resource servers; RFC 7662 §4 describes the same trade for
introspection). :data:`MAX_TTL` bounds it.

Only valid tokens are cached, keyed by their SHA-256 digest, so the cache
holds nothing a thief could present and garbage tokens cannot flood it.
Entries are evicted oldest first beyond ``size``. The cache is thread-safe,
and a forked child gets a fresh lock. :meth:`TokenCache.cached` looks a token
up without ever asking the validator: the ASGI middleware answers hits on
its event loop and sends only misses to its thread pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .forking import call_in_forked_child
from .models import AccessToken
from .protector import ResourceRequest, TokenValidator
from .tokens import hash_secret

__all__ = ["DEFAULT_SIZE", "MAX_TTL", "TokenCache"]

#: longest time (seconds) a validated token may be trusted without asking the validator
MAX_TTL = 60.0
#: default number of tokens kept per process
DEFAULT_SIZE = 10_000


class TokenCache:
    """Validates tokens through ``validator``, remembering valid ones for ``ttl`` seconds.

    It is itself a :class:`~proauth2_wsgi.protector.TokenValidator`. Time comes
    from ``clock``, by default the validator's settings' clock (a provider's)
    or :func:`time.time`.
    """

    def __init__(
        self,
        validator: TokenValidator,
        ttl: float,
        size: int = DEFAULT_SIZE,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not 0 < ttl <= MAX_TTL:
            raise ValueError(f"cache_ttl must be more than 0 and at most {MAX_TTL} seconds")
        if size < 1:
            raise ValueError("cache_size must be at least 1")
        self._validator = validator
        settings = getattr(validator, "settings", None)
        self._clock: Callable[[], float] = clock or getattr(settings, "clock", None) or time.time
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[AccessToken, float]] = {}
        self._lock = threading.Lock()
        call_in_forked_child(self._after_fork)

    def _after_fork(self) -> None:
        """A lock another thread of the parent may have held is replaced."""
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<TokenCache ttl={self.ttl} size={self.size} validator={self._validator!r}>"

    @property
    def dpop(self) -> object:
        """The DPoP checker of the validator behind the cache, if it has one (a provider's)."""
        return getattr(self._validator, "dpop", None)

    @property
    def runs_inline(self) -> bool:
        """Whether the validator behind the cache answers without I/O (an async server calls it on its loop)."""
        return bool(getattr(self._validator, "runs_inline", False))

    def cached(self, token: str) -> AccessToken | None:
        """The token's record while the cache holds it fresh, else None: never asks the validator.

        It does no I/O and takes no lock, so an async server answers a cache
        hit on its event loop and sends only misses to its thread pool.
        """
        return self._fresh(hash_secret(token), self._clock())

    def _fresh(self, key: str, now: float) -> AccessToken | None:
        entry = self._entries.get(key)
        return entry[0] if entry is not None and entry[1] > now else None

    def validate_token(self, token: str, request: ResourceRequest) -> AccessToken:
        """The token's record, from the cache while fresh, else from the validator."""
        key = hash_secret(token)
        now = self._clock()
        access = self._fresh(key, now)
        if access is not None:
            return access
        access = self._validator.validate_token(token, request)
        until = min(now + self.ttl, access.expires_at)
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (access, until)
            while len(self._entries) > self.size:
                del self._entries[next(iter(self._entries))]
        return access

    def clear(self) -> None:
        """Forget every cached token (for example after revoking tokens in this process)."""
        with self._lock:
            self._entries.clear()
