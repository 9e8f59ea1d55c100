"""Bearer tokens in requests (RFC 6750): extraction, validation, error responses.

The one validation code path shared by :class:`~proauth2_wsgi.BearerTokenMiddleware`
and the Flask decorator:

- :func:`extract_token` finds the token a request presents (RFC 6750 §2): the
  ``Authorization: Bearer`` header (§2.1), an ``application/x-www-form-urlencoded``
  body only when enabled (§2.2), the query string only when enabled (§2.3,
  which RFC 9700 §4.3.2 tells servers to refuse);
- :func:`authenticate_request` validates it through the provider and puts the
  result into the environ under the ``proauth2.*`` keys below;
- :func:`bearer_error_response` renders a refusal exactly as RFC 6750 §3 says.

No function here logs, stores or echoes the token.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl

from werkzeug.wrappers import Response
from werkzeug.wsgi import get_input_stream

from .errors import InsufficientScope, InvalidRequest, Proauth2Error, StorageUnavailable
from .headers import parse_authorization
from .models import AccessToken
from .responses import bearer_challenge, error_response, json_response
from .scopes import format_scope, parse_scope
from .tokens import looks_like_token

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = [
    "CLIENT_ID",
    "MAX_FORM_BODY",
    "SCOPES",
    "TOKEN",
    "USER_ID",
    "TokenValidator",
    "authenticate_request",
    "bearer_error_response",
    "extract_token",
    "require_scopes",
]

#: environ key: the resource owner's id (None for a client_credentials token)
USER_ID = "proauth2.user_id"
#: environ key: the id of the client the token was issued to
CLIENT_ID = "proauth2.client_id"
#: environ key: the token's scopes, a ``frozenset[str]``
SCOPES = "proauth2.scopes"
#: environ key: the validated :class:`~proauth2_wsgi.models.AccessToken` (with its expiry)
TOKEN = "proauth2.token"

#: largest form body read for an ``access_token`` parameter (RFC 6750 §2.2)
MAX_FORM_BODY = 64 * 1024

_PARAMETER = "access_token"
_SCHEME = "bearer"
_FORM_TYPE = "application/x-www-form-urlencoded"
# Error descriptions stay inside the RFC 6749 §5.2 charset (no "§"), so they reach clients unaltered.
_MALFORMED_HEADER = "the Authorization header is not 'Bearer' followed by one token (RFC 6750 section 2.1)"


class TokenValidator(Protocol):
    """What validates a token: :class:`~proauth2_wsgi.Proauth2`, or a cache in front of it."""

    def authenticate_token(self, token: str) -> AccessToken:
        """The token's record, or raise :class:`~proauth2_wsgi.errors.InvalidToken`."""
        ...


def extract_token(environ: WSGIEnvironment, *, allow_form: bool = False, allow_query: bool = False) -> str | None:
    """The bearer token the request presents, or None when it presents none (RFC 6750 §2).

    Raises :class:`~proauth2_wsgi.errors.InvalidRequest` when the
    ``Authorization: Bearer`` header is malformed, when the query string
    carries ``access_token`` and ``allow_query`` is off, when a parameter is
    repeated, or when the request uses more than one method at once (§2,
    §3.1). Another ``Authorization`` scheme (``Basic``...) is not a bearer
    token: the result is None. The form body is read only when
    ``allow_form`` is on, for a non-GET ``application/x-www-form-urlencoded``
    request; ``wsgi.input`` is then replaced by a buffer so the application
    can still read the body (or, when a werkzeug request in the environ has
    parsed the form already, that form is used).
    """
    found = []
    header = environ.get("HTTP_AUTHORIZATION")
    if header:
        auth = parse_authorization(header)
        if auth is not None and auth.type == "bearer":
            if not looks_like_token(auth.token):
                raise InvalidRequest(_MALFORMED_HEADER)
            found.append(auth.token)
        elif (header.split(None, 1) or [""])[0].lower() == _SCHEME:
            # "Bearer<TAB>token" and the like: a bearer credential, but not the §2.1 syntax.
            raise InvalidRequest(_MALFORMED_HEADER)
    query = environ.get("QUERY_STRING")
    # "%" too: "access%5Ftoken=..." names the same parameter once decoded.
    if query and (_PARAMETER in query or "%" in query):
        token = _parameter(parse_qsl(query, keep_blank_values=True))
        if token is not None:
            if not allow_query:
                raise InvalidRequest("access tokens in the query string are refused (RFC 6750 section 2.3, RFC 9700)")
            found.append(token)
    if allow_form:
        token = _form_token(environ)
        if token is not None:
            found.append(token)
    if len(found) > 1:
        raise InvalidRequest("the request uses more than one method to send the access token (RFC 6750 section 2)")
    return found[0] if found else None


