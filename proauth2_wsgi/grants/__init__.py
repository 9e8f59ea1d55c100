"""The grant types a token request can use, one module each (RFC 6749 §4, §6).

A provider registers :func:`default_grants`; an extension grant is one more
:class:`Grant` subclass registered with ``provider.grants.register(...)``.
The implicit and password grants are deliberately absent (RFC 9700 §2.1.2, §2.4).
"""

from __future__ import annotations

from .authorization_code import AuthorizationCodeGrant as AuthorizationCodeGrant
from .base import Grant as Grant
from .base import GrantContext as GrantContext
from .base import TokenRequest as TokenRequest
from .base import presented_secret as presented_secret
from .client_credentials import ClientCredentialsGrant as ClientCredentialsGrant
from .refresh_token import RefreshTokenGrant as RefreshTokenGrant

__all__ = [
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "Grant",
    "GrantContext",
    "RefreshTokenGrant",
    "TokenRequest",
    "default_grants",
    "presented_secret",
]


def default_grants() -> list[Grant]:
    """The grants a new provider registers: code (+PKCE), refresh (rotating), client credentials."""
    return [AuthorizationCodeGrant(), RefreshTokenGrant(), ClientCredentialsGrant()]
