"""What every OAuth endpoint shares: the method check, the body, the form, the client's authentication.

- RFC 6749 §3.2 / RFC 7009 §2.1 / RFC 7662 §2.1: POST with an
  ``application/x-www-form-urlencoded`` body; anything else is refused with
  a JSON OAuth error (405 with ``Allow`` for a wrong method).
- RFC 6749 §3.1: a parameter sent without a value is treated as omitted, a
  repeated parameter is ``invalid_request`` (unless a component declares it
  repeatable), unknown parameters are ignored.
- Client authentication (RFC 6749 §2.3) is the provider's registered
  methods', each seeing the whole request (:mod:`proauth2_wsgi.client_auth`).
- RFC 6749 §5.2: a failed client authentication is 401 ``invalid_client``
  with a ``WWW-Authenticate: Basic`` challenge (HTTP requires a challenge on
  every 401, so it is sent whichever method failed).

Bodies are capped at :data:`MAX_BODY_BYTES` and must be UTF-8; nothing here
ever answers 500 with a stack trace, and no error repeats a secret. An
endpoint is a component of its provider's ``endpoints`` registry: it names
itself (``name``, its RFC 8414 metadata key), says where it lives (``path``)
and what it adds to the metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from ..errors import InvalidClient, InvalidRequest, Proauth2Error, ServerError
from ..request import EndpointRequest, Parameters
from ..responses import error_response, www_authenticate

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from ..client_auth import ClientAuthMethod
    from ..models import Client
    from ..provider import Proauth2

#: largest request body read, in bytes; a larger one is refused with 413
MAX_BODY_BYTES = 64 * 1024
#: most parameters accepted in one form body
MAX_FORM_FIELDS = 100
#: the one content type of token, revocation and introspection requests (RFC 6749 §3.2)
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
#: realm of the ``Basic`` challenge when the provider has no issuer
DEFAULT_REALM = "proauth2"

_LOG = logging.getLogger("proauth2.endpoints")


class Endpoint:
    """Base of the endpoint WSGI apps: subclasses name themselves and implement :meth:`handle`.

    Any :class:`~proauth2_wsgi.errors.Proauth2Error` raised while handling a
    request (a storage outage included: 503 with ``Retry-After``) is rendered
    as its RFC 6749 §5.2 JSON response; any other exception is logged and
    answered with a bare ``server_error``.
    """

    #: the RFC 8414 name of the endpoint's URL in the metadata (``token_endpoint``)
    name: ClassVar[str]
    #: the path below the server's prefix
    path: ClassVar[str]
    #: the HTTP methods the endpoint answers
    methods: ClassVar[tuple[str, ...]] = ("POST",)

    def __init__(self, provider: Proauth2) -> None:
        self.provider = provider
        self.realm = provider.settings.issuer or DEFAULT_REALM
        #: the endpoint's public URL, set where it is mounted under an issuer (else the request's own)
        self.url: str | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url or self.path}>"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        """The endpoint's answer to ``request`` (any werkzeug request: Flask's too)."""
        try:
            if request.method not in self.methods:
                allowed = ", ".join(self.methods)
                raise InvalidRequest(f"use {allowed}", status_code=405, headers={"Allow": allowed})
            response = self.handle(request)
        except Proauth2Error as error:
            response = self.error_response(error)
        except Exception:  # noqa: BLE001 - logged with its traceback; the client gets a bare server_error
            _LOG.exception("%s failed unexpectedly", type(self).__name__)
            response = error_response(ServerError())
        return response

    def handle(self, request: Request) -> Response:
        """Answer a request whose method is allowed."""
        raise NotImplementedError

    def metadata(self) -> Mapping[str, Any]:
        """What the endpoint adds to the server metadata besides its URL; nothing by default."""
        return {}

    def error_response(self, error: Proauth2Error) -> Response:
        """The error's JSON response, with a ``Basic`` challenge on a failed client authentication."""
        if error.error == InvalidClient.error_code and error.status_code == 401:
            return error_response(error, {"WWW-Authenticate": www_authenticate("Basic", {"realm": self.realm})})
        return error_response(error)

    def endpoint_request(self, request: Request, params: Parameters) -> EndpointRequest:
        """The provider's view of the HTTP request, with this endpoint's public URL."""
        return EndpointRequest(request.method, self.url or request.base_url, request.headers, params)

    def authenticate_client(self, request: Request, params: Parameters) -> Client:
        """The client the request's credentials authenticate, or ``invalid_client`` (RFC 6749 §2.3)."""
        return self.provider.authenticate_client_request(self.endpoint_request(request, params))


def auth_signing_algorithms(endpoint: str, methods: Iterable[ClientAuthMethod]) -> dict[str, list[str]]:
    """``<endpoint>_auth_signing_alg_values_supported`` (RFC 8414 §2): the JWS algorithms of ``methods`` that sign.

    Empty when none of them does: the member is then left out.
    """
    algorithms: list[str] = []
    for method in methods:
        algorithms += [alg for alg in method.signing_algorithms if alg not in algorithms]
    return {f"{endpoint}_auth_signing_alg_values_supported": algorithms} if algorithms else {}


def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole raw request body, refused with 413 ``invalid_request`` beyond ``limit`` bytes.

    The stream is read until it ends, since one ``read`` may return part of
    the body. A body that ends before its ``Content-Length``, or a broken
    chunked encoding, is 400 ``invalid_request``, never a 500 and never a
    truncated form taken for the whole.
    """
    too_large = InvalidRequest("the request body is too large", status_code=413)
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk = request.stream.read(limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, ValueError, HTTPException):  # broken chunking, client gone, short body
        raise InvalidRequest("the request body could not be read") from None
    if size > limit:
        raise too_large
    return b"".join(chunks)


def require_content_type(request: Request, mimetype: str) -> None:
    """Refuse a body that is not of ``mimetype`` with ``invalid_request``."""
    if request.mimetype != mimetype:
        raise InvalidRequest(f"the request body must be {mimetype}")


def read_form(request: Request, repeatable: Iterable[str] = ()) -> Parameters:
    """The form parameters of a POST body (RFC 6749 §3.1, Appendix B).

    Empty parameters count as omitted; a repeated one (outside
    ``repeatable``), bytes that are not UTF-8 (raw or percent-encoded) or too
    many fields are ``invalid_request``.
    """
    require_content_type(request, FORM_CONTENT_TYPE)
    body = read_body(request)
    try:
        pairs = parse_qsl(body.decode("utf-8"), errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise InvalidRequest("the request body is not valid UTF-8 form data") from None
    except ValueError:  # parse_qsl's "Max number of fields exceeded"
        raise InvalidRequest(f"the request body has more than {MAX_FORM_FIELDS} parameters") from None
    params = Parameters(pairs)
    params.check_repeats(frozenset(repeatable))
    return params
