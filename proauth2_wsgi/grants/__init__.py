"""The grant types a token request can use, one module each (RFC 6749 §4, §6).

A provider registers :func:`default_grants`; an extension grant is one more
:class:`Grant` subclass registered with ``provider.grants.register(...)``.
The device authorization grant (RFC 8628) is registered when the device flow
is on (``device_verification_uri``). The implicit and password grants are
deliberately absent (RFC 9700 §2.1.2, §2.4).
"""

from __future__ import annotations

from .authorization_code import AuthorizationCodeGrant as AuthorizationCodeGrant
from .base import Grant as Grant
from .base import GrantContext as GrantContext
from .base import TokenRequest as TokenRequest
from .base import presented_secret as presented_secret
from .client_credentials import ClientCredentialsGrant as ClientCredentialsGrant
from .device_code import DeviceCodeGrant as DeviceCodeGrant
from .refresh_token import RefreshTokenGrant as RefreshTokenGrant

__all__ = [
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "DeviceCodeGrant",
    "Grant",
    "GrantContext",
    "RefreshTokenGrant",
    "TokenRequest",
    "default_grants",
    "presented_secret",
]


def default_grants(device: bool = False) -> list[Grant]:
    """The grants a new provider registers: code (+PKCE), refresh (rotating), client credentials; device (asked)."""
    grants: list[Grant] = [AuthorizationCodeGrant(), RefreshTokenGrant(), ClientCredentialsGrant()]
    if device:
        grants.append(DeviceCodeGrant())
    return grants
