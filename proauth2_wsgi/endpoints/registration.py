"""Dynamic client registration (RFC 7591).

Off unless the host mounts it. Open registration when no initial access
token is configured; otherwise the request must carry
``Authorization: Bearer <initial access token>`` (RFC 7591 §3), compared in
constant time. The request is a JSON object of client metadata (§2); the
answer (§3.2.1) holds the new ``client_id``, the ``client_secret`` (shown
this once, for confidential clients) and the metadata as registered.
Unrecognised metadata is ignored (§2); bad values are
``invalid_redirect_uri`` / ``invalid_client_metadata`` (§3.2.2). A
``private_key_jwt`` client registers its public keys, ``jwks`` or
``jwks_uri`` (exactly one, checked by the method); other clients' keys are
ignored, since nothing here would use them. ``client_secret_jwt`` is
refused: it needs the secret in plain text on the server.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..errors import InvalidClientMetadata, InvalidRedirectUri, InvalidRequest, InvalidToken
from ..headers import parse_authorization
from ..issuance import DPOP_BOUND
from ..protector import bearer_challenge
from ..pushed_requests import REQUIRE_PUSHED
from ..responses import json_response
from ..scopes import format_scope
from ..tokens import constant_time_equals
from ..uris import validate_web_url
from .base import Endpoint, read_body, require_content_type

if TYPE_CHECKING:
    from ..models import Client, ClientCredentials
    from ..provider import Proauth2

#: the content type of registration requests (RFC 7591 §3.1)
JSON_CONTENT_TYPE = "application/json"
#: ``client_name`` of a client that registers without one
DEFAULT_CLIENT_NAME = "Unnamed client"
#: RFC 7591 §2: "If omitted, the default is that the client will use only the authorization_code Grant Type"
DEFAULT_GRANT_TYPES = ("authorization_code",)
#: RFC 7591 §2: "If omitted, the default is client_secret_basic"
DEFAULT_AUTH_METHOD = "client_secret_basic"
#: RFC 7591 §2 metadata kept as given and shown back: URLs a consent page may link to
URL_METADATA = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
#: RFC 7591 §2 metadata kept as given and shown back: short texts
TEXT_METADATA = ("software_id", "software_version")
#: OpenID Connect Dynamic Registration §2 metadata kept (the provider checks them)
OPENID_METADATA = ("post_logout_redirect_uris", "id_token_signed_response_alg")
#: a ``private_key_jwt`` client's public keys (RFC 7591 §2), kept and shown back
KEY_METADATA = ("jwks", "jwks_uri")
#: metadata asking for what this server does not do
_UNSUPPORTED_METADATA = (
    "id_token_encrypted_response_alg",
    "userinfo_signed_response_alg",
    "userinfo_encrypted_response_alg",
    "request_object_signing_alg",
    "sector_identifier_uri",
)
#: most ``contacts`` one client lists
MAX_CONTACTS = 10
#: longest text metadata value
MAX_TEXT_LENGTH = 255


class RegistrationEndpoint(Endpoint):
    """WSGI app: ``POST`` client metadata as JSON, get the registered client (201)."""

    name = "registration_endpoint"
    path = "/register"

    def __init__(self, provider: Proauth2, initial_access_token: str | None = None) -> None:
        super().__init__(provider)
        if initial_access_token is not None and (not isinstance(initial_access_token, str) or not initial_access_token):
            raise ValueError("initial_access_token must be a non-empty string or None")
        self._initial_access_token = initial_access_token

    def __repr__(self) -> str:
        return f"<RegistrationEndpoint protected={self._initial_access_token is not None}>"

    def handle(self, request: Request) -> Response:
        self._check_initial_access_token(request)
        fields = read_json_object(request)
        grant_types = _string_list(fields, "grant_types", InvalidClientMetadata)
        if grant_types is None:
            grant_types = list(DEFAULT_GRANT_TYPES)
        _check_response_types(_string_list(fields, "response_types", InvalidClientMetadata), grant_types)
        auth_method = _string(fields, "token_endpoint_auth_method") or DEFAULT_AUTH_METHOD
        metadata = descriptive_metadata(fields)
        if auth_method == "private_key_jwt":
            metadata.update(key_metadata(fields))
        credentials = self.provider.register_app(
            _string(fields, "client_name") or DEFAULT_CLIENT_NAME,
            _string_list(fields, "redirect_uris", InvalidRedirectUri) or [],
            grant_types=grant_types,
            scopes=_string(fields, "scope"),
            auth_method=auth_method,
            metadata=metadata,
        )
        client = self.provider.get_client(credentials.client_id)
        if client is None:  # just stored: deleted meanwhile
            raise InvalidClientMetadata("the client was deleted while it was registered")
        return json_response(registration_response(client, credentials), status=201)

    def _check_initial_access_token(self, request: Request) -> None:
        expected = self._initial_access_token
        if expected is None:
            return
        authorization = parse_authorization(request.headers.get("Authorization"))
        if authorization is not None and authorization.type == "bearer" and authorization.token:
            if constant_time_equals(authorization.token, expected):
                return
            error = InvalidToken("the initial access token is not valid")
            error.headers["WWW-Authenticate"] = bearer_challenge(self.realm, error)
        else:
            error = InvalidToken("an initial access token is required")
            error.headers["WWW-Authenticate"] = bearer_challenge(self.realm)
        raise error


def read_json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object; a duplicate member, bad UTF-8 or anything but an object is ``invalid_request``."""
    require_content_type(request, JSON_CONTENT_TYPE)
    body = read_body(request)
    try:
        data = json.loads(body.decode("utf-8"), object_pairs_hook=_unique_members)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise InvalidRequest("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object")
    return data


