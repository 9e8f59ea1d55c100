"""The :class:`Proauth2` Flask extension: configuration, endpoints, decorator and helpers.

Thin glue over :mod:`proauth2_wsgi`: the endpoints are its WSGI endpoints,
the decorator its :class:`~proauth2_wsgi.protector.Protector` (the
middleware's), the authorization helpers its authorization-request functions.
"""

from __future__ import annotations

import functools
import inspect
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, make_response, redirect, render_template, request, session
from werkzeug.wrappers import Response

from proauth2_wsgi import AccessToken, AuthorizationRequest, SettingsError, TemporarilyUnavailable
from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi.device import DeviceRequest
from proauth2_wsgi.endpoints import (
    AuthorizationServer,
    authorization_redirect,
    denial_redirect,
    error_redirect,
    parse_authorization_request,
)
from proauth2_wsgi.endpoints.authorization import error_page_headers, error_page_status
from proauth2_wsgi.errors import InvalidRequestUri, Proauth2Error
from proauth2_wsgi.middleware import TOKEN, annotate, dpop_checker, resource_request
from proauth2_wsgi.oidc import Login, Step
from proauth2_wsgi.oidc.claims import ClaimsLoader
from proauth2_wsgi.oidc.login import login_return_url
from proauth2_wsgi.oidc.logout import LogoutRequest
from proauth2_wsgi.protected_resource import ProtectedResource
from proauth2_wsgi.protector import Protector, Refusal, TokenValidator
from proauth2_wsgi.responses import error_response
from proauth2_wsgi.scopes import parse_scope
from proauth2_wsgi.stores import StorageUnavailable
from proauth2_wsgi.token_cache import TokenCache

from . import cli, config, views
from .globals import G_ATTRIBUTE

#: the key of this extension in ``app.extensions``
EXTENSION_KEY = "proauth2"
#: the page of an authorization request that must not redirect; an app's own template of that name wins
ERROR_TEMPLATE = "proauth2/error.html"

View = TypeVar("View", bound=Callable[..., Any])

#: a decorator's options: optional, form token, cache TTL, exempt methods, resource identifier, validator
_Options = tuple[bool, bool, float, frozenset[str], "str | None", "TokenValidator | None"]
#: the options ``current_token`` looks a token up with: optional, nothing exempt, any audience, the provider
_LOOKUP: _Options = (True, False, 0.0, frozenset(), None, None)


@dataclass
class State:
    """What :meth:`Proauth2.init_app` keeps per app, in ``app.extensions["proauth2"]``."""

    provider: Provider
    config: config.Config
    #: the WSGI endpoints the blueprint mounts
    server: AuthorizationServer
    #: the resource the app's protected routes are by default (``PROAUTH2_PROTECTED_RESOURCE``)
    resource: ProtectedResource | None = None
    _protectors: dict[_Options, Protector] = field(default_factory=dict)
    _caches: dict[float, TokenCache] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def protector(self, options: _Options) -> Protector:
        """The app's protector for one set of decorator options (built once)."""
        protector = self._protectors.get(options)
        if protector is None:
            optional, allow_form_token, cache_ttl, exempt, identifier, given = options
            resource = None
            if identifier is not None:
                own = given is None and self.resource is not None and self.resource.identifier == identifier
                checker = dpop_checker(given or self.provider)
                algorithms = checker.algorithms if checker is not None else ()
                resource = (
                    self.resource
                    if own
                    else ProtectedResource.of(identifier, given or self.provider, dpop_algorithms=algorithms)
                )
            with self._lock:
                validator: Any = given or self.provider
                if cache_ttl and given is not None:
                    validator = TokenCache(given, cache_ttl)
                elif cache_ttl:
                    validator = self._caches.setdefault(cache_ttl, TokenCache(self.provider, cache_ttl))
                protector = self._protectors.setdefault(
                    options,
                    Protector(
                        validator,
                        realm=self.config.realm,
                        optional=optional,
                        allow_form_token=allow_form_token,
                        exempt_methods=exempt,
                        resource=resource,
                        dpop=dpop_checker(validator),
                    ),
                )
        return protector

    def load_token(self) -> AccessToken | None:
        """The current request's token for ``current_token``: None when missing or invalid.

        A storage outage still raises: it must not look like an anonymous request.
        """
        access = request.environ.get(TOKEN)
        if isinstance(access, AccessToken):
            return access
        outcome = self.protector(_LOOKUP).authenticate(resource_request(request.environ))
        if isinstance(outcome, Refusal):
            if outcome.status == 503:  # an outage, not an anonymous request
                raise TemporarilyUnavailable()
            return None
        if outcome is not None:
            annotate(request.environ, outcome)
        return outcome

    def close(self, _exc: BaseException | None = None) -> None:
        """Hand the app context's pooled connection back (``teardown_appcontext``); nothing is closed."""
        self.provider.store.close()


