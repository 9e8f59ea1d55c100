"""The app gunicorn serves in the DPoP replay tests: a provider's endpoints and a DPoP-protected resource.

gunicorn calls :func:`build` with the database's URL
(``tests.dpop.gunicorn_app:build('postgresql://...')``), in the master with
``--preload``. ``/oauth/token`` is the token endpoint of a
:class:`~proauth2_wsgi.Proauth2` on that database (no issuer: a proof names the URL the worker
sees); every other path is :func:`whoami` behind a
:class:`~proauth2_wsgi.BearerTokenMiddleware` of the same provider, so replays
are caught through the database, whichever worker a proof reaches. Every
response, a refusal too, names the worker that gave it in ``X-Worker-Pid``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from proauth2_wsgi import BearerTokenMiddleware, Proauth2
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.middleware import CLIENT_ID

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: the scopes of the provider, on both sides of the fork and in the tests
SCOPES = {"profile": "Read your profile"}
#: the header naming the worker process that answered
WORKER_PID = "X-Worker-Pid"


def whoami(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """The protected resource: the token's client and the worker that served it."""
    body = json.dumps({"client_id": environ.get(CLIENT_ID), "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def name_the_worker(app: WSGIApplication) -> WSGIApplication:
    """``app`` with :data:`WORKER_PID` added to every response, however it was answered."""

    def named(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            return start_response(status, [*headers, (WORKER_PID, str(os.getpid()))], exc_info)

        return app(environ, start)  # type: ignore[arg-type]

    return named


def build(database_url: str) -> WSGIApplication:
    """The token endpoint and the protected resource of one provider on ``database_url``."""
    provider = Proauth2(database_url, scopes=SCOPES, default_scope="profile")
    return name_the_worker(AuthorizationServer(provider, app=BearerTokenMiddleware(whoami, provider)))
