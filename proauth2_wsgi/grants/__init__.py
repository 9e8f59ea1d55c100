"""The grant types a token request can use, one module each (RFC 6749 §4, §6).

``GRANTS`` maps a ``grant_type`` value to the function that handles it. The
implicit and password grants are deliberately absent (RFC 9700 §2.1.2, §2.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import authorization_code, client_credentials, refresh_token
from .request import TokenRequest as TokenRequest

if TYPE_CHECKING:
    from ..models import Client
    from ..provider import Proauth2

#: a grant handler: (provider, authenticated client, request) -> RFC 6749 §5.1 response
GrantHandler = Callable[["Proauth2", "Client", TokenRequest], dict[str, Any]]

GRANTS: dict[str, GrantHandler] = {
    "authorization_code": authorization_code.exchange,
    "refresh_token": refresh_token.exchange,
    "client_credentials": client_credentials.exchange,
}
