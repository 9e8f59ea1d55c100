"""A DPoP client's side, for tests of resources and clients: a key pair making proofs (RFC 9449 §4.2).

::

    key = DPoPKey()
    response = client.get("/me", headers={
        "Authorization": f"DPoP {token}",
        "DPoP": key.proof("GET", "https://api.example.com/me", access_token=token),
    })

ES256 on a fresh P-256 key by default; ``key.thumbprint`` is its RFC 7638
``jkt`` (what ``dpop_jkt`` names and tokens are bound to).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from joserfc import jws
from joserfc.jwk import ECKey

from ..dpop import access_token_hash

__all__ = ["DPoPKey"]


class DPoPKey:
    """A private EC P-256 key and the DPoP proofs it signs (ES256)."""

    def __init__(self, key: ECKey | None = None) -> None:
        self.key = key or ECKey.generate_key("P-256")
        self.public_jwk: dict[str, Any] = self.key.as_dict(private=False)
        self._header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.public_jwk}

    def __repr__(self) -> str:
        return f"<DPoPKey {self.thumbprint}>"

    @property
    def thumbprint(self) -> str:
        """The key's RFC 7638 SHA-256 thumbprint: the ``jkt`` a token bound to it carries."""
        return str(self.key.thumbprint())

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat: float | None = None,
    ) -> str:
        """A fresh proof (new ``jti``) for ``method`` on ``url``; with ``access_token``, its ``ath`` too."""
        claims: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method,
            "htu": url,
            "iat": int(time.time() if iat is None else iat),
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        if nonce is not None:
            claims["nonce"] = nonce
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return jws.serialize_compact(self._header, payload, self.key, algorithms=["ES256"])
