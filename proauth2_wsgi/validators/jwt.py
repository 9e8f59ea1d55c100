"""Offline validation of JWT access tokens (RFC 9068 §4), for a resource server with no database.

:class:`JWTValidator` checks, for every token: the JOSE header (``typ``
``at+jwt``, an allowed asymmetric algorithm: never ``none``, never HS*), the
signature with the issuer's key named by ``kid`` (from its ``jwks_uri``
through :class:`~proauth2_wsgi.validators.jwks.JwksCache`, or keys given),
and the claims: ``iss`` is the issuer, ``aud`` names this resource, ``exp``
is in the future and ``iat``/``nbf`` not in it (both within ``leeway``),
``sub``, ``client_id`` and ``jti`` present. Anything else is
``invalid_token``; an issuer whose keys cannot be fetched is 503.

Offline means revocation reaches this resource server only when the token
expires: choose short JWT lifetimes, or validate online (the provider, or
:class:`~proauth2_wsgi.validators.IntrospectionValidator`) where that lag
matters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from ..errors import InvalidScope, InvalidToken
from ..jwt_access_tokens import JWT_TYPE
from ..models import AccessToken
from ..scopes import parse_scope
from ..tokens import MAX_ACCESS_TOKEN_LENGTH
from .confirmation import bound_key
from .jwks import JwksCache

__all__ = ["ASYMMETRIC_ALGORITHMS", "JWTValidator", "is_numeric_date"]

#: the algorithms a validator may be told to accept: public-key signatures only
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_TYPES = frozenset({JWT_TYPE, f"application/{JWT_TYPE}"})
_INVALID = "the access token is invalid or expired"


class JWTValidator:
    """A :class:`~proauth2_wsgi.protector.TokenValidator` of RFC 9068 JWT access tokens, offline.

    :param issuer: the authorization server's issuer identifier (``iss``).
    :param audience: this resource's identifier (RFC 8707): ``aud`` must name it.
    :param jwks_uri: where the issuer publishes its keys (its metadata's
        ``jwks_uri``); or
    :param keys: the issuer's public keys, as a JWK set document or a joserfc ``KeySet``.
    :param algorithms: the accepted ``alg`` values (RS256 and ES256 by default).
    :param leeway: seconds of clock difference tolerated on ``exp``, ``iat``, ``nbf``.
    :param min_refresh_interval: fewest seconds between two fetches of the key
        set for tokens naming an unknown ``kid``.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_uri: str | None = None,
        keys: Mapping[str, Any] | KeySet | None = None,
        algorithms: Collection[str] = ("RS256", "ES256"),
        leeway: int = 30,
        min_refresh_interval: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if (jwks_uri is None) == (keys is None):
            raise ValueError("give jwks_uri or keys, one of them")
        chosen = frozenset(algorithms)
        if not chosen or not chosen <= ASYMMETRIC_ALGORITHMS:
            raise ValueError(
                f"algorithms: public-key algorithms only, among {', '.join(sorted(ASYMMETRIC_ALGORITHMS))}"
            )
        self.issuer = issuer
        self.audience = audience
        self.algorithms = sorted(chosen)
        self._registry = JWSRegistry(algorithms=self.algorithms)  # built once: joserfc would per call
        self.leeway = leeway
        self._clock = clock
        self.jwks: JwksCache | None = None
        self._static: KeySet | None = None
        if jwks_uri is not None:
            self.jwks = JwksCache(jwks_uri, min_refresh_interval=min_refresh_interval)
        else:
            self._static = keys if isinstance(keys, KeySet) else KeySet.import_key_set(keys)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<JWTValidator issuer={self.issuer!r} audience={self.audience!r}>"

    @property
    def runs_inline(self) -> bool:
        """Whether validating now needs no I/O: keys were given, or the fetched set is younger than its ``max_age``.

        An async server (:class:`proauth2_wsgi.asgi.BearerTokenMiddleware`)
        then validates on its event loop, a signature check of some tens of
        µs, instead of handing the token to its thread pool. While no key set
        is held, or the one held is stale, validation fetches it: a thread's
        work, so this is False. One case stays: a token naming a ``kid`` the
        fresh set lacks makes the set be fetched again, on the loop, at most
        once per ``min_refresh_interval`` whatever the tokens say
        (:class:`JwksCache`), and never longer than its ``timeout``.
        """
        jwks = self.jwks
        if jwks is None:
            return True
        # JwksCache.key() fetches exactly when no set is held or the one held is older than max_age.
        return jwks._keys is not None and jwks._clock() - jwks._fetched < jwks.max_age

    def validate_token(self, token: str, request: object = None) -> AccessToken:
        """The token's claims as an :class:`~proauth2_wsgi.models.AccessToken`, or :class:`InvalidToken`."""
        if len(token) > MAX_ACCESS_TOKEN_LENGTH or token.count(".") != 2:
            raise InvalidToken(_INVALID)
        try:
            decoded = jwt.decode(token, self._key_for, registry=self._registry)
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidToken(_INVALID) from None
        if str(decoded.header.get("typ", "")).lower() not in _TYPES:
            raise InvalidToken("the token is not a JWT access token (typ at+jwt, RFC 9068 section 2.1)")
        return self._access(decoded.claims)

    def _key_for(self, guest: Any) -> Any:
        """The key a token's header names (joserfc calls this with the header before verifying)."""
        kid = guest.headers().get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken(_INVALID)
        if self.jwks is not None:
            key = self.jwks.key(kid)
        elif self._static is None:  # __init__ takes jwks or static keys
            raise InvalidToken(_INVALID)
        else:
            key = next((key for key in self._static.keys if key.kid == kid), None)
            if key is None and kid is None and len(self._static.keys) == 1:
                key = self._static.keys[0]
        if key is None:
            raise InvalidToken(_INVALID)
        return key

    def _access(self, claims: Mapping[str, Any]) -> AccessToken:
        now = self._clock()
        leeway = self.leeway
        audience: Any = claims.get("aud")
        if isinstance(audience, str):
            audiences: tuple[str, ...] = (audience,)
        elif isinstance(audience, list) and all(isinstance(item, str) for item in audience):
            audiences = tuple(audience)
        else:
            raise InvalidToken(_INVALID)
        expires_at: Any = claims.get("exp")
        issued_at: Any = claims.get("iat")
        not_before: Any = claims.get("nbf", 0)
        subject: Any = claims.get("sub")
        client_id: Any = claims.get("client_id")
        scope: Any = claims.get("scope", "")
        if (
            claims.get("iss") != self.issuer
            or self.audience not in audiences
            or not (isinstance(subject, str) and subject and isinstance(client_id, str) and client_id)
            or not (isinstance(claims.get("jti"), str) and claims["jti"])
            or not (is_numeric_date(expires_at) and is_numeric_date(issued_at) and is_numeric_date(not_before))
            or expires_at + leeway <= now
            or issued_at - leeway > now
            or not_before - leeway > now
            or not isinstance(scope, str)
        ):
            raise InvalidToken(_INVALID)
        try:
            scopes = parse_scope(scope)
        except InvalidScope:
            raise InvalidToken(_INVALID) from None
        auth_time: Any = claims.get("auth_time")
        return AccessToken(
            client_id=client_id,
            # RFC 9068 §2.2: sub is the client itself for a token of no user (client credentials)
            user_id=None if subject == client_id else subject,
            scopes=scopes,
            issued_at=int(issued_at),
            expires_at=int(expires_at),
            grant_id="",  # a resource server elsewhere does not see grants
            auth_time=int(auth_time) if is_numeric_date(auth_time) else None,
            audience=audiences,
            jkt=bound_key(claims, _INVALID),
        )


def is_numeric_date(value: object) -> bool:
    """A NumericDate (RFC 7519 §2): a number, not a boolean."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
