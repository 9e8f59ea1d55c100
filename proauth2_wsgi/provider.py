"""The provider: the facade over clients, authorization requests, grants, tokens, revocation, introspection.

:class:`Proauth2` is what every adapter (WSGI endpoints, middleware, the Flask
extension, the CLI) calls. It knows nothing of HTTP and keeps no state of its
own beyond its settings, its store and its registries, so any number of
processes can share one database. The work is done by one module per
concern — :mod:`~proauth2_wsgi.clients`,
:mod:`~proauth2_wsgi.authorization_requests`, :mod:`~proauth2_wsgi.grants`,
:mod:`~proauth2_wsgi.issuance`, :mod:`~proauth2_wsgi.revocation`,
:mod:`~proauth2_wsgi.introspection`, :mod:`~proauth2_wsgi.records` (the only
place a table is named, and the storage boundary) — and the provider holds
the registries they share: ``grants``, ``client_auth_methods``,
``token_formats``, ``token_types`` and ``endpoints``.

The original proauth2's five operations keep their names:
:meth:`~Proauth2.register_app`, :meth:`~Proauth2.request_authorization`,
:meth:`~Proauth2.request_access_token`, :meth:`~Proauth2.authenticate_token`,
:meth:`~Proauth2.revoke_token`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .authorization_requests import AuthorizationRequests, user_id_text
from .client_auth import (
    ClientAuthContext,
    ClientAuthMethod,
    PresentedCredentials,
    default_methods,
    presented_credentials,
)
from .clients import DEFAULT_AUTH_METHOD, Clients
from .device import DeviceAuthorization, DeviceFlow, DeviceRequest
from .discovery import EndpointComponent, server_metadata
from .dpop import DPoPChecker, DPoPNonces, ProofVerifier, proof_value
from .errors import (
    InsufficientScope,
    InvalidClient,
    InvalidToken,
    Proauth2Error,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from .grants import Grant, GrantContext, TokenRequest, default_grants
from .introspection import introspect_token
from .issuance import (
    BearerType,
    DPoPType,
    IssuedTokens,
    OpaqueFormat,
    TokenExtension,
    TokenFormat,
    TokenIssuer,
    TokenType,
)
from .jwt_access_tokens import JwtFormat
from .keyset import KeySet, SigningKey
from .models import AccessToken, AuthorizationRequest, Client, ClientCredentials
from .oidc.claims import ClaimsLoader, released_claims
from .oidc.id_tokens import IdTokens
from .oidc.login import Login, Step, next_step
from .oidc.logout import LogoutRequest, validate_logout_request
from .pushed_requests import PushedRequest
from .records import Records
from .registry import Registry
from .request import EndpointRequest, Parameters
from .resources import Audiences, Resource
from .revocation import revoke_token
from .scopes import format_scope, grant_scope, parse_scope
from .settings import STANDARD_SCOPES, Settings
from .stores.base import DataStore
from .tokens import MAX_ACCESS_TOKEN_LENGTH, hash_secret

if TYPE_CHECKING:
    from .cimd import ClientMetadataDocuments

#: the client metadata member asking for DPoP nonces in its token requests (RFC 9449 §8), nonces being off
DPOP_NONCE_REQUIRED = "dpop_nonce_required"
#: rows deleted per statement by :meth:`Proauth2.purge_expired`
PURGE_BATCH_SIZE = 1000

_INVALID_TOKEN = "the access token is invalid, expired or revoked"  # noqa: S105 - an error message


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
        if not isinstance(store, DataStore):
            from .stores.peewee_store import PeeweeDataStore  # peewee loads only when it is used

            store = PeeweeDataStore(store)
        self.store: DataStore = store
        self.records = Records(store)
        #: grant types, by ``grant_type`` (RFC 6749 §4)
        self.grants: Registry[Grant] = Registry("grant")
        #: client authentication methods, by ``token_endpoint_auth_method`` (RFC 7591 §2)
        self.client_auth_methods: Registry[ClientAuthMethod] = Registry("client authentication method")
        #: access-token formats (``opaque``)
        self.token_formats: Registry[TokenFormat] = Registry("token format")
        #: token types, tried in order (``Bearer`` last)
        self.token_types: Registry[TokenType] = Registry("token type")
        #: the HTTP endpoints mounted for this provider, by their RFC 8414 name
        self.endpoints: Registry[EndpointComponent] = Registry("endpoint")
        #: what adds members to token responses (``id_token``)
        self.token_extensions: Registry[TokenExtension] = Registry("token response extension")
        #: the protected resources tokens may be asked for (RFC 8707), by identifier
        self.resources: Registry[Resource] = Registry("resource")
        for resource in self.settings.resources:
            self.resources.register(resource)
        own_scopes = frozenset(STANDARD_SCOPES) if self.settings.openid else frozenset()
        #: RFC 8707 for this provider's requests: audiences, and the format and lifetime they ask for
        self.audiences = Audiences(self.resources, own_scopes)
        #: the host app's user claims (OpenID Connect): ``(user_id, scopes, claims_request) -> dict``
        self.claims_loader: ClaimsLoader | None = None
        for grant in default_grants(device=self.settings.device_verification_uri is not None):
            self.grants.register(grant)
        for method in default_methods(self.settings):
            self.client_auth_methods.register(method)
        self.token_formats.register(OpaqueFormat())
        self.token_types.register(DPoPType())
        self.token_types.register(BearerType())
        #: DPoP (RFC 9449) at this provider's token endpoint and resources: replays caught through the store
        verifier = ProofVerifier(self.settings.dpop_signing_algorithms, clock=self.settings.clock)
        nonces = self._nonces()
        self.dpop = DPoPChecker(verifier, self.records, nonces if self.settings.dpop_nonce else None)
        # The same, nonces always: for the token requests of clients registered with dpop_nonce_required.
        self._nonced_dpop = DPoPChecker(verifier, self.records, nonces) if nonces is not None else self.dpop
        #: the signing keys (ID tokens, JWT access tokens)
        self.keys = KeySet(self.settings, self.records, self.now)
        if self.settings.issuer and (self.settings.key_secret or self.settings.signing_keys):
            self.token_formats.register(JwtFormat(self.settings, self.keys, self.audiences))
        if self.settings.openid:
            self.token_extensions.register(IdTokens(self.settings, self.keys, self.now, lambda: self.claims_loader))
        #: clients known by their metadata document URL (draft-ietf-oauth-client-id-metadata-document), when on
        self.client_documents: ClientMetadataDocuments | None = None
        if self.settings.client_id_metadata_documents:
            from .cimd import ClientMetadataDocuments  # ssl and http.client load only when it is on

            self.client_documents = ClientMetadataDocuments(self.settings)
        self.clients = Clients(
            self.settings,
            self.records,
            self.grants,
            self.client_auth_methods,
            self.resources,
            self.now,
            self.client_documents,
        )
        self.authorizations = AuthorizationRequests(
            self.settings, self.records, self.clients, self.keys, self.audiences, self.now
        )
        #: the device authorization grant's codes and verification (RFC 8628), limits against guessing
        self.device = DeviceFlow(self.settings, self.records, self.clients, self.audiences, self.now)
        self.token_issuer = TokenIssuer(
            self.settings,
            self.records,
            self.token_formats,
            self.token_types,
            self.token_extensions,
            self.audiences,
            self.now,
        )
        self._grant_context = GrantContext(self.settings, self.records, self.token_issuer, self.now, self.audiences)

    def __repr__(self) -> str:
        return f"<Proauth2 store={self.store!r} issuer={self.settings.issuer!r}>"

    def _nonces(self) -> DPoPNonces | None:
        """The server's DPoP nonces (RFC 9449 §8, §9), when it has a secret to make them with."""
        secret = self.settings.nonce_secret()
        return None if secret is None else DPoPNonces(secret, clock=self.settings.clock)

    def now(self) -> int:
        """The current time in whole seconds, from the settings' clock."""
        return int(self.settings.clock())

    @property
    def runs_inline(self) -> bool:
        """Whether token validation may run on an event loop: when the store's reads never wait (SQLite in WAL mode).

        The ASGI middleware reads it: otherwise validation goes to its thread pool.
        """
        return self.store.reads_inline

    @property
    def issuer(self) -> str | None:
        """The issuer identifier (RFC 8414 §2): the authorization server a protected resource names."""
        return self.settings.issuer

    # -- clients --------------------------------------------------------------

    def register_app(
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
        """Register a client; returns its id and (for confidential clients) its secret, shown once.

        ``auth_method`` is ``client_secret_basic`` (default), ``client_secret_post``,
        ``none`` for a public client (which must then use PKCE), or any other
        registered method. The default grant types are ``authorization_code``
        and ``refresh_token``; the default scopes are all the server's.
        """
        return self.clients.register(
            name,
            redirect_uris,
            grant_types=grant_types,
            scopes=scopes,
            default_scope=default_scope,
            auth_method=auth_method,
            metadata=metadata,
        )

    def get_client(self, client_id: object) -> Client | None:
        """The client with this id (registered, or by its metadata document when that is on), or None."""
        return self.clients.get(client_id)

    def list_clients(self) -> list[Client]:
        """Every registered client, ordered by id."""
        return self.clients.all()

    def update_client(self, client_id: str, **changes: Any) -> Client:
        """Change a client's name, redirect_uris, grant_types, scopes, default_scope or metadata; the rest stays."""
        return self.clients.update(client_id, **changes)

    def rotate_client_secret(self, client_id: str) -> ClientCredentials:
        """A new secret for a confidential client, shown once; the old one stops working at once."""
        return self.clients.rotate_secret(client_id)

    def delete_client(self, client_id: str) -> bool:
        """Delete a client with its codes and tokens; False when there was no such client."""
        return self.clients.delete(client_id)

    def authenticate_client(
        self, client_id: str | None, client_secret: str | None, method: str | None = None
    ) -> Client:
        """The client these credentials authenticate, or :class:`InvalidClient` (RFC 6749 §2.3).

        ``method`` is how the credentials were presented; it must be the
        client's registered method. ``None`` trusts the caller and checks with
        the client's own method.
        """
        return self.clients.authenticate(self._presented(client_id, client_secret, method), self._auth_context(None))

    def authenticate_client_request(self, request: EndpointRequest) -> Client:
        """The client an endpoint request authenticates, by whichever registered method it used."""
        presented = self._detect(request)
        return self.clients.authenticate(presented, self._auth_context(request.url))

    def _presented(self, client_id: str | None, secret: str | None, method: str | None) -> PresentedCredentials:
        if method is None:
            client = self.clients.get(client_id)
            method = client.auth_method if client is not None else DEFAULT_AUTH_METHOD
        return PresentedCredentials(client_id, method, secret)

    def _detect(self, request: EndpointRequest) -> PresentedCredentials:
        return presented_credentials(self.client_auth_methods, request)

    def _auth_context(self, endpoint_url: str | None) -> ClientAuthContext:
        return ClientAuthContext(endpoint_url, self.settings.issuer, self.now(), self.records)

    def resolve_scope(self, client: Client, requested: str | None) -> frozenset[str]:
        """The scope to grant for a request: requested (or the default), within what the client may have."""
        return grant_scope(requested, client.default_scope, client.scopes & frozenset(self.settings.scopes))

    # -- authorization requests (RFC 6749 §4.1.1) ------------------------------

    def check_client_redirect(self, client_id: str | None, redirect_uri: str | None) -> tuple[Client, str]:
        """The client and redirect URI to answer on; raises the errors that must NOT redirect (§4.1.2.1)."""
        return self.authorizations.check_client_redirect(client_id, redirect_uri)

    def parse_authorization_request(self, args: Any) -> AuthorizationRequest:
        """Validate an authorization request's query (a mapping, a ``MultiDict``, or :class:`Parameters`)."""
        return self.authorizations.validate(Parameters.of(args))

    def validate_authorization_request(
        self,
        client_id: str | None,
        response_type: str | None = None,
        redirect_uri: str | None = None,
        scope: str | None = None,
        state: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
        **parameters: str,
    ) -> AuthorizationRequest:
        """Validate an authorization request before the app asks the user for consent.

        Errors for an unknown client or a bad redirect URI have no
        ``redirect_uri`` (show them); every other error carries the
        ``redirect_uri`` and ``state`` to redirect back with (RFC 6749 §4.1.2.1).
        A pushed request is ``validate_authorization_request(client_id,
        request_uri=...)`` (RFC 9126 §4).
        """
        return self.parse_authorization_request(
            {
                "client_id": client_id,
                "response_type": response_type,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": code_challenge_method,
                **parameters,
            }
        )

    def push_authorization_request(
        self,
        client_id: str,
        client_secret: str | None = None,
        *,
        auth_method: str | None = None,
        **parameters: str | Iterable[str] | None,
    ) -> dict[str, Any]:
        """Push an authorization request (RFC 9126 §2) for an authenticated client: ``{request_uri, expires_in}``.

        ``parameters`` are the authorization request's (``response_type=``,
        ``redirect_uri=``, ``scope=``, ``code_challenge=``...; ``resource``
        may be a list); the authorization request then carries only
        ``client_id`` and the ``request_uri``.
        """
        params = Parameters.of({**parameters, "client_id": client_id})
        client = self.clients.authenticate(
            self._presented(client_id, client_secret, auth_method), self._auth_context(None)
        )
        return self.authorizations.push(client, params).to_response()

    def par_request(self, request: EndpointRequest) -> PushedRequest:
        """Run a pushed authorization request as the PAR endpoint received it (RFC 9126 §2, RFC 9449 §10.1).

        The client authenticates by its registered method (a public client by
        its ``client_id``); a DPoP proof is verified and spent, and binds the
        code as ``dpop_jkt`` does.
        """
        client = self.authenticate_client_request(request)
        return self.authorizations.push(client, request.params, self._dpop_key(request, client))

    def issue_code(self, request: AuthorizationRequest, user: Login | str | int) -> str:
        """Issue a one-time authorization code for a validated request the user approved.

        ``user`` is a :class:`~proauth2_wsgi.oidc.Login` (who signed in, when,
        how), or the user's id alone for a user authenticated just now.
        """
        return self.authorizations.issue_code(request, user)

    def authorization_response(self, request: AuthorizationRequest, user: Login | str | int) -> dict[str, str]:
        """The parameters of a successful authorization response: ``code``, ``state``, ``iss`` (RFC 9207).

        The user's consent to the request's scopes is remembered.
        """
        return self.authorizations.response(request, user)

    def authorization_error(self, error: Proauth2Error) -> dict[str, str]:
        """The parameters of a redirected authorization error: ``error``, ``state``, ``iss`` (RFC 9207).

        A pushed request it answers is used up (RFC 9126 §4).
        """
        return self.authorizations.error_response(error)

    def next_step(self, request: AuthorizationRequest, login: Login | None) -> Step:
        """What the request needs next: a login, a consent, or the answer (OIDC Core §3.1.2.3).

        ``login`` is the signed-in user (None when nobody is); consents the
        user gave before count. With ``prompt=none`` a step that needs the
        user raises ``login_required`` / ``consent_required`` to redirect with.
        """
        consented = frozenset() if login is None else self.consented_scopes(request.client.client_id, login.user_id)
        return next_step(request, login, consented, self.now())

    # -- remembered consent ------------------------------------------------------------

    def consented_scopes(self, client_id: str, user_id: str | int) -> frozenset[str]:
        """The scopes ``user_id`` agreed to give ``client_id`` so far."""
        record = self.records.consent(client_id, user_id_text(user_id))
        return frozenset() if record is None else frozenset(record["scopes"])

    def consents(self, user_id: str | int) -> dict[str, frozenset[str]]:
        """Every consent of a user: client id -> scopes."""
        return {
            record["client_id"]: frozenset(record["scopes"])
            for record in self.records.consents_of(user_id_text(user_id))
        }

    def withdraw_consent(self, client_id: str, user_id: str | int) -> int:
        """Forget a user's consent to a client and revoke that client's tokens for the user; tokens revoked.

        Raises :class:`InvalidClient` when there was no such consent.
        """
        had_consent, revoked = self.records.withdraw_consent(client_id, user_id_text(user_id))
        if not had_consent:
            raise InvalidClient("this user has given no consent to this client")
        return revoked

    # -- OpenID Connect: UserInfo, logout ---------------------------------------------------

    def userinfo(self, access: AccessToken) -> dict[str, Any]:
        """The UserInfo response (OIDC Core §5.3.2) for a validated token: ``sub`` and the released claims.

        Raises :class:`InsufficientScope` for a token without ``openid`` or without a user.
        """
        if "openid" not in access.scopes or access.user_id is None:
            raise InsufficientScope("the access token is not for OpenID Connect (no openid scope)", scope="openid")
        return released_claims(access.user_id, access.scopes, access.claims, "userinfo", self.claims_loader)

    def rotate_keys(self) -> list[SigningKey]:
        """Rotate the signing keys (next -> current -> retired, a new next key published); the keys afterwards.

        The key that signs from now on was published before, so relying
        parties that cached the JWK set already hold it (:meth:`KeySet.rotate`).
        """
        return self.keys.rotate()

    def validate_logout_request(self, args: Any) -> LogoutRequest:
        """Check an RP-Initiated Logout request; every refusal is ``invalid_request`` to show, never to follow."""
        return validate_logout_request(Parameters.of(args), self.settings, self.keys, self.clients)

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
        **parameters: str,
    ) -> dict[str, str]:
        """Validate an authorization request and issue its code: ``{code, state, iss}``."""
        request = self.validate_authorization_request(
            client_id, response_type, redirect_uri, scope, state, code_challenge, code_challenge_method, **parameters
        )
        return self.authorization_response(request, user_id)

    # -- the device flow (RFC 8628) ------------------------------------------------

    def request_device_authorization(
        self,
        client_id: str,
        client_secret: str | None = None,
        *,
        auth_method: str | None = None,
        scope: str | None = None,
        resource: str | Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """A device authorization request (RFC 8628 §3.1) for an authenticated client: the §3.2 response."""
        client = self.clients.authenticate(
            self._presented(client_id, client_secret, auth_method), self._auth_context(None)
        )
        return self.device.authorize(client, Parameters.of({"scope": scope, "resource": resource})).to_response()

    def device_authorization_request(self, request: EndpointRequest) -> DeviceAuthorization:
        """Run a device authorization request as its endpoint received it: the client authenticated by its method.

        A DPoP proof (RFC 9449) is verified and spent, and binds the device code to its key.
        """
        client = self.authenticate_client_request(request)
        return self.device.authorize(client, request.params, self._dpop_key(request, client))

    def device_request(self, user_code: str, *, session: str | None = None) -> DeviceRequest:
        """What the user code a user typed asks for (client, scopes, audience), for the verification page.

        ``session`` identifies the verification session (a login session's
        id, the user's id): it may enter ``device_user_code_attempts`` wrong
        codes, then waits (:class:`~proauth2_wsgi.device.TooManyAttempts`).
        An unknown, expired, used or locked code is the one
        :class:`~proauth2_wsgi.device.InvalidUserCode`.
        """
        return self.device.request(user_code, session)

    def approve_device(self, user_code: str, user: Login | str | int, *, session: str | None = None) -> DeviceRequest:
        """The signed-in user approves the device's request; its next poll gets the tokens (RFC 8628 §3.3)."""
        return self.device.approve(user_code, user, session)

    def deny_device(self, user_code: str, *, session: str | None = None) -> DeviceRequest:
        """The user denies the device's request; its next poll gets ``access_denied`` (RFC 8628 §3.5)."""
        return self.device.deny(user_code, session)

    # -- tokens -----------------------------------------------------------------

    @property
    def repeatable_token_parameters(self) -> frozenset[str]:
        """Token-request parameters some grant lets repeat (every other one must appear once)."""
        return frozenset().union(*(grant.repeatable for grant in self.grants))

    def request_access_token(
        self,
        grant_type: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        auth_method: str | None = None,
        **parameters: str | Iterable[str] | None,
    ) -> dict[str, Any]:
        """Run a token request (RFC 6749 §4.1.3, §4.4.2, §6) and return the §5.1 response.

        ``parameters`` are the grant's own (``code=``, ``redirect_uri=``,
        ``code_verifier=``, ``refresh_token=``, ``scope=``...); a repeatable
        one may be a list.
        """
        params = Parameters.of({**parameters, "grant_type": grant_type})
        presented = self._presented(client_id, client_secret, auth_method)
        return self._exchange(params, presented, None, None).to_response()

    def token_request(self, request: EndpointRequest) -> IssuedTokens:
        """Run a token request as the token endpoint received it: its client authenticated by its method."""
        presented = self._detect(request)
        return self._exchange(request.params, presented, request.url, request)

    def _exchange(
        self,
        params: Parameters,
        presented: PresentedCredentials,
        endpoint_url: str | None,
        http: EndpointRequest | None,
    ) -> IssuedTokens:
        grant = self.grants.get(params.get("grant_type"))
        if grant is None:
            raise UnsupportedGrantType("grant_type is not supported")
        client = self.clients.authenticate(presented, self._auth_context(endpoint_url))
        if grant.name not in client.grant_types:
            raise UnauthorizedClient("this client may not use this grant type")
        if client.is_public and not grant.public_clients:
            raise UnauthorizedClient(f"public clients cannot use {grant.name}")
        jkt = self._dpop_key(http, client)
        return grant.exchange(self._grant_context, TokenRequest(grant.name, client, params, http, jkt))

    def _dpop_key(self, http: EndpointRequest | None, client: Client) -> str | None:
        """RFC 9449 §5: the key of the request's DPoP proof, verified and spent; None without one.

        Spent before the grant runs: a replayed proof changes nothing. The
        proof carries the server's nonce when ``dpop_nonce`` is on, or the
        client was registered with ``dpop_nonce_required`` (§8).
        """
        value = proof_value(http.headers) if http is not None else None
        if value is None or http is None:
            return None
        checker = self._nonced_dpop if client.metadata.get(DPOP_NONCE_REQUIRED) is True else self.dpop
        proof = checker.verify(value, method=http.method, urls=(http.url,))
        checker.remember(proof)
        return proof.jkt

    def validate_token(self, token: str, request: object = None) -> AccessToken:
        """The access token's record, or :class:`InvalidToken` (RFC 6750 §3.1): the validator protocol.

        One indexed primary-key lookup: the token's SHA-256 digest (any string
        has one, so only its type and length are checked first; a protector
        has checked its RFC 6750 syntax already).
        """
        if not isinstance(token, str) or not 0 < len(token) <= MAX_ACCESS_TOKEN_LENGTH:
            raise InvalidToken(_INVALID_TOKEN)
        record = self.records.access_token(hash_secret(token))
        if record is None or record["revoked"] or record["expires_at"] <= self.now():
            raise InvalidToken(_INVALID_TOKEN)
        return AccessToken.from_record(record)

    def authenticate_token(self, token: str, scopes: Iterable[str] | str | None = None) -> AccessToken:
        """The access token's record, or :class:`InvalidToken` / :class:`InsufficientScope` (RFC 6750 §3.1)."""
        access = self.validate_token(token)
        if scopes:
            required = parse_scope(scopes)
            if not required <= access.scopes:
                raise InsufficientScope("the access token lacks a required scope", scope=format_scope(required))
        return access

    # -- revocation and introspection (RFC 7009, RFC 7662) -----------------------

    def revoke_token(self, token: str, token_type_hint: str | None = None, client_id: str | None = None) -> None:
        """Revoke an access or refresh token (RFC 7009 §2.1); a refresh token takes its whole grant along.

        An unknown token is not an error. With ``client_id`` (as the revocation
        endpoint passes), a token issued to another client is refused with
        ``unauthorized_client`` and left alone.
        """
        revoke_token(self.records, token, token_type_hint, client_id)

    def revoke_grant(self, grant_id: str) -> int:
        """Revoke every access and refresh token of one grant; returns how many."""
        return self.records.revoke_grant(grant_id)

    def revoke_user_tokens(self, user_id: str | int) -> int:
        """Revoke every token of a user; returns how many."""
        return self.records.revoke_tokens(user_id=user_id_text(user_id))

    def revoke_client_tokens(self, client_id: str) -> int:
        """Revoke every token issued to a client; returns how many."""
        return self.records.revoke_tokens(client_id=client_id)

    def introspect_token(self, token: str, token_type_hint: str | None = None) -> dict[str, Any]:
        """The RFC 7662 §2.2 introspection response: ``{"active": false}`` for anything not active."""
        return introspect_token(self.records, token, self.now(), self.settings.issuer, token_type_hint)

    # -- metadata and maintenance -------------------------------------------------

    def metadata(self, urls: Mapping[str, str]) -> dict[str, Any]:
        """The RFC 8414 document; ``urls`` maps endpoint names (``token_endpoint``...) to absolute URLs."""
        contributions = [endpoint.metadata() for endpoint in self.endpoints]
        if self.client_documents is not None:
            contributions.append(self.client_documents.metadata())
        return server_metadata(self.settings, self.grants, self.client_auth_methods, urls, contributions)

    def purge_expired(self, batch_size: int = PURGE_BATCH_SIZE) -> int:
        """Delete expired codes, tokens and spent DPoP proofs in batches of ``batch_size``; returns rows deleted.

        A row is expired once ``expires_at <= now`` (as everywhere else here),
        so the store is asked for rows before ``now + 1``.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive whole number, got {batch_size!r}")
        return self.records.purge_expired(self.now() + 1, batch_size)