def registration_response(client: Client, credentials: ClientCredentials) -> dict[str, Any]:
    """The RFC 7591 §3.2.1 response: identifiers, the secret once, and the registered metadata."""
    body: dict[str, Any] = {"client_id": client.client_id, "client_id_issued_at": client.created_at}
    if credentials.client_secret is not None:
        body["client_secret"] = credentials.client_secret
        body["client_secret_expires_at"] = 0  # never expires
    body.update(
        client_name=client.name,
        redirect_uris=list(client.redirect_uris),
        grant_types=list(client.grant_types),
        response_types=["code"] if "authorization_code" in client.grant_types else [],
        token_endpoint_auth_method=client.auth_method,
    )
    if client.scopes:  # RFC 7591 §2 / RFC 6749 §3.3: no empty scope string
        body["scope"] = format_scope(client.scopes)
    shown = (*URL_METADATA, *TEXT_METADATA, "contacts", *OPENID_METADATA, DPOP_BOUND, REQUIRE_PUSHED, *KEY_METADATA)
    body.update({name: client.metadata[name] for name in shown if name in client.metadata})
    return body


def descriptive_metadata(fields: dict[str, Any]) -> dict[str, Any]:
    """The RFC 7591 §2 and OpenID Connect Registration metadata kept with a client, checked.

    Web URLs, short texts and contacts here; ``post_logout_redirect_uris``
    and ``id_token_signed_response_alg`` by the provider. Encrypted ID tokens
    or UserInfo, and pairwise subjects, are refused rather than ignored: the
    client would count on them.
    """
    for name in _UNSUPPORTED_METADATA:
        if fields.get(name) is not None:
            raise InvalidClientMetadata(f"{name} is not supported")
    if fields.get("subject_type") not in (None, "public"):
        raise InvalidClientMetadata("subject_type: only public subjects are issued")
    metadata: dict[str, Any] = {}
    for name in OPENID_METADATA:
        if fields.get(name) is not None:
            metadata[name] = fields[name]
    for name in URL_METADATA:
        value = _string(fields, name)
        if value is not None:
            try:
                metadata[name] = validate_web_url(value)
            except ValueError as exc:
                raise InvalidClientMetadata(f"{name}: {exc}") from None
    for name in TEXT_METADATA:
        value = _string(fields, name)
        if value is not None:
            if len(value) > MAX_TEXT_LENGTH or not value.isprintable():
                raise InvalidClientMetadata(f"{name} must be printable text of at most {MAX_TEXT_LENGTH} characters")
            metadata[name] = value
    for flag in (DPOP_BOUND, REQUIRE_PUSHED):  # RFC 9449 §5.2, RFC 9126 §6
        value = fields.get(flag)
        if value is not None:
            if not isinstance(value, bool):
                raise InvalidClientMetadata(f"{flag} must be true or false")
            metadata[flag] = value
    contacts = _string_list(fields, "contacts", InvalidClientMetadata)
    if contacts is not None:
        if len(contacts) > MAX_CONTACTS or any(len(c) > MAX_TEXT_LENGTH or not c.isprintable() for c in contacts):
            raise InvalidClientMetadata(f"contacts: at most {MAX_CONTACTS} printable addresses")
        metadata["contacts"] = contacts
    return metadata


def key_metadata(fields: dict[str, Any]) -> dict[str, Any]:
    """A ``private_key_jwt`` client's ``jwks`` (an object) or ``jwks_uri`` (a string), as given (RFC 7591 §2).

    Their rules (one of them, public keys only, an https URL) are the
    method's (:meth:`~proauth2_wsgi.client_auth.PrivateKeyJwt.checked_metadata`).
    """
    jwks = fields.get("jwks")
    if jwks is not None and not isinstance(jwks, dict):
        raise InvalidClientMetadata("jwks must be a JWK set (a JSON object)")
    uri = _string(fields, "jwks_uri")
    return {name: value for name, value in (("jwks", jwks), ("jwks_uri", uri)) if value is not None}


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise InvalidRequest("a JSON member is repeated")
        result[name] = value
    return result


def _string(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidClientMetadata(f"{name} must be a string")
    return value


def _string_list(
    fields: dict[str, Any], name: str, error: type[InvalidClientMetadata | InvalidRedirectUri]
) -> list[str] | None:
    value = fields.get(name)
    if value is not None and (not isinstance(value, list) or not all(isinstance(item, str) for item in value)):
        raise error(f"{name} must be an array of strings")
    return value


def _check_response_types(response_types: list[str] | None, grant_types: list[str]) -> None:
    """RFC 7591 §2.1: ``code`` is the only response type, and goes with ``authorization_code``."""
    if response_types is None:
        return
    if any(value != "code" for value in response_types):
        raise InvalidClientMetadata("the only supported response_type is code")
    if ("code" in response_types) != ("authorization_code" in grant_types):
        raise InvalidClientMetadata("response_types code and grant_types authorization_code go together")
