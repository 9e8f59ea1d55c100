"""The app gunicorn serves in the fault tests: a provider's endpoints, a host app's pages, a protected resource.

gunicorn calls :func:`build` with the database URL and the issuer
(``tests.faults.app:build('postgresql://...', 'http://127.0.0.1:8000')``), in
the master with ``--preload``:

- ``/oauth/*`` — the provider's token, revocation, introspection and device
  authorization endpoints (:class:`~proauth2_wsgi.endpoints.AuthorizationServer`);
- ``/authorize`` — what a host app does around its consent page, with the
  library's helpers: the request validated, the user ``alice`` approving at
  once, the redirect with the code; an error shown with
  :func:`~proauth2_wsgi.endpoints.authorization.error_page` (503 with
  ``Retry-After`` for an outage) or redirected when it may be;
- ``/device/approve`` — the verification page's form: ``alice`` approves the
  user code posted;
- ``/health`` — public, touches no database (is the server up);
- everything else — :func:`whoami` behind a
  :class:`~proauth2_wsgi.BearerTokenMiddleware` (Bearer and DPoP tokens).

The store waits :data:`STORE_TIMEOUT` seconds for a connection or a lock, so
an outage is answered (503) within the test's patience. With ``page_quota``
(a file's path, SQLite only) the app is wrapped in :class:`PageQuota`: the
disk-full fault where no tmpfs can be mounted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from proauth2_wsgi import BearerTokenMiddleware, Proauth2, Settings
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.endpoints.authorization import (
    authorization_redirect,
    error_page,
    error_redirect,
    parse_authorization_request,
)
from proauth2_wsgi.errors import Proauth2Error
from proauth2_wsgi.middleware import CLIENT_ID, USER_ID
from proauth2_wsgi.responses import error_response, json_response
from proauth2_wsgi.stores import PeeweeDataStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: the user who signs in and approves every request
USER = "alice"
#: seconds the server's store waits for a connection, a pooled connection or a SQLite lock
STORE_TIMEOUT = 2
#: SQLite's own largest ``max_page_count``: no quota
NO_QUOTA = 1073741823
#: the device flow's verification page (never visited: the test posts to /device/approve)
VERIFICATION_URI = "https://device.example/verify"


def settings(issuer: str) -> Settings:
    """The provider's settings, the same in gunicorn and in the test that registers the clients."""
    return Settings(
        issuer=issuer,
        scopes={"profile": "Read your profile"},
        default_scope=frozenset({"profile"}),
        device_verification_uri=VERIFICATION_URI,
        device_poll_interval=1,
    )


def whoami(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The protected resource: whom the token speaks for."""
    body = json.dumps({"client_id": environ.get(CLIENT_ID), "user_id": environ.get(USER_ID)}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class HostApp:
    """The host application's own pages (authorization, device approval), then the protected resource."""

    def __init__(self, provider: Proauth2) -> None:
        self.provider = provider
        self.resource = BearerTokenMiddleware(whoami, provider, public_paths=["/health"])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/authorize":
            return self.authorize(Request(environ))(environ, start_response)
        if path == "/device/approve":
            return self.approve_device(Request(environ))(environ, start_response)
        if path == "/health":
            return Response("ok", mimetype="text/plain")(environ, start_response)
        return self.resource(environ, start_response)

    def authorize(self, request: Request) -> Response:
        """RFC 6749 §4.1.1-§4.1.2.1: validate, the user approves, redirect with the code (or the error)."""
        try:
            auth_request = parse_authorization_request(self.provider, request.args)
            return Response(status=302, headers={"Location": authorization_redirect(self.provider, auth_request, USER)})
        except Proauth2Error as error:
            if error.redirect_uri is None:  # an unknown client or redirect URI, an outage: shown, never redirected
                return error_page(error)
            return Response(status=302, headers={"Location": error_redirect(self.provider, error)})

    def approve_device(self, request: Request) -> Response:
        """RFC 8628 §3.3: the signed-in user approves the user code posted."""
        try:
            shown = self.provider.approve_device(request.form.get("user_code", ""), USER, session=USER)
        except Proauth2Error as error:
            return error_response(error)
        return json_response({"approved": shown.client.client_id})


class PageQuota:
    """A full disk for a SQLite server without a tmpfs: the database may not grow while ``flag`` exists.

    While the file ``flag`` exists it holds a page count, and before each
    request the worker's connection gets ``PRAGMA max_page_count`` of it: a
    write that needs one more page then fails in SQLite itself with
    SQLITE_FULL ("database or disk is full"), as on a full disk. Once the file
    is gone the limit is lifted. Sync workers only: one thread, one connection
    per worker process.
    """

    def __init__(self, app: WSGIApplication, store: PeeweeDataStore, flag: str) -> None:
        self.app = app
        self.store = store
        self.flag = Path(flag)
        self.applied = NO_QUOTA

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            limit = int(self.flag.read_text() or NO_QUOTA)
        except FileNotFoundError:
            limit = NO_QUOTA
        if limit != self.applied:
            self.store._db.execute_sql(f"PRAGMA max_page_count = {limit}")  # the worker's own connection
            self.applied = limit
        return self.app(environ, start_response)


def build(database_url: str, issuer: str, page_quota: str | None = None) -> WSGIApplication:
    """The provider on ``database_url`` (migrated already) with its endpoints, the host app and the resource."""
    store = PeeweeDataStore(database_url, timeout=STORE_TIMEOUT, auto_migrate=False)
    provider = Proauth2(store, settings(issuer))
    app: WSGIApplication = AuthorizationServer(provider, app=HostApp(provider))
    return app if page_quota is None else PageQuota(app, store, page_quota)
