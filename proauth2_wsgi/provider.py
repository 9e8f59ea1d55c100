"""The provider: clients, authorization codes, tokens, scopes, revocation, introspection.

:class:`Proauth2` is the facade every adapter (WSGI endpoints, middleware,
the Flask extension, the CLI) calls. It knows nothing of HTTP and keeps no
state of its own beyond its settings and its store, so any number of
processes can share one database. The original proauth2's five operations
keep their names: :meth:`~Proauth2.register_app`,
:meth:`~Proauth2.request_authorization`, :meth:`~Proauth2.request_access_token`,
:meth:`~Proauth2.authenticate_token`, :meth:`~Proauth2.revoke_token`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import pkce, uris
from .client_auth import METHODS
from .errors import (
    InsufficientScope,
    InvalidClient,
    InvalidClientMetadata,
    InvalidRedirectUri,
    InvalidRequest,
    InvalidScope,
    InvalidToken,
    Proauth2Error,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
)
from .grants import GRANTS, TokenRequest
from .models import GRANT_TYPES, AccessToken, AuthorizationRequest, Client, ClientCredentials
from .scopes import format_scope, missing_scopes, parse_scope
from .settings import Settings
from .stores.base import DataStore
from .stores.peewee_store import PeeweeDataStore
from .tokens import constant_time_equals, generate_id, generate_secret, hash_secret, looks_like_token

#: longest ``state`` value accepted in an authorization request
MAX_STATE_LENGTH = 2000
#: rows deleted per statement by :meth:`Proauth2.purge_expired`
PURGE_BATCH_SIZE = 1000

_INVALID_TOKEN = "the access token is invalid, expired or revoked"
_EXPIRING_TABLES = ("codes", "access_tokens", "refresh_tokens")


class Proauth2:
    """An OAuth 2.1 authorization server core over a :class:`DataStore`.

    ``Proauth2()`` uses a SQLite file; ``Proauth2("postgresql://...")`` or
    ``Proauth2(PeeweeDataStore(...))`` another store. Settings come as a
    :class:`Settings` or as its fields by keyword
    (``Proauth2(store, scopes={"profile": "Your profile"})``).
    """

    def __init__(self, store: DataStore | str | None = None, settings: Settings | None = None, **options: Any):
        if settings is not None and options:
            raise TypeError("pass either settings or keyword options, not both")
        self.settings = settings or Settings(**options)
        self.store = store if isinstance(store, DataStore) else PeeweeDataStore(store)

    def __repr__(self) -> str:
        return f"<Proauth2 store={self.store!r} issuer={self.settings.issuer!r}>"

    def now(self) -> int:
        """The current time in whole seconds, from the settings' clock."""
        return int(self.settings.clock())

    # -- clients --------------------------------------------------------------

    def register_app(
        self,
        name: str,
        redirect_uris: Iterable[str] = (),
        *,
        grant_types: Iterable[str] | None = None,
        scopes: Iterable[str] | str | None = None,
        default_scope: Iterable[str] | str | None = None,
        auth_method: str = "client_secret_basic",
    ) -> ClientCredentials:
        """Register a client; returns its id and (for confidential clients) its secret, shown once.

        ``auth_method`` is ``client_secret_basic`` (default), ``client_secret_post``
        or ``none`` for a public client, which must then use PKCE. The
        default grant types are ``authorization_code`` and ``refresh_token``;
        the default scopes are all the server's.
        """
        if not isinstance(name, str) or not name.strip() or len(name) > 255 or not name.isprintable():
            raise InvalidClientMetadata("client_name must be printable text of 1 to 255 characters")
        if auth_method not in METHODS:
            raise InvalidClientMetadata("unsupported token_endpoint_auth_method")
        grants = _unique(grant_types if grant_types is not None else ("authorization_code", "refresh_token"))
        if not grants or any(g not in GRANT_TYPES for g in grants):
            raise InvalidClientMetadata("unsupported grant_types")
        if "refresh_token" in grants and "authorization_code" not in grants:
            raise InvalidClientMetadata("refresh_token needs authorization_code")
        if auth_method == "none" and "client_credentials" in grants:
            raise InvalidClientMetadata("public clients cannot use client_credentials")
        if isinstance(redirect_uris, str):
            redirect_uris = [redirect_uris]
        uri_list = _unique(redirect_uris)
        if "authorization_code" in grants and not uri_list:
            raise InvalidRedirectUri("at least one redirect_uri is required")
        for uri in uri_list:
            try:
                uris.validate_redirect_uri(uri)
            except ValueError as exc:
                raise InvalidRedirectUri(str(exc)) from None
        server_scopes = frozenset(self.settings.scopes)
        allowed = server_scopes if scopes is None else self._known_scopes(scopes, server_scopes)
        default = (
            self.settings.default_scope & allowed
            if default_scope is None
            else self._known_scopes(default_scope, allowed)
        )
        secret = None if auth_method == "none" else generate_secret()
        client_id = generate_id()
        self.store.store(
            "clients",
            client_id=client_id,
            secret_hash=None if secret is None else hash_secret(secret),
            name=name.strip(),
            redirect_uris=uri_list,
            grant_types=grants,
            scopes=allowed,
            default_scope=default,
            auth_method=auth_method,
            created_at=self.now(),
        )
        return ClientCredentials(client_id, secret)

    def get_client(self, client_id: str) -> Client | None:
        """The registered client with this id, or None."""
        if not isinstance(client_id, str) or not 0 < len(client_id) <= 255:
            return None
        try:
            record = self.store.fetch("clients", client_id=client_id)
        except InvalidRequest:
            return None
        return None if record is None else Client.from_record(record)

    def list_clients(self) -> list[Client]:
        """Every registered client, ordered by id."""
        return [Client.from_record(record) for record in self.store.fetch_all("clients")]

    def delete_client(self, client_id: str) -> bool:
        """Delete a client with its codes and tokens; False when there was no such client."""
        with self.store.atomic():
            for table in ("codes", "access_tokens", "refresh_tokens"):
                self.store.remove(table, client_id=client_id)
            return self.store.remove("clients", client_id=client_id) > 0

    def authenticate_client(
        self, client_id: str | None, client_secret: str | None, method: str | None = None
    ) -> Client:
        """The client these credentials authenticate, or :class:`InvalidClient` (RFC 6749 §2.3).

        ``method`` is how the credentials were presented (as the token
        endpoint saw them); it must be the client's registered method.
        ``None`` trusts the caller and checks with the client's own method.
        """
        client = self.get_client(client_id) if client_id is not None else None
        if client is None:
            raise InvalidClient("client authentication failed")
        if method is not None and method != client.auth_method:
            raise InvalidClient("client authentication failed")
        if not METHODS[client.auth_method](client, client_secret):
            raise InvalidClient("client authentication failed")
        return client

    # -- scopes ---------------------------------------------------------------

    def _known_scopes(self, value: Iterable[str] | str, allowed: frozenset[str]) -> frozenset[str]:
        try:
            scopes = parse_scope(value)
        except InvalidScope:
            raise InvalidClientMetadata("scope is malformed") from None
        if not scopes <= allowed:
            raise InvalidClientMetadata("scope names a scope the server does not offer")
        return scopes

    def resolve_scope(self, client: Client, requested: str | None) -> frozenset[str]:
        """The scope to grant for a request: requested (or the default), within what the client may have."""
        scopes = parse_scope(requested)
        if not scopes:
            scopes = client.default_scope
        if not scopes <= client.scopes or not scopes <= frozenset(self.settings.scopes):
            raise InvalidScope("the requested scope is not allowed for this client")
        return scopes

    # -- authorization requests (RFC 6749 §4.1.1) ------------------------------

    def check_client_redirect(self, client_id: str | None, redirect_uri: str | None) -> tuple[Client, str]:
        """The client and the redirect URI to answer on; raises the errors that must NOT redirect.

        RFC 6749 §4.1.2.1: an unknown client or a bad redirect URI is shown
        to the user (400), never sent to an unverified URI.
        """
        if not client_id:
            raise InvalidRequest("client_id is required", status_code=400)
        client = self.get_client(client_id)
        if client is None:
            raise InvalidClient("unknown client_id", status_code=400)
        if redirect_uri is None:
            if len(client.redirect_uris) != 1:
                raise InvalidRequest("redirect_uri is required", status_code=400)
            return client, client.redirect_uris[0]
        if not isinstance(redirect_uri, str) or not uris.match_redirect_uri(redirect_uri, client.redirect_uris):
            raise InvalidRequest("redirect_uri is not registered for this client", status_code=400)
        return client, redirect_uri

    def validate_authorization_request(
        self,
        client_id: str | None,
        response_type: str | None,
        redirect_uri: str | None = None,
        scope: str | None = None,
        state: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> AuthorizationRequest:
        """Validate an authorization request before the app asks the user for consent.

        Errors for an unknown client or a bad redirect URI have no
        ``redirect_uri`` (show them); every other error carries the
        ``redirect_uri`` and ``state`` to redirect back with (RFC 6749 §4.1.2.1).
        """
        client, target = self.check_client_redirect(client_id, redirect_uri)
        if state is not None and (not isinstance(state, str) or len(state) > MAX_STATE_LENGTH):
            raise InvalidRequest("state is too long", redirect_uri=target)
        try:
            if not response_type:
                raise InvalidRequest("response_type is required")
            if response_type != "code":
                raise UnsupportedResponseType("only response_type=code is supported")
            if "authorization_code" not in client.grant_types:
                raise UnauthorizedClient("this client may not use the authorization code grant")
            scopes = self.resolve_scope(client, scope)
            method = None
            if code_challenge is not None:
                method = code_challenge_method or "plain"
                # RFC 9700 §2.1.1: public clients must use S256, whatever plain allowances
                allowed = ("S256",) if client.is_public else self.settings.pkce_methods
                pkce.validate_challenge(code_challenge, method, allowed)
            elif code_challenge_method is not None:
                raise InvalidRequest("code_challenge_method without code_challenge")
            elif client.is_public or self.settings.require_pkce:
                raise InvalidRequest("code_challenge is required (PKCE, RFC 7636)")
        except Proauth2Error as exc:
            exc.redirect_uri, exc.state = target, state
            raise
        return AuthorizationRequest(
            client=client,
            redirect_uri=target,
            redirect_uri_given=redirect_uri is not None,
            scopes=scopes,
            state=state,
            code_challenge=code_challenge,
            code_challenge_method=method,
        )

    def issue_code(self, request: AuthorizationRequest, user_id: str | int) -> str:
        """Issue a one-time authorization code for a validated request the user approved."""
        code = generate_secret()
        self.store.store(
            "codes",
            code_hash=hash_secret(code),
            client_id=request.client.client_id,
            user_id=_user_id(user_id),
            redirect_uri=request.redirect_uri,
            redirect_uri_given=request.redirect_uri_given,
            scopes=request.scopes,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            grant_id=generate_id(),
            expires_at=self.now() + self.settings.code_lifetime,
            used=False,
        )
        return code

    def authorization_response(self, request: AuthorizationRequest, user_id: str | int) -> dict[str, str]:
        """The parameters of a successful authorization response: ``code``, ``state``, ``iss`` (RFC 9207)."""
        response = {"code": self.issue_code(request, user_id)}
        if request.state is not None:
            response["state"] = request.state
        if self.settings.issuer:
            response["iss"] = self.settings.issuer
        return response

    def request_authorization(
        self,
        client_id: str,
        user_id: str | int,
        response_type: str = "code",
        redirect_uri: str | None = None,
        scope: str | None = None,
        state: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> dict[str, str]:
        """Validate an authorization request and issue its code: ``{code, state, iss}``."""
        request = self.validate_authorization_request(
            client_id, response_type, redirect_uri, scope, state, code_challenge, code_challenge_method
        )
        return self.authorization_response(request, user_id)

    # -- tokens -----------------------------------------------------------------

    def request_access_token(
        self,
        grant_type: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        code: str | None = None,
        redirect_uri: str | None = None,
        code_verifier: str | None = None,
        refresh_token: str | None = None,
        scope: str | None = None,
        *,
        auth_method: str | None = None,
    ) -> dict[str, Any]:
        """Run a token request (RFC 6749 §4.1.3, §4.4.2, §6) and return the §5.1 response."""
        handler = GRANTS.get(grant_type) if isinstance(grant_type, str) else None
        if handler is None:
            raise UnsupportedGrantType("grant_type is not supported")
        client = self.authenticate_client(client_id, client_secret, auth_method)
        if grant_type not in client.grant_types:
            raise UnauthorizedClient("this client may not use this grant type")
        request = TokenRequest(grant_type, code, redirect_uri, code_verifier, refresh_token, scope)
        return handler(self, client, request)

    def issue_tokens(
        self,
        client: Client,
        user_id: str | None,
        scopes: frozenset[str],
        grant_id: str,
        *,
        with_refresh_token: bool,
        refresh_scopes: frozenset[str] | None = None,
    ) -> dict[str, Any]:
        """Store a new access token (and refresh token) and return the RFC 6749 §5.1 response.

        Call inside :meth:`DataStore.atomic` so that the tokens and whatever
        they consume commit together.
        """
        now = self.now()
        access_token = generate_secret()
        lifetime = self.settings.access_token_lifetime
        common = {"client_id": client.client_id, "user_id": user_id, "grant_id": grant_id, "issued_at": now}
        self.store.store(
            "access_tokens",
            token_hash=hash_secret(access_token),
            scopes=scopes,
            expires_at=now + lifetime,
            revoked=False,
            **common,
        )
        response: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime}
        if scopes:  # RFC 6749 §3.3: a scope is 1*scope-token, so an empty one is left out (§5.1)
            response["scope"] = format_scope(scopes)
        if with_refresh_token:
            refresh_token = generate_secret()
            self.store.store(
                "refresh_tokens",
                token_hash=hash_secret(refresh_token),
                scopes=scopes if refresh_scopes is None else refresh_scopes,
                expires_at=now + self.settings.refresh_token_lifetime,
                revoked=False,
                used=False,
                **common,
            )
            response["refresh_token"] = refresh_token
        return response

    def authenticate_token(self, token: str, scopes: Iterable[str] | str | None = None) -> AccessToken:
        """The access token's record, or :class:`InvalidToken` / :class:`InsufficientScope` (RFC 6750 §3.1).

        One indexed primary-key lookup: the token's SHA-256 digest.
        """
        if not looks_like_token(token):
            raise InvalidToken(_INVALID_TOKEN)
        record = self.store.fetch("access_tokens", token_hash=hash_secret(token))
        if record is None or record["revoked"] or record["expires_at"] <= self.now():
            raise InvalidToken(_INVALID_TOKEN)
        if scopes:
            required = parse_scope(scopes)
            if missing_scopes(record["scopes"], required):
                raise InsufficientScope("the access token lacks a required scope", scope=format_scope(required))
        return AccessToken.from_record(record)

    # -- revocation and introspection (RFC 7009, RFC 7662) -----------------------

    def _find_token(self, token: str, token_type_hint: str | None) -> tuple[str, dict[str, Any]] | None:
        if not looks_like_token(token):
            return None
        token_hash = hash_secret(token)
        tables = ["access_tokens", "refresh_tokens"]
        if token_type_hint == "refresh_token":
            tables.reverse()
        for table in tables:
            record = self.store.fetch(table, token_hash=token_hash)
            if record is not None:
                return table, record
        return None

    def revoke_token(self, token: str, token_type_hint: str | None = None, client_id: str | None = None) -> None:
        """Revoke an access or refresh token (RFC 7009 §2.1).

        Revoking a refresh token revokes its whole grant, access tokens
        included. An unknown token is not an error. With ``client_id``
        (as the revocation endpoint passes), a token issued to another
        client is refused with ``unauthorized_client`` and left alone.
        """
        found = self._find_token(token, token_type_hint)
        if found is None:
            return
        table, record = found
        if client_id is not None and not constant_time_equals(record["client_id"], client_id):
            raise UnauthorizedClient("the token was not issued to this client")
        if table == "refresh_tokens":
            self.revoke_grant(record["grant_id"])
        else:
            self.store.update(table, {"token_hash": record["token_hash"], "revoked": False}, {"revoked": True})

    def revoke_grant(self, grant_id: str) -> int:
        """Revoke every access and refresh token of one grant; returns how many."""
        return self._revoke_where(grant_id=grant_id)

    def revoke_user_tokens(self, user_id: str | int) -> int:
        """Revoke every token of a user; returns how many."""
        return self._revoke_where(user_id=_user_id(user_id))

    def revoke_client_tokens(self, client_id: str) -> int:
        """Revoke every token issued to a client; returns how many."""
        return self._revoke_where(client_id=client_id)

    def _revoke_where(self, **where: str) -> int:
        with self.store.atomic():
            return sum(
                self.store.update(table, {**where, "revoked": False}, {"revoked": True})
                for table in ("access_tokens", "refresh_tokens")
            )

    def introspect_token(self, token: str, token_type_hint: str | None = None) -> dict[str, Any]:
        """The RFC 7662 §2.2 introspection response: ``{"active": false}`` for anything not active."""
        found = self._find_token(token, token_type_hint)
        if found is None:
            return {"active": False}
        table, record = found
        if record["revoked"] or record["expires_at"] <= self.now() or record.get("used"):
            return {"active": False}
        response: dict[str, Any] = {
            "active": True,
            "client_id": record["client_id"],
            "exp": record["expires_at"],
            "iat": record["issued_at"],
        }
        if record["scopes"]:  # RFC 7662 §2.2 / RFC 6749 §3.3: no empty scope string
            response["scope"] = format_scope(record["scopes"])
        if table == "access_tokens":
            response["token_type"] = "Bearer"
        if record["user_id"] is not None:
            response["sub"] = record["user_id"]
            response["username"] = record["user_id"]
        if self.settings.issuer:
            response["iss"] = self.settings.issuer
        return response

    # -- maintenance --------------------------------------------------------------

    def purge_expired(self, batch_size: int = PURGE_BATCH_SIZE) -> int:
        """Delete expired codes and tokens in batches of ``batch_size``; returns rows deleted.

        A row is expired once ``expires_at <= now`` (as everywhere else here),
        so the store is asked for rows before ``now + 1``.
        """
        cutoff = self.now() + 1
        total = 0
        for table in _EXPIRING_TABLES:
            while True:
                removed = self.store.remove_expired(table, cutoff, batch_size)
                total += removed
                if removed < batch_size:
                    break
        return total


def _user_id(user_id: str | int) -> str:
    if isinstance(user_id, bool) or not isinstance(user_id, (str, int)):
        raise InvalidRequest("user_id must be a string or an integer")
    return str(user_id)


def _unique(values: Iterable[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    result: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidClientMetadata("expected a list of strings")
        if value not in result:
            result.append(value)
    return result
