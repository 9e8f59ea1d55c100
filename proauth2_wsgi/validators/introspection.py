"""Validation through token introspection (RFC 7662), for a resource server that shares nothing else.

:class:`IntrospectionValidator` asks the authorization server's
introspection endpoint about each token, authenticated as a confidential
client (``client_secret_basic``), and accepts it when the answer is
``active`` with ``token_type`` Bearer (so a refresh token presented as an
access token is refused). With ``cache_ttl`` the answers for valid tokens
are kept that many seconds (never past the token's ``exp``), in a bounded
cache (:class:`~proauth2_wsgi.token_cache.TokenCache`): the revocation lag
that trades for one call per token per interval (RFC 7662 §4).

An authorization server that cannot be reached, answers 5xx, refuses this
resource server's own credentials, or answers something that is not an
introspection response, makes the request 503
(:class:`~proauth2_wsgi.errors.TemporarilyUnavailable`): it says nothing
about the token, so it is never 401.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import InvalidScope, InvalidToken, TemporarilyUnavailable
from ..models import AccessToken
from ..scopes import parse_scope
from ..token_cache import DEFAULT_SIZE, TokenCache
from ..tokens import MAX_ACCESS_TOKEN_LENGTH, looks_like_token
from .confirmation import bound_key
from .http import DEFAULT_TIMEOUT, Unreachable, fetch_json
from .jwt import is_numeric_date

__all__ = ["IntrospectionValidator"]

_LOG = logging.getLogger("proauth2.validators")
_INVALID = "the access token is invalid, expired or revoked"
_UNAVAILABLE = "the authorization server cannot check the token now"


class IntrospectionValidator:
    """A :class:`~proauth2_wsgi.protector.TokenValidator` asking the issuer about each token (RFC 7662).

    :param url: the issuer's ``introspection_endpoint``.
    :param client_id: this resource server's client id at the issuer (a confidential client).
    :param client_secret: its secret.
    :param issuer: the issuer identifier; when given, an answer naming another ``iss`` is refused.
    :param cache_ttl: seconds a valid token's answer is reused (0: ask every time).
    """

    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        *,
        issuer: str | None = None,
        cache_ttl: float = 0.0,
        cache_size: int = DEFAULT_SIZE,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.issuer = issuer
        self.timeout = timeout
        self._clock = clock
        # RFC 6749 §2.3.1: the id and secret are form-urlencoded before the Basic encoding
        pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
        self._authorization = "Basic " + base64.b64encode(pair).decode()
        self._cache = TokenCache(_Asker(self), cache_ttl, cache_size, clock=clock) if cache_ttl else None

    def __repr__(self) -> str:
        return f"<IntrospectionValidator {self.url}>"

    def validate_token(self, token: str, request: object = None) -> AccessToken:
        """The introspected token as an :class:`~proauth2_wsgi.models.AccessToken`, or :class:`InvalidToken`."""
        if self._cache is not None:
            return self._cache.validate_token(token, request)  # type: ignore[arg-type]
        return self.introspect(token)

    def introspect(self, token: str) -> AccessToken:
        """Ask the authorization server about ``token`` now (no cache)."""
        if not looks_like_token(token, MAX_ACCESS_TOKEN_LENGTH):
            raise InvalidToken(_INVALID)
        form = urlencode({"token": token, "token_type_hint": "access_token"}).encode()
        try:
            status, answer = fetch_json(
                self.url, form=form, headers={"Authorization": self._authorization}, timeout=self.timeout
            )
        except Unreachable as error:
            _LOG.error("token introspection failed: %s", error)
            raise TemporarilyUnavailable(_UNAVAILABLE) from None
        if status != 200 or not isinstance(answer.get("active"), bool):
            level = logging.ERROR if status in (400, 401, 403) else logging.WARNING  # ours to fix, or theirs
            _LOG.log(level, "token introspection at %s answered HTTP %s", self.url, status)
            raise TemporarilyUnavailable(_UNAVAILABLE)
        return self._access(answer)

    def _access(self, answer: Mapping[str, Any]) -> AccessToken:
        token_type = str(answer.get("token_type", "")).lower()
        if not answer["active"] or token_type not in ("bearer", "dpop"):
            raise InvalidToken(_INVALID)
        jkt = bound_key(answer, _INVALID)
        if token_type == "dpop" and jkt is None:  # noqa: S105 - a token type; RFC 9449 §6.2: a DPoP token says which key
            raise InvalidToken(_INVALID)
        if self.issuer is not None and answer.get("iss", self.issuer) != self.issuer:
            raise InvalidToken(_INVALID)
        now = self._clock()
        client_id: Any = answer.get("client_id")
        subject: Any = answer.get("sub")
        expires_at: Any = answer.get("exp")
        issued_at: Any = answer.get("iat", now)
        scope = answer.get("scope", "")
        audience = answer.get("aud", [])
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else None
        if (
            not isinstance(client_id, str)
            or not (subject is None or isinstance(subject, str))
            or not is_numeric_date(expires_at)
            or not is_numeric_date(issued_at)
            or expires_at <= now
            or not isinstance(scope, str)
            or audiences is None
        ):
            raise InvalidToken(_INVALID)
        try:
            scopes = parse_scope(scope)
        except InvalidScope:
            raise InvalidToken(_INVALID) from None
        return AccessToken(
            client_id=client_id,
            user_id=subject if subject != client_id else None,
            scopes=scopes,
            issued_at=int(issued_at),
            expires_at=int(expires_at),
            grant_id="",  # a resource server elsewhere does not see grants
            audience=tuple(item for item in audiences if isinstance(item, str)),
            jkt=jkt,
        )


class _Asker:
    """The uncached introspection, as the validator a :class:`TokenCache` wraps."""

    def __init__(self, validator: IntrospectionValidator) -> None:
        self._validator = validator

    def validate_token(self, token: str, request: object) -> AccessToken:
        return self._validator.introspect(token)
