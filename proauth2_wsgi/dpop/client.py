"""A DPoP client's key: proof of possession for every request its tokens go with (RFC 9449).

For Python clients, tests of resources and the demo's client. A client
holding a :class:`DPoPKey` signs a short JWT, the *proof*, for each
HTTP request it sends with the key's tokens (RFC 9449 §4): at the token
endpoint the provider binds the access token to the key (§5), and each
resource call carries a new proof naming the method, the URL and the token's
hash (§7). Whoever steals the token alone cannot use it: they cannot sign.

The key is an EC P-256 key (``ES256``, which every DPoP server takes), made
with joserfc; it never leaves this object, and nothing here prints it: the
``repr`` shows only the public thumbprint::

    key = DPoPKey()
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof("GET", url, access_token=token)}
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from joserfc import jws
from joserfc.jwk import ECKey

from .proofs import access_token_hash

__all__ = ["ALGORITHM", "PROOF_TYPE", "DPoPKey", "htu"]

#: the JWS algorithm of the demo client's proofs (RFC 9449 §4.2 ``alg``; a P-256 key)
ALGORITHM = "ES256"
#: the ``typ`` header of a proof (RFC 9449 §4.2)
PROOF_TYPE = "dpop+jwt"


def htu(url: str) -> str:
    """The ``htu`` claim for a request to ``url``: the URL without its query and fragment (RFC 9449 §4.2)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class DPoPKey:
    """A DPoP key pair, and the proofs it signs (RFC 9449 §4.2).

    :param key: the private EC P-256 key; a new one by default.
    :param clock: seconds since the epoch, for ``iat`` (tests may pin it).
    """

    def __init__(self, key: ECKey | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self._key = key if key is not None else ECKey.generate_key("P-256")
        self._clock = clock
        self._public: dict[str, Any] = dict(self._key.as_dict(private=False))

    def __repr__(self) -> str:
        return f"<DPoPKey {ALGORITHM} jkt={self.thumbprint}>"

    @property
    def thumbprint(self) -> str:
        """The key's JWK SHA-256 thumbprint (RFC 7638): ``dpop_jkt`` (RFC 9449 §10), ``cnf.jkt`` (§6)."""
        return str(self._key.thumbprint())

    def proof(self, method: str, url: str, access_token: str | None = None, nonce: str | None = None) -> str:
        """A new proof for ``method`` ``url`` (RFC 9449 §4.2), the value of a ``DPoP`` header.

        :param access_token: the token the request carries, hashed into ``ath`` (§7: at resources).
        :param nonce: the server's latest ``DPoP-Nonce`` (§8 at the token endpoint, §9 at resources).
        """
        header = {"typ": PROOF_TYPE, "alg": ALGORITHM, "jwk": self._public}
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),  # unique per proof: a server refuses a replay (§11.1)
            "htm": method.upper(),
            "htu": htu(url),
            "iat": int(self._clock()),
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        if nonce is not None:
            claims["nonce"] = nonce
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return jws.serialize_compact(header, payload, self._key, algorithms=[ALGORITHM])
