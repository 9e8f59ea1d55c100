"""Making DPoP proofs (RFC 9449 section 4.2) for tests: real keys, real signatures, and any hostile variant.

- :func:`new_key` — a new private key for an ``alg``;
- :func:`make_proof` — a proof signed with it, every header and claim changeable;
- :func:`sign_compact` — a compact JWS of raw header and payload bytes (for
  what JSON serialisation cannot make: repeated members, invalid UTF-8).

Proofs are signed with joserfc's algorithm objects directly, so that nothing
refuses to make a hostile proof (``alg`` ``none``, a ``crit`` header) and no
EdDSA deprecation warning is raised.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Collection, Mapping
from typing import Any

from joserfc.jwk import ECKey, Key, OctKey, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

__all__ = ["HTU", "make_proof", "new_key", "sign_compact"]

#: the URL proofs are made for by default: a token endpoint
HTU = "https://as.example.com/token"

_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def new_key(alg: str = "ES256") -> Key:
    """A new private key for ``alg``: EC on its curve for ES*, Ed25519 for EdDSA, 2048-bit RSA for RS*/PS*, oct for HS*.

    A 2048-bit RSA key takes some 50 ms to make: a test module makes one and
    shares it (a module-scoped fixture).
    """
    if alg in _CURVES:
        return ECKey.generate_key(_CURVES[alg])
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519")
    if alg[:2] in ("RS", "PS"):
        return RSAKey.generate_key(2048)
    if alg.startswith("HS"):
        return OctKey.generate_key(256)
    raise ValueError(f"no key type for {alg}")


def make_proof(
    key: Key,
    *,
    htm: str = "POST",
    htu: str = HTU,
    iat: float | None = None,
    jti: str | None = None,
    alg: str = "ES256",
    typ: str | None = "dpop+jwt",
    jwk: Mapping[str, Any] | None = None,
    ath: str | None = None,
    nonce: str | None = None,
    extra_header: Mapping[str, Any] | None = None,
    extra_claims: Mapping[str, Any] | None = None,
    omit: Collection[str] = (),
) -> str:
    """A DPoP proof signed by ``key`` with ``alg`` (its signature empty for ``none``).

    :param iat: when it was made; now by default.
    :param jti: a new random identifier by default.
    :param typ: None leaves ``typ`` out.
    :param jwk: the header's key; ``key``'s public key by default (give
        another key's to have the signature made by a key other than the jwk).
    :param ath: the ``ath`` claim (``access_token_hash(token)``), left out when None; as is ``nonce``.
    :param extra_header: header parameters added or replacing those above
        (``{"jwk": "not an object"}``, ``{"crit": ["exp"]}``).
    :param extra_claims: claims added or replacing those above (``{"iat": "soon"}``).
    :param omit: header parameters or claims left out (``("jwk",)``, ``("jti",)``).
    """
    header: dict[str, Any] = {
        "typ": typ,
        "alg": alg,
        "jwk": dict(jwk) if jwk is not None else key.as_dict(private=False),
    }
    if typ is None:
        del header["typ"]
    header.update(extra_header or {})
    claims: dict[str, Any] = {
        "jti": jti if jti is not None else secrets.token_urlsafe(16),
        "htm": htm,
        "htu": htu,
        "iat": int(time.time()) if iat is None else iat,
    }
    if ath is not None:
        claims["ath"] = ath
    if nonce is not None:
        claims["nonce"] = nonce
    claims.update(extra_claims or {})
    for name in omit:
        header.pop(name, None)
        claims.pop(name, None)
    return sign_compact(json.dumps(header).encode(), json.dumps(claims).encode(), key, alg)


def sign_compact(header: bytes, payload: bytes, key: Key, alg: str) -> str:
    """The compact JWS of exactly these header and payload bytes, signed by ``key`` with ``alg`` (RFC 7515 7.1)."""
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    signature = b"" if alg == "none" else JWSRegistry.algorithms[alg].sign(signing_input.encode(), key)
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
