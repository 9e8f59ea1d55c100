"""Server-provided DPoP nonces, stateless (RFC 9449 sections 8 and 9).

A server may require proofs to carry a nonce it chose, so that a proof
cannot be made ahead of time. Here a nonce names a window of time and is
authenticated with a secret: no nonce is stored, and every worker holding the
same secret makes and accepts the same nonces. A nonce is current for one
window (:data:`DEFAULT_NONCE_WINDOW`) and still accepted in the next, so a
client that just received one is not refused at the window's edge. A worker
whose clock runs up to :data:`DEFAULT_NONCE_LEEWAY` seconds behind another's
accepts the nonce that one gave at the start of a new window too (the proofs'
own ``iat`` leeway): machines' clocks are never quite equal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

from ..errors import UseDPoPNonce

__all__ = ["DEFAULT_NONCE_LEEWAY", "DEFAULT_NONCE_WINDOW", "MIN_SECRET_LENGTH", "DPoPNonces"]

#: seconds a nonce is current; the previous window's nonce is still accepted
DEFAULT_NONCE_WINDOW = 300
#: seconds before its window starts that a nonce is accepted: another worker's clock may be that far ahead
DEFAULT_NONCE_LEEWAY = 30
#: bytes of secret at least (RFC 2104 section 3: no shorter than the hash's output)
MIN_SECRET_LENGTH = 32

_CONTEXT = b"proauth2 dpop nonce"
_TAG_LENGTH = 16


class DPoPNonces:
    """The server's DPoP nonces: made from the time and ``secret``, checked without storage (RFC 9449 section 8).

    A nonce is the base64url (NQCHAR only, RFC 9449 section 8.1) of the
    window's index (8 bytes, big-endian) and the first 16 bytes of
    HMAC-SHA256 of that index under ``secret``.

    :param secret: at least :data:`MIN_SECRET_LENGTH` random bytes, the same in every worker.
    :param window: seconds each nonce is current.
    :param leeway: seconds before its window starts that a nonce is accepted
        (a worker whose clock is ahead gave it); at most ``window - 1``.
    :param clock: the time in seconds since the epoch.
    """

    def __init__(
        self,
        secret: bytes,
        *,
        window: int = DEFAULT_NONCE_WINDOW,
        leeway: int = DEFAULT_NONCE_LEEWAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"secret: at least {MIN_SECRET_LENGTH} random bytes")
        if window < 1:
            raise ValueError("window must be at least 1 second")
        if leeway < 0:
            raise ValueError("leeway must be at least 0 seconds")
        self._secret = secret
        self.window = window
        #: seconds before its window that a nonce is accepted (less than a window)
        self.leeway = min(leeway, window - 1)
        self._clock = clock

    def __repr__(self) -> str:
        return f"<DPoPNonces window={self.window}>"

    def current(self) -> str:
        """The nonce to send now, in a ``DPoP-Nonce`` header (RFC 9449 section 8.1)."""
        return self._nonce(self._index())

    def check(self, nonce: str | None) -> None:
        """Nothing when ``nonce`` is the current or the previous window's nonce; else :class:`UseDPoPNonce`.

        Within ``leeway`` seconds of the next window's start, that window's
        nonce is accepted too. The error carries the current nonce, for the
        client to retry with (RFC 9449 section 8).
        """
        now = self._clock()
        index = int(now // self.window)
        current = self._nonce(index)
        if nonce is None:
            raise UseDPoPNonce(current, "the DPoP proof must carry the server's nonce")
        upcoming = int((now + self.leeway) // self.window)
        # compare_digest compares only ASCII strings; a nonce of other characters is no nonce of ours.
        accepted = nonce.isascii() and (
            hmac.compare_digest(nonce, current)
            | hmac.compare_digest(nonce, self._nonce(index - 1))
            | (upcoming != index and hmac.compare_digest(nonce, self._nonce(upcoming)))
        )
        if not accepted:
            raise UseDPoPNonce(current, "the DPoP nonce is stale or invalid")

    def _index(self) -> int:
        return int(self._clock() // self.window)

    def _nonce(self, index: int) -> str:
        window = index.to_bytes(8, "big")
        tag = hmac.new(self._secret, _CONTEXT + window, hashlib.sha256).digest()[:_TAG_LENGTH]
        return base64.urlsafe_b64encode(window + tag).rstrip(b"=").decode("ascii")
