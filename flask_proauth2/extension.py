"""The :class:`Proauth2` Flask extension: configuration, endpoints, decorator and helpers.

Thin glue over :mod:`proauth2_wsgi`: the endpoints are its WSGI apps, the
decorator its bearer validation (the code path of the middleware), the
authorization helpers its authorization-request functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, make_response, redirect, request
from werkzeug.wrappers import Response

from proauth2_wsgi import AccessToken, AuthorizationRequest, Proauth2Error, SettingsError, StorageUnavailable
from proauth2_wsgi import Proauth2 as Provider
from proauth2_wsgi.bearer import authenticate_request, bearer_error_response
from proauth2_wsgi.endpoints import (
    AuthorizationServer,
    authorization_redirect,
    denial_redirect,
    error_page,
    error_redirect,
    parse_authorization_request,
)
from proauth2_wsgi.responses import error_response
from proauth2_wsgi.scopes import parse_scope
from proauth2_wsgi.stores import PeeweeDataStore

from . import cli, config, views
from .globals import G_ATTRIBUTE

#: the key of this extension in ``app.extensions``
EXTENSION_KEY = "proauth2"

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class State:
    """What :meth:`Proauth2.init_app` keeps per app, in ``app.extensions["proauth2"]``."""

    provider: Provider
    config: config.Config
    #: the WSGI endpoints the blueprint mounts
    server: AuthorizationServer

    def authenticate(self, scopes: frozenset[str] | None = None) -> AccessToken | None:
        """The current request's bearer token (None when it sent none); raises on a bad one."""
        token = authenticate_request(request.environ, self.provider, scopes)
        setattr(g, G_ATTRIBUTE, token)
        return token

    def load_token(self) -> AccessToken | None:
        """The current request's token for ``current_token``: None when missing or invalid.

        A storage outage still raises: it must not look like an anonymous request.
        """
        try:
            return authenticate_request(request.environ, self.provider)
        except StorageUnavailable:
            raise
        except Proauth2Error:
            return None

    def close(self, _exc: BaseException | None = None) -> None:
        """Hand the app context's database connection back (``teardown_appcontext``)."""
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
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Configure ``app``: validate its ``PROAUTH2_*`` keys, open its store, mount the endpoints.

        Keys (seconds for lifetimes), with their defaults:

        ``PROAUTH2_DATABASE_URL`` (``sqlite:///<app.instance_path>/proauth2.db``)
            ``sqlite:///path.db``, ``postgresql://user:pwd@host/db``,
            ``mysql://user:pwd@host/db``, or a :class:`~proauth2_wsgi.DataStore`.
        ``PROAUTH2_CREATE_SCHEMA`` (``True``)
            create missing tables now; turn off where the app's database user
            may not run DDL, and run ``flask proauth2 init-db`` instead.
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

        A wrong value raises :class:`~proauth2_wsgi.SettingsError` naming the key.
        A :class:`~proauth2_wsgi.StorageUnavailable` escaping any view becomes
        a JSON 503 with ``Retry-After``.
        """
        config.set_defaults(app.config)
        conf = config.load(app.config, app.instance_path)
        store = conf.database
        if isinstance(store, str):
            try:
                store = PeeweeDataStore(store, create=conf.create_schema)
            except ValueError as exc:  # an unknown scheme, a malformed URL: name the key
                raise SettingsError(f"PROAUTH2_DATABASE_URL: {exc}") from None
        provider = Provider(store, conf.settings)
        server = AuthorizationServer(
            provider,
            authorization_endpoint=conf.authorization_endpoint,
            registration=conf.registration,
            initial_access_token=conf.initial_access_token,
            prefix=conf.url_prefix,
        )
        state = State(provider, conf, server)
        app.extensions[EXTENSION_KEY] = state
        app.register_blueprint(views.create_blueprint(server))
        app.teardown_appcontext(state.close)
        app.register_error_handler(StorageUnavailable, error_response)
        app.cli.add_command(cli.group)

    @property
    def provider(self) -> Provider:
        """The current app's :class:`proauth2_wsgi.Proauth2` provider (clients, tokens, revocation)."""
        return _state().provider

    # -- protecting routes (RFC 6750) ------------------------------------------

    def require_oauth(
        self, scope: str | Iterable[str] | None = None, *, optional: bool = False
    ) -> Callable[[View], View]:
        """Guard a view with a bearer access token carrying ``scope`` (RFC 6750).

        ``@oauth.require_oauth()`` needs any valid token,
        ``@oauth.require_oauth("profile email")`` one with both scopes, and
        ``@oauth.require_oauth(optional=True)`` lets requests without a token
        through (``current_token`` is then None) but still refuses a bad one.
        The token is validated by :func:`proauth2_wsgi.bearer.authenticate_request`,
        like the middleware (and not again when the middleware already did).
        ``OPTIONS`` requests (CORS preflight) pass unchecked; responses carry
        ``Vary: Authorization``; refusals are JSON with a ``WWW-Authenticate``
        challenge: 401 ``invalid_token``, 403 ``insufficient_scope``, 503 when
        the database is down.
        """
        scopes = parse_scope(scope) or None

        def decorator(view: View) -> View:
            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if request.method == "OPTIONS":
                    return current_app.ensure_sync(view)(*args, **kwargs)
                state = _state()
                try:
                    token = state.authenticate(scopes)
                    if token is None and not optional:
                        return _vary(bearer_error_response(None, state.config.realm))
                except Proauth2Error as error:
                    return _vary(bearer_error_response(error, state.config.realm))
                return _vary(make_response(current_app.ensure_sync(view)(*args, **kwargs)))

            return wrapper  # type: ignore[return-value]

        return decorator

    # -- the app's authorization endpoint (RFC 6749 §4.1.1, §4.1.2) -------------

    def validate_authorization_request(self) -> AuthorizationRequest:
        """Validate the current request's query as an authorization request, before consent.

        Returns what a consent page shows (``client.name``, ``scopes``,
        ``redirect_uri``; :meth:`scope_descriptions` for the wording). An
        invalid request never returns: it aborts with the redirect back to
        the client carrying the error, or, when the client or redirect URI is
        not trusted, with a 400 HTML error page (RFC 6749 §4.1.2.1).
        Call it again when the consent form is posted back to the same URL.
        """
        state = _state()
        try:
            return parse_authorization_request(state.provider, request.args)
        except Proauth2Error as error:
            if error.redirect_uri is None:
                abort(error_page(error))
            abort(_see_other(error_redirect(state.provider, error)))

    def authorization_response(
        self, auth_request: AuthorizationRequest, user_id: str | int, approved: bool
    ) -> Response:
        """The redirect answering an authorization request the user approved or denied.

        Approved: ``code``, ``state`` and ``iss`` (RFC 6749 §4.1.2, RFC 9207);
        denied: ``error=access_denied``. A ``303 See Other``, so that a posted
        consent form is not posted again to the client (RFC 9700 §4.12).
        """
        provider = _state().provider
        if approved:
            return _see_other(authorization_redirect(provider, auth_request, user_id))
        return _see_other(denial_redirect(provider, auth_request))

    def scope_descriptions(self, auth_request: AuthorizationRequest) -> dict[str, str]:
        """The requested scopes with their ``PROAUTH2_SCOPES`` descriptions, for a consent page."""
        descriptions = _state().provider.settings.scopes
        return {name: descriptions.get(name, name) for name in sorted(auth_request.scopes)}


def _vary(response: Response) -> Response:
    response.vary.add("Authorization")
    return response


def _see_other(location: str) -> Response:
    response = redirect(location, 303)
    response.headers["Cache-Control"] = "no-store"
    return response
