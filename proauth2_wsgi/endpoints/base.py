"""What every OAuth endpoint shares: the method check, the body, the form, the client's credentials.

- RFC 6749 §3.2 / RFC 7009 §2.1 / RFC 7662 §2.1: POST with an
  ``application/x-www-form-urlencoded`` body; anything else is refused with
  a JSON OAuth error (405 with ``Allow`` for a wrong method).
- RFC 6749 §3.1: a parameter sent without a value is treated as omitted, a
  repeated parameter is ``invalid_request``, unknown parameters are ignored.
- RFC 6749 §2.3.1: client credentials come in an ``Authorization: Basic``
  header (``client_secret_basic``, id and secret form-urlencoded before they
  are base64-encoded), in the body (``client_secret_post``), or as a bare
  ``client_id`` (``none``, public clients: in the body, or as Basic with an
  empty password). Using two methods at once is ``invalid_request``.
- RFC 6749 §5.2: a failed client authentication is 401 ``invalid_client``
  with a ``WWW-Authenticate: Basic`` challenge (HTTP requires a challenge on
  every 401, so it is sent whichever method failed).

Bodies are capped at :data:`MAX_BODY_BYTES` and must be UTF-8; nothing here
ever answers 500 for bad input, and no error repeats a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qsl, unquote_plus

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from ..errors import InvalidClient, InvalidRequest, Proauth2Error
from ..headers import parse_authorization
from ..responses import error_response, www_authenticate

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

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


@dataclass(frozen=True)
class PresentedCredentials:
    """The credentials a request presented and how (RFC 6749 §2.3); the secret never prints."""

    client_id: str | None
    client_secret: str | None = field(repr=False)
    #: ``client_secret_basic``, ``client_secret_post`` or ``none``
    method: str


class Endpoint:
    """Base of the endpoint WSGI apps: subclasses implement :meth:`handle`.

    Any :class:`~proauth2_wsgi.errors.Proauth2Error` raised while handling a
    request (a storage outage included: 503 with ``Retry-After``) is rendered
    as its RFC 6749 §5.2 JSON response.
    """

    #: the HTTP methods the endpoint answers
    methods: ClassVar[tuple[str, ...]] = ("POST",)

    def __init__(self, provider: Proauth2) -> None:
        self.provider = provider
        self.realm = provider.settings.issuer or DEFAULT_REALM

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            if request.method not in self.methods:
                allowed = ", ".join(self.methods)
                raise InvalidRequest(f"use {allowed}", status_code=405, headers={"Allow": allowed})
            response = self.handle(request)
        except Proauth2Error as error:
            response = self.error_response(error)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer a request whose method is allowed."""
        raise NotImplementedError

    def error_response(self, error: Proauth2Error) -> Response:
        """The error's JSON response, with a ``Basic`` challenge on a failed client authentication."""
        if error.error == InvalidClient.error_code and error.status_code == 401:
            return error_response(error, {"WWW-Authenticate": www_authenticate("Basic", {"realm": self.realm})})
        return error_response(error)

    def authenticate_client(self, request: Request, form: Mapping[str, str]) -> Client:
        """The client the request's credentials authenticate, or ``invalid_client`` (RFC 6749 §2.3)."""
        credentials = client_credentials(request, form)
        return self.provider.authenticate_client(
            credentials.client_id, credentials.client_secret, method=credentials.method
        )


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


def read_form(request: Request) -> dict[str, str]:
    """The form parameters of a POST body (RFC 6749 §3.1, Appendix B).

    Empty parameters count as omitted; a repeated one, bytes that are not
    UTF-8 (raw or percent-encoded) or too many fields are ``invalid_request``.
    """
    require_content_type(request, FORM_CONTENT_TYPE)
    body = read_body(request)
    try:
        pairs = parse_qsl(body.decode("utf-8"), errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise InvalidRequest("the request body is not valid UTF-8 form data") from None
    except ValueError:  # parse_qsl's "Max number of fields exceeded"
        raise InvalidRequest(f"the request body has more than {MAX_FORM_FIELDS} parameters") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise InvalidRequest("a parameter is repeated")
        form[name] = value
    return form


def client_credentials(request: Request, form: Mapping[str, str]) -> PresentedCredentials:
    """How the client presented itself: Basic header, form secret, or its id only (RFC 6749 §2.3.1)."""
    header = request.headers.get("Authorization")
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    if header is None:
        if form_secret is not None:
            return PresentedCredentials(form_id, form_secret, "client_secret_post")
        return PresentedCredentials(form_id, None, "none")
    if form_secret is not None:
        raise InvalidRequest("use one client authentication method, not both Basic and client_secret")
    authorization = parse_authorization(header)
    if authorization is None or authorization.type != "basic":
        raise InvalidClient("the Authorization header is not valid Basic client authentication")
    try:
        client_id = unquote_plus(authorization.username or "", errors="strict")
        client_secret = unquote_plus(authorization.password or "", errors="strict")
    except UnicodeDecodeError:
        raise InvalidClient("the Basic credentials are not form-urlencoded UTF-8") from None
    if form_id is not None and form_id != client_id:
        raise InvalidRequest("client_id differs from the one in the Authorization header")
    if not client_secret:
        # "client_id:" with no secret is a public client naming itself (what requests-oauthlib
        # sends by default); a confidential client doing so fails its own method's check.
        return PresentedCredentials(client_id, None, "none")
    return PresentedCredentials(client_id, client_secret, "client_secret_basic")
