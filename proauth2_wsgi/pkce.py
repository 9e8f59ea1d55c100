"""Proof Key for Code Exchange (RFC 7636).

``S256`` is the method; ``plain`` exists only when a server explicitly
allows it (RFC 9700 §2.1.1 recommends S256). Values are checked against
the RFC 7636 §4.1/§4.2 grammar and compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .errors import InvalidGrant, InvalidRequest

# RFC 7636 §4.1: code-verifier = 43*128unreserved; §4.2 the S256 challenge is
# 43 base64url characters (a longer one could never match), a plain one
# follows the verifier grammar.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(ASCII(code_verifier)))`` without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def validate_challenge(challenge: str, method: str, allowed_methods: tuple[str, ...]) -> None:
    """Check an authorization request's ``code_challenge`` and method (RFC 7636 §4.3, §4.4.1)."""
    if method not in allowed_methods:
        raise InvalidRequest("transform algorithm not supported")
    grammar = _S256_CHALLENGE if method == "S256" else _VERIFIER
    if not isinstance(challenge, str) or not grammar.fullmatch(challenge):
        raise InvalidRequest("code_challenge is malformed")


def verify(verifier: str | None, challenge: str | None, method: str | None) -> None:
    """Check the token request's ``code_verifier`` against the stored challenge (RFC 7636 §4.6).

    A verifier for a code issued without a challenge is refused: accepting it
    would let an attacker downgrade PKCE away (RFC 9700 §4.8.2).
    """
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant("code_verifier sent for a code issued without code_challenge")
        return
    if verifier is None:
        raise InvalidGrant("code_verifier required")
    if not _VERIFIER.fullmatch(verifier):
        raise InvalidGrant("code_verifier is malformed")
    computed = s256_challenge(verifier) if method == "S256" else verifier
    if not hmac.compare_digest(computed.encode("ascii"), challenge.encode("ascii")):
        raise InvalidGrant("code_verifier does not match code_challenge")
