"""The demo client's relying-party side (OIDC Core §3.1.3.7): an ID token is believed only once verified.

It reads the provider's OpenID configuration and JWK set over HTTP, as any
relying party elsewhere would, and checks an ID token's signature (RS256 or
ES256, never ``none``), ``iss``, ``aud``, ``exp``, ``iat``, the ``nonce`` it
sent and the ``at_hash`` of the access token that came with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.request
from typing import Any

from joserfc import jwk, jwt
from joserfc.errors import JoseError

__all__ = ["IdTokenRefused", "Provider", "verify_id_token"]

#: seconds the configuration and keys are kept before they are fetched again
CACHE_SECONDS = 300
#: seconds to wait for the provider
HTTP_TIMEOUT = 10
#: what the demo client accepts, and nothing else
ALGORITHMS = ("RS256", "ES256")


class IdTokenRefused(Exception):
    """The ID token failed a check; the message says which."""


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - the provider's own URL
        return json.loads(response.read())  # type: ignore[no-any-return]


class Provider:
    """The OpenID Provider as its discovery document describes it, kept for a while."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self._lock = threading.Lock()
        self._fetched = 0.0
        self._configuration: dict[str, Any] = {}
        self._keys: jwk.KeySet | None = None

    def configuration(self) -> dict[str, Any]:
        """The OpenID configuration (OIDC Discovery §4); its ``issuer`` must be the one expected."""
        with self._lock:
            if time.monotonic() - self._fetched > CACHE_SECONDS or not self._configuration:
                document = _get_json(f"{self.issuer}/.well-known/openid-configuration")
                if document.get("issuer") != self.issuer:
                    raise IdTokenRefused("the discovery document names another issuer")
                self._configuration, self._keys, self._fetched = document, None, time.monotonic()
            return self._configuration

    def keys(self, refresh: bool = False) -> jwk.KeySet:
        """The provider's JWK set; ``refresh`` fetches it again (an unknown ``kid``: a rotation)."""
        configuration = self.configuration()
        with self._lock:
            if self._keys is None or refresh:
                self._keys = jwk.KeySet.import_key_set(_get_json(configuration["jwks_uri"]))  # type: ignore[arg-type]
            return self._keys


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).decode().rstrip("=")


def verify_id_token(
    provider: Provider, client_id: str, id_token: str, nonce: str, access_token: str, leeway: int = 60
) -> dict[str, Any]:
    """The ID token's claims once every check passed; :class:`IdTokenRefused` otherwise."""
    try:
        try:
            decoded = jwt.decode(id_token, provider.keys(), algorithms=list(ALGORITHMS))
        except (JoseError, ValueError):  # perhaps a key the cached set does not hold yet
            decoded = jwt.decode(id_token, provider.keys(refresh=True), algorithms=list(ALGORITHMS))
    except (JoseError, ValueError) as exc:
        raise IdTokenRefused(f"the signature does not verify ({type(exc).__name__})") from None
    claims = dict(decoded.claims)
    now = time.time()
    audience = claims.get("aud")
    if claims.get("iss") != provider.issuer:
        raise IdTokenRefused("iss is not the provider")
    if audience != client_id and not (isinstance(audience, list) and client_id in audience):
        raise IdTokenRefused("aud is not this client")
    if not isinstance(claims.get("exp"), int) or claims["exp"] < now - leeway:
        raise IdTokenRefused("the ID token has expired")
    if not isinstance(claims.get("iat"), int) or claims["iat"] > now + leeway:
        raise IdTokenRefused("iat is in the future")
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise IdTokenRefused("nonce is not the one this client sent")
    if claims.get("at_hash") != _at_hash(access_token):
        raise IdTokenRefused("at_hash does not match the access token")
    return claims
