"""django-oauth-toolkit in a minimal Django project, configured in code, at its documented defaults.

:func:`configure` sets Django up once per process (``settings.configure``):
``django.contrib.auth``, ``django.contrib.contenttypes`` and
``oauth2_provider`` on a SQLite file as Django opens it (rollback journal,
``synchronous=FULL``), no ``OAUTH2_PROVIDER`` setting (every default:
PKCE required, refresh tokens rotated, client secrets hashed with Django's
password hasher, PBKDF2-SHA256 at 1,000,000 iterations in Django 5.2) and
``oauth2_provider.urls`` under ``/o/`` (benchmarks/peers/dot_urls.py).
Django's own default ``CONN_MAX_AGE = 0`` opens a database connection for
every request that queries (and closes it at the request's end); proauth2
and SQLAlchemy keep theirs. ``DotPeer(persistent=True)`` serves with
``CONN_MAX_AGE = None`` instead (a connection kept for the thread's life),
to show what that default costs: the policy is switched per request on the
one Django connection (:func:`_with_max_age`), so both run in one process.

:class:`DotPeer` registers confidential clients with ``hash_client_secret``
as asked (``True`` is the default; ``False`` keeps the secret in clear, as
Authlib does) and times:

- ``AuthorizationView`` (``POST`` with ``allow``, for a signed-in user), then
  ``TokenView``; ``RevokeTokenView``; ``IntrospectTokenView`` (client
  credentials in Basic);
- a ``ProtectedResourceView`` and, in a second handler whose ``MIDDLEWARE``
  is ``OAuth2TokenMiddleware`` with ``OAuth2Backend`` first in
  ``AUTHENTICATION_BACKENDS``, a view reading ``request.user``: the two ways
  DOT's documentation protects a view. Both refuse without a valid token
  with 403 (``ProtectedResourceView``) and 401 (the view's own answer).

:attr:`DotPeer.bare` is the bare Django handler, for proauth2's middleware
over the same Django view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import django
from django.conf import settings

from benchmarks.peers import REDIRECT_URI, Endpoints, authorization_query, route, sqlite_pragmas

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: DOT's default scopes are ``read`` and ``write``
SCOPE = "read"
#: where the server answers: ``oauth2_provider.urls`` under ``/o/``
PATHS = {
    "authorize": "/o/authorize/",
    "token": "/o/token/",
    "revoke": "/o/revoke_token/",
    "introspect": "/o/introspect/",
}
#: the Django handlers, by their MIDDLEWARE: none, or DOT's
_handlers: dict[str, WSGIApplication] = {}


def configure(database_path: str) -> None:
    """Configure Django for this process with DOT on ``database_path``, and migrate it (once per process)."""
    if settings.configured:
        if settings.DATABASES["default"]["NAME"] != database_path:
            raise RuntimeError("Django is configured once per process; DOT is already on another database")
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only-not-secret",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF="benchmarks.peers.dot_urls",
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "oauth2_provider"],
        MIDDLEWARE=[],
        AUTHENTICATION_BACKENDS=["oauth2_provider.backends.OAuth2Backend", "django.contrib.auth.backends.ModelBackend"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database_path}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0, interactive=False)
    _handlers["bare"] = get_wsgi_application()
    # A second handler with DOT's middleware: Django reads MIDDLEWARE when a handler is built.
    settings.MIDDLEWARE = ["oauth2_provider.middleware.OAuth2TokenMiddleware"]
    _handlers["middleware"] = get_wsgi_application()
    settings.MIDDLEWARE = []


def _with_max_age(handler: WSGIApplication, max_age: int | None) -> WSGIApplication:
    """``handler``, its requests served with ``CONN_MAX_AGE = max_age`` (the connection reopened on a change)."""
    from django.db import connection

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if connection.settings_dict["CONN_MAX_AGE"] != max_age:
            connection.close()
            connection.settings_dict["CONN_MAX_AGE"] = max_age
        return handler(environ, start_response)

    return app


class DotPeer:
    """DOT's endpoints and views, its clients' secrets hashed (the default) or not, its connections kept or not."""

    def __init__(self, *, hashed: bool = True, persistent: bool = False) -> None:
        from django.contrib.auth import get_user_model
        from django.utils import timezone
        from oauth2_provider.generators import generate_client_secret
        from oauth2_provider.models import get_access_token_model, get_application_model

        from benchmarks.peers import dot_urls

        self.name = "DOT, persistent" if persistent else "DOT" if hashed else "DOT, unhashed"  # unhashed: False
        self.hashed = hashed
        max_age = None if persistent else 0
        self.app = _with_max_age(_handlers["bare"], max_age)
        self.with_middleware = _with_max_age(_handlers["middleware"], max_age)
        application = get_application_model()
        self._access_token = get_access_token_model()
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username="alice")
        dot_urls.signed_in[:] = [user]

        def register(grant_type: str) -> tuple[str, str, Any]:
            secret = generate_client_secret()
            app = application.objects.create(
                name=f"bench {grant_type} {'hashed' if hashed else 'plain'}",
                user=user,
                client_type=application.CLIENT_CONFIDENTIAL,
                authorization_grant_type=grant_type,
                redirect_uris=REDIRECT_URI,
                client_secret=secret,
                hash_client_secret=hashed,
            )
            return app.client_id, secret, app

        code_id, code_secret, _ = register(application.GRANT_AUTHORIZATION_CODE)
        cc_id, cc_secret, self._cc_app = register(application.GRANT_CLIENT_CREDENTIALS)
        self._now = timezone.now
        self.endpoints = Endpoints(
            self.app,
            PATHS,
            scope=SCOPE,
            approval={**authorization_query(code_id, SCOPE), "allow": "Authorize"},
            code_client=(code_id, code_secret),
            cc_client=(cc_id, cc_secret),
            issue=self._issue,
        )

    #: the bare Django handler (no middleware), for proauth2's middleware over the same view
    @property
    def bare(self) -> WSGIApplication:
        return _handlers["bare"]

    def _issue(self, count: int) -> list[str]:
        """Access tokens of the client credentials client, stored as DOT's validator stores them."""
        from oauth2_provider.generators import generate_client_id

        tokens = [generate_client_id() for _ in range(count)]
        expires = self._now() + timedelta(hours=1)
        self._access_token.objects.bulk_create(
            [
                self._access_token(token=token, application=self._cc_app, expires=expires, scope="read write")
                for token in tokens
            ]
        )
        return tokens

    def routes(self) -> dict[str, dict[str, Callable[[int], object]]]:
        plain, with_middleware, token = self.app, self.with_middleware, self.endpoints.token
        return {
            "django": {
                "bare": route(plain, "/bare", token, 200),
                "valid": route(plain, "/api", token, 200),
                "middleware": route(with_middleware, "/user", token, 200),
                "bad": route(plain, "/api", "A" * 43, 403),
                "missing": route(plain, "/api", None, 403),
            }
        }

    @contextmanager
    def trace(self) -> Iterator[list[str]]:
        """The statements of Django's connection, and of any it opens meanwhile (one per request, by default)."""
        from django.db import connection
        from django.db.backends.signals import connection_created

        statements: list[str] = []

        def opened(sender: Any, connection: Any, **kwargs: Any) -> None:
            connection.connection.set_trace_callback(statements.append)

        connection_created.connect(opened)
        if connection.connection is not None:
            connection.connection.set_trace_callback(statements.append)
        try:
            yield statements
        finally:
            connection_created.disconnect(opened)
            if connection.connection is not None:
                connection.connection.set_trace_callback(None)

    def pragmas(self) -> dict[str, str]:
        from django.db import connection

        connection.ensure_connection()
        return sqlite_pragmas(connection.connection)

    def close(self) -> None:
        from django.db import connection

        connection.close()
