"""Clients (RFC 6749 §2, RFC 7591 §2): registration, changes, secret rotation, authentication.

A client's metadata is checked against the provider's registries: its grant
types must be registered grants, its authentication method a registered
method; a grant may demand redirect URIs (``authorization_code``) or refuse
public clients (``client_credentials``), and ``refresh_token`` needs a grant
that issues refresh tokens. Secrets come from :mod:`secrets` and only their
SHA-256 digest is stored: a secret is returned once, at registration or
rotation, and never again.

With client metadata documents on (draft-ietf-oauth-client-id-metadata-document),
a ``client_id`` that is a URL and no registered client is resolved by its
document (:mod:`proauth2_wsgi.cimd`): a public client, never stored, so it
cannot be changed, rotated or deleted here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import uris
from .errors import InvalidClient, InvalidClientMetadata, InvalidRedirectUri, InvalidScope
from .models import Client, ClientCredentials
from .pushed_requests import REQUIRE_PUSHED
from .resources import CLIENT_RESOURCES
from .scopes import format_scope, parse_scope
from .tokens import generate_id, generate_secret, hash_secret

if TYPE_CHECKING:
    from .cimd import ClientMetadataDocuments
    from .client_auth import ClientAuthContext, ClientAuthMethod, PresentedCredentials
    from .grants import Grant
    from .records import Records
    from .registry import Registry
    from .resources import Resource
    from .settings import Settings

__all__ = ["DEFAULT_AUTH_METHOD", "DEFAULT_GRANT_TYPES", "Clients"]

#: grant types of a client registered without any
DEFAULT_GRANT_TYPES = ("authorization_code", "refresh_token")
#: the authentication method of a client registered without one (RFC 7591 §2)
DEFAULT_AUTH_METHOD = "client_secret_basic"
#: longest client name
MAX_NAME_LENGTH = 255
#: most redirect URIs one client registers, and most characters they may have together
MAX_REDIRECT_URIS = 20
MAX_REDIRECT_URIS_LENGTH = 16_000
#: largest further metadata (``client_uri``, ``contacts``...) of one client, as JSON
MAX_METADATA_BYTES = 16 * 1024

_AUTHENTICATION_FAILED = "client authentication failed"


class Clients:
    """The clients of one provider."""

    def __init__(
        self,
        settings: Settings,
        records: Records,
        grants: Registry[Grant],
        methods: Registry[ClientAuthMethod],
        resources: Registry[Resource],
        now: Callable[[], int],
        documents: ClientMetadataDocuments | None = None,
    ) -> None:
        self._settings = settings
        self._records = records
        self._grants = grants
        self._methods = methods
        self._resources = resources
        self._now = now
        #: resolves URL client identifiers by their metadata documents; None when that is off
        self.documents = documents

    # -- reading ------------------------------------------------------------------

    def get(self, client_id: object) -> Client | None:
        """The client with this id, or None (for any value, from any request).

        A registered client first; else, with metadata documents on, the
        client a URL identifier's document describes — or
        :class:`InvalidClient` saying why that document cannot be used (a
        failed fetch, a refused URL or document), never a redirect.
        """
        registered = self._registered(client_id)
        if registered is not None or not isinstance(client_id, str) or not client_id:
            return registered
        if self.documents is not None and self.documents.handles(client_id):
            return self.documents.client(client_id)
        return None

    def _registered(self, client_id: object) -> Client | None:
        """The registered (stored) client with this id, or None."""
        if not isinstance(client_id, str) or not client_id:
            return None
        record = self._records.client(client_id)
        return None if record is None else Client.from_record(record)

    def all(self) -> list[Client]:
        """Every registered client, ordered by id."""
        return [Client.from_record(record) for record in self._records.clients()]

    # -- registering and changing ---------------------------------------------------

    def register(
        self,
        name: str,
        redirect_uris: Iterable[str] | str = (),
        *,
        grant_types: Iterable[str] | None = None,
        scopes: Iterable[str] | str | None = None,
        default_scope: Iterable[str] | str | None = None,
        auth_method: str = DEFAULT_AUTH_METHOD,
        metadata: Mapping[str, Any] | None = None,
    ) -> ClientCredentials:
        """Register a client; its id and (for confidential clients) its secret, shown this once.

        ``metadata`` is the rest of its registered metadata (a JSON object).
        """
        method = self._methods.get(auth_method)
        if method is None and auth_method == "client_secret_jwt":
            raise InvalidClientMetadata(
                "client_secret_jwt is not offered: the server would have to keep the client secret in plain text "
                "(it keeps only a digest); use private_key_jwt, which shares no secret"
            )
        if method is None:
            raise InvalidClientMetadata(
                f"unsupported token_endpoint_auth_method (supported: {', '.join(self._methods.names())})"
            )
        fields = self._checked(
            name,
            redirect_uris,
            grant_types if grant_types is not None else DEFAULT_GRANT_TYPES,
            scopes,
            default_scope,
            method,
        )
        extra = method.checked_metadata(self._checked_metadata(metadata or {}))
        secret = generate_secret() if method.confidential and method.uses_secret else None
        client_id = generate_id()
        self._records.add_client(
            {
                **fields,
                "client_id": client_id,
                "secret_hash": None if secret is None else hash_secret(secret),
                "auth_method": method.name,
                "created_at": self._now(),
                "metadata": extra,
            }
        )
        return ClientCredentials(client_id, secret)

    def update(
        self,
        client_id: str,
        *,
        name: str | None = None,
        redirect_uris: Iterable[str] | str | None = None,
        grant_types: Iterable[str] | None = None,
        scopes: Iterable[str] | str | None = None,
        default_scope: Iterable[str] | str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Client:
        """Change a client's metadata (what is None stays); its id, method and secret stay.

        Raises :class:`~proauth2_wsgi.errors.InvalidClient` for an unknown client.
        """
        client = self._registered(client_id)
        if client is None:
            raise InvalidClient("no such client")
        method = self._methods[client.auth_method]
        fields = self._checked(
            client.name if name is None else name,
            client.redirect_uris if redirect_uris is None else redirect_uris,
            client.grant_types if grant_types is None else grant_types,
            client.scopes if scopes is None else scopes,
            client.default_scope if default_scope is None and scopes is None else default_scope,
            method,
        )
        if metadata is not None:
            fields["metadata"] = method.checked_metadata(self._checked_metadata({**client.metadata, **metadata}))
        self._records.update_client(client.client_id, fields)
        updated = self._registered(client.client_id)
        if updated is None:  # deleted meanwhile
            raise InvalidClient("no such client")
        return updated

    def rotate_secret(self, client_id: str) -> ClientCredentials:
        """A new secret for a confidential client, shown this once; the old one stops working at once."""
        client = self._registered(client_id)
        if client is None:
            raise InvalidClient("no such client")
        if client.is_public:
            raise InvalidClientMetadata("a public client has no secret to rotate")
        method = self._methods.get(client.auth_method)
        if method is not None and not method.uses_secret:
            raise InvalidClientMetadata(f"a client authenticating with {method.name} has no secret to rotate")
        secret = generate_secret()
        self._records.update_client(client.client_id, {"secret_hash": hash_secret(secret)})
        return ClientCredentials(client.client_id, secret)

    def delete(self, client_id: str) -> bool:
        """Delete a client with its codes and tokens; False when there was no such client."""
        return isinstance(client_id, str) and bool(client_id) and self._records.delete_client(client_id)

    # -- authenticating ---------------------------------------------------------------

    def authenticate(self, presented: PresentedCredentials, context: ClientAuthContext) -> Client:
        """The client ``presented`` proves, or :class:`InvalidClient` (RFC 6749 §2.3).

        The presentation must use the client's registered method; every
        failure looks the same from outside.
        """
        client = self.get(presented.client_id)
        method = self._methods.get(presented.method)
        if client is None or method is None or presented.method != client.auth_method:
            raise InvalidClient(_AUTHENTICATION_FAILED)
        if not method.verify(client, presented, context):
            raise InvalidClient(_AUTHENTICATION_FAILED)
        return client

    def _checked_metadata(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """Further client metadata: a JSON object of at most :data:`MAX_METADATA_BYTES`.

        What changes behaviour is checked: ``post_logout_redirect_uris``
        (like redirect URIs), ``id_token_signed_response_alg`` (one of the
        server's signing algorithms) and ``resources`` (the RFC 8707
        resources the client is limited to: identifiers the server knows).
        """
        if not isinstance(metadata, Mapping):
            raise InvalidClientMetadata("client metadata must be an object")
        try:  # UnicodeEncodeError (a lone surrogate) is a ValueError too
            encoded = json.dumps(metadata, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError):
            raise InvalidClientMetadata("client metadata must hold JSON values only") from None
        if len(encoded) > MAX_METADATA_BYTES:
            raise InvalidClientMetadata(f"client metadata must be under {MAX_METADATA_BYTES // 1024} KiB")
        logout_uris = metadata.get("post_logout_redirect_uris")
        if logout_uris is not None:
            if not isinstance(logout_uris, list) or len(logout_uris) > MAX_REDIRECT_URIS:
                raise InvalidRedirectUri(f"post_logout_redirect_uris: a list of at most {MAX_REDIRECT_URIS} URIs")
            for uri in logout_uris:
                try:
                    uris.validate_redirect_uri(uri)
                except ValueError as exc:
                    raise InvalidRedirectUri(f"post_logout_redirect_uris: {exc}") from None
        alg = metadata.get("id_token_signed_response_alg")
        if alg is not None and alg not in self._settings.signing_algorithms:
            raise InvalidClientMetadata(
                f"id_token_signed_response_alg must be one of {', '.join(self._settings.signing_algorithms)}"
            )
        allowed = metadata.get(CLIENT_RESOURCES)
        if allowed is not None and (
            not isinstance(allowed, list) or not all(identifier in self._resources for identifier in allowed)
        ):
            raise InvalidClientMetadata(f"{CLIENT_RESOURCES}: a list of this server's resource identifiers")
        required = metadata.get(REQUIRE_PUSHED)
        if required is not None and not isinstance(required, bool):  # RFC 9126 §6: no "true" passing for false
            raise InvalidClientMetadata(f"{REQUIRE_PUSHED} must be true or false")
        return dict(metadata)

    # -- checks -------------------------------------------------------------------------

    def _checked(
        self,
        name: object,
        redirect_uris: Iterable[str] | str,
        grant_types: Iterable[str],
        scopes: Iterable[str] | str | None,
        default_scope: Iterable[str] | str | None,
        method: ClientAuthMethod,
    ) -> dict[str, Any]:
        """The storable metadata, every value checked (RFC 7591 §2)."""
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH or not name.isprintable():
            raise InvalidClientMetadata("client_name must be printable text of 1 to 255 characters")
        grants = self._checked_grants(_unique(grant_types), method)
        uri_list = _unique(redirect_uris)
        if len(uri_list) > MAX_REDIRECT_URIS or sum(map(len, uri_list)) > MAX_REDIRECT_URIS_LENGTH:
            raise InvalidRedirectUri(
                f"at most {MAX_REDIRECT_URIS} redirect URIs of {MAX_REDIRECT_URIS_LENGTH} characters together"
            )
        if not uri_list and any(grant.needs_redirect_uris for grant in grants):
            raise InvalidRedirectUri("at least one redirect_uri is required")
        for uri in uri_list:
            try:
                uris.validate_redirect_uri(uri)
            except ValueError as exc:
                raise InvalidRedirectUri(str(exc)) from None
        offered = frozenset(self._settings.scopes)
        allowed = offered if scopes is None else _known_scopes("scope", scopes, offered)
        if default_scope is None:
            default = self._settings.default_scope & allowed
        else:
            default = _known_scopes("default scope", default_scope, allowed)
        return {
            "name": name.strip(),
            "redirect_uris": uri_list,
            "grant_types": [grant.name for grant in grants],
            "scopes": allowed,
            "default_scope": default,
        }

    def _checked_grants(self, names: list[str], method: ClientAuthMethod) -> list[Grant]:
        grants = []
        for name in names:
            grant = self._grants.get(name)
            if grant is None:
                raise InvalidClientMetadata(
                    f"unsupported grant type {name!r} (supported: {', '.join(self._grants.names())})"
                )
            if not method.confidential and not grant.public_clients:
                raise InvalidClientMetadata(f"public clients cannot use {name}")
            grants.append(grant)
        if not grants:
            raise InvalidClientMetadata("at least one grant type is required")
        if "refresh_token" in names and not any(grant.issues_refresh_tokens for grant in grants):
            raise InvalidClientMetadata("refresh_token needs a grant that issues refresh tokens (authorization_code)")
        return grants


def _known_scopes(what: str, value: Iterable[str] | str, allowed: frozenset[str]) -> frozenset[str]:
    try:
        scopes = parse_scope(value)
    except InvalidScope:
        raise InvalidClientMetadata(f"{what} is malformed") from None
    unknown = scopes - allowed
    if unknown:
        raise InvalidClientMetadata(
            f"{what} names what is not offered: {format_scope(unknown)} (offered: {format_scope(allowed) or 'none'})"
        )
    return scopes


def _unique(values: Iterable[str] | str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    result: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidClientMetadata("expected a list of strings")
        if value not in result:
            result.append(value)
    return result
