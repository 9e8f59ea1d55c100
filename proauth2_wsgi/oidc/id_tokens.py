"""ID tokens (OIDC Core §2, §3.1.3.6, §12.2): the token response's ``id_token``.

Added to every token response whose grant has a user and the ``openid``
scope — the authorization code grant and, for the refresh of such a grant,
the refresh token grant (the same ``sub``, ``aud`` and ``auth_time``, no
``nonce``: §12.2). Claims: ``iss``, ``sub`` (the user id: the ``public``
subject type), ``aud`` (the client), ``exp``, ``iat``, ``auth_time``,
``nonce`` when the request had one, ``acr``/``amr`` when the app gave them,
``at_hash`` (§3.1.3.8), and the user's claims the grant releases. Signed
with the client's ``id_token_signed_response_alg`` (RS256 by default).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .claims import released_claims

if TYPE_CHECKING:
    from ..issuance import GrantedAccess
    from ..keyset import KeySet
    from ..settings import Settings
    from .claims import ClaimsLoader

__all__ = ["DEFAULT_ALGORITHM", "IdTokens", "at_hash"]

#: the algorithm of a client that registered none (OIDC Core §3.1.3.7, Dynamic Registration §2)
DEFAULT_ALGORITHM = "RS256"


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: the base64url of the left half of the access token's SHA-256 (RS256, ES256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).decode().rstrip("=")


class IdTokens:
    """The token-response extension that adds ``id_token``."""

    name = "id_token"

    def __init__(
        self, settings: Settings, keys: KeySet, now: Callable[[], int], loader: Callable[[], ClaimsLoader | None]
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._now = now
        self._loader = loader

    def extend(self, access: GrantedAccess, access_token: str) -> Mapping[str, Any]:
        """``{"id_token": ...}`` for an OpenID grant with a user; nothing otherwise."""
        if "openid" not in access.scopes or access.user_id is None:
            return {}
        now = self._now()
        claims: dict[str, Any] = released_claims(
            access.user_id, access.scopes, access.claims, "id_token", self._loader()
        )
        claims.update(
            iss=self._settings.issuer,
            aud=access.client.client_id,
            exp=now + self._settings.id_token_lifetime,
            iat=now,
            auth_time=now,  # every ID token says when the user signed in: now, unless the sign-in says
            at_hash=at_hash(access_token),
        )
        claims.update(access.sign_in_claims())
        if access.nonce is not None:
            claims["nonce"] = access.nonce
        alg = access.client.metadata.get("id_token_signed_response_alg", DEFAULT_ALGORITHM)
        return {"id_token": self._keys.sign(claims, alg)}
