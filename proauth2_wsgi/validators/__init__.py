"""Token validators for resource servers, behind the protector's :class:`~proauth2_wsgi.protector.TokenValidator`.

Pick by where the resource server runs and what a revocation must do:

- the **provider** itself (:class:`~proauth2_wsgi.Proauth2`, in the same
  database): one indexed lookup, revocation honoured at once, any format;
- :class:`JWTValidator`: JWT access tokens (RFC 9068) checked offline with
  the issuer's JWK set, no call per token, revocation honoured at expiry;
- :class:`IntrospectionValidator`: RFC 7662 over HTTP, for a resource server
  sharing neither database nor keys; revocation honoured within its cache TTL;
- :class:`ByFormat`: JWTs to one, opaque tokens to another.

Each is one argument of :class:`~proauth2_wsgi.BearerTokenMiddleware`, of
``@oauth.require_oauth`` (Flask) and of the ASGI middleware.
"""

from .dispatch import ByFormat as ByFormat
from .introspection import IntrospectionValidator as IntrospectionValidator
from .jwks import JwksCache as JwksCache
from .jwt import JWTValidator as JWTValidator
