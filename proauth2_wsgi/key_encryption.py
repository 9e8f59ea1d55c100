"""Private signing keys encrypted at rest: AES-256-GCM under a key derived from ``key_secret``.

A sealed key is ``v1.`` and the base64url of a random 96-bit nonce followed by
the ciphertext and its tag. The AES key is derived from the operator's
``key_secret`` with HKDF-SHA256 (RFC 5869), one per signing key (its ``kid``
is the HKDF info), and the ``kid`` is also the authenticated data: a sealed
key moved onto another record, or altered, fails to open. A database dump
holds no usable private key without the secret, which lives in settings, not
in the database.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["KeySecretMismatch", "open_sealed", "seal"]

_VERSION = "v1."
_NONCE_BYTES = 12
_SALT = b"proauth2 signing key encryption"


class KeySecretMismatch(ValueError):
    """A sealed key does not open: another ``key_secret``, or the record was altered."""


def _aes_key(key_secret: str, kid: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=kid.encode()).derive(key_secret.encode())
    return AESGCM(derived)


def seal(key_secret: str, kid: str, plaintext: bytes) -> str:
    """``plaintext`` (a private JWK) encrypted under ``key_secret`` for the key ``kid``."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = nonce + _aes_key(key_secret, kid).encrypt(nonce, plaintext, kid.encode())
    return _VERSION + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_sealed(key_secret: str, kid: str, sealed: str) -> bytes:
    """The plaintext :func:`seal` made; :class:`KeySecretMismatch` for the wrong secret or an altered record."""
    if not sealed.startswith(_VERSION):
        raise KeySecretMismatch(f"key {kid}: not a sealed key")
    raw = base64.urlsafe_b64decode(sealed[len(_VERSION) :] + "=" * (-len(sealed) % 4))
    try:
        return _aes_key(key_secret, kid).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], kid.encode())
    except InvalidTag:
        raise KeySecretMismatch(f"key {kid}: the key secret does not open it (another secret, or altered)") from None
