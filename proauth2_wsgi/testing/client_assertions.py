"""A ``private_key_jwt`` client's side, for tests and demos: a key pair making client assertions (RFC 7523 §3).

::

    key = AssertionKey()                      # ES256 on a fresh P-256 key
    client_id, _ = provider.register_app("Service", grant_types=["client_credentials"],
                                         auth_method="private_key_jwt", metadata={"jwks": key.jwks})
    requests.post(token_url, data={"grant_type": "client_credentials",
                                   **key.form(client_id, "https://auth.example.com")})

``alg`` is ``ES256``, ``RS256``, ``PS256`` or ``EdDSA``; :meth:`AssertionKey.assertion`
takes any claim to change or drop (``None``) and any header member, for
hostile tests.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from ..client_auth.private_key_jwt import ASSERTION_TYPE

__all__ = ["AssertionKey"]

_KEYS: dict[str, Callable[[], ECKey | OKPKey | RSAKey]] = {
    "ES256": lambda: ECKey.generate_key("P-256"),
    "RS256": lambda: RSAKey.generate_key(2048),
    "PS256": lambda: RSAKey.generate_key(2048),
    "EdDSA": lambda: OKPKey.generate_key("Ed25519"),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class AssertionKey:
    """A client's private key, its public JWK set, and the assertions it signs."""

    def __init__(self, alg: str = "ES256", kid: str | None = None, key: ECKey | OKPKey | RSAKey | None = None) -> None:
        if alg not in _KEYS:
            raise ValueError(f"alg: one of {', '.join(_KEYS)}")
        self.alg = alg
        self.key = key or _KEYS[alg]()
        self.kid = kid if kid is not None else secrets.token_urlsafe(8)
        self._model = JWSRegistry.algorithms[alg]  # not get_alg(): that warns on EdDSA

    def __repr__(self) -> str:
        return f"<AssertionKey {self.alg} kid={self.kid!r}>"

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK, with its ``kid``."""
        return {**self.key.as_dict(private=False), "kid": self.kid}

    @property
    def jwks(self) -> dict[str, Any]:
        """The public JWK set a client registers (``jwks``) or serves at its ``jwks_uri``."""
        return {"keys": [self.public_jwk]}

    def assertion(
        self, client_id: str, audience: str | list[str], *, lifetime: int = 60, now: float | None = None, **changes: Any
    ) -> str:
        """A fresh assertion (new ``jti``) of ``client_id`` for ``audience``, valid ``lifetime`` seconds.

        ``changes`` replace claims (``exp=...``; ``None`` removes one); a
        ``header`` change replaces the JOSE header's members the same way.
        """
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(16),
            "iat": issued,
            "exp": issued + lifetime,
        }
        header: dict[str, Any] = {"alg": self.alg, "typ": "JWT", "kid": self.kid}
        header_changes = changes.pop("header", {})
        for target, updates in ((claims, changes), (header, header_changes)):
            for name, value in updates.items():
                if value is None:
                    target.pop(name, None)
                else:
                    target[name] = value
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._model.sign(signing_input.encode("ascii"), self.key)
        return f"{signing_input}.{_b64(signature)}"

    def form(self, client_id: str, audience: str | list[str], **changes: Any) -> dict[str, str]:
        """The token-request parameters that authenticate ``client_id`` (RFC 7523 §2.2)."""
        return {
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(client_id, audience, **changes),
        }
