"""Client authentication methods (RFC 6749 §2.3, RFC 7591 §2 ``token_endpoint_auth_method``).

A registry, as in the original proauth2: one function per method and a
mapping of the methods a server accepts. Each client is registered with
exactly one method and must use that one (RFC 6749 §2.3: a client MUST NOT
use more than one). Adding ``private_key_jwt`` (RFC 7523) or mTLS (RFC 8705)
later is one more function and one more entry.
"""

from __future__ import annotations

from collections.abc import Callable

from .models import Client
from .tokens import MAX_SECRET_LENGTH, secret_matches

#: a method's check: does this presented secret (or its absence) authenticate the client?
Verifier = Callable[[Client, "str | None"], bool]


def _client_secret(client: Client, secret: str | None) -> bool:
    """``client_secret_basic`` / ``client_secret_post``: the secret hashes to the stored digest."""
    if client.secret_hash is None or secret is None or len(secret) > MAX_SECRET_LENGTH:
        return False
    return secret_matches(secret, client.secret_hash)


def _none(client: Client, secret: str | None) -> bool:
    """``none``: a public client presents its id only (and must then use PKCE)."""
    return secret is None


#: method name -> verifier; the methods a client may be registered with
METHODS: dict[str, Verifier] = {
    "client_secret_basic": _client_secret,
    "client_secret_post": _client_secret,
    "none": _none,
}
