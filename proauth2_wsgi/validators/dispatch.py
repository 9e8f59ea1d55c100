"""One validator per token format: JWT-shaped tokens to one, opaque ones to another."""

from __future__ import annotations

from typing import Any

from ..models import AccessToken
from ..protector import TokenValidator

__all__ = ["ByFormat"]


class ByFormat:
    """A :class:`~proauth2_wsgi.protector.TokenValidator` choosing by the token's shape.

    A token of three dot-separated parts (a JWS, RFC 7515 §7.1) goes to
    ``jwt`` (a :class:`~proauth2_wsgi.validators.JWTValidator`), anything
    else to ``opaque`` (an introspection validator, or the provider).
    """

    def __init__(self, *, jwt: TokenValidator, opaque: TokenValidator) -> None:
        self.jwt = jwt
        self.opaque = opaque

    def __repr__(self) -> str:
        return f"<ByFormat jwt={self.jwt!r} opaque={self.opaque!r}>"

    @property
    def issuer(self) -> Any:
        """The issuer both validators trust (for RFC 9728 ``authorization_servers``)."""
        return getattr(self.jwt, "issuer", None) or getattr(self.opaque, "issuer", None)

    def validate_token(self, token: str, request: Any) -> AccessToken:
        validator = self.jwt if token.count(".") == 2 else self.opaque
        return validator.validate_token(token, request)
