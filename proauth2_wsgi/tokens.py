"""Generating, hashing and comparing secrets: client secrets, codes and tokens.

Every secret comes from :mod:`secrets` with 256 bits of entropy
(RFC 6749 §10.10, RFC 6819 §5.1.4.2.2) and only its SHA-256 digest is ever
stored, so a database dump holds nothing a thief can present. SHA-256 of a
256-bit random value is not brute-forceable, so no slow KDF is needed, and
records are looked up by digest through an index. Comparisons of secrets
use :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

#: random bytes in every generated secret (256 bits)
SECRET_BYTES = 32

#: longest secret (client secret, code, refresh token) accepted from outside;
#: anything longer is refused before it is hashed
MAX_SECRET_LENGTH = 512
#: longest access token a resource server accepts (a signed JWT with claims fits)
MAX_ACCESS_TOKEN_LENGTH = 4096

# What token_urlsafe produces, and what RFC 6750 §2.1 b64token allows.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# RFC 7638 §3: a SHA-256 thumbprint, base64url without padding (RFC 9449 ``jkt``)
_THUMBPRINT = re.compile(r"[A-Za-z0-9_-]{43}")


def generate_secret() -> str:
    """A new URL-safe secret with :data:`SECRET_BYTES` bytes of entropy."""
    return secrets.token_urlsafe(SECRET_BYTES)


def generate_id() -> str:
    """A new public identifier (client ids, grant ids): 128 random bits, never starting with ``-``.

    An id such as ``-Xb...`` would read as an option on every command line
    (``proauth2 show-client -Xb...``), so those draws are discarded.
    """
    while True:
        value = secrets.token_urlsafe(16)
        if not value.startswith("-"):
            return value


def hash_secret(secret: str) -> str:
    """The hex SHA-256 digest under which ``secret`` is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(value: object, max_length: int = MAX_SECRET_LENGTH) -> bool:
    """True when ``value`` has the shape of a token proauth2 could have issued (RFC 6750 §2.1 b64token)."""
    return isinstance(value, str) and 0 < len(value) <= max_length and _TOKEN_CHARS.fullmatch(value) is not None


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time check that ``secret`` hashes to ``stored_hash``."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def constant_time_equals(a: str, b: str) -> bool:
    """Constant-time string comparison (for identifiers bound to a secret)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def is_thumbprint(value: object) -> bool:
    """True for what a JWK SHA-256 thumbprint looks like (RFC 7638): 43 base64url characters."""
    return isinstance(value, str) and _THUMBPRINT.fullmatch(value) is not None
