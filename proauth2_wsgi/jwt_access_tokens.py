"""JWT access tokens (RFC 9068): the ``jwt`` token format, for resources configured so.

The token is a JWS signed with the provider's key set (the same keys as ID
tokens), header ``typ: at+jwt`` (§2.1), claims ``iss``, ``sub`` (the user, or
the client itself for client credentials: §2.2), ``aud`` (the resources),
``exp``, ``iat``, ``jti``, ``client_id``, ``scope``, and ``auth_time``,
``acr``, ``amr`` when the grant came from a sign-in (§2.2.1).

The server still stores it like any access token, by the SHA-256 digest of
its string, so revocation and introspection work for it and a resource
server validating online (through the provider or introspection) honours a
revocation at once; one validating offline (signature and expiry:
:class:`~proauth2_wsgi.validators.JWTValidator`) honours it at expiry, which
is why JWT access tokens default to short lifetimes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .issuance import GrantedAccess, TokenFormat
from .scopes import format_scope
from .tokens import generate_id

if TYPE_CHECKING:
    from .keyset import KeySet
    from .resources import Audiences
    from .settings import Settings

__all__ = ["JWT_TYPE", "JwtFormat"]

#: the ``typ`` header of a JWT access token (RFC 9068 §2.1)
JWT_TYPE = "at+jwt"


class JwtFormat(TokenFormat):
    """``jwt``: a signed, self-contained access token a resource server can check without asking."""

    name = "jwt"

    def __init__(self, settings: Settings, keys: KeySet, audiences: Audiences) -> None:
        self._settings = settings
        self._keys = keys
        self._audiences = audiences

    def create(self, access: GrantedAccess, issued_at: int, expires_at: int) -> str:
        client_id = access.client.client_id
        audience: str | list[str] = access.audience[0] if len(access.audience) == 1 else list(access.audience)
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "sub": access.user_id if access.user_id is not None else client_id,
            "aud": audience,
            "exp": expires_at,
            "iat": issued_at,
            "jti": generate_id(),
            "client_id": client_id,
        }
        if access.scopes:
            claims["scope"] = format_scope(access.scopes)
        claims.update(access.sign_in_claims())  # §2.2.1: auth_time, acr, amr when known
        if access.jkt is not None:
            claims["cnf"] = {"jkt": access.jkt}  # RFC 9449 §6.1: bound to this DPoP key
        return self._keys.sign(claims, self._audiences.signing_alg(access.audience), typ=JWT_TYPE)