def _parameter(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The one ``access_token`` among form or query pairs; repeating it is malformed."""
    values = [value for name, value in pairs if name == _PARAMETER]
    if len(values) > 1:
        raise InvalidRequest("access_token is repeated")
    return values[0] if values else None


def _form_token(environ: WSGIEnvironment) -> str | None:
    """The ``access_token`` of a form-encoded body (RFC 6750 §2.2), the body left readable."""
    if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
        return None
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.partition(";")[0].strip().lower() != _FORM_TYPE:
        return None
    request = environ.get("werkzeug.request")
    if request is not None and "form" in vars(request):  # a werkzeug app already parsed the body
        return _parameter(request.form.items(multi=True))
    body = get_input_stream(environ).read(MAX_FORM_BODY + 1)
    if len(body) > MAX_FORM_BODY:
        raise InvalidRequest("the form body is too large to carry an access token")
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return _parameter(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


def require_scopes(token: AccessToken, scopes: Iterable[str] | str | None) -> None:
    """Raise :class:`~proauth2_wsgi.errors.InsufficientScope` unless ``token`` has every scope (RFC 6750 §3.1).

    A ``frozenset`` is taken as already parsed; a string or other iterable
    goes through :func:`~proauth2_wsgi.scopes.parse_scope`.
    """
    if not scopes:
        return
    required = scopes if isinstance(scopes, frozenset) else parse_scope(scopes)
    if not required <= token.scopes:
        raise InsufficientScope("the access token lacks a required scope", scope=format_scope(required))


def authenticate_request(
    environ: WSGIEnvironment,
    provider: TokenValidator,
    scopes: Iterable[str] | str | None = None,
    *,
    allow_form: bool = False,
    allow_query: bool = False,
) -> AccessToken | None:
    """Validate the request's bearer token and annotate the environ; None when it has no token.

    On success ``environ`` holds :data:`USER_ID`, :data:`CLIENT_ID`,
    :data:`SCOPES` and :data:`TOKEN`. When it already holds a validated
    :data:`TOKEN` (the middleware ran), the token is not validated again:
    only ``scopes`` are checked. Raises ``InvalidRequest`` (400),
    ``InvalidToken`` (401), ``InsufficientScope`` (403; the environ is
    annotated, since the token itself is valid) or ``StorageUnavailable`` (503).
    """
    token = environ.get(TOKEN)
    if not isinstance(token, AccessToken):
        presented = extract_token(environ, allow_form=allow_form, allow_query=allow_query)
        if presented is None:
            return None
        token = provider.authenticate_token(presented)
        environ[TOKEN] = token
        environ[USER_ID] = token.user_id
        environ[CLIENT_ID] = token.client_id
        environ[SCOPES] = token.scopes
    require_scopes(token, scopes)
    return token


def bearer_error_response(error: Proauth2Error | None, realm: str) -> Response:
    """The RFC 6750 §3 refusal for ``error``, as a JSON werkzeug response.

    ``None`` means the request carried no token: 401 with a challenge naming
    only the realm and no error code (§3.1). A bearer error gets its status
    (400 ``invalid_request``, 401 ``invalid_token``, 403 ``insufficient_scope``
    with ``scope``) and the challenge. A storage outage is 503 with
    ``Retry-After`` and no challenge: it says nothing about the token.
    """
    if error is None:
        return json_response({}, 401, {"WWW-Authenticate": bearer_challenge(realm)})
    if isinstance(error, StorageUnavailable):
        return error_response(error)
    return error_response(error, {"WWW-Authenticate": bearer_challenge(realm, error)})
