"""A resource server's copy of its authorization server's JWK set, fetched from ``jwks_uri`` (RFC 7517 §5).

Keys are looked up by ``kid``. An unknown ``kid`` may mean the server
rotated its keys, so the set is fetched again, but at most once per
``min_refresh_interval`` seconds whatever the tokens say: a flood of tokens
with forged ``kid`` values costs the authorization server one request per
interval, not one per token. The set is also fetched again once it is older
than ``max_age``. While the server cannot be reached, the keys already held
keep working (a warning is logged); with none held yet, validation answers
503 (:class:`~proauth2_wsgi.errors.TemporarilyUnavailable`), never 401.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..errors import TemporarilyUnavailable
from .http import DEFAULT_TIMEOUT, Unreachable, fetch_json

__all__ = ["JwksCache"]

_LOG = logging.getLogger("proauth2.validators")


class JwksCache:
    """The JWK set at ``uri``, kept and refreshed as tokens need it; thread-safe."""

    def __init__(
        self,
        uri: str,
        *,
        min_refresh_interval: float = 30.0,
        max_age: float = 3600.0,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uri = uri
        self.min_refresh_interval = min_refresh_interval
        self.max_age = max_age
        self.timeout = timeout
        self._clock = clock
        self._keys: KeySet | None = None
        self._fetched = 0.0
        self._attempted = float("-inf")
        self._lock = threading.Lock()
        #: how many times the set was fetched (for operators and tests)
        self.fetches = 0

    def __repr__(self) -> str:
        return f"<JwksCache {self.uri}>"

    def key(self, kid: str | None) -> Any:
        """The key for ``kid`` (the only key when a token names none), fetching the set when needed; or None."""
        keys, now = self._keys, self._clock()
        if keys is not None and now - self._fetched < self.max_age:
            found = _lookup(keys, kid)
            if found is not None:
                return found
        with self._lock:
            if self._keys is keys and self._clock() - self._attempted >= self.min_refresh_interval:
                self._refresh()
            elif self._keys is None:
                raise TemporarilyUnavailable("the authorization server's keys cannot be fetched yet")
            keys = self._keys
        return None if keys is None else _lookup(keys, kid)

    def _refresh(self) -> None:
        """Fetch the set (the lock is held); keep the old one when that fails."""
        self._attempted = self._clock()
        self.fetches += 1
        try:
            status, document = fetch_json(self.uri, timeout=self.timeout)
            if status != 200:
                raise Unreachable(f"{self.uri}: HTTP {status}")
            keys = KeySet.import_key_set(_public_only(document))  # type: ignore[arg-type]
        except (Unreachable, JoseError, ValueError, TypeError, KeyError) as error:
            if self._keys is None:
                _LOG.error("cannot fetch the JWK set: %s", error)
                raise TemporarilyUnavailable("the authorization server's keys cannot be fetched") from None
            _LOG.warning("cannot refresh the JWK set, keeping the keys held: %s", error)
            return
        self._keys, self._fetched = keys, self._clock()


def _public_only(document: Mapping[str, Any]) -> dict[str, Any]:
    """The set's signing keys without any private or symmetric member (a JWKS never needs them)."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError("not a JWK set")
    public = [
        entry
        for entry in entries
        if isinstance(entry, dict) and entry.get("kty") in ("RSA", "EC", "OKP") and "d" not in entry
        if entry.get("use", "sig") == "sig"
    ]
    return {"keys": public}


def _lookup(keys: KeySet, kid: str | None) -> Any:
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    for key in keys.keys:
        if key.kid == kid:
            return key
    return None