def _state() -> State:
    try:
        return current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("Proauth2.init_app(app) was not called for this app") from None


class Proauth2:
    """The OAuth 2.1 authorization server as a Flask extension.

    ``oauth = Proauth2(app)``, or ``oauth = Proauth2()`` then
    ``oauth.init_app(app)`` in an app factory; one instance serves any
    number of apps, each with its own configuration and database.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self._claims_loader: ClaimsLoader | None = None
        if app is not None:
            self.init_app(app)

    # -- OpenID Connect: the user's claims ------------------------------------------

    def claims_loader(self, loader: ClaimsLoader) -> ClaimsLoader:
        """Decorate the function giving a user's claims: ``(user_id, scopes, claims_request) -> dict``.

        proauth2 releases from what it returns only what the granted scopes
        (OIDC Core §5.4) and the ``claims`` request (§5.5) allow, with ``sub``
        always, in ID tokens and UserInfo answers.
        """
        self._claims_loader = loader
        return loader

    def _load_claims(self, user_id: str, scopes: frozenset[str], claims_request: Any) -> Any:
        return {} if self._claims_loader is None else self._claims_loader(user_id, scopes, claims_request)

    def init_app(self, app: Flask) -> None:
        """Configure ``app``: validate its ``PROAUTH2_*`` keys, open its store, mount the endpoints.

        Keys (seconds for lifetimes), with their defaults:

        ``PROAUTH2_DATABASE_URL`` (``sqlite:///<app.instance_path>/proauth2.db``)
            ``sqlite:///path.db``, ``postgresql://user:pwd@host/db``,
            ``mysql://user:pwd@host/db``, or a :class:`~proauth2_wsgi.DataStore`.
            Nothing connects until the first request, so the app starts while
            the database is down (and answers 503 until it is back).
        ``PROAUTH2_AUTO_MIGRATE`` (``True``)
            apply missing schema migrations on first use; turn off where the
            app's database user may not run DDL, and run ``flask proauth2
            migrate`` at deploy time instead.
        ``PROAUTH2_ISSUER`` (``None``)
            the issuer identifier (RFC 8414 §2): an https URL (http on
            loopback), sent as ``iss`` with every authorization response
            (RFC 9207). Set it in production.
        ``PROAUTH2_ACCESS_TOKEN_LIFETIME`` (``3600``)
        ``PROAUTH2_REFRESH_TOKEN_LIFETIME`` (``1209600``, 14 days)
        ``PROAUTH2_CODE_LIFETIME`` (``60``, at most 600)
        ``PROAUTH2_SCOPES`` (``{}``)
            the server's scopes: a mapping of scope to the description a
            consent page shows, or a list (or space-separated string) of names.
        ``PROAUTH2_DEFAULT_SCOPE`` (none)
            granted when a request names no scope: a space-separated string or a list.
        ``PROAUTH2_REQUIRE_PKCE`` (``True``)
            PKCE for confidential clients too (public clients always need it).
        ``PROAUTH2_ALLOW_PLAIN_PKCE`` (``False``)
            accept ``code_challenge_method=plain``.
        ``PROAUTH2_ISSUE_REFRESH_TOKENS`` (``True``)
            issue (rotating) refresh tokens with the authorization code grant.
        ``PROAUTH2_CLOCK`` (``time.time``)
            the time source; tests put a fake clock here.
        ``PROAUTH2_REGISTRATION`` (``False``)
            mount the dynamic client registration endpoint (RFC 7591).
        ``PROAUTH2_INITIAL_ACCESS_TOKEN`` (``None``)
            the bearer token registration requests must carry (needs
            ``PROAUTH2_REGISTRATION``); None leaves registration open to anyone.
        ``PROAUTH2_URL_PREFIX`` (``"/oauth"``)
            where ``/token``, ``/revoke``, ``/introspect`` and ``/register`` are
            mounted; the metadata document is always at
            ``/.well-known/oauth-authorization-server`` (RFC 8414 §3), served
            when ``PROAUTH2_ISSUER`` is set.
        ``PROAUTH2_REALM`` (``"api"``)
            the realm of ``WWW-Authenticate: Bearer`` challenges (RFC 6750 §3).
        ``PROAUTH2_AUTHORIZATION_ENDPOINT`` (``None``)
            the URL of the app's own authorization view, absolute or a path
            below the issuer (``"/authorize"``), announced in the metadata document.
        ``PROAUTH2_OPENID`` (``False``), ``PROAUTH2_KEY_SECRET``, ``PROAUTH2_SIGNING_KEYS``
            OpenID Connect: ID tokens, UserInfo, discovery, JWKS; signing keys
            encrypted under the key secret (32+ characters), or from configuration.
        ``PROAUTH2_END_SESSION_ENDPOINT`` (``None``)
            the URL of the app's own logout view (RP-Initiated Logout), for the metadata.
        ``PROAUTH2_RESOURCES`` (``()``)
            the resources tokens may be asked for (RFC 8707): identifiers, or
            identifier -> ``{"scopes", "token_format": "jwt", "access_token_lifetime"}``.
        ``PROAUTH2_PROTECTED_RESOURCE`` (``None``)
            the identifier of the resource the app's own protected routes are:
            ``require_oauth`` refuses tokens for other resources, and its RFC 9728
            document is served at ``/.well-known/oauth-protected-resource<path>``.
        ``PROAUTH2_DEVICE_VERIFICATION_URI`` (``None``)
            the app's device verification page (RFC 8628), a path below the
            issuer or a URL: set, it turns the device flow on (its endpoint,
            its grant). ``PROAUTH2_DEVICE_CODE_LIFETIME`` (``600``),
            ``PROAUTH2_DEVICE_POLL_INTERVAL`` (``5``),
            ``PROAUTH2_DEVICE_USER_CODE_ATTEMPTS`` (``5``).
        ``PROAUTH2_ENDPOINTS_BEFORE_FLASK`` (``False``)
            answer the endpoints before Flask dispatches: 50-70 µs faster per
            request, but the app's request hooks (CORS, rate limits) skip them.

        A wrong value raises :class:`~proauth2_wsgi.SettingsError` naming the key.
        A storage outage escaping any view becomes a JSON 503 with ``Retry-After``.
        """
        config.set_defaults(app.config)
        conf = config.load(app.config, app.instance_path)
        store = conf.database
        if isinstance(store, str):
            from proauth2_wsgi.stores import PeeweeDataStore

            try:
                store = PeeweeDataStore(store, auto_migrate=conf.auto_migrate)
            except ValueError as exc:  # an unknown scheme, a malformed URL: name the key
                raise SettingsError(f"PROAUTH2_DATABASE_URL: {exc}") from None
        provider = Provider(store, conf.settings)
        provider.claims_loader = self._load_claims
        resource = (
            None
            if conf.protected_resource is None
            else ProtectedResource.of(
                conf.protected_resource, provider, dpop_algorithms=provider.settings.dpop_signing_algorithms
            )
        )
        server = AuthorizationServer(
            provider,
            authorization_endpoint=conf.authorization_endpoint,
            end_session_endpoint=conf.end_session_endpoint,
            registration=conf.registration,
            initial_access_token=conf.initial_access_token,
            prefix=conf.url_prefix,
            protected_resource=resource,
        )
        state = State(provider, conf, server, resource)
        app.extensions[EXTENSION_KEY] = state
        app.register_blueprint(views.create_blueprint(server))
        if conf.endpoints_before_flask:
            app.wsgi_app = views.EndpointsFirst(app.wsgi_app, server)  # type: ignore[method-assign]
        else:  # TRACE, PROPFIND...: the endpoint's JSON 405, not Flask's HTML one
            app.wsgi_app = views.UnlistedMethods(app.wsgi_app, server)  # type: ignore[method-assign]
        app.teardown_appcontext(state.close)
        app.register_error_handler(TemporarilyUnavailable, error_response)
        app.register_error_handler(StorageUnavailable, _storage_unavailable)
        app.cli.add_command(cli.command)

    @property
    def provider(self) -> Provider:
        """The current app's :class:`proauth2_wsgi.Proauth2` provider (clients, tokens, revocation)."""
        return _state().provider

    # -- protecting routes (RFC 6750) ------------------------------------------

    def require_oauth(
        self,
        scope: str | Iterable[str] | None = None,
        *,
        optional: bool = False,
        allow_form_token: bool = False,
        cache_ttl: float = 0.0,
        exempt_methods: Iterable[str] = ("OPTIONS",),
        resource: str | None = None,
        validator: TokenValidator | None = None,
    ) -> Callable[[View], View]:
        """Guard a view with an access token carrying ``scope`` (RFC 6750): the middleware's protector.

        ``@oauth.require_oauth()`` needs any valid token,
        ``@oauth.require_oauth("profile email")`` one with both scopes, and
        ``@oauth.require_oauth(optional=True)`` lets requests without a token
        through (``current_token`` is then None) while a token that is
        present must still be valid and carry the scopes. ``allow_form_token``,
        ``cache_ttl`` and ``exempt_methods`` are the middleware's options; a
        token the middleware validated already is not validated again.
        ``resource`` is the route's resource identifier (RFC 8707), by default
        ``PROAUTH2_PROTECTED_RESOURCE``: a token for other resources only is
        refused, and challenges carry its RFC 9728 ``resource_metadata``.
        ``validator`` checks tokens instead of the app's provider: a
        :class:`~proauth2_wsgi.validators.JWTValidator` or
        :class:`~proauth2_wsgi.validators.IntrospectionValidator` for tokens of
        another authorization server.
        Responses carry ``Vary: Authorization``; refusals are JSON with a
        ``WWW-Authenticate`` challenge: 401 ``invalid_token``, 403
        ``insufficient_scope``, 503 when the database is down.
        """
        required = parse_scope(scope)
        exempt = frozenset(method.upper() for method in exempt_methods)
        ttl = float(cache_ttl)

        def decorator(view: View) -> View:
            is_async = inspect.iscoroutinefunction(view)

            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                # The hot path: each context-local is looked up once, the app's state directly.
                app = current_app._get_current_object()  # type: ignore[attr-defined]
                call = app.ensure_sync(view) if is_async else view
                state: State = app.extensions[EXTENSION_KEY]
                identifier = resource or state.config.protected_resource
                protector = state.protector((optional, allow_form_token, ttl, exempt, identifier, validator))
                environ = request.environ
                if environ.get("REQUEST_METHOD") in protector.exempt_methods:
                    return call(*args, **kwargs)
                access = environ.get(TOKEN)
                if isinstance(access, AccessToken):  # the middleware validated it
                    outcome: AccessToken | Refusal | None = protector.check_scopes(access, required) or access
                else:
                    outcome = protector.authenticate(resource_request(environ), required)
                if isinstance(outcome, Refusal):
                    return Response(outcome.body, outcome.status, list(outcome.headers))
                if outcome is not None:
                    annotate(environ, outcome)
                setattr(g, G_ATTRIBUTE, outcome)
                return _vary(app.make_response(call(*args, **kwargs)))

            return wrapper  # type: ignore[return-value]

        return decorator

    # -- the app's authorization endpoint (RFC 6749 §4.1.1, §4.1.2) -------------

    def validate_authorization_request(self) -> AuthorizationRequest:
        """Validate the current request's query as an authorization request, before consent.

        Returns what a consent page shows (``client.name``, ``scopes``,
        ``redirect_uri``; :meth:`scope_descriptions` for the wording). An
        invalid request never returns: it aborts with the redirect back to
        the client carrying the error, or, when the client or redirect URI is
        not trusted, with a 400 HTML error page (RFC 6749 §4.1.2.1): the
        template ``proauth2/error.html``, given ``error`` (its ``error`` and
        ``error_description``). The extension ships a plain one; an app's own
        ``templates/proauth2/error.html`` takes its place.
        Call it again when the consent form is posted back to the same URL.
        A pushed authorization request (RFC 9126: ``client_id`` and
        ``request_uri`` only) is resolved here; its ``request_uri`` stays
        valid until :meth:`authorization_response` (or an error redirect)
        answers it.
        """
        state = _state()
        try:
            return parse_authorization_request(state.provider, request.args)
        except Proauth2Error as error:
            if error.redirect_uri is None:
                page = render_template(ERROR_TEMPLATE, error=error)
                abort(make_response(page, error_page_status(error), error_page_headers(error)))
            abort(_see_other(error_redirect(state.provider, error)))

    def authorization_response(
        self, auth_request: AuthorizationRequest, user: Login | str | int, approved: bool
    ) -> Response:
        """The redirect answering an authorization request the user approved or denied.

        ``user`` is the signed-in :class:`~proauth2_wsgi.oidc.Login` (who, when,
        how: what ID tokens say), or the user's id. Approved: ``code``,
        ``state`` and ``iss`` (RFC 6749 §4.1.2, RFC 9207), the consent
        remembered; denied: ``error=access_denied``. A ``303 See Other``, so
        that a posted consent form is not posted again to the client
        (RFC 9700 §4.12). Either answer uses a pushed request's ``request_uri``
        up (RFC 9126); when another answer used it first, the 400 error page.
        """
        provider = _state().provider
        try:
            if approved:
                return _see_other(authorization_redirect(provider, auth_request, user))
            return _see_other(denial_redirect(provider, auth_request))
        except InvalidRequestUri as error:  # a pushed request another answer used up first
            page = render_template(ERROR_TEMPLATE, error=error)
            return make_response(page, error_page_status(error), error_page_headers(error))

    def authorization_step(self, auth_request: AuthorizationRequest, login: Login | None) -> Step:
        """What the request needs next: ``Step.LOGIN``, ``Step.CONSENT`` or ``Step.ANSWER``.

        ``prompt=login``, ``max_age`` and ``id_token_hint`` ask for a login;
        ``prompt=consent``, or scopes the user has not consented to before, a
        consent. With ``prompt=none`` a step that needs the user never
        returns: it aborts with the redirect carrying ``login_required`` or
        ``consent_required`` (OIDC Core §3.1.2.6).
        """
        provider = _state().provider
        try:
            return provider.next_step(auth_request, login)
        except Proauth2Error as error:
            abort(_see_other(error_redirect(provider, error)))

    def login_return_url(self) -> str:
        """Where the login page should send the user back: this request, its login demands met.

        The current URL without ``prompt=login`` and ``max_age``, so that the
        fresh sign-in answers them instead of asking again.
        """
        return login_return_url(request.full_path)

    # -- OpenID Connect: RP-Initiated Logout ------------------------------------------

    def validate_logout_request(self) -> LogoutRequest:
        """Check the current request as an RP-Initiated Logout request; a refusal aborts with the 400 page.

        ``logout.verified`` tells whether an ID token this server issued names
        who is leaving (end the session at once), or not (ask first).
        """
        try:
            return _state().provider.validate_logout_request(request.values)
        except Proauth2Error as error:
            page = render_template(ERROR_TEMPLATE, error=error)
            abort(make_response(page, error_page_status(error), error_page_headers(error)))

    def logout_response(self, logout: LogoutRequest, default: str = "/") -> Response:
        """The redirect after the app ended the session: the client's registered URI with ``state``, or ``default``."""
        return _see_other(logout.redirect_url() or default)

    def scope_descriptions(self, auth_request: AuthorizationRequest | DeviceRequest) -> dict[str, str]:
        """The requested scopes with their ``PROAUTH2_SCOPES`` descriptions, for a consent (or device) page."""
        descriptions = _state().provider.settings.scopes
        return {name: descriptions.get(name, name) for name in sorted(auth_request.scopes)}

    # -- the device flow's verification page (RFC 8628 §3.3) -------------------------------

    def device_request(self, user_code: str | None = None, *, session_key: str | None = None) -> DeviceRequest:
        """What the user code the user typed asks for (``client_name``, ``scopes``, ``audience``), before they decide.

        ``user_code`` is by default the request's ``user_code`` (the form's, or
        the query's: ``verification_uri_complete`` brings it). Wrong codes are
        limited per code and per verification session: ``session_key`` names
        the session, by default a random id kept in the Flask session (a
        signed-in user's id is stronger: a fresh cookie does not reset it).
        Raises :class:`~proauth2_wsgi.device.InvalidUserCode` (or its
        :class:`~proauth2_wsgi.device.TooManyAttempts`): show the form again
        with its ``error_description``.
        """
        return _state().provider.device_request(_user_code(user_code), session=session_key or _device_session())

    def approve_device(
        self, user_code: str | None, user: Login | str | int, *, session_key: str | None = None
    ) -> DeviceRequest:
        """The signed-in ``user`` (a :class:`~proauth2_wsgi.oidc.Login` or an id) approves: the device gets its tokens.

        ``user_code`` None reads the request's. Post the approval form with
        CSRF protection: the device's tokens act for this user.
        """
        provider = _state().provider
        return provider.approve_device(_user_code(user_code), user, session=session_key or _device_session())

    def deny_device(self, user_code: str | None = None, *, session_key: str | None = None) -> DeviceRequest:
        """The user denies: the device's next poll gets ``access_denied``."""
        return _state().provider.deny_device(_user_code(user_code), session=session_key or _device_session())


#: the Flask session's member holding the verification session's id (the per-session limit's key)
DEVICE_SESSION = "proauth2_device_session"


def _device_session() -> str:
    """This browser's verification session id, made on first use and kept in the Flask session."""
    key = session.get(DEVICE_SESSION)
    if not isinstance(key, str) or not key:
        key = session[DEVICE_SESSION] = secrets.token_urlsafe(16)
    return key


def _user_code(user_code: str | None) -> str:
    return request.values.get("user_code", "") if user_code is None else user_code


def _vary(response: Response) -> Response:
    """Add ``Authorization`` to ``Vary`` without parsing the header when there is none (the usual case).

    ``getlist`` finds none without an exception: werkzeug's ``get`` and ``in``
    raise and catch a ``KeyError`` for a missing header, a microsecond each.
    """
    if response.headers.getlist("Vary"):
        response.vary.add("Authorization")
    else:
        response.headers.add("Vary", "Authorization")
    return response


def _storage_unavailable(error: StorageUnavailable) -> Response:
    """The store's outage reached a view directly (the app called the store): the provider's 503."""
    return error_response(TemporarilyUnavailable(error.detail))


def _see_other(location: str) -> Response:
    response = redirect(location, 303)
    response.headers["Cache-Control"] = "no-store"
    return response
