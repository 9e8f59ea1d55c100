"""A client from its metadata document (draft-ietf-oauth-client-id-metadata-document-01 §4.1, §6.1).

The document holds RFC 7591 §2 client metadata. Its ``client_id`` must
equal the URL it was fetched from, by simple string comparison. Nothing in
it can be a shared secret: ``client_secret`` and
``client_secret_expires_at`` are refused, and ``token_endpoint_auth_method``
must be absent or ``none`` (a public client proving itself with PKCE), or
``private_key_jwt`` with the client's public keys (``jwks`` or ``jwks_uri``,
RFC 7523: a confidential client sharing no secret). What this server makes
of it:

- ``grant_types`` (default: both): ``authorization_code`` and
  ``refresh_token`` only (others are ignored; ``authorization_code`` is
  needed), ``response_types`` (if given) must include ``code``;
- ``redirect_uris``: required, each a valid redirect URI;
- ``client_name`` (else the URL's host), ``scope`` (within the server's;
  every scope it offers when absent), no default scope;
- kept for consent pages: ``client_uri``, ``logo_uri``, ``tos_uri``,
  ``policy_uri`` (https only), ``contacts``, ``software_id``,
  ``software_version``; for OpenID Connect ``post_logout_redirect_uris`` and
  ``id_token_signed_response_alg``; and the
  :data:`~proauth2_wsgi.models.METADATA_DOCUMENT` mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import uris
from ..client_auth.private_key_jwt import checked_key_metadata
from ..errors import InvalidScope
from ..models import METADATA_DOCUMENT, Client
from ..scopes import parse_scope

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["GRANT_TYPES", "UnacceptableDocument", "client_from_document"]

#: the grant types a metadata-document client may use (public clients with redirects; the device grant
#: beside them, RFC 8628, its verification page naming the document's host)
GRANT_TYPES = ("authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code")
#: what a document naming no grant_types gets (RFC 7591 §2: authorization_code; its refresh tokens too)
DEFAULT_GRANT_TYPES = GRANT_TYPES[:2]
#: methods that need a secret shared with the server, which a public document cannot hold
SHARED_SECRET_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
#: the method of a document client that signs with its own key (RFC 7523), sharing no secret
KEY_METHOD = "private_key_jwt"
#: members that would be a shared secret
SECRET_MEMBERS = ("client_secret", "client_secret_expires_at")
#: RFC 7591 §2 URLs a consent page may link to (https only)
URL_METADATA = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
#: RFC 7591 §2 short texts kept
TEXT_METADATA = ("software_id", "software_version")
#: most redirect URIs (and contacts) taken from one document
MAX_REDIRECT_URIS = 20
MAX_CONTACTS = 10
#: longest name or other text value
MAX_TEXT_LENGTH = 255


class UnacceptableDocument(ValueError):
    """The document cannot describe a client here; the message says why."""


def client_from_document(url: str, document: Mapping[str, Any], settings: Settings, now: int) -> Client:
    """The public client ``document`` (fetched from ``url``) describes, or :class:`UnacceptableDocument`."""
    if document.get("client_id") != url:
        raise UnacceptableDocument("its client_id member is not exactly the URL it was fetched from")
    for name in SECRET_MEMBERS:
        if name in document:
            raise UnacceptableDocument(f"it contains {name}: a metadata document cannot hold a shared secret")
    method = document.get("token_endpoint_auth_method")
    if method is not None and method not in ("none", KEY_METHOD):
        if method in SHARED_SECRET_METHODS:
            raise UnacceptableDocument(
                f"token_endpoint_auth_method {method} needs a shared secret, which a metadata document "
                "cannot have; use none (a public client with PKCE)"
            )
        raise UnacceptableDocument(
            f"token_endpoint_auth_method must be none (a public client with PKCE) or {KEY_METHOD}"
        )
    keys: dict[str, Any] = {}
    if method == KEY_METHOD:
        given = {name: document[name] for name in ("jwks", "jwks_uri") if document.get(name) is not None}
        try:
            keys = checked_key_metadata(given, settings.client_assertion_algorithms)
        except ValueError as exc:
            raise UnacceptableDocument(f"token_endpoint_auth_method {KEY_METHOD}: {exc}") from None
    host = urlsplit(url).hostname or url
    return Client(
        client_id=url,
        name=_name(document, host),
        redirect_uris=_redirect_uris(document),
        grant_types=_grant_types(document),
        scopes=_scopes(document, frozenset(settings.scopes)),
        default_scope=frozenset(),
        auth_method=KEY_METHOD if keys else "none",
        created_at=now,
        metadata={METADATA_DOCUMENT: True, **_descriptive(document, settings), **keys},
    )


def _name(document: Mapping[str, Any], host: str) -> str:
    name = document.get("client_name")
    if name is None:
        return host
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_TEXT_LENGTH or not name.isprintable():
        raise UnacceptableDocument(f"client_name must be printable text of 1 to {MAX_TEXT_LENGTH} characters")
    return name.strip()


def _grant_types(document: Mapping[str, Any]) -> tuple[str, ...]:
    responses = _strings(document, "response_types")
    if responses is not None and "code" not in responses:
        raise UnacceptableDocument("response_types must include code")
    named = _strings(document, "grant_types")
    if named is None:
        return DEFAULT_GRANT_TYPES
    grants = tuple(grant for grant in GRANT_TYPES if grant in named)
    if "authorization_code" not in grants:
        raise UnacceptableDocument("grant_types must include authorization_code (with refresh_token, if wanted)")
    return grants


def _redirect_uris(document: Mapping[str, Any]) -> tuple[str, ...]:
    named = _strings(document, "redirect_uris")
    if not named:
        raise UnacceptableDocument("redirect_uris is required")
    if len(named) > MAX_REDIRECT_URIS:
        raise UnacceptableDocument(f"redirect_uris: at most {MAX_REDIRECT_URIS}")
    for uri in named:
        try:
            uris.validate_redirect_uri(uri)
        except ValueError as exc:
            raise UnacceptableDocument(f"redirect_uris: {exc}") from None
    return tuple(dict.fromkeys(named))


def _scopes(document: Mapping[str, Any], offered: frozenset[str]) -> frozenset[str]:
    scope = document.get("scope")
    if scope is None:
        return offered
    if not isinstance(scope, str):
        raise UnacceptableDocument("scope must be a string")
    try:
        return parse_scope(scope) & offered
    except InvalidScope:
        raise UnacceptableDocument("scope is malformed") from None


def _descriptive(document: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name in URL_METADATA:
        value = _text(document, name)
        if value is None:
            continue
        try:
            uris.validate_web_url(value)
        except ValueError as exc:
            raise UnacceptableDocument(f"{name} {exc}") from None
        if not value.startswith("https://"):
            raise UnacceptableDocument(f"{name} must be an https URL")
        kept[name] = value
    for name in TEXT_METADATA:
        value = _text(document, name)
        if value is not None:
            kept[name] = value
    contacts = _strings(document, "contacts")
    if contacts is not None:
        if len(contacts) > MAX_CONTACTS or any(len(c) > MAX_TEXT_LENGTH or not c.isprintable() for c in contacts):
            raise UnacceptableDocument(f"contacts: at most {MAX_CONTACTS} printable addresses")
        kept["contacts"] = contacts
    logout_uris = _strings(document, "post_logout_redirect_uris")
    if logout_uris is not None:
        for uri in logout_uris[: MAX_REDIRECT_URIS + 1]:
            try:
                uris.validate_redirect_uri(uri)
            except ValueError as exc:
                raise UnacceptableDocument(f"post_logout_redirect_uris: {exc}") from None
        if len(logout_uris) > MAX_REDIRECT_URIS:
            raise UnacceptableDocument(f"post_logout_redirect_uris: at most {MAX_REDIRECT_URIS}")
        kept["post_logout_redirect_uris"] = logout_uris
    alg = document.get("id_token_signed_response_alg")
    if alg is not None:
        if alg not in settings.signing_algorithms:
            raise UnacceptableDocument(
                f"id_token_signed_response_alg must be one of {', '.join(settings.signing_algorithms)}"
            )
        kept["id_token_signed_response_alg"] = alg
    return kept


def _text(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > uris.MAX_URI_LENGTH or not value.isprintable():
        raise UnacceptableDocument(f"{name} must be printable text")
    if name in TEXT_METADATA and len(value) > MAX_TEXT_LENGTH:
        raise UnacceptableDocument(f"{name} must be at most {MAX_TEXT_LENGTH} characters")
    return value


def _strings(document: Mapping[str, Any], name: str) -> list[str] | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UnacceptableDocument(f"{name} must be a list of strings")
    return value
